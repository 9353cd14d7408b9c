package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestDenseForwardValues checks act(x*W + b) against hand-computed values.
func TestDenseForwardValues(t *testing.T) {
	x := tensor.FromSlice(2, 2, []float64{1, 2, -1, 0.5})
	for _, c := range []struct {
		act  Activation
		f    func(float64) float64
		name string
	}{
		{Identity, func(v float64) float64 { return v }, "identity"},
		{"", func(v float64) float64 { return v }, "empty"},
		{Tanh, math.Tanh, "tanh"},
		{Relu, func(v float64) float64 { return math.Max(v, 0) }, "relu"},
		{Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, "sigmoid"},
		{Softplus, func(v float64) float64 { return math.Log1p(math.Exp(v)) }, "softplus"},
	} {
		d := newDense(2, 3, c.act)
		copy(d.W.Value.Data, []float64{1, 0, -1, 0.5, 2, 1})
		copy(d.B.Value.Data, []float64{0.1, -0.2, 0.3})
		// x*W + b by hand: row 1 = (1+1, 0+4, -1+2) + b, row 2 = (-1+0.25, 0+1, 1+0.5) + b.
		pre := []float64{2.1, 3.8, 1.3, -0.65, 0.8, 1.8}
		tp := ad.NewTape()
		got := d.Forward(tp.Const(x)).Value().Data
		for i, p := range pre {
			if want := c.f(p); math.Abs(got[i]-want) > 1e-15 {
				t.Errorf("%s: element %d = %.17g, want %.17g", c.name, i, got[i], want)
			}
		}
	}
}

