package taylor_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
)

// ruleCase is one Taylor rule and the same function written with package
// ad's ops, on a state of width cols (the series' z) and a time t (1 x 1).
type ruleCase struct {
	name   string
	cols   int
	series taylor.Func
	direct func(z, t ad.Var) ad.Var
	// ts are the time path's coefficients (nil: fixed time 0.3).
	ts []float64
	// scale of the random path coefficients.
	a float64
}

func ruleCases(rng *rand.Rand) []ruleCase {
	w := randDense(rng, 3, 4, 1)
	b := randDense(rng, 1, 4, 1)
	cst := randDense(rng, 2, 4, 1)
	const d = 3
	half := func(z *taylor.Series) (*taylor.Series, *taylor.Series) {
		return taylor.SliceCols(z, 0, d), taylor.SliceCols(z, d, 2*d)
	}
	halfV := func(z ad.Var) (ad.Var, ad.Var) { return ad.SliceCols(z, 0, d), ad.SliceCols(z, d, 2*d) }
	unary := func(name string, s func(*taylor.Series) *taylor.Series, v func(ad.Var) ad.Var) ruleCase {
		return ruleCase{name: name, cols: d, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series { return s(z) },
			direct: func(z, _ ad.Var) ad.Var { return v(z) }}
	}
	pow := func(n int) func(ad.Var) ad.Var {
		return func(x ad.Var) ad.Var {
			p := x
			for i := 1; i < n; i++ {
				p = ad.Mul(p, x)
			}
			return p
		}
	}
	cases := []ruleCase{
		unary("tanh", taylor.Tanh, ad.Tanh),
		unary("sigmoid", taylor.Sigmoid, ad.Sigmoid),
		unary("softplus", taylor.Softplus, ad.Softplus),
		unary("exp", taylor.Exp, ad.Exp),
		unary("square", taylor.Square, ad.Square),
		unary("cube", taylor.Cube, ad.Cube),
		unary("neg", taylor.Neg, ad.Neg),
		unary("scale", func(x *taylor.Series) *taylor.Series { return taylor.Scale(x, -1.7) }, func(x ad.Var) ad.Var { return ad.Scale(x, -1.7) }),
		unary("tanh(tanh)", func(x *taylor.Series) *taylor.Series { return taylor.Tanh(taylor.Tanh(x)) }, func(x ad.Var) ad.Var { return ad.Tanh(ad.Tanh(x)) }),
		unary("exp(sigmoid)", func(x *taylor.Series) *taylor.Series { return taylor.Exp(taylor.Sigmoid(x)) }, func(x ad.Var) ad.Var { return ad.Exp(ad.Sigmoid(x)) }),
	}
	for _, n := range []int{1, 2, 4, 5, 7} {
		cases = append(cases, unary(fmt.Sprintf("pow%d", n),
			func(x *taylor.Series) *taylor.Series { return taylor.PowInt(x, n) }, pow(n)))
	}
	cases = append(cases,
		ruleCase{name: "pow0", cols: d, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series { return taylor.Add(taylor.PowInt(z, 0), z) },
			direct: func(z, _ ad.Var) ad.Var { return ad.AddScalar(z, 1) }},
		ruleCase{name: "mul", cols: 2 * d, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series { a, b := half(z); return taylor.Mul(a, b) },
			direct: func(z, _ ad.Var) ad.Var { a, b := halfV(z); return ad.Mul(a, b) }},
		ruleCase{name: "add", cols: 2 * d, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series { a, b := half(z); return taylor.Add(a, b) },
			direct: func(z, _ ad.Var) ad.Var { a, b := halfV(z); return ad.Add(a, b) }},
		ruleCase{name: "sub", cols: 2 * d, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series { a, b := half(z); return taylor.Sub(a, b) },
			direct: func(z, _ ad.Var) ad.Var { a, b := halfV(z); return ad.Sub(a, b) }},
		ruleCase{name: "concat", cols: 2 * d, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series { a, b := half(z); return taylor.ConcatCols(taylor.Tanh(b), a) },
			direct: func(z, _ ad.Var) ad.Var { a, b := halfV(z); return ad.ConcatCols(ad.Tanh(b), a) }},
		ruleCase{name: "dense", cols: 3, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series {
				tp := z.Tape()
				return taylor.Tanh(taylor.AddRow(taylor.MatMul(z, tp.Const(w)), tp.Const(b)))
			},
			direct: func(z, _ ad.Var) ad.Var {
				tp := z.Tape()
				return ad.Tanh(ad.AddRow(ad.MatMul(z, tp.Const(w)), tp.Const(b)))
			}},
		ruleCase{name: "const", cols: 4, a: 1,
			series: func(_, z *taylor.Series) *taylor.Series {
				return taylor.Mul(z, z.Const(z.Tape().Const(cst)))
			},
			direct: func(z, _ ad.Var) ad.Var { return ad.Mul(z, z.Tape().Const(cst)) }},
		ruleCase{name: "appendtime", cols: 2, a: 1, ts: []float64{0.3, 1},
			series: func(t, z *taylor.Series) *taylor.Series {
				return taylor.Sigmoid(taylor.AppendTime(taylor.Mul(z, z), t))
			},
			direct: func(z, t ad.Var) ad.Var {
				ones := z.Tape().Fill(z.Rows(), 1, 1)
				return ad.Sigmoid(ad.ConcatCols(ad.Mul(z, z), ad.MatMul(ones, t)))
			}},
		ruleCase{name: "timepoly", cols: 2, a: 1, ts: []float64{0.3, 1, -0.5, 0.25},
			series: func(t, z *taylor.Series) *taylor.Series {
				tz := taylor.RepeatRows(taylor.ConcatCols(t, t), z.Rows())
				return taylor.Exp(taylor.Mul(tz, z))
			},
			direct: func(z, t ad.Var) ad.Var {
				ones := z.Tape().Fill(z.Rows(), 1, 1)
				tc := ad.MatMul(ones, t)
				return ad.Exp(ad.Mul(ad.ConcatCols(tc, tc), z))
			}},
	)
	return cases
}

