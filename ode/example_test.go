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
