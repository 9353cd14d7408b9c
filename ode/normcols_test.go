package ode

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/tensor"
)

// quadrature augments the dynamics f of a 2-column state with one column
// integrating ||f||^2 plus an oscillation amp*sin(40 t), which the solver
// must resolve when that column enters its norms.
func quadrature(f Func, amp float64) Func {
	return func(t float64, y ad.Var) ad.Var {
		fz := f(t, ad.SliceCols(y, 0, 2))
		osc := tensor.New(y.Rows(), 1)
		for i := range osc.Data {
			osc.Data[i] = amp * math.Sin(40*t)
		}
		return ad.ConcatCols(fz, ad.Add(ad.RowSums(ad.Square(fz)), y.Tape().Const(osc)))
	}
}

// augment returns [z | 0].
func augment(z *tensor.Dense) *tensor.Dense {
	y := tensor.New(z.Rows, z.Cols+1)
	for i := 0; i < z.Rows; i++ {
		copy(y.Row(i), z.Row(i))
	}
	return y
}

// TestNormColumnsExcludeQuadrature: with NormColumns = 2, the solve of a
// state augmented with a quadrature column takes, bit for bit, the steps
// (times, sizes, accept/reject, error and stiffness estimates) and the
// saved z of the solve of z alone, and the same NFE: excluding the column
// changes the step sequence only through the norm. With every column in
// the norm (0, or NormColumns = the width, which are the same bits) the
// oscillating column forces more steps. That is the trade-off: excluded,
// a smooth integrand (||f||^2 alone) is still integrated to about the
// tolerance, but nothing controls the error of the oscillating one.
func TestNormColumnsExcludeQuadrature(t *testing.T) {
	f, _ := spiralModel(1999)
	z0 := tensor.FromSlice(2, 2, []float64{2, 0, -1, 0.5})
	saves := []float64{0, 0.3, 0.75, 1.2, 1.5}
	ctx := context.Background()
	plain, err := Solve(ctx, Problem{F: f, Z0: z0, T0: 0, T1: 1.5}, &Options{SaveAt: saves})
	if err != nil {
		t.Fatal(err)
	}
	aug := Problem{F: quadrature(f, 10), Z0: augment(z0), T0: 0, T1: 1.5}
	smooth := Problem{F: quadrature(f, 0), Z0: augment(z0), T0: 0, T1: 1.5}
	solveP := func(p Problem, cols int, tol float64) *Solution {
		t.Helper()
		sol, err := Solve(ctx, p, &Options{SaveAt: saves, NormColumns: cols, RTol: tol, ATol: tol})
		if err != nil {
			t.Fatal(err)
		}
		return sol
	}
	solve := func(cols int, tol float64) *Solution { return solveP(aug, cols, tol) }
	excl, incl, full := solve(2, 0), solve(0, 0), solve(3, 0)

	if !slices.Equal(excl.Steps, plain.Steps) || excl.NFE != plain.NFE {
		t.Fatalf("excluded quadrature: %d steps (NFE %d), the plain solve %d (NFE %d); the records differ", len(excl.Steps), excl.NFE, len(plain.Steps), plain.NFE)
	}
	for i, z := range plain.Z {
		for r := 0; r < z.Rows; r++ {
			if !slices.Equal(excl.Z[i].Row(r)[:2], z.Row(r)) {
				t.Fatalf("save %d row %d: z = %v augmented, %v plain", i, r, excl.Z[i].Row(r)[:2], z.Row(r))
			}
		}
	}
	if !slices.Equal(incl.Steps, full.Steps) || incl.NFE != full.NFE {
		t.Fatal("NormColumns = the state's width differs from 0 (every column)")
	}
	for i := range incl.Z {
		if !slices.Equal(incl.Z[i].Data, full.Z[i].Data) {
			t.Fatalf("save %d: NormColumns = width %v, 0 %v", i, full.Z[i].Data, incl.Z[i].Data)
		}
	}
	if !(incl.Accepted > excl.Accepted) {
		t.Errorf("with the oscillating column in the norm %d accepted steps, without %d: want more", incl.Accepted, excl.Accepted)
	}
	// The quadratures against tight solves: the maximum relative error
	// over the saves and rows.
	quadErr := func(s, ref *Solution) float64 {
		e := 0.0
		for i := 1; i < len(saves); i++ {
			for r := 0; r < z0.Rows; r++ {
				want := ref.Z[i].At(r, 2)
				e = math.Max(e, math.Abs(s.Z[i].At(r, 2)-want)/math.Max(math.Abs(want), 1))
			}
		}
		return e
	}
	ref, refSmooth := solve(0, 1e-12), solveP(smooth, 0, 1e-12)
	eExcl, eIncl, eSmooth := quadErr(excl, ref), quadErr(incl, ref), quadErr(solveP(smooth, 2, 0), refSmooth)
	if eIncl > 1e-5 || eSmooth > 1e-5 {
		t.Errorf("quadrature errors: oscillating, in the norm %.2g; smooth, out of it %.2g; want <= 1e-5", eIncl, eSmooth)
	}
	if !(eExcl > 100*eIncl) {
		t.Errorf("the oscillating quadrature out of the norm has error %.2g, in it %.2g: want it uncontrolled", eExcl, eIncl)
	}
	t.Logf("quadrature errors: oscillating in the norm %.2g, out of it %.2g; smooth out of it %.2g", eIncl, eExcl, eSmooth)
	t.Logf("accepted steps: plain %d, excluded %d, included %d; NFE %d, %d, %d", plain.Accepted, excl.Accepted, incl.Accepted, plain.NFE, excl.NFE, incl.NFE)

	for _, bad := range []int{-1, 4} {
		_, err := Solve(ctx, aug, &Options{NormColumns: bad})
		if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "NormColumns") {
			t.Errorf("NormColumns = %d: %v", bad, err)
		}
	}
}