// timePath records the time path t(h) = sum_k ts[k] h^k.
func timePath(tp *ad.Tape, h ad.Var, ts []float64) ad.Var {
	cs := make([]*tensor.Dense, len(ts))
	for k, v := range ts {
		cs[k] = tensor.FromSlice(1, 1, []float64{v})
	}
	return polyPath(tp, h, cs)
}

// TestRulesAgainstNestedJVP pushes a random polynomial path of degree K
// through each rule and compares the output coefficients y_k with
// (d^k/dh^k f(x(h)))/k! at h = 0 from nested forward mode.
func TestRulesAgainstNestedJVP(t *testing.T) {
	const K = 5
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range ruleCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			ts := c.ts
			if ts == nil {
				ts = []float64{0.3}
			}
			xs := make([]*tensor.Dense, K+1)
			for k := range xs {
				xs[k] = randDense(rng, 2, c.cols, c.a)
			}
			tp := ad.NewTape()
			zs := make([]ad.Var, K+1)
			for k := range zs {
				zs[k] = tp.Const(xs[k])
			}
			ys := taylor.Push(c.series, ts, zs...)

			rt := ad.NewTape()
			h := rt.Leaf(tensor.New(1, 1), true)
			mark := rt.Len()
			out := c.direct(polyPath(rt, h, xs), timePath(rt, h, ts))
			want := nestedDerivatives(rt, h, mark, out, K)
			worst := 0.0
			for k := 0; k <= K; k++ {
				w := want[k].Clone()
				tensor.Scale(w.Data, 1/factorial(k), w.Data)
				e := relErr(ys[k].Value().Data, w.Data)
				worst = max(worst, e)
				if e > 1e-12 {
					t.Errorf("coefficient %d: relative error %.3g\n got  %v\n want %v", k, e, ys[k].Value().Data, w.Data)
				}
			}
			t.Logf("max relative error over orders 0..%d: %.3g", K, worst)
		})
	}
}

// TestRuleGradients checks the reverse-mode gradient of a weighted sum of a
// rule's output coefficients with respect to its input coefficients
// against central finite differences.
func TestRuleGradients(t *testing.T) {
	const K = 4
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range ruleCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			ts := c.ts
			if ts == nil {
				ts = []float64{0.3}
			}
			xs := make([]*tensor.Dense, K+1)
			ws := make([]*tensor.Dense, K+1)
			for k := range xs {
				xs[k] = randDense(rng, 2, c.cols, c.a)
			}
			loss := func(grad bool) (float64, [][]float64) {
				tp := ad.NewTape()
				zs := make([]ad.Var, K+1)
				for k := range zs {
					zs[k] = tp.Leaf(xs[k], grad)
				}
				ys := taylor.Push(c.series, ts, zs...)
				var l ad.Var
				for k, y := range ys {
					if ws[k] == nil {
						ws[k] = randDense(rng, y.Rows(), y.Cols(), 1)
					}
					term := ad.Sum(ad.Mul(y, tp.Const(ws[k])))
					if k == 0 {
						l = term
					} else {
						l = ad.Add(l, term)
					}
				}
				if !grad {
					return l.Scalar(), nil
				}
				tp.Backward(l)
				gs := make([][]float64, len(zs))
				for k, z := range zs {
					if g := tp.Grad(z); g != nil {
						gs[k] = append([]float64(nil), g.Data...)
					} else {
						gs[k] = make([]float64, xs[k].Len())
					}
				}
				return l.Scalar(), gs
			}
			_, gs := loss(true)
			var got, fd []float64
			const eps = 1e-6
			for k := range xs {
				for i := range xs[k].Data {
					x0 := xs[k].Data[i]
					xs[k].Data[i] = x0 + eps
					lp, _ := loss(false)
					xs[k].Data[i] = x0 - eps
					lm, _ := loss(false)
					xs[k].Data[i] = x0
					got = append(got, gs[k][i])
					fd = append(fd, (lp-lm)/(2*eps))
				}
			}
			e := normErr(got, fd)
			if e > 1e-6 {
				t.Errorf("gradient vs central differences: relative error %.3g", e)
			}
			t.Logf("gradient relative error %.3g", e)
		})
	}
}
