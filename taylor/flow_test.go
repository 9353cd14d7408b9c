package taylor_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestLinearFlow checks d^K z/dt^K = z A^K for z' = z A (rows are
// examples), K = 1..6.
func TestLinearFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := randDense(rng, 4, 4, 1)
	z := randDense(rng, 3, 4, 1)
	f := func(_, z *taylor.Series) *taylor.Series { return taylor.MatMul(z, z.Tape().Const(a)) }
	want := z.Clone()
	for k := 1; k <= 6; k++ {
		next := tensor.New(3, 4)
		tensor.MatMul(next, 1, want, false, a, false, 0)
		want = next
		tp := ad.NewTape()
		got := taylor.Derivative(f, 0.7, tp.Const(z), k)
		e := relErr(got.Value().Data, want.Data)
		t.Logf("K=%d: relative error %.3g", k, e)
		if e > 1e-14 {
			t.Errorf("K=%d: d^K z/dt^K relative error %.3g\n got  %v\n want %v", k, e, got.Value().Data, want.Data)
		}
	}
}

// TestAffineTimeFlow: z' = z A + t c has z^(2) = z' A + c and z^(k+1) =
// z^(k) A for k >= 2, which the time series (t, 1, 0, ...) must produce.
func TestAffineTimeFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a := randDense(rng, 3, 3, 1)
	c := randDense(rng, 1, 3, 1)
	z := randDense(rng, 2, 3, 1)
	const t0 = 0.4
	f := func(ts, z *taylor.Series) *taylor.Series {
		tp := z.Tape()
		tc := taylor.RepeatRows(taylor.MatMul(ts, tp.Const(c)), z.Rows())
		return taylor.Add(taylor.MatMul(z, tp.Const(a)), tc)
	}
	d := tensor.New(2, 3)
	tensor.MatMul(d, 1, z, false, a, false, 0)
	for i := 0; i < 2; i++ {
		tensor.AddScaled(d.Row(i), d.Row(i), t0, c.Data)
	}
	for k := 1; k <= 4; k++ {
		got := taylor.Derivative(f, t0, ad.NewTape().Const(z), k)
		if e := relErr(got.Value().Data, d.Data); e > 1e-14 {
			t.Errorf("K=%d: relative error %.3g", k, e)
		}
		next := tensor.New(2, 3)
		tensor.MatMul(next, 1, d, false, a, false, 0)
		if k == 1 {
			for i := 0; i < 2; i++ {
				tensor.Add(next.Row(i), next.Row(i), c.Data)
			}
		}
		d = next
	}
}

func spiralModel(seed uint64) *nn.Chain {
	rng := rand.New(rand.NewPCG(seed, 1))
	return nn.NewChain(nn.Cube(), nn.NewDense(2, 50, nn.Tanh, rng), nn.NewDense(50, 2, nn.Identity, rng))
}

// timeNet is the MNIST dynamics' shape at a small size: two
// time-concatenating tanh layers.
func timeNet(seed uint64, d, hidden int) *nn.Chain {
	rng := rand.New(rand.NewPCG(seed, 2))
	return nn.NewChain(nn.NewTimeDense(d, hidden, nn.Tanh, rng), nn.NewTimeDense(hidden, d, nn.Tanh, rng))
}

// physioNet is the latent ODE's dynamics: tanh, then four pairs of dense
// tanh layers 20 -> 50 -> 20.
func physioNet(seed uint64) *nn.Chain {
	rng := rand.New(rand.NewPCG(seed, 3))
	ls := []nn.Layer{nn.NewMap(string(nn.Tanh))}
	for range 4 {
		ls = append(ls, nn.NewDense(20, 50, nn.Tanh, rng), nn.NewDense(50, 20, nn.Tanh, rng))
	}
	return nn.NewChain(ls...)
}

// timeDenseDirect records act([x t]*W + b) by building [x t]: an
// implementation independent of TimeDense's and of the Taylor rules.
func timeDenseDirect(l *nn.TimeDense, x, t ad.Var) ad.Var {
	tp := x.Tape()
	xt := ad.ConcatCols(x, ad.MatMul(tp.Fill(x.Rows(), 1, 1), t))
	return ad.Dense(xt, tp.Param(l.W), tp.Param(l.B), ad.ActTanh)
}