// TestNormColumnsGradients: with NormColumns restricting the norms, the
// discrete adjoint of a loss of the saved states matches central finite
// differences (1e-6 relative), and with the error and stiffness
// regularizers its gradient is the same bits under every checkpointing
// policy and matches forward mode through the frozen solve (1e-8), in the
// state form and with Problem.Input.
func TestNormColumnsGradients(t *testing.T) {
	sf, sp := spiralModel(7)
	rng := rand.New(rand.NewPCG(8, 8))
	w := ad.NewParam("w", 3, 4)
	b := ad.NewParam("b", 1, 4)
	w2 := ad.NewParam("w2", 4, 2)
	b2 := ad.NewParam("b2", 1, 2)
	for _, p := range []*ad.Param{w, b, w2, b2} {
		for i := range p.Value.Data {
			p.Value.Data[i] = 2*rng.Float64() - 1
		}
	}
	// The dynamics read the quadrature column too, through the product.
	input := func(tp *ad.Tape) ad.Var { return ad.SliceRows(tp.Param(w), 0, 3) }
	inputF := func(_ float64, a ad.Var) ad.Var {
		tp := a.Tape()
		h := ad.Tanh(ad.AddRow(a, tp.Param(b)))
		return ad.ConcatCols(ad.Dense(h, tp.Param(w2), tp.Param(b2), ad.ActIdentity), ad.RowSums(ad.Square(h)))
	}
	cases := []struct {
		name   string
		p      Problem
		params []*ad.Param
	}{
		{"state", Problem{F: quadrature(sf, 10), Z0: augment(tensor.FromSlice(1, 2, []float64{2, 0})), T0: 0, T1: 1.5}, sp},
		{"input", Problem{F: inputF, Input: input, Z0: augment(tensor.FromSlice(2, 2, []float64{0.5, -1, 1, 0.2})), T0: 0, T1: 1}, []*ad.Param{w, b, w2, b2}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := func(pol Checkpointing) *Options {
				return &Options{SaveAt: []float64{0.5, c.p.T1}, NormColumns: 2, Adjoint: true, Checkpointing: pol}
			}
			sol, err := Solve(ctx, c.p, opts(KeepProducts))
			if err != nil {
				t.Fatal(err)
			}
			// The replay reads the same columns: its error estimates are
			// the recorded ones.
			rt := ad.NewTape()
			_, es, _, err := sol.Replay(rt, rt.Const(c.p.Z0))
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for _, st := range sol.Steps {
				if st.Accepted {
					if es[k].Scalar() != st.ErrorEstimate {
						t.Fatalf("accepted step %d: replayed E %v, recorded %v", k, es[k].Scalar(), st.ErrorEstimate)
					}
					k++
				}
			}
			wts := make([]*tensor.Dense, len(sol.Z))
			for i := range wts {
				wts[i] = gradcheck.RandLike(rng, sol.Z[i])
			}
			_, dz := gradcheck.SquareLoss(sol.Z, wts)
			gradcheck.ZeroGrads(c.params)
			dz0, err := sol.Backward(ctx, dz, Regularization{})
			if err != nil {
				t.Fatal(err)
			}
			checkFD := func(dz0 *tensor.Dense, grad []float64) {
				for dir := range 3 {
					vz := gradcheck.RandLike(rng, c.p.Z0)
					vp := make([]*tensor.Dense, len(c.params))
					adj := dotProduct(vz.Data, dz0.Data)
					off := 0
					for i, pr := range c.params {
						vp[i] = gradcheck.RandLike(rng, pr.Value)
						adj += dotProduct(vp[i].Data, grad[off:off+pr.Value.Len()])
						off += pr.Value.Len()
					}
					fd, err := gradcheck.CentralDifference(sol, c.p.Z0, vz, c.params, vp, wts, 1e-6)
					if err != nil {
						t.Fatal(err)
					}
					if e := math.Abs(fd-adj) / math.Max(math.Abs(fd), 1e-12); e > 1e-6 {
						t.Errorf("direction %d: adjoint %.12g vs finite difference %.12g (relative error %.2g)", dir, adj, fd, e)
					}
				}
			}
			checkFD(dz0, gradcheck.FlatGrad(c.params))

			reg := Regularization{Error: 0.7, Stiffness: 0.3, ErrorAgg: Sum, StiffnessAgg: Max}
			var first []float64
			for _, pol := range []Checkpointing{KeepProducts, KeepStates, KeepStages} {
				s, err := Solve(ctx, c.p, opts(pol))
				if err != nil {
					t.Fatal(err)
				}
				gradcheck.ZeroGrads(c.params)
				g0, err := s.Backward(ctx, dz, reg)
				if err != nil {
					t.Fatal(err)
				}
				g := append(slices.Clone(g0.Data), gradcheck.FlatGrad(c.params)...)
				if first == nil {
					first = g
				} else if !slices.Equal(g, first) {
					t.Fatalf("%v: a different gradient from KeepProducts's", pol)
				}
			}
			// Forward mode through the frozen solve.
			_, wE := sol.errorTerms(reg.ErrorAgg)
			_, wS := sol.stiffTerms(reg.StiffnessAgg)
			tp := ad.NewTape()
			z0 := tp.Leaf(c.p.Z0, true)
			vz := gradcheck.RandLike(rng, c.p.Z0)
			tp.SetTangent(z0, tp.Const(vz))
			dot := dotProduct(vz.Data, first[:c.p.Z0.Len()])
			off := c.p.Z0.Len()
			for _, pr := range c.params {
				v := gradcheck.RandLike(rng, pr.Value)
				tp.SetTangent(tp.Param(pr), tp.Const(v))
				dot += dotProduct(v.Data, first[off:off+pr.Value.Len()])
				off += pr.Value.Len()
			}
			mark := tp.Len()
			zs, es, ss, err := sol.Replay(tp, z0)
			if err != nil {
				t.Fatal(err)
			}
			var terms []ad.Var
			var coef []float64
			for i, z := range zs {
				terms, coef = append(terms, ad.Sum(ad.Mul(tp.Const(wts[i]), ad.Square(z)))), append(coef, 0.5)
			}
			for j := range es {
				if es[j].Valid() {
					terms, coef = append(terms, es[j]), append(coef, reg.Error*wE[j])
				}
				if ss[j].Valid() && wS[j] != 0 {
					terms, coef = append(terms, ss[j]), append(coef, reg.Stiffness*wS[j])
				}
			}
			obj := ad.LinComb(coef, terms)
			tp.JVP(mark)
			jv, ok := tp.Tangent(obj)
			if !ok {
				t.Fatal("the objective has no tangent")
			}
			if e := math.Abs(jv.Scalar()-dot) / math.Max(math.Abs(dot), 1e-12); e > 1e-8 {
				t.Errorf("<v, adjoint gradient> %.15g vs forward mode %.15g (relative error %.2g)", dot, jv.Scalar(), e)
			}
		})
	}
}

func dotProduct(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
