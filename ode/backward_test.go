package ode

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestBackwardInTimeExact: integrating from T0 to T1 < T0 matches the
// exact solutions of z' = -z (z(t) = z(T0)*e^(T0-t)) and of the decaying
// rotation z' = z*M, at descending save times, for the adaptive methods and
// RK4 with a fixed step; every step is negative, and TStops are stepped on.
func TestBackwardInTimeExact(t *testing.T) {
	saves := []float64{1, 0.8, 0.45, 0.1, -0.5}
	decay := Problem{F: func(_ float64, z ad.Var) ad.Var { return ad.Neg(z) }, Z0: tensor.FromSlice(1, 2, []float64{1, -2}), T0: 1, T1: -0.5}
	for _, m := range []struct {
		tab *Tableau
		dt  float64
		tol float64
	}{{Tsit5(), 0, 1e-7}, {DP5(), 0, 1e-7}, {BS3(), 0, 1e-7}, {Vern7(), 0, 1e-7}, {RK4(), 0.01, 1e-7}} {
		sol, err := Solve(context.Background(), decay, &Options{Method: m.tab, Dt: m.dt, RTol: 1e-9, ATol: 1e-9, SaveAt: saves, TStops: []float64{0.3}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sol.T) != len(saves) {
			t.Fatalf("%s: %d saves, want %d", m.tab.Name, len(sol.T), len(saves))
		}
		for i, ts := range sol.T {
			if ts != saves[i] {
				t.Errorf("%s: save %d at %v, want %v", m.tab.Name, i, ts, saves[i])
			}
			for k, z0 := range decay.Z0.Data {
				want := z0 * math.Exp(1-ts)
				if e := math.Abs(sol.Z[i].Data[k]-want) / math.Abs(want); e > m.tol {
					t.Errorf("%s: z(%v)[%d] = %v, want %v (relative error %.2g)", m.tab.Name, ts, k, sol.Z[i].Data[k], want, e)
				}
			}
		}
		hit := false
		for _, st := range sol.Steps {
			if st.H >= 0 {
				t.Fatalf("%s: a step of size %v integrating backward", m.tab.Name, st.H)
			}
			hit = hit || (st.Accepted && st.T == 0.3)
		}
		if !hit {
			t.Errorf("%s: no accepted step starts at the stop 0.3", m.tab.Name)
		}
	}

	// z' = z*M from z(1.5) back to 0: z(t) = z0*e^{-0.1 t} R(2t).
	w := linearParam()
	p := linearProblem(w)
	z0 := p.Z0
	exact := func(ts float64) *tensor.Dense {
		c, s, d := math.Cos(2*ts), math.Sin(2*ts), math.Exp(-0.1*ts)
		out := tensor.New(2, 2)
		for r := range 2 {
			a, b := z0.At(r, 0), z0.At(r, 1)
			out.Data[2*r], out.Data[2*r+1] = d*(a*c-b*s), d*(a*s+b*c)
		}
		return out
	}
	p.Z0, p.T0, p.T1 = exact(1.5), 1.5, 0
	ts := []float64{1.5, 1.21, 0.77, 0.13, 0}
	sol, err := Solve(context.Background(), p, &Options{RTol: 1e-9, ATol: 1e-9, SaveAt: ts})
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range ts {
		want := exact(tt)
		for k := range want.Data {
			if e := math.Abs(sol.Z[i].Data[k] - want.Data[k]); e > 1e-7 {
				t.Errorf("linear: z(%v)[%d] error %.3g", tt, k, e)
			}
		}
	}
}

// TestBackwardInTimeMirrorsForward: for autonomous dynamics f, integrating
// from 0 back to -T is integrating g = -f from 0 forward to T with every
// time negated, and both use exact negations only: the step records,
// saved states and gradients agree bit for bit.
func TestBackwardInTimeMirrorsForward(t *testing.T) {
	f, params := spiralModel(1999)
	neg := func(t float64, z ad.Var) ad.Var { return ad.Neg(f(-t, z)) }
	z0 := tensor.FromSlice(1, 2, []float64{2, 0})
	back, err := Solve(context.Background(), Problem{F: f, Z0: z0, T0: 0, T1: -1.5},
		&Options{SaveAt: []float64{0, -0.3, -1, -1.5}, TStops: []float64{-0.7}, Dt: 1.5, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := Solve(context.Background(), Problem{F: neg, Z0: z0, T0: 0, T1: 1.5},
		&Options{SaveAt: []float64{0, 0.3, 1, 1.5}, TStops: []float64{0.7}, Dt: 1.5, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	if back.NFE != fwd.NFE || len(back.Steps) != len(fwd.Steps) || back.Rejected == 0 {
		t.Fatalf("backward: NFE %d, %d steps (%d rejected); mirrored forward: NFE %d, %d steps", back.NFE, len(back.Steps), back.Rejected, fwd.NFE, len(fwd.Steps))
	}
	for i, st := range back.Steps {
		m := fwd.Steps[i]
		if st.T != -m.T || st.H != -m.H || st.Accepted != m.Accepted || st.ErrorEstimate != m.ErrorEstimate || st.StiffnessEstimate != m.StiffnessEstimate {
			t.Fatalf("step %d: backward %+v, mirrored forward %+v", i, st, m)
		}
	}
	for i := range back.Z {
		for k, v := range back.Z[i].Data {
			if v != fwd.Z[i].Data[k] {
				t.Fatalf("save %d: backward %v, mirrored forward %v", i, back.Z[i].Data, fwd.Z[i].Data)
			}
		}
	}
	rng := rand.New(rand.NewPCG(8, 8))
	var wts []*tensor.Dense
	for _, z := range back.Z {
		wts = append(wts, gradcheck.RandLike(rng, z))
	}
	_, dz := gradcheck.SquareLoss(back.Z, wts)
	reg := Regularization{Error: 0.5, Stiffness: 0.2, ErrorAgg: Mean, StiffnessAgg: Max}
	grad := func(sol *Solution) []float64 {
		gradcheck.ZeroGrads(params)
		g, err := sol.Backward(context.Background(), dz, reg)
		if err != nil {
			t.Fatal(err)
		}
		return append(g.Data, gradcheck.FlatGrad(params)...)
	}
	gb, gf := grad(back), grad(fwd)
	for i := range gb {
		if gb[i] != gf[i] {
			t.Fatalf("gradients differ at %d: backward %v, mirrored forward %v", i, gb, gf)
		}
	}
}

// TestBackwardInTimeRoundTrip: solving 0 -> 1 and then 1 -> 0 from the
// result returns to the start to the tolerance, and the discrete adjoint of
// the composition (the second solve's Backward seeding the first's) matches
// central finite differences through both frozen solves.
func TestBackwardInTimeRoundTrip(t *testing.T) {
	f, params := spiralModel(2000)
	z0 := tensor.FromSlice(2, 2, []float64{2, 0, -0.5, 1})
	there, err := Solve(context.Background(), Problem{F: f, Z0: z0, T0: 0, T1: 1}, &Options{RTol: 1e-10, ATol: 1e-10, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Solve(context.Background(), Problem{F: f, Z0: there.Z[0], T0: 1, T1: 0}, &Options{RTol: 1e-10, ATol: 1e-10, SaveAt: []float64{1, 0.5, 0}, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range back.Z[2].Data {
		if e := math.Abs(v - z0.Data[k]); e > 1e-8 {
			t.Errorf("round trip: z[%d] = %v, started at %v (error %.2g)", k, v, z0.Data[k], e)
		}
	}
	rng := rand.New(rand.NewPCG(9, 9))
	var wts []*tensor.Dense
	for _, z := range back.Z {
		wts = append(wts, gradcheck.RandLike(rng, z))
	}
	_, dz := gradcheck.SquareLoss(back.Z, wts)
	gradcheck.ZeroGrads(params)
	lam, err := back.Backward(context.Background(), dz, Regularization{})
	if err != nil {
		t.Fatal(err)
	}
	dz0, err := there.Backward(context.Background(), []*tensor.Dense{lam}, Regularization{})
	if err != nil {
		t.Fatal(err)
	}
	grad := gradcheck.FlatGrad(params)
	// The loss of the composition, both solves replayed with frozen steps.
	loss := func(z *tensor.Dense) float64 {
		tp := ad.NewTape()
		mid, _, _, err := there.Replay(tp, tp.Const(z))
		if err != nil {
			t.Fatal(err)
		}
		zs, _, _, err := back.Replay(tp, mid[0])
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]*tensor.Dense, len(zs))
		for i, v := range zs {
			vals[i] = v.Value()
		}
		l, _ := gradcheck.SquareLoss(vals, wts)
		return l
	}
	checkDirections(t, rng, z0, dz0, params, grad, loss)
}
