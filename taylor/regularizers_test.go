package taylor_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
)

func mustFunc(t *testing.T, l nn.Layer) taylor.Func {
	t.Helper()
	f, err := taylor.FromLayer(l)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTayNODEValues: z' is the model's forward pass (same bits) and r' the
// mean over features of the squared K-th derivative from nested forward
// mode.
func TestTayNODEValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	tnet := timeNet(23, 3, 5)
	g := func(z, t ad.Var) ad.Var {
		return timeDenseDirect(tnet.Layers[1].(*nn.TimeDense), timeDenseDirect(tnet.Layers[0].(*nn.TimeDense), z, t), t)
	}
	z := randDense(rng, 4, 3, 1)
	const t0 = -0.2
	ref := flowDerivatives(g, z, t0, 4)
	for k := 1; k <= 4; k++ {
		aug, err := taylor.TayNODE(mustFunc(t, tnet), k)
		if err != nil {
			t.Fatal(err)
		}
		tp := ad.NewTape()
		out := aug(t0, tp.Const(taylor.Augment(z, taylor.TayNODEColumns))).Value()
		fwd := tnet.ForwardT(tp.Const(z), t0).Value()
		worst := 0.0
		for i := 0; i < z.Rows; i++ {
			row := out.Row(i)
			for j := 0; j < 3; j++ {
				if row[j] != fwd.At(i, j) {
					t.Fatalf("K=%d: z'[%d,%d] = %v, forward pass %v", k, i, j, row[j], fwd.At(i, j))
				}
			}
			rho := 0.0
			for _, v := range ref[k-1].Row(i) {
				rho += v * v / 3
			}
			e := math.Abs(row[3]-rho) / rho
			worst = max(worst, e)
			if e > 1e-10 {
				t.Errorf("K=%d row %d: rho %v, nested forward mode %v", k, i, row[3], rho)
			}
		}
		t.Logf("K=%d: rho relative error %.3g", k, worst)
	}
}

// TestRNODEValues: z' = f, e' = ||f||^2, n' = ||J eps||^2 with J eps from
// package ad's forward mode through the model's own forward pass.
func TestRNODEValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	m := spiralModel(26)
	z := randDense(rng, 3, 2, 1)
	eps := taylor.GaussianProbe(3, 2, 7)
	aug, err := taylor.RNODE(mustFunc(t, m), eps)
	if err != nil {
		t.Fatal(err)
	}
	tp := ad.NewTape()
	out := aug(0.1, tp.Const(taylor.Augment(z, taylor.RNODEColumns))).Value()

	rt := ad.NewTape()
	zv := rt.Leaf(z, true)
	rt.SetTangent(zv, rt.Const(eps))
	mark := rt.Len()
	f := m.Forward(zv)
	rt.JVP(mark)
	jv, _ := rt.Tangent(f)
	for i := 0; i < 3; i++ {
		ke, fr := 0.0, 0.0
		for j := 0; j < 2; j++ {
			if out.At(i, j) != f.Value().At(i, j) {
				t.Fatalf("z'[%d,%d] = %v, forward %v", i, j, out.At(i, j), f.Value().At(i, j))
			}
			ke += f.Value().At(i, j) * f.Value().At(i, j)
			fr += jv.Value().At(i, j) * jv.Value().At(i, j)
		}
		if e := math.Abs(out.At(i, 2)-ke) / ke; e > 1e-14 {
			t.Errorf("row %d: kinetic energy %v, want %v", i, out.At(i, 2), ke)
		}
		if e := math.Abs(out.At(i, 3)-fr) / fr; e > 1e-13 {
			t.Errorf("row %d: ||J eps||^2 %v, forward mode %v", i, out.At(i, 3), fr)
		}
	}
}

