package nn

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
)

// InputLayer is a layer whose input enters only through a product x*W with a
// matrix of its parameters, which it can expose: ode.Problem.Input then forms
// the products of the solver's stages instead of the stage states (see
// package ode). Dense and TimeDense implement it.
type InputLayer interface {
	TimeLayer
	// InputWeights records W on tp (in x out).
	InputWeights(tp *ad.Tape) ad.Var
	// ForwardProductT records the layer's output given a = x*W.
	ForwardProductT(a ad.Var, t float64) ad.Var
}

var (
	_ InputLayer = (*Dense)(nil)
	_ InputLayer = (*TimeDense)(nil)
)

// InputWeights returns W.
func (d *Dense) InputWeights(tp *ad.Tape) ad.Var { return tp.Param(d.W) }

// ForwardProductT records act(a + b) for a = x*W; t is ignored.
func (d *Dense) ForwardProductT(a ad.Var, _ float64) ad.Var {
	checkProduct("Dense", a, d.Out())
	return apply(string(d.Act), ad.AddRow(a, a.Tape().Param(d.B)))
}

// InputWeights returns W[:in], the rows that multiply x.
func (d *TimeDense) InputWeights(tp *ad.Tape) ad.Var {
	return ad.SliceRows(tp.Param(d.W), 0, d.In())
}

// ForwardProductT records act(a + (b + t*W[in])) for a = x*W[:in].
func (d *TimeDense) ForwardProductT(a ad.Var, t float64) ad.Var {
	checkProduct("TimeDense", a, d.Out())
	tp := a.Tape()
	in := d.In()
	bt := ad.Add(tp.Param(d.B), ad.Scale(ad.SliceRows(tp.Param(d.W), in, in+1), t))
	return apply(string(d.Act), ad.AddRow(a, bt))
}

func checkProduct(layer string, a ad.Var, out int) {
	if a.Cols() != out {
		panic(fmt.Sprintf("nn: %s.ForwardProductT: product %dx%d has %d columns, want %d", layer, a.Rows(), a.Cols(), a.Cols(), out))
	}
}

// InputForm splits c for ode.Problem.Input when its first layer is an
// InputLayer: input records that layer's W, and f(t, a) applies the rest of
// c to a = x*W, so that f(t, x*W) = c.ForwardT(x, t) up to rounding (the
// bias is added after the product instead of before). ok is false when c is
// empty or its first layer is no InputLayer.
func (c *Chain) InputForm() (input func(*ad.Tape) ad.Var, f func(t float64, a ad.Var) ad.Var, ok bool) {
	if len(c.Layers) == 0 {
		return nil, nil, false
	}
	first, ok := c.Layers[0].(InputLayer)
	if !ok {
		return nil, nil, false
	}
	rest := &Chain{Layers: c.Layers[1:]}
	f = func(t float64, a ad.Var) ad.Var {
		return rest.ForwardT(first.ForwardProductT(a, t), t)
	}
	return first.InputWeights, f, true
}
