package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
)

// GRU is a gated recurrent unit cell (Cho et al., 2014) in the variant of
// Flux and PyTorch, where the reset gate multiplies the recurrent product
// U_n*h rather than h itself ("reset after"):
//
//	r  = sigmoid(x W_r + h U_r + b_r)        reset gate
//	z  = sigmoid(x W_z + h U_z + b_z)        update gate
//	n  = tanh(x W_n + r .* (h U_n) + b_n)    candidate
//	h' = (1 - z) .* n + z .* h
//
// W (in x 3H), U (H x 3H) and b (1 x 3H) hold the three gates side by side
// in column blocks [r | z | n]. The latent-ODE encoder runs it backward in
// time over the observations.
type GRU struct {
	W, U, B *ad.Param
}

// NewGRU returns a cell with in inputs and hidden state width hidden. W and U
// are Glorot-uniform over their whole shapes (in x 3H and H x 3H, as Flux's
// GRUCell), b is zero.
func NewGRU(in, hidden int, rng *rand.Rand) *GRU {
	g := newGRU(in, hidden)
	mustRNG(rng, "NewGRU")
	glorot(g.W, in, 3*hidden, rng)
	glorot(g.U, hidden, 3*hidden, rng)
	return g
}

func newGRU(in, hidden int) *GRU {
	mustPositive("NewGRU", in, hidden)
	return &GRU{
		W: ad.NewParam("W", in, 3*hidden),
		U: ad.NewParam("U", hidden, 3*hidden),
		B: ad.NewParam("b", 1, 3*hidden),
	}
}

// In is the input width.
func (g *GRU) In() int { return g.W.Value.Rows }

// Hidden is the state width H.
func (g *GRU) Hidden() int { return g.U.Value.Rows }

// Step records one update: x (batch x in) and h (batch x H) give h'
// (batch x H).
func (g *GRU) Step(x, h ad.Var) ad.Var {
	tp := x.Tape()
	in, hd := g.In(), g.Hidden()
	if x.Cols() != in || h.Cols() != hd || x.Rows() != h.Rows() {
		panic(fmt.Sprintf("nn: GRU(%d->%d).Step: input %dx%d and state %dx%d, want batch x %d and batch x %d",
			in, hd, x.Rows(), x.Cols(), h.Rows(), h.Cols(), in, hd))
	}
	gx := ad.Dense(x, tp.Param(g.W), tp.Param(g.B), ad.ActIdentity)
	gh := ad.MatMul(h, tp.Param(g.U))
	rz := ad.Sigmoid(ad.Add(ad.SliceCols(gx, 0, 2*hd), ad.SliceCols(gh, 0, 2*hd)))
	r := ad.SliceCols(rz, 0, hd)
	z := ad.SliceCols(rz, hd, 2*hd)
	n := ad.Tanh(ad.Add(ad.SliceCols(gx, 2*hd, 3*hd), ad.Mul(r, ad.SliceCols(gh, 2*hd, 3*hd))))
	// (1-z) n + z h = n + z (h - n)
	return ad.Add(n, ad.Mul(z, ad.Sub(h, n)))
}

// Params returns W, U, b.
func (g *GRU) Params() []*ad.Param { return []*ad.Param{g.W, g.U, g.B} }

// Spec returns {"type":"gru","in":..,"out":H}.
func (g *GRU) Spec() Spec { return Spec{Type: TypeGRU, In: g.In(), Out: g.Hidden()} }