// TestHutchinsonBasis: summed over the probes e_1..e_d (one per feature,
// the same for every example), n' gives ||df/dz||_F^2 per example exactly;
// the reference Jacobian's rows come from reverse mode.
func TestHutchinsonBasis(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	m := timeNet(29, 4, 6)
	f := mustFunc(t, m)
	const b, d, t0 = 3, 4, 0.5
	z := randDense(rng, b, d, 1)
	sum := make([]float64, b)
	for j := 0; j < d; j++ {
		probe := tensor.New(b, d)
		for i := 0; i < b; i++ {
			probe.Set(i, j, 1)
		}
		aug, err := taylor.RNODE(f, probe)
		if err != nil {
			t.Fatal(err)
		}
		out := aug(t0, ad.NewTape().Const(taylor.Augment(z, taylor.RNODEColumns))).Value()
		for i := 0; i < b; i++ {
			sum[i] += out.At(i, d+1)
		}
	}
	want := make([]float64, b)
	for i := 0; i < b; i++ {
		for j := 0; j < d; j++ {
			tp := ad.NewTape()
			zv := tp.Leaf(z, true)
			out := m.ForwardT(zv, t0)
			seed := make([]float64, b*d)
			seed[i*d+j] = 1
			tp.Seed(out, seed)
			tp.Backward(ad.Var{})
			for _, v := range tp.Grad(zv).Row(i) {
				want[i] += v * v
			}
		}
	}
	if e := relErr(sum, want); e > 1e-13 {
		t.Errorf("sum over basis probes %v, ||J||_F^2 %v (relative error %.3g)", sum, want, e)
	}
}

// gradCase is augmented dynamics with the parameters it reads.
type gradCase struct {
	name    string
	f       ode.Func
	params  []*ad.Param
	y       *tensor.Dense
	t       float64
	entries bool // finite differences per entry (else along directions)
}

// weightedOutput records sum(w .* f(t, y)) with y and the parameters bound.
func weightedOutput(c gradCase, tp *ad.Tape, w *tensor.Dense, wantGrad bool) (ad.Var, ad.Var) {
	yv := tp.Leaf(c.y, wantGrad)
	out := c.f(c.t, yv)
	return ad.Sum(ad.Mul(out, tp.Const(w))), yv
}

