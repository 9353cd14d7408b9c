package spiralsde

import (
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tensor"
)

// Model is the paper's neural SDE for the spiral: drift
// x -> x^3 -> Dense(2,50,tanh) -> Dense(50,2) and diagonal diffusion
// Dense(2,2), applied elementwise (one noise coefficient per state
// component). Both are autonomous.
type Model struct {
	Drift     *nn.Chain
	Diffusion *nn.Dense
}

// NewModel returns the model with Glorot-uniform weights and zero biases
// drawn from rng (Flux's defaults, as in the authors' code).
func NewModel(rng *rand.Rand) *Model {
	return &Model{
		Drift:     nn.NewChain(nn.Cube(), nn.NewDense(2, 50, nn.Tanh, rng), nn.NewDense(50, 2, nn.Identity, rng)),
		Diffusion: nn.NewDense(2, 2, nn.Identity, rng),
	}
}

// Module returns the drift and diffusion as one nn.Group ("drift",
// "diffusion") sharing the model's parameters: what nn.Save writes and a
// checkpoint holds.
func (m *Model) Module() nn.Module {
	return nn.NewGroup([]string{"drift", "diffusion"}, m.Drift, m.Diffusion)
}

// Params returns the drift's parameters, then the diffusion's.
func (m *Model) Params() []*ad.Param {
	return append(m.Drift.Params(), m.Diffusion.Params()...)
}

// Problem returns the model's SDE on [0, 1] for n trajectories starting at
// (2, 0), as one batched SDE (n x 2 state).
func (m *Model) Problem(n int) sde.Problem {
	z0 := tensor.New(n, 2)
	for r := range n {
		z0.Set(r, 0, u0[0])
		z0.Set(r, 1, u0[1])
	}
	return sde.Problem{
		Drift:     func(_ float64, z ad.Var) ad.Var { return m.Drift.Forward(z) },
		Diffusion: func(_ float64, z ad.Var) ad.Var { return m.Diffusion.Forward(z) },
		Z0:        z0, T0: 0, T1: 1,
	}
}