// TestGlorotUniform checks the range and variance a^2/3 of U(-a, a),
// a = sqrt(6/(in+out)), zero biases and determinism in the seed.
func TestGlorotUniform(t *testing.T) {
	d := NewDense(300, 200, Tanh, seeded(1))
	a := math.Sqrt(6.0 / 500)
	sum, sq := 0.0, 0.0
	for _, w := range d.W.Value.Data {
		if math.Abs(w) > a {
			t.Fatalf("weight %v outside [-%v, %v]", w, a, a)
		}
		sum += w
		sq += w * w
	}
	n := float64(len(d.W.Value.Data))
	if mean := sum / n; math.Abs(mean) > 4*a/math.Sqrt(3*n) {
		t.Errorf("mean weight %v, want about 0", mean)
	}
	if v := sq / n; math.Abs(v/(a*a/3)-1) > 0.02 {
		t.Errorf("weight variance %v, want a^2/3 = %v", v, a*a/3)
	}
	for _, b := range d.B.Value.Data {
		if b != 0 {
			t.Fatal("bias not zero")
		}
	}
	same := NewDense(300, 200, Tanh, seeded(1))
	other := NewDense(300, 200, Tanh, seeded(2))
	if !equalBits(d.W.Value.Data, same.W.Value.Data) {
		t.Error("the same seed gave different weights")
	}
	if equalBits(d.W.Value.Data, other.W.Value.Data) {
		t.Error("different seeds gave the same weights")
	}
	td := NewTimeDense(99, 200, Tanh, seeded(1))
	if at := math.Sqrt(6.0 / 300); maxAbs(td.W.Value.Data) > at || maxAbs(td.W.Value.Data) < 0.99*at {
		t.Errorf("TimeDense weights reach %v, want just below sqrt(6/(in+1+out)) = %v", maxAbs(td.W.Value.Data), at)
	}
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestTimeDenseEqualsConcatenation: TimeDense at time t is a Dense layer
// applied to [x t], in value and in gradient.
func TestTimeDenseEqualsConcatenation(t *testing.T) {
	rng := seeded(3)
	td := NewTimeDense(4, 3, Tanh, rng)
	x := randDense(rng, 5, 4, -1, 1)
	const tm = 0.37
	run := func(concat bool) ([]float64, []float64, []float64) {
		tp := ad.NewTape()
		ZeroGrad(td.Params())
		xv := tp.Leaf(x, true)
		var y ad.Var
		if concat {
			y = ad.Dense(ad.ConcatCols(xv, tp.Fill(5, 1, tm)), tp.Param(td.W), tp.Param(td.B), ad.ActTanh)
		} else {
			y = td.ForwardT(xv, tm)
		}
		tp.Backward(weighted(y, 4))
		return append([]float64(nil), y.Value().Data...), td.W.Grad.Clone().Data, tp.Grad(xv).Clone().Data
	}
	y1, gw1, gx1 := run(false)
	y2, gw2, gx2 := run(true)
	for _, c := range [][2][]float64{{y1, y2}, {gw1, gw2}, {gx1, gx2}} {
		if e := relErr(c[0], c[1]); e > 1e-14 {
			t.Errorf("TimeDense differs from Dense on [x t]: relative error %.3g", e)
		}
	}
}

// gruByHand evaluates the GRU equations with plain loops.
func gruByHand(g *GRU, x, h *tensor.Dense) *tensor.Dense {
	H, in := g.Hidden(), g.In()
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	out := tensor.New(x.Rows, H)
	for r := 0; r < x.Rows; r++ {
		pre := func(block, j int) (xw, hu float64) {
			col := block*H + j
			for k := 0; k < in; k++ {
				xw += x.At(r, k) * g.W.Value.At(k, col)
			}
			for k := 0; k < H; k++ {
				hu += h.At(r, k) * g.U.Value.At(k, col)
			}
			return xw + g.B.Value.At(0, col), hu
		}
		for j := 0; j < H; j++ {
			xr, hr := pre(0, j)
			xz, hz := pre(1, j)
			xn, hn := pre(2, j)
			rg, zg := sig(xr+hr), sig(xz+hz)
			n := math.Tanh(xn + rg*hn)
			out.Set(r, j, (1-zg)*n+zg*h.At(r, j))
		}
	}
	return out
}

func TestGRUMatchesEquations(t *testing.T) {
	rng := seeded(5)
	g := NewGRU(3, 4, rng)
	for i := range g.B.Value.Data {
		g.B.Value.Data[i] = rng.NormFloat64()
	}
	x := randDense(rng, 2, 3, -1, 1)
	h := randDense(rng, 2, 4, -1, 1)
	tp := ad.NewTape()
	got := g.Step(tp.Const(x), tp.Const(h)).Value().Data
	want := gruByHand(g, x, h).Data
	if e := relErr(got, want); e > 1e-14 {
		t.Fatalf("GRU step relative error %.3g\ngot  %v\nwant %v", e, got, want)
	}
}

// TestLayerGradients checks every layer's gradients (parameters and input)
// against finite differences.
func TestLayerGradients(t *testing.T) {
	rng := seeded(7)
	x := randDense(rng, 3, 2, -1, 1)
	h := randDense(rng, 3, 4, -1, 1)
	spiral := NewChain(Cube(), NewDense(2, 5, Tanh, rng), NewDense(5, 2, Identity, rng))
	node := NewChain(NewTimeDense(2, 4, Tanh, rng), NewTimeDense(4, 2, Softplus, rng))
	gru := NewGRU(2, 4, rng)
	cases := []struct {
		name string
		m    Module
		f    func(tp *ad.Tape, in []ad.Var) ad.Var
	}{
		{"spiral chain", spiral, func(tp *ad.Tape, in []ad.Var) ad.Var { return weighted(spiral.Forward(in[0]), 1) }},
		{"time chain", node, func(tp *ad.Tape, in []ad.Var) ad.Var { return weighted(node.ForwardT(in[0], 0.6), 2) }},
		{"sigmoid dense", NewDense(2, 3, Sigmoid, rng), nil},
		{"gru", gru, func(tp *ad.Tape, in []ad.Var) ad.Var {
			h1 := gru.Step(in[0], in[1])
			return weighted(gru.Step(in[0], h1), 3)
		}},
	}
	for _, c := range cases {
		f := c.f
		if f == nil {
			l := c.m.(Layer)
			f = func(tp *ad.Tape, in []ad.Var) ad.Var { return weighted(l.Forward(in[0]), 4) }
		}
		inputs := []*tensor.Dense{x}
		if c.name == "gru" {
			inputs = append(inputs, h)
		}
		checkGradients(t, c.name, c.m.Params(), inputs, f, 1e-7)
	}
}

// TestChainForwardT: the chain passes t to its time-dependent layers only.
func TestChainForwardT(t *testing.T) {
	rng := seeded(8)
	td := NewTimeDense(2, 3, Tanh, rng)
	d := NewDense(3, 2, Identity, rng)
	c := NewChain(Cube(), td, d)
	x := randDense(rng, 4, 2, -1, 1)
	tp := ad.NewTape()
	xv := tp.Const(x)
	got := c.ForwardT(xv, 0.8).Value().Clone()
	want := d.Forward(td.ForwardT(ad.Cube(xv), 0.8)).Value()
	if !equalBits(got.Data, want.Data) {
		t.Fatal("Chain.ForwardT differs from applying its layers by hand")
	}
	at0 := c.Forward(xv).Value()
	if !equalBits(at0.Data, c.ForwardT(xv, 0).Value().Data) || equalBits(at0.Data, got.Data) {
		t.Fatal("Chain.Forward should equal ForwardT at t = 0 and differ from t = 0.8")
	}
	if n := len(c.Params()); n != 4 {
		t.Fatalf("chain has %d parameters, want 4", n)
	}
}

// TestSpecBuildRoundTrip: every module's Spec survives JSON and Build.
func TestSpecBuildRoundTrip(t *testing.T) {
	rng := seeded(9)
	mods := []Module{
		NewDense(2, 50, Tanh, rng),
		NewTimeDense(784, 100, Tanh, rng),
		NewGRU(3, 5, rng),
		NewMap(FnSquare),
		NewChain(Cube(), NewDense(2, 50, Tanh, rng), NewDense(50, 2, Identity, rng)),
		NewChain(),
		NewGroup([]string{"enc", "dyn"}, NewGRU(2, 3, rng), NewChain(NewTimeDense(3, 3, Tanh, rng))),
	}
	for _, m := range mods {
		s := m.Spec()
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Spec
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatal(err)
		}
		b, err := Build(back, seeded(1))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if !b.Spec().Equal(s) {
			t.Errorf("%s rebuilt as %s", s, b.Spec())
		}
		if fmt.Sprintf("%T", b) != fmt.Sprintf("%T", m) {
			t.Errorf("%s rebuilt as a %T, want %T", s, b, m)
		}
		ps, qs := m.Params(), b.Params()
		if len(ps) != len(qs) {
			t.Fatalf("%s: %d params rebuilt as %d", s, len(ps), len(qs))
		}
		for i := range ps {
			if !ps[i].Value.SameShape(qs[i].Value) {
				t.Errorf("%s: param %d %s rebuilt as %s", s, i, ps[i].Value.Shape(), qs[i].Value.Shape())
			}
		}
	}
	if got := mods[4].Spec().String(); got != "chain[map(cube) dense(2->50,tanh) dense(50->2)]" {
		t.Errorf("String = %q", got)
	}
	if js, _ := json.Marshal(mods[0].Spec()); string(js) != `{"type":"dense","in":2,"out":50,"act":"tanh"}` {
		t.Errorf("dense spec JSON %s", js)
	}
}

