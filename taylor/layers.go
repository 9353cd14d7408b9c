package taylor

import (
	"errors"
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
)

// ErrNoRule is returned (wrapped, with the layer and function named) by
// FromLayer for a layer or activation without a Taylor rule here.
var ErrNoRule = errors.New("taylor: no Taylor rule")

// Layer is a layer that carries its own Taylor rule: SeriesT returns the
// series of its output for the series x of its input and t of the time.
// FromLayer uses it before the built-in rules, so a custom nn.Layer (or one
// of package nn's, to override its rule) implements it to be usable in
// Taylor mode.
type Layer interface {
	SeriesT(x, t *Series) *Series
}

// FromLayer returns the Func of the dynamics f(t, z) = l.ForwardT(z, t) (or
// l.Forward(z) for a layer that is no nn.TimeLayer) for the layers of
// package nn: Dense and TimeDense with the activations identity, tanh,
// sigmoid and softplus; Map with those and square and cube; Chain of such
// layers; and any layer implementing Layer. For anything else, relu
// included (it is not differentiable at 0, so its series would be wrong
// there), it returns an error wrapping ErrNoRule that names the layer and
// the function. The Func computes coefficient 0 as the layers' Forward does,
// with the same ops on the same values.
func FromLayer(l nn.Layer) (Func, error) {
	r, err := ruleOf(l, "")
	if err != nil {
		return nil, err
	}
	return func(t, z *Series) *Series { return r(z, t) }, nil
}

type rule func(x, t *Series) *Series

func ruleOf(l nn.Layer, where string) (rule, error) {
	if l == nil {
		return nil, fmt.Errorf("%w for a nil layer%s", ErrNoRule, where)
	}
	switch l := l.(type) {
	case Layer:
		return l.SeriesT, nil
	case *nn.Chain:
		rules := make([]rule, len(l.Layers))
		for i, li := range l.Layers {
			r, err := ruleOf(li, fmt.Sprintf(" (layer %d of %s%s)", i, l.Spec(), where))
			if err != nil {
				return nil, err
			}
			rules[i] = r
		}
		return func(x, t *Series) *Series {
			for _, r := range rules {
				x = r(x, t)
			}
			return x
		}, nil
	case *nn.Dense:
		act, err := elementwise(string(l.Act), l, where)
		if err != nil {
			return nil, err
		}
		return func(x, _ *Series) *Series {
			checkIn(l.Spec(), x, l.In())
			tp := x.ev.tp
			return act(affine(x, tp.Param(l.W), tp.Param(l.B), nil, ad.Var{}))
		}, nil
	case *nn.TimeDense:
		act, err := elementwise(string(l.Act), l, where)
		if err != nil {
			return nil, err
		}
		return func(x, t *Series) *Series {
			checkIn(l.Spec(), x, l.In())
			tp := x.ev.tp
			in := l.In()
			w := tp.Param(l.W)
			return act(affine(x, ad.SliceRows(w, 0, in), tp.Param(l.B), t, ad.SliceRows(w, in, in+1)))
		}, nil
	case *nn.Map:
		f, err := elementwise(l.Fn, l, where)
		if err != nil {
			return nil, err
		}
		return func(x, _ *Series) *Series { return f(x) }, nil
	}
	return nil, fmt.Errorf("%w for layer type %T%s; implement taylor.Layer to give it one", ErrNoRule, l, where)
}

// affine returns x*w + b (+ t*wt when wt is valid), the pre-activation of a
// dense layer, with coefficient 0 computed by ad.Dense as nn does.
func affine(x *Series, w, b ad.Var, t *Series, wt ad.Var) *Series {
	ev := x.ev
	out := w.Cols()
	return ev.make(x.rows, out, func(k int) ad.Var {
		if k == 0 {
			bias := b
			if wt.Valid() {
				bias = ad.Add(b, ad.ScaleBy(wt, t.Coef(0)))
			}
			return ad.Dense(ev.dense(x.c[0], x.rows, x.cols), w, bias, ad.ActIdentity)
		}
		var a ad.Var
		if x.c[k].Valid() {
			a = ad.MatMul(x.c[k], w)
		}
		if wt.Valid() && t.c[k].Valid() {
			a = ad.AddRow(ev.dense(a, x.rows, out), ad.ScaleBy(wt, t.c[k]))
		}
		return a
	})
}

func checkIn(s nn.Spec, x *Series, in int) {
	if x.cols != in {
		panic(fmt.Sprintf("taylor: %s: input series %dx%d has %d features, want %d", s, x.rows, x.cols, x.cols, in))
	}
}

// elementwise returns the Taylor rule of the named function of package nn.
func elementwise(fn string, l nn.Layer, where string) (func(*Series) *Series, error) {
	var f func(*Series) *Series
	switch fn {
	case "", string(nn.Identity):
		f = func(x *Series) *Series { return x }
	case string(nn.Tanh):
		f = Tanh
	case string(nn.Sigmoid):
		f = Sigmoid
	case string(nn.Softplus):
		f = Softplus
	case nn.FnSquare:
		f = Square
	case nn.FnCube:
		f = Cube
	default:
		return nil, fmt.Errorf("%w for the function %q of %s%s; Taylor rules exist for identity, tanh, sigmoid, softplus, square and cube", ErrNoRule, fn, l.Spec(), where)
	}
	return f, nil
}