// TestFlowAgainstNestedJVP compares d^K z/dt^K from Taylor mode with nested
// forward mode along the solution, K = 1..4, for the spiral model, a
// two-layer time-dependent tanh network and the PhysioNet dynamics.
func TestFlowAgainstNestedJVP(t *testing.T) {
	spiral := spiralModel(1)
	tnet := timeNet(2, 3, 7)
	physio := physioNet(3)
	rng := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		name  string
		model nn.Layer
		g     func(z, t ad.Var) ad.Var
		z     *tensor.Dense
		K     int
	}{
		{"spiral", spiral, func(z, _ ad.Var) ad.Var { return spiral.Forward(z) }, randDense(rng, 3, 2, 1), 4},
		{"timedense", tnet, func(z, t ad.Var) ad.Var {
			return timeDenseDirect(tnet.Layers[1].(*nn.TimeDense), timeDenseDirect(tnet.Layers[0].(*nn.TimeDense), z, t), t)
		}, randDense(rng, 3, 3, 1), 4},
		{"physionet", physio, func(z, _ ad.Var) ad.Var { return physio.Forward(z) }, randDense(rng, 2, 20, 1), 3},
	}
	const t0 = 0.35
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := taylor.FromLayer(c.model)
			if err != nil {
				t.Fatal(err)
			}
			want := flowDerivatives(c.g, c.z, t0, c.K)
			for k := 1; k <= c.K; k++ {
				got := taylor.Derivative(f, t0, ad.NewTape().Const(c.z), k)
				e := relErr(got.Value().Data, want[k-1].Data)
				t.Logf("K=%d: relative error %.3g (max |d^K z| %.3g)", k, e, maxAbs(want[k-1].Data))
				if e > 1e-10 {
					t.Errorf("K=%d: relative error %.3g\n got  %v\n want %v", k, e, got.Value().Data, want[k-1].Data)
				}
			}
		})
	}
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, v, -v)
	}
	return m
}

// TestCoefficientZeroIsForward: coefficient z_1 = f(t, z) of FromLayer's
// Func has the bits of the model's ForwardT.
func TestCoefficientZeroIsForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	sig := nn.NewChain(nn.NewDense(3, 5, nn.Sigmoid, rng), nn.NewMap(nn.FnSquare), nn.NewDense(5, 3, nn.Softplus, rng))
	cases := []struct {
		name string
		m    nn.TimeLayer
		in   int
	}{{"spiral", spiralModel(4), 2}, {"timedense", timeNet(5, 3, 6), 3}, {"physionet", physioNet(6), 20}, {"sigmoid-softplus", sig, 3}}
	for _, c := range cases {
		name, m, in := c.name, c.m, c.in
		z := randDense(rng, 4, in, 1)
		f, err := taylor.FromLayer(m)
		if err != nil {
			t.Fatal(err)
		}
		tp := ad.NewTape()
		cs := taylor.Coefficients(f, 0.6, tp.Const(z), 2)
		want := m.ForwardT(tp.Const(z), 0.6)
		for i, v := range want.Value().Data {
			if cs[1].Value().Data[i] != v {
				t.Errorf("%s: z_1[%d] = %v, ForwardT gives %v", name, i, cs[1].Value().Data[i], v)
				break
			}
		}
	}
}

type reluMap struct{ nn.Map }

// ownRule is a layer with its own Taylor rule (x -> 2x).
type ownRule struct{ nn.Map }

func (ownRule) SeriesT(x, _ *taylor.Series) *taylor.Series { return taylor.Scale(x, 2) }

func TestFromLayerErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		name  string
		layer nn.Layer
		want  []string
	}{
		{"relu dense", nn.NewDense(2, 3, nn.Relu, rng), []string{"relu", "dense(2->3,relu)"}},
		{"relu map in chain", nn.NewChain(nn.NewDense(2, 3, nn.Tanh, rng), nn.NewMap(string(nn.Relu))), []string{"relu", "layer 1 of chain"}},
		{"nested", nn.NewChain(nn.NewChain(nn.NewTimeDense(2, 2, nn.Relu, rng))), []string{"relu", "timedense(2+t->2,relu)", "layer 0 of chain[chain"}},
		{"unknown type", &reluMap{Map: nn.Map{Fn: "identity"}}, []string{"reluMap", "implement taylor.Layer"}},
		{"nil", nil, []string{"nil layer"}},
	}
	for _, c := range cases {
		_, err := taylor.FromLayer(c.layer)
		if !errors.Is(err, taylor.ErrNoRule) {
			t.Errorf("%s: error %v, want ErrNoRule", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %q", c.name, err, w)
			}
		}
	}
	// A layer with its own rule is used as such.
	f, err := taylor.FromLayer(nn.NewChain(&ownRule{Map: nn.Map{Fn: "relu"}}))
	if err != nil {
		t.Fatal(err)
	}
	z := tensor.FromSlice(1, 2, []float64{1, -3})
	d := taylor.Derivative(f, 0, ad.NewTape().Const(z), 3)
	if got := d.Value().Data; got[0] != 8 || got[1] != -24 {
		t.Errorf("custom rule: z''' = %v, want [8 -24]", got)
	}
}