// TestAugmentedGradients checks the gradients of the augmented dynamics
// with respect to the parameters and the state against central finite
// differences (relative error <= 1e-6) and forward mode (<= 1e-8).
func TestAugmentedGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	spiral := spiralModel(33)
	tnet := timeNet(34, 3, 5)
	physio := physioNet(35)
	var cases []gradCase
	for k := 1; k <= 4; k++ {
		aug, err := taylor.TayNODE(mustFunc(t, spiral), k)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, gradCase{name: fmt.Sprintf("TayNODE spiral K=%d", k), f: aug, params: spiral.Params(),
			y: randDense(rng, 3, 2+taylor.TayNODEColumns, 1), t: 0.2, entries: true})
	}
	aug3, _ := taylor.TayNODE(mustFunc(t, tnet), 3)
	cases = append(cases, gradCase{name: "TayNODE timedense K=3", f: aug3, params: tnet.Params(),
		y: randDense(rng, 2, 3+taylor.TayNODEColumns, 1), t: 0.7, entries: true})
	aug2, _ := taylor.TayNODE(mustFunc(t, physio), 2)
	cases = append(cases, gradCase{name: "TayNODE physionet K=2", f: aug2, params: physio.Params(),
		y: randDense(rng, 2, 20+taylor.TayNODEColumns, 1), t: 0.1})
	rs, _ := taylor.RNODE(mustFunc(t, spiral), taylor.GaussianProbe(3, 2, 1))
	cases = append(cases, gradCase{name: "RNODE spiral", f: rs, params: spiral.Params(),
		y: randDense(rng, 3, 2+taylor.RNODEColumns, 1), t: 0.2, entries: true})
	rt, _ := taylor.RNODE(mustFunc(t, tnet), taylor.GaussianProbe(2, 3, 2))
	cases = append(cases, gradCase{name: "RNODE timedense", f: rt, params: tnet.Params(),
		y: randDense(rng, 2, 3+taylor.RNODEColumns, 1), t: 0.7, entries: true})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := randDense(rng, c.y.Rows, c.y.Cols, 1)
			// Reverse mode.
			for _, p := range c.params {
				p.Grad.Zero()
			}
			tp := ad.NewTape()
			loss, yv := weightedOutput(c, tp, w, true)
			tp.Backward(loss)
			grads := [][]float64{append([]float64(nil), tp.Grad(yv).Data...)}
			for _, p := range c.params {
				grads = append(grads, append([]float64(nil), p.Grad.Data...))
			}
			vals := []*tensor.Dense{c.y}
			for _, p := range c.params {
				vals = append(vals, p.Value)
			}
			eval := func() float64 {
				l, _ := weightedOutput(c, ad.NewTape(), w, false)
				return l.Scalar()
			}
			const h = 1e-6
			// Finite differences.
			var got, fd []float64
			if c.entries {
				for i, v := range vals {
					for k := range v.Data {
						x0 := v.Data[k]
						v.Data[k] = x0 + h
						lp := eval()
						v.Data[k] = x0 - h
						lm := eval()
						v.Data[k] = x0
						got = append(got, grads[i][k])
						fd = append(fd, (lp-lm)/(2*h))
					}
				}
			} else {
				for range 4 {
					dirs := make([]*tensor.Dense, len(vals))
					gv := 0.0
					for i, v := range vals {
						dirs[i] = randDense(rng, v.Rows, v.Cols, 1)
						gv += dot(grads[i], dirs[i].Data)
					}
					move := func(s float64) {
						for i, v := range vals {
							tensor.AddScaled(v.Data, v.Data, s, dirs[i].Data)
						}
					}
					move(h)
					lp := eval()
					move(-2 * h)
					lm := eval()
					move(h)
					got = append(got, gv)
					fd = append(fd, (lp-lm)/(2*h))
				}
			}
			eFD := normErr(got, fd)
			if eFD > 1e-6 {
				t.Errorf("gradient vs central differences: relative error %.3g", eFD)
			}
			// Forward mode along a random direction.
			ft := ad.NewTape()
			yv2 := ft.Leaf(c.y, true)
			dirs := make([]*tensor.Dense, len(vals))
			gv := 0.0
			for i, v := range vals {
				dirs[i] = randDense(rng, v.Rows, v.Cols, 1)
				gv += dot(grads[i], dirs[i].Data)
			}
			ft.SetTangent(yv2, ft.Const(dirs[0]))
			for i, p := range c.params {
				ft.SetTangent(ft.Param(p), ft.Const(dirs[i+1]))
			}
			mark := ft.Len()
			l := ad.Sum(ad.Mul(c.f(c.t, yv2), ft.Const(w)))
			ft.JVP(mark)
			tl, ok := ft.Tangent(l)
			if !ok {
				t.Fatal("loss has no tangent")
			}
			eJVP := math.Abs(tl.Scalar()-gv) / math.Abs(gv)
			if eJVP > 1e-8 {
				t.Errorf("gradient vs forward mode: %.17g vs %.17g (relative error %.3g)", gv, tl.Scalar(), eJVP)
			}
			t.Logf("relative error vs finite differences %.3g (%d values), vs forward mode %.3g", eFD, len(got), eJVP)
		})
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestAugmenterErrors(t *testing.T) {
	f := mustFunc(t, spiralModel(1))
	if _, err := taylor.TayNODE(f, 0); !errors.Is(err, taylor.ErrOrder) {
		t.Errorf("order 0: %v, want ErrOrder", err)
	}
	if _, err := taylor.TayNODE(nil, 2); !errors.Is(err, taylor.ErrNoFunc) {
		t.Errorf("nil Func: %v, want ErrNoFunc", err)
	}
	if _, err := taylor.RNODE(f, nil); !errors.Is(err, taylor.ErrProbe) {
		t.Errorf("nil probe: %v, want ErrProbe", err)
	}
	if _, err := taylor.RNODE(nil, tensor.New(1, 1)); !errors.Is(err, taylor.ErrNoFunc) {
		t.Errorf("nil Func: %v, want ErrNoFunc", err)
	}
	a, b := taylor.GaussianProbe(3, 4, 9), taylor.GaussianProbe(3, 4, 9)
	c := taylor.GaussianProbe(3, 4, 10)
	same, differ := true, false
	for i := range a.Data {
		same = same && a.Data[i] == b.Data[i]
		differ = differ || a.Data[i] != c.Data[i]
	}
	if !same || !differ {
		t.Errorf("GaussianProbe: same seed same bits %v, other seed differs %v", same, differ)
	}
	y := taylor.Augment(tensor.FromSlice(2, 1, []float64{1, 2}), 2)
	if y.Rows != 2 || y.Cols != 3 || y.At(0, 0) != 1 || y.At(1, 0) != 2 || y.At(0, 1) != 0 || y.At(1, 2) != 0 {
		t.Errorf("Augment: %v", y.Data)
	}
	// A probe of the wrong shape panics naming both shapes.
	aug, _ := taylor.RNODE(f, tensor.New(2, 2))
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("RNODE with a 2x2 probe on a 3x2 state did not panic")
			}
		}()
		aug(0, ad.NewTape().Const(tensor.New(3, 4)))
	}()
}
