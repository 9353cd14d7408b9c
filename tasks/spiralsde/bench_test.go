package spiralsde

import (
	"context"
	"testing"

	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/train"
)

// BenchmarkSOSRITrainingIteration is one training iteration of the spiral
// neural SDE at the default protocol: a forward SOSRI solve of 100
// trajectories as one batched SDE (rtol = atol = 0.3, 30 save times, noise
// kept for the adjoint), the moment loss, the discrete adjoint with the
// error regularizer, and an AdaBelief step. The model is the freshly
// initialised one (seed 1999) and every iteration solves with the same
// Brownian seed, so the work per iteration changes only as the weights move.
// us/NFE divides the whole time by the forward NFE (drift plus diffusion).
func BenchmarkSOSRITrainingIteration(b *testing.B) {
	data, err := CachedData(context.Background(), DataConfig{})
	if err != nil {
		b.Fatal(err)
	}
	model := NewModel(newRNG(1999))
	params := model.Params()
	prob := model.Problem(DefaultTrajectories)
	opt := optim.NewAdaBelief(optim.Constant(1e-4))
	cfg := Config{Reg: train.Regularization{Method: train.Method{Error: true}}}.withDefaults()
	reg := cfg.Reg.At(0, cfg.Iterations)
	opts := &sde.Options{RTol: DefaultTol, ATol: DefaultTol, SaveAt: data.T, Seed: 1, Adjoint: true}
	nfe, drift := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		sol, err := sde.Solve(context.Background(), prob, opts)
		if err != nil {
			b.Fatal(err)
		}
		_, dz := Loss(sol.Z, data)
		for _, p := range params {
			p.Grad.Zero()
		}
		if _, err := sol.Backward(context.Background(), dz, reg); err != nil {
			b.Fatal(err)
		}
		opt.Step(params)
		nfe += sol.NFE
		drift += sol.DriftNFE
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(nfe), "us/NFE")
	b.ReportMetric(float64(nfe)/float64(b.N), "NFE")
	b.ReportMetric(float64(drift)/float64(b.N), "driftNFE")
}
