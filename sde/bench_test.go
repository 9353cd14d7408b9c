package sde

import (
	"context"
	"fmt"
	"testing"

	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// BenchmarkSOSRIGradient is one forward SOSRI solve plus the discrete
// adjoint (loss of the saved states plus the error regularizer) of the
// spiral neural SDE (drift x -> x^3 -> Dense(2,50,tanh) -> Dense(50,2),
// diffusion Dense(2,2)) for a batch of trajectories, rtol = atol = 0.1,
// 11 save times on [0, 1], one fixed Brownian seed. us/NFE divides the
// whole time by the forward NFE (drift plus diffusion).
func BenchmarkSOSRIGradient(b *testing.B) {
	saves := make([]float64, 11)
	for i := range saves {
		saves[i] = float64(i) / 10
	}
	for _, rows := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", rows), func(b *testing.B) {
			f, g, params := neuralSDE(1999, 50)
			z0 := tensor.New(rows, 2)
			for r := range rows {
				z0.Set(r, 0, 2)
			}
			p := Problem{Drift: f, Diffusion: g, Z0: z0, T0: 0, T1: 1}
			opts := &Options{RTol: 0.1, ATol: 0.1, SaveAt: saves, Seed: 1, Adjoint: true}
			dz := make([]*tensor.Dense, len(saves))
			for i := range dz {
				dz[i] = tensor.New(rows, 2)
				dz[i].Fill(1)
			}
			nfe := 0
			b.ReportAllocs()
			for b.Loop() {
				sol, err := Solve(context.Background(), p, opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sol.Backward(context.Background(), dz, ode.Regularization{Error: 1}); err != nil {
					b.Fatal(err)
				}
				nfe += sol.NFE
			}
			gradcheck.ZeroGrads(params)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(nfe), "us/NFE")
			b.ReportMetric(float64(nfe)/float64(b.N), "NFE")
		})
	}
}

// BenchmarkSOSRIForwardGBM is a forward-only adaptive SOSRI solve of
// geometric Brownian motion (rtol = atol = 1e-2) for a batch of paths:
// the solver's own per-step cost, with trivial drift and diffusion.
func BenchmarkSOSRIForwardGBM(b *testing.B) {
	for _, rows := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", rows), func(b *testing.B) {
			p := gbm(0.5, 0.5, rows)
			steps := 0
			b.ReportAllocs()
			for b.Loop() {
				sol, err := Solve(context.Background(), p, &Options{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				steps += len(sol.Steps)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(steps), "us/step")
		})
	}
}
