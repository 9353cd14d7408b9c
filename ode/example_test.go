package ode_test

import (
	"context"
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// A solve reports every step's error and stiffness estimates, and the
// discrete adjoint differentiates a loss plus the error regularizer R_E with
// respect to the dynamics' parameters.
func Example() {
	// dz/dt = z*M with a trainable 2x2 matrix M.
	m := ad.NewParam("M", 2, 2)
	copy(m.Value.Data, []float64{-0.1, 2, -2, -0.1})
	f := func(t float64, z ad.Var) ad.Var { return ad.MatMul(z, z.Tape().Param(m)) }

	p := ode.Problem{F: f, Z0: tensor.FromSlice(1, 2, []float64{2, 0}), T0: 0, T1: 1.5}
	sol, err := ode.Solve(context.Background(), p, &ode.Options{RTol: 1e-6, ATol: 1e-6, Adjoint: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Exact: 2*exp(-0.15)*(cos 3, sin 3) = (-1.7042, 0.2429).
	fmt.Printf("z(1.5) = [%.4f %.4f]\n", sol.Z[0].Data[0], sol.Z[0].Data[1])
	fmt.Printf("NFE %d, accepted %d, rejected %d\n", sol.NFE, sol.Accepted, sol.Rejected)
	fmt.Printf("first step: h=%.3g E=%.3f S=%.3f\n", sol.Steps[0].H, sol.Steps[0].ErrorEstimate, sol.Steps[0].StiffnessEstimate)

	// Loss = sum(z(1.5)) + 0.1*R_E: dL/dz(1.5) = 1.
	dz := tensor.FromSlice(1, 2, []float64{1, 1})
	reg := ode.Regularization{Error: 0.1, ErrorAgg: ode.Sum}
	if _, err := sol.Backward(context.Background(), []*tensor.Dense{dz}, reg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("dL/dM = [%.3f %.3f; %.3f %.3f]\n", m.Grad.Data[0], m.Grad.Data[1], m.Grad.Data[2], m.Grad.Data[3])
	// Output:
	// z(1.5) = [-1.7042 0.2429]
	// NFE 117, accepted 19, rejected 0
	// first step: h=0.0204 E=0.000 S=0.571
	// dL/dM = [-1.033 -1.384; 1.506 -1.155]
}

// A loss of the saved states written with package ad replaces the
// hand-derived cotangents: BackwardLoss differentiates it and runs the
// adjoint. The initial state comes from a plain slice (ode.State).
func ExampleSolution_BackwardLoss() {
	// dz/dt = tanh(z*M) with a trainable 2x2 matrix M, a batch of two states.
	m := ad.NewParam("M", 2, 2)
	copy(m.Value.Data, []float64{-0.5, 1, -1, -0.5})
	f := func(t float64, z ad.Var) ad.Var { return ad.Tanh(ad.MatMul(z, z.Tape().Param(m))) }
	p := ode.Problem{F: f, Z0: ode.State(2, 2, []float64{1, 0, 0, 1}), T0: 0, T1: 1}
	sol, err := ode.Solve(context.Background(), p, &ode.Options{SaveAt: []float64{0.5, 1}, Adjoint: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	// L = mean((z(1) - target)^2) + 0.1*sum(z(0.5)^2), plus 0.01*R_E.
	target := ode.State(2, 2, []float64{0, 1, -1, 0})
	loss := func(tp *ad.Tape, z []ad.Var) ad.Var {
		fit := ad.Mean(ad.Square(ad.Sub(z[1], tp.Const(target))))
		return ad.Add(fit, ad.Scale(ad.Sum(ad.Square(z[0])), 0.1))
	}
	reg := ode.Regularization{Error: 0.01}
	l, dz0, err := sol.BackwardLoss(context.Background(), loss, reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("L = %.5f, R_E = %.3g\n", l, sol.ErrorRegularizer(ode.Sum))
	fmt.Printf("dL/dZ0 = [%.4f %.4f; %.4f %.4f]\n", dz0.Data[0], dz0.Data[1], dz0.Data[2], dz0.Data[3])
	fmt.Printf("dL/dM = [%.4f %.4f; %.4f %.4f]\n", m.Grad.Data[0], m.Grad.Data[1], m.Grad.Data[2], m.Grad.Data[3])
	// Output:
	// L = 0.34338, R_E = 0.0112
	// dL/dZ0 = [0.1398 -0.2123; 0.2123 0.1398]
	// dL/dM = [0.0224 -0.1399; 0.1399 0.0224]
}
