package mnistnsde

import (
	"fmt"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tensor"
)

// Model sizes: 784 pixels in, a 32-dimensional SDE state, a 64-unit hidden
// drift layer, 10 classes out.
const (
	Pixels  = 784
	State   = 32
	Hidden  = 64
	Classes = 10
)

// Model is the paper's MNIST neural SDE (the authors' RegNeuralDE.jl,
// experiments/mnist_nsde.jl): Dense(784,32) maps an image to the initial
// state, the SDE dz = f(z) dt + g(z) .* dW runs on t in [0, 1] with drift
// f = Dense(32,64,tanh) -> Dense(64,32) and diagonal diffusion
// g = Dense(32,32) (one noise coefficient per state component), and
// Dense(32,10) maps the final state to logits. Drift and diffusion are
// autonomous.
type Model struct {
	Embed     *nn.Dense
	Drift     *nn.Chain
	Diffusion *nn.Dense
	Head      *nn.Dense
}

// NewModel returns the model with Glorot-uniform weights and zero biases
// drawn from rng (Flux's defaults, as in the authors' code), in the order
// embed, drift, diffusion, head.
func NewModel(rng *rand.Rand) *Model {
	return &Model{
		Embed:     nn.NewDense(Pixels, State, nn.Identity, rng),
		Drift:     nn.NewChain(nn.NewDense(State, Hidden, nn.Tanh, rng), nn.NewDense(Hidden, State, nn.Identity, rng)),
		Diffusion: nn.NewDense(State, State, nn.Identity, rng),
		Head:      nn.NewDense(State, Classes, nn.Identity, rng),
	}
}

// Module returns the four parts as one nn.Group ("embed", "drift",
// "diffusion", "head") sharing the model's parameters: what a model file
// and a checkpoint hold.
func (m *Model) Module() nn.Module {
	return nn.NewGroup([]string{"embed", "drift", "diffusion", "head"}, m.Embed, m.Drift, m.Diffusion, m.Head)
}

// FromModule returns the Model whose parts are those of a Module built by
// Module (for example one read back by nn.Load), checking their shapes.
func FromModule(mod nn.Module) (*Model, error) {
	g, ok := mod.(*nn.Group)
	if !ok {
		return nil, fmt.Errorf("mnistnsde: the model is a %T, not the group (embed, drift, diffusion, head) this task saves", mod)
	}
	embed, ok1 := g.Get("embed").(*nn.Dense)
	drift, ok2 := g.Get("drift").(*nn.Chain)
	diff, ok3 := g.Get("diffusion").(*nn.Dense)
	head, ok4 := g.Get("head").(*nn.Dense)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(g.Modules) != 4 {
		return nil, fmt.Errorf("mnistnsde: the model's parts are %v; want embed (Dense), drift (Chain), diffusion (Dense), head (Dense)", g.Names)
	}
	m := &Model{Embed: embed, Drift: drift, Diffusion: diff, Head: head}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) check() error {
	if m.Embed.In() != Pixels || m.Embed.Out() != State || m.Diffusion.In() != State || m.Diffusion.Out() != State ||
		m.Head.In() != State || m.Head.Out() != Classes {
		return fmt.Errorf("mnistnsde: the model's shapes are embed %dx%d, diffusion %dx%d, head %dx%d; want 784x32, 32x32, 32x10",
			m.Embed.In(), m.Embed.Out(), m.Diffusion.In(), m.Diffusion.Out(), m.Head.In(), m.Head.Out())
	}
	ps := m.Drift.Params()
	if len(ps) != 4 || ps[0].Value.Rows != State || ps[0].Value.Cols != Hidden || ps[2].Value.Rows != Hidden || ps[2].Value.Cols != State {
		return fmt.Errorf("mnistnsde: the drift is not Dense(32,64,tanh) -> Dense(64,32)")
	}
	return nil
}

// Params returns the parameters: embed, drift, diffusion, head.
func (m *Model) Params() []*ad.Param {
	ps := append([]*ad.Param{}, m.Embed.Params()...)
	ps = append(ps, m.Drift.Params()...)
	ps = append(ps, m.Diffusion.Params()...)
	return append(ps, m.Head.Params()...)
}

// Problem returns the SDE on [0, 1] from the initial states z0 (one row per
// trajectory).
func (m *Model) Problem(z0 *tensor.Dense) sde.Problem {
	return sde.Problem{
		Drift:     func(_ float64, z ad.Var) ad.Var { return m.Drift.Forward(z) },
		Diffusion: func(_ float64, z ad.Var) ad.Var { return m.Diffusion.Forward(z) },
		Z0:        z0, T0: 0, T1: 1,
	}
}

// Replicate returns the initial states of k trajectories per image: k
// copies of z0 (n x State) stacked, trajectory j of image i in row j*n + i
// (the authors' code's repeat(x, 1, k) layout).
func Replicate(z0 *tensor.Dense, k int) *tensor.Dense {
	out := tensor.New(k*z0.Rows, z0.Cols)
	for j := range k {
		copy(out.Data[j*len(z0.Data):(j+1)*len(z0.Data)], z0.Data)
	}
	return out
}

// MeanLogits averages logits of k trajectories per image laid out as
// Replicate lays them out ((k*n) x Classes) into n x Classes.
func MeanLogits(logits *tensor.Dense, k int) *tensor.Dense {
	n := logits.Rows / k
	if n*k != logits.Rows {
		panic(fmt.Sprintf("mnistnsde: MeanLogits of %d rows for %d trajectories", logits.Rows, k))
	}
	out := tensor.New(n, logits.Cols)
	sz := n * logits.Cols
	for j := range k {
		blk := logits.Data[j*sz : (j+1)*sz]
		for i, v := range blk {
			out.Data[i] += v
		}
	}
	inv := 1 / float64(k)
	for i := range out.Data {
		out.Data[i] *= inv
	}
	return out
}
