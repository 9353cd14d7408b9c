package sde_test

import (
	"context"
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tensor"
)

// Geometric Brownian motion dX = 0.5 X dt + 0.2 X dW for a batch of four
// paths, solved adaptively with SOSRI; then the gradient of the mean final
// value plus the error regularizer with respect to the drift coefficient.
func Example() {
	mu := ad.NewParam("mu", 1, 1)
	mu.Value.Data[0] = 0.5
	p := sde.Problem{
		Drift:     func(_ float64, z ad.Var) ad.Var { return ad.ScaleBy(z, z.Tape().Param(mu)) },
		Diffusion: func(_ float64, z ad.Var) ad.Var { return ad.Scale(z, 0.2) },
		Z0:        tensor.FromSlice(4, 1, []float64{1, 1, 1, 1}),
		T0:        0, T1: 1,
	}
	sol, err := sde.Solve(context.Background(), p, &sde.Options{RTol: 1e-2, ATol: 1e-2, Seed: 1999, Adjoint: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d accepted steps, NFE %d = %d drift + %d diffusion\n", sol.Accepted, sol.NFE, sol.DriftNFE, sol.DiffusionNFE)
	dz := tensor.New(4, 1)
	dz.Fill(0.25) // d(mean of Z(1))/dZ(1)
	if _, err := sol.Backward(context.Background(), []*tensor.Dense{dz}, ode.Regularization{Error: 0.1}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("gradient with respect to mu is positive: %v\n", mu.Grad.Data[0] > 0)
	// Output:
	// 209 accepted steps, NFE 1676 = 838 drift + 838 diffusion
	// gradient with respect to mu is positive: true
}
