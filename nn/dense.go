package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
)

// Dense is the layer y = act(x*W + b) with W of shape in x out and the bias b
// of shape 1 x out (the layout of package tensor: one sample per row).
type Dense struct {
	W, B *ad.Param
	Act  Activation
}

// NewDense returns an in -> out dense layer with Glorot-uniform weights drawn
// from rng and a zero bias. It panics on a nil rng, a dimension outside
// 1..MaxDim or an unknown activation.
func NewDense(in, out int, act Activation, rng *rand.Rand) *Dense {
	d := newDense(in, out, act)
	mustRNG(rng, "NewDense")
	glorot(d.W, in, out, rng)
	return d
}

func newDense(in, out int, act Activation) *Dense {
	mustPositive("NewDense", in, out)
	return &Dense{W: ad.NewParam("W", in, out), B: ad.NewParam("b", 1, out), Act: act.mustNorm()}
}

// In and Out are the layer's input and output widths.
func (d *Dense) In() int { return d.W.Value.Rows }

// Out is the output width.
func (d *Dense) Out() int { return d.W.Value.Cols }

// Forward records act(x*W + b) on x's tape.
func (d *Dense) Forward(x ad.Var) ad.Var {
	tp := x.Tape()
	if x.Cols() != d.In() {
		panic(fmt.Sprintf("nn: Dense(%d->%d): input %dx%d has %d features, want %d", d.In(), d.Out(), x.Rows(), x.Cols(), x.Cols(), d.In()))
	}
	return dense(x, tp.Param(d.W), tp.Param(d.B), d.Act)
}

// ForwardT ignores t: a Dense layer is autonomous.
func (d *Dense) ForwardT(x ad.Var, _ float64) ad.Var { return d.Forward(x) }

// Params returns W, b.
func (d *Dense) Params() []*ad.Param { return []*ad.Param{d.W, d.B} }

// Spec returns {"type":"dense","in":..,"out":..,"act":..}.
func (d *Dense) Spec() Spec {
	return Spec{Type: TypeDense, In: d.In(), Out: d.Out(), Act: d.Act.mustNorm()}
}

// TimeDense is the time-concatenating dense layer of the paper's MNIST neural
// ODE: y = act([x t]*W + b) for a scalar time t, with W of shape (in+1) x out
// whose last row multiplies t. It never builds [x t]: it records
// act(x*W[:in] + (b + t*W[in])), one fused ad.Dense plus a 1 x out bias.
type TimeDense struct {
	W, B *ad.Param
	Act  Activation
}

// NewTimeDense returns an in -> out time-concatenating layer with W of shape
// (in+1) x out drawn Glorot-uniform with fan-in in+1, and a zero bias.
func NewTimeDense(in, out int, act Activation, rng *rand.Rand) *TimeDense {
	d := newTimeDense(in, out, act)
	mustRNG(rng, "NewTimeDense")
	glorot(d.W, in+1, out, rng)
	return d
}

func newTimeDense(in, out int, act Activation) *TimeDense {
	mustPositive("NewTimeDense", in, out)
	return &TimeDense{W: ad.NewParam("W", in+1, out), B: ad.NewParam("b", 1, out), Act: act.mustNorm()}
}

// In is the width of x (W has In()+1 rows).
func (d *TimeDense) In() int { return d.W.Value.Rows - 1 }

// Out is the output width.
func (d *TimeDense) Out() int { return d.W.Value.Cols }

// ForwardT records act(x*W[:in] + (b + t*W[in])).
func (d *TimeDense) ForwardT(x ad.Var, t float64) ad.Var {
	tp := x.Tape()
	in := d.In()
	if x.Cols() != in {
		panic(fmt.Sprintf("nn: TimeDense(%d+1->%d): input %dx%d has %d features, want %d", in, d.Out(), x.Rows(), x.Cols(), x.Cols(), in))
	}
	w := tp.Param(d.W)
	bt := ad.Add(tp.Param(d.B), ad.Scale(ad.SliceRows(w, in, in+1), t))
	return dense(x, ad.SliceRows(w, 0, in), bt, d.Act)
}

// Forward is ForwardT at t = 0. Inside a Chain, use Chain.ForwardT to pass
// the time.
func (d *TimeDense) Forward(x ad.Var) ad.Var { return d.ForwardT(x, 0) }

// Params returns W, b.
func (d *TimeDense) Params() []*ad.Param { return []*ad.Param{d.W, d.B} }

// Spec returns {"type":"timedense","in":..,"out":..,"act":..}; in excludes
// the time input.
func (d *TimeDense) Spec() Spec {
	return Spec{Type: TypeTimeDense, In: d.In(), Out: d.Out(), Act: d.Act.mustNorm()}
}