func TestSpecValidateErrors(t *testing.T) {
	for _, c := range []struct {
		js   string
		want string
	}{
		{`{"type":"conv"}`, `unknown type "conv"`},
		{`{"type":"dense","in":0,"out":3}`, "in = 0"},
		{`{"type":"dense","in":3,"out":16777217}`, "out = 16777217"},
		{`{"type":"dense","in":3,"out":2,"act":"gelu"}`, `unknown activation "gelu"`},
		{`{"type":"map","fn":"sin"}`, `unknown function "sin"`},
		{`{"type":"map","fn":"cube","in":3}`, `field "in"`},
		{`{"type":"chain","layers":[{"type":"gru","in":1,"out":2}]}`, "not a layer"},
		{`{"type":"chain","layers":[{"type":"map","fn":"cube"},{"type":"dense","in":-1,"out":2}]}`, "module 1 (dense) has in = -1"},
		{`{"type":"group","names":["a","a"],"modules":[{"type":"map","fn":"cube"},{"type":"map","fn":"cube"}]}`, "used twice"},
		{`{"type":"group","names":["a"],"modules":[]}`, "1 names for 0 modules"},
		{`{"type":"group","names":["a.b"],"modules":[{"type":"map","fn":"cube"}]}`, "contains a dot"},
	} {
		var s Spec
		if err := json.Unmarshal([]byte(c.js), &s); err != nil {
			t.Fatal(err)
		}
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "nn: ") {
			t.Errorf("%s: error %v, want one mentioning %q", c.js, err, c.want)
		}
		if _, err := Build(s, seeded(1)); err == nil {
			t.Errorf("%s: Build succeeded", c.js)
		}
	}
}

func TestFlat(t *testing.T) {
	rng := seeded(10)
	c := NewChain(NewDense(2, 3, Tanh, rng), NewDense(3, 1, Identity, rng))
	f := Flatten(c.Params())
	if f.Len() != 2*3+3+3+1 {
		t.Fatalf("Len %d", f.Len())
	}
	v := f.CopyTo(nil)
	if v[0] != c.Layers[0].(*Dense).W.Value.Data[0] || v[f.Len()-1] != c.Layers[1].(*Dense).B.Value.Data[0] {
		t.Fatal("CopyTo order is not the Params order")
	}
	for i := range v {
		v[i] = float64(i)
	}
	f.CopyFrom(v)
	if c.Layers[1].(*Dense).W.Value.Data[2] != 11 {
		t.Fatalf("CopyFrom wrote %v where 11 belongs", c.Layers[1].(*Dense).W.Value.Data[2])
	}
	tp := ad.NewTape()
	tp.Backward(ad.Sum(c.Forward(tp.Const(randDense(rng, 4, 2, -1, 1)))))
	g := f.GradTo(nil)
	if g[f.Len()-1] != 4 { // d sum / d b of the last layer = batch size
		t.Fatalf("last gradient %v, want 4", g[f.Len()-1])
	}
	f.ZeroGrad()
	for _, x := range f.GradTo(g) {
		if x != 0 {
			t.Fatal("ZeroGrad left a nonzero gradient")
		}
	}
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "length 3 for 13") {
			t.Errorf("panic %q", msg)
		}
	}()
	f.CopyFrom(make([]float64, 3))
}

func TestShapeMismatchPanics(t *testing.T) {
	d := NewDense(3, 2, Tanh, seeded(1))
	tp := ad.NewTape()
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "4x5") || !strings.Contains(msg, "want 3") {
			t.Errorf("panic %q does not name the input shape and the expected width", msg)
		}
	}()
	d.Forward(tp.Const(tensor.New(4, 5)))
}
