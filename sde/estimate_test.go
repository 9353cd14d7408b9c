package sde

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestFusedEstimatesMatchComposition: the error estimate is one fused op
// (ad.ErrorNorm); it agrees with its definition written out in elementwise
// ops, RMS((delta*E1 + E2) ./ (atol + max(|u_n|, |u_{n+1}|)*rtol)), to
// rounding (the fused op rounds the scale once), in value and in its
// gradient with respect to the step's start state, and that gradient
// matches central finite differences. The stiffness estimate's RMSDiff
// gives the bits of RMS(Sub(a, b)).
func TestFusedEstimatesMatchComposition(t *testing.T) {
	f, g, _ := neuralSDE(7, 8)
	rng := rand.New(rand.NewPCG(3, 4))
	z0 := tensor.New(64, 2)
	for i := range z0.Data {
		z0.Data[i] = 2*rng.Float64() - 1
	}
	p := Problem{Drift: f, Diffusion: g, Z0: z0, T0: 0, T1: 1}
	for _, m := range []Method{MethodSOSRI, MethodSOSRI2} {
		sol, err := Solve(context.Background(), p, &Options{Method: m, RTol: 1e-2, ATol: 1e-3, Delta: 0.5, Seed: 9, Adjoint: true})
		if err != nil {
			t.Fatal(err)
		}
		if sol.Accepted < 5 {
			t.Fatalf("%s: %d accepted steps; the check needs several", m, sol.Accepted)
		}
		var nf, ng int
		// estimate replays accepted step j from u and returns E (fused or
		// composed), S and the gradient of E with respect to u.
		estimate := func(j int, u0 *tensor.Dense, composed bool) (e, s float64, grad *tensor.Dense) {
			tp := ad.NewTape()
			rp, err := sol.replayer(tp, &nf, &ng)
			if err != nil {
				t.Fatal(err)
			}
			o := rp.st.o
			u := tp.Leaf(u0, true)
			u1, ev, sv := rp.ReplayStep(j, u, true, true)
			st := &rp.sv
			if !ev.Valid() || !sv.Valid() || !st.en.Valid() {
				t.Fatalf("%s: step %d records no estimates", m, j)
			}
			if composed {
				sc := ad.AddScalar(ad.Scale(ad.Max(ad.Abs(u), ad.Abs(u1)), o.RTol), o.ATol)
				ev = ad.RMS(ad.Div(st.en, sc))
				den := ad.RMS(ad.Sub(st.h0[3], st.h0[2]))
				sv = ad.Scale(ad.Div(ad.RMS(ad.Sub(st.k[3], st.k[2])), den), 1/o.StiffnessScale)
			}
			tp.SeedScalar(ev, 1)
			tp.Backward(ad.Var{})
			return ev.Scalar(), sv.Scalar(), tp.Grad(u).Clone()
		}
		for j := range sol.Checkpoints {
			u := sol.Checkpoints[j].U
			e, s, ge := estimate(j, u, false)
			ec, sc, gc := estimate(j, u, true)
			if math.Abs(e-ec) > 1e-14*ec {
				t.Errorf("%s step %d: fused E = %.17g, composed %.17g", m, j, e, ec)
			}
			if math.Float64bits(s) != math.Float64bits(sc) {
				t.Errorf("%s step %d: S = %.17g with RMSDiff, %.17g with RMS(Sub)", m, j, s, sc)
			}
			scale := math.Sqrt(tensor.SumSq(gc.Data))
			d := tensor.New(gc.Rows, gc.Cols)
			tensor.Sub(d.Data, ge.Data, gc.Data)
			if diff := math.Sqrt(tensor.SumSq(d.Data)); !(scale > 0) || diff > 1e-12*scale {
				t.Errorf("%s step %d: |dE/du fused - composed| = %.3g, |composed| = %.3g", m, j, diff, scale)
			}
		}
		// Central differences of the fused E along a random direction.
		j := sol.Accepted / 2
		u := sol.Checkpoints[j].U
		_, _, grad := estimate(j, u, false)
		v := tensor.New(u.Rows, u.Cols)
		for i := range v.Data {
			v.Data[i] = 2*rng.Float64() - 1
		}
		const eps = 1e-6
		up, um := u.Clone(), u.Clone()
		for i := range v.Data {
			up.Data[i] += eps * v.Data[i]
			um.Data[i] -= eps * v.Data[i]
		}
		ep, _, _ := estimate(j, up, false)
		em, _, _ := estimate(j, um, false)
		fd := (ep - em) / (2 * eps)
		dot := 0.0
		for i := range v.Data {
			dot += grad.Data[i] * v.Data[i]
		}
		if rel := math.Abs(fd-dot) / math.Abs(fd); !(rel <= 1e-6) {
			t.Errorf("%s step %d: <dE/du, v> = %.12g, central difference %.12g (relative error %.2g)", m, j, dot, fd, rel)
		}
	}
}
