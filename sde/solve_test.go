package sde

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/brownian"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// scalarProblem wraps dx = f(t,x) dt + g(t,x) dW on a 1x1 state.
func scalarProblem(f, g func(t, x float64) float64, x0, t1 float64) Problem {
	return Problem{
		Drift:     ode.Plain(func(t float64, z, dz []float64) { dz[0] = f(t, z[0]) }),
		Diffusion: ode.Plain(func(t float64, z, dz []float64) { dz[0] = g(t, z[0]) }),
		Z0:        tensor.FromSlice(1, 1, []float64{x0}), T0: 0, T1: t1,
	}
}

// refSRIStep is one SRI step for a scalar SDE with its error and stiffness
// estimates, written out from Rackauckas & Nie (2020) and StochasticDiffEq.jl in plain float64 arithmetic,
// independently of the solver's recording.
func refSRIStep(tab *SRITableau, f, g func(t, x float64) float64, t, x, h, dW, dZ, delta, atol, rtol float64) (x1, e, s float64) {
	sq := math.Sqrt(h)
	chi1 := (dW*dW - h) / (2 * sq)
	chi2 := (dW + dZ/math.Sqrt(3)) / 2
	chi3 := (dW*dW*dW - 3*dW*h) / (6 * h)
	var k, gs, h0 [4]float64
	for i := range 4 {
		var a0, b0, a1, b1 float64
		for j := range i {
			a0 += tab.A0[i][j] * k[j]
			b0 += tab.B0[i][j] * gs[j]
			a1 += tab.A1[i][j] * k[j]
			b1 += tab.B1[i][j] * gs[j]
		}
		h0[i] = x + h*a0 + chi2*b0
		k[i] = f(t+tab.C0[i]*h, h0[i])
		gs[i] = g(t+tab.C1[i]*h, x+h*a1+sq*b1)
	}
	var drift, noise, e2 float64
	for i := range 4 {
		drift += tab.Alpha[i] * k[i]
		noise += (tab.Beta1[i]*dW + tab.Beta2[i]*chi1) * gs[i]
		e2 += (tab.Beta3[i]*chi2 + tab.Beta4[i]*chi3) * gs[i]
	}
	x1 = x + h*drift + noise + e2
	e1 := h * (k[0] + k[1] + k[2] + k[3])
	e = math.Abs(delta*e1+e2) / (atol + math.Max(math.Abs(x), math.Abs(x1))*rtol)
	s = math.Abs(k[3]-k[2]) / math.Abs(h0[3]-h0[2]) / tab.StiffnessScale
	return x1, e, s
}

// recordingNoise hands out a brownian.Process's increments and remembers
// each one, in order.
type recordingNoise struct {
	p      *brownian.Process
	dW, dZ []float64
}

func (r *recordingNoise) Increment(h float64, dW, dZ []float64) {
	r.p.Increment(h, dW, dZ)
	r.dW, r.dZ = append(r.dW, dW[0]), append(r.dZ, dZ[0])
}

func (r *recordingNoise) Reject(h float64, dW, dZ []float64) {
	r.p.Reject(h, dW, dZ)
	r.dW, r.dZ = append(r.dW, dW[0]), append(r.dZ, dZ[0])
}

func (r *recordingNoise) Accept() { r.p.Accept() }

// TestStepMatchesReference replays every attempted step of adaptive solves of
// a nonlinear scalar SDE with an independent plain-arithmetic SRI step and the
// same increments: state, error estimate (delta*E1 + E2 form, for two deltas)
// and stiffness estimate must agree to rounding.
func TestStepMatchesReference(t *testing.T) {
	f := func(t, x float64) float64 { return -x*x*x + math.Sin(3*t) }
	g := func(t, x float64) float64 { return 0.5*math.Cos(x) + t }
	for _, c := range []struct {
		tab   SRITableau
		m     Method
		delta float64
	}{{SOSRI(), MethodSOSRI, 1}, {SOSRI2(), MethodSOSRI2, 1}, {SOSRI(), MethodSOSRI, 0.25}} {
		noise := &recordingNoise{p: brownian.New(1, 0, 7)}
		const tol = 1e-3
		sol, err := Solve(context.Background(), scalarProblem(f, g, 1.2, 2), &Options{Method: c.m, RTol: tol, ATol: tol, Noise: noise, Delta: c.delta, Dt: 0.2, Adjoint: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(noise.dW) != len(sol.Steps) {
			t.Fatalf("%s: %d increments for %d attempted steps", c.tab.Name, len(noise.dW), len(sol.Steps))
		}
		if sol.Rejected == 0 {
			t.Fatalf("%s: no rejected step (the initial step 0.2 should be rejected)", c.tab.Name)
		}
		// Each step starts from the solver's own state, the checkpoint of the
		// next accepted step (a rejected step starts where it does), so
		// rounding differences do not accumulate. S divides two differences
		// of stage values and E a sum of terms that may cancel: both keep
		// fewer digits.
		x1, j := 0.0, 0
		for i, st := range sol.Steps {
			x := sol.Checkpoints[j].U.Data[0]
			if st.Accepted {
				j++
			}
			var e, s float64
			x1, e, s = refSRIStep(&c.tab, f, g, st.T, x, st.H, noise.dW[i], noise.dZ[i], c.delta, tol, tol)
			if math.Abs(e-st.ErrorEstimate) > 1e-12*math.Max(e, 1) || math.Abs(s-st.StiffnessEstimate) > 1e-9*s {
				t.Fatalf("%s delta=%v step %d: E = %.15g, S = %.15g; reference %.15g, %.15g", c.tab.Name, c.delta, i, st.ErrorEstimate, st.StiffnessEstimate, e, s)
			}
		}
		if got := sol.Z[0].Data[0]; math.Abs(got-x1) > 1e-13*math.Max(1, math.Abs(x1)) {
			t.Errorf("%s: final state %.15g; reference %.15g", c.tab.Name, got, x1)
		}
	}
}

// TestStatisticsAndNFE checks the white-box record: step bookkeeping, the
// accept rule, NFE counted separately for drift and diffusion, save times
// stepped on exactly, and R_E, R_S from the records.
func TestStatisticsAndNFE(t *testing.T) {
	p, _ := gradProblem()
	saves := []float64{0, 0.1, 0.37, 0.5, 0.9, 1}
	sol, err := Solve(context.Background(), p, &Options{RTol: 1e-2, ATol: 1e-2, SaveAt: saves, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Method != "SOSRI" {
		t.Errorf("Method = %q, want SOSRI", sol.Method)
	}
	n := len(sol.Steps)
	if sol.Accepted+sol.Rejected != n {
		t.Fatalf("accepted %d + rejected %d != %d steps", sol.Accepted, sol.Rejected, n)
	}
	if sol.DriftNFE != 2+4*n || sol.DiffusionNFE != 2+4*n || sol.NFE != sol.DriftNFE+sol.DiffusionNFE {
		t.Fatalf("NFE %d (drift %d, diffusion %d); want 2 + 4*%d each for SOSRI with the initial-step heuristic", sol.NFE, sol.DriftNFE, sol.DiffusionNFE, n)
	}
	ends := map[float64]bool{}
	tt := 0.0
	var rE, rS float64
	for _, st := range sol.Steps {
		if st.Accepted {
			if st.T != tt {
				t.Fatalf("accepted steps are not contiguous: step at %v, expected %v", st.T, tt)
			}
			if st.ErrorEstimate > 1 {
				t.Fatalf("accepted step with EEst %v > 1", st.ErrorEstimate)
			}
			tt = st.T + st.H
			for _, s := range saves {
				if math.Abs(tt-s) < 1e-12 {
					tt = s
				}
			}
			ends[tt] = true
			rE += st.ErrorEstimate * st.H
			rS += st.StiffnessEstimate
		} else if st.ErrorEstimate <= 1 {
			t.Fatalf("rejected step with EEst %v <= 1", st.ErrorEstimate)
		}
		if st.StiffnessEstimate <= 0 || st.ErrorEstimate <= 0 {
			t.Fatalf("step at %v reports E = %v, S = %v; want both > 0", st.T, st.ErrorEstimate, st.StiffnessEstimate)
		}
	}
	if tt != 1 {
		t.Fatalf("accepted steps end at %v, not 1", tt)
	}
	for _, s := range saves[1:] {
		if !ends[s] {
			t.Errorf("no accepted step ends on save time %v", s)
		}
	}
	if len(sol.T) != len(saves) || sol.Saves0 != 1 {
		t.Fatalf("%d saves (Saves0 %d) for %d save times", len(sol.T), sol.Saves0, len(saves))
	}
	for i, s := range saves {
		if sol.T[i] != s {
			t.Errorf("T[%d] = %v, want %v", i, sol.T[i], s)
		}
	}
	if got := sol.ErrorRegularizer(ode.Sum); math.Abs(got-rE) > 1e-12*rE {
		t.Errorf("R_E = %v, sum of E_j h_j = %v", got, rE)
	}
	if got := sol.StiffnessRegularizer(ode.Sum); math.Abs(got-rS) > 1e-12*rS {
		t.Errorf("R_S = %v, sum of S_j = %v", got, rS)
	}

	em, err := Solve(context.Background(), p, &Options{Method: MethodEulerMaruyama, Dt: 0.01, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if em.Accepted != 100 || em.Rejected != 0 || em.DriftNFE != 100 || em.DiffusionNFE != 100 {
		t.Errorf("Euler-Maruyama: %d accepted, %d rejected, NFE %d + %d; want 100, 0, 100 + 100", em.Accepted, em.Rejected, em.DriftNFE, em.DiffusionNFE)
	}
}

// TestStiffnessEstimate: for SOSRI2, whose stages 3 and 4 both sit at t+h, a
// linear drift z*M gives k4 - k3 = (H0_4 - H0_3) M, so with M a scaled
// rotation the raw estimate is exactly M's spectral radius |-0.1 + 2i|.
func TestStiffnessEstimate(t *testing.T) {
	m := ad.NewParam("M", 2, 2)
	copy(m.Value.Data, []float64{-0.1, 2, -2, -0.1})
	p := Problem{
		Drift:     func(_ float64, z ad.Var) ad.Var { return ad.MatMul(z, z.Tape().Param(m)) },
		Diffusion: func(_ float64, z ad.Var) ad.Var { return ad.Scale(z, 0.3) },
		Z0:        tensor.FromSlice(2, 2, []float64{2, 0, 0.5, -1}), T0: 0, T1: 1,
	}
	sol, err := Solve(context.Background(), p, &Options{Method: MethodSOSRI2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := math.Hypot(0.1, 2)
	for _, st := range sol.Steps {
		if got := st.StiffnessEstimate * 10.6; math.Abs(got-want) > 1e-9 {
			t.Fatalf("step at %v: stiffness estimate x 10.6 = %.12g; want %.12g", st.T, got, want)
		}
	}
	sol2, err := Solve(context.Background(), p, &Options{Method: MethodSOSRI2, Seed: 1, StiffnessScale: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := sol2.Steps[0].StiffnessEstimate; math.Abs(got-want) > 1e-9 {
		t.Errorf("StiffnessScale 1: estimate %.12g; want %.12g", got, want)
	}
}

// TestDeterministicLimit: with zero diffusion SOSRI and SOSRI2 are
// deterministic Runge-Kutta methods of order 2 (alpha.e = 1,
// alpha.(A0 e) = 1/2) and must track x' = -x with errors that fall at least
// 3x when h halves. (Their error estimate keeps E1 = h (k1+...+k4), which
// does not vanish for ODEs, so adaptive solves of ODEs take steps of order
// tol/|f|.)
func TestDeterministicLimit(t *testing.T) {
	for _, m := range []Method{MethodSOSRI, MethodSOSRI2} {
		var errs []float64
		for _, h := range []float64{0.02, 0.01} {
			sol, err := Solve(context.Background(), scalarProblem(func(_, x float64) float64 { return -x }, func(_, _ float64) float64 { return 0 }, 1, 1),
				&Options{Method: m, FixedStep: true, Dt: h})
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, math.Abs(sol.Z[0].Data[0]-math.Exp(-1)))
		}
		t.Logf("%v with zero noise: x(1) errors %.3g at h = 0.02, 0.01", m, errs)
		if errs[1] > 1e-5 || errs[0]/errs[1] < 3 {
			t.Errorf("%v with zero noise: x(1) errors %.3g at h = 0.02, 0.01; want <= 1e-5 and falling >= 3x", m, errs)
		}
	}
}

func TestSameSeedSamePath(t *testing.T) {
	p, _ := gradProblem()
	run := func(seed uint64) *Solution {
		sol, err := Solve(context.Background(), p, &Options{RTol: 1e-2, ATol: 1e-2, Seed: seed, SaveAt: []float64{0.5, 1}})
		if err != nil {
			t.Fatal(err)
		}
		return sol
	}
	a, b, c := run(1999), run(1999), run(2000)
	if len(a.Steps) != len(b.Steps) {
		t.Fatalf("same seed: %d vs %d steps", len(a.Steps), len(b.Steps))
	}
	for i := range a.Steps {
		if a.Steps[i] != b.Steps[i] {
			t.Fatalf("same seed: step %d differs: %+v vs %+v", i, a.Steps[i], b.Steps[i])
		}
	}
	for i := range a.Z {
		for k := range a.Z[i].Data {
			if math.Float64bits(a.Z[i].Data[k]) != math.Float64bits(b.Z[i].Data[k]) {
				t.Fatalf("same seed: Z[%d][%d] differs", i, k)
			}
		}
	}
	if a.Z[1].Data[0] == c.Z[1].Data[0] {
		t.Errorf("seeds 1999 and 2000 gave the same final state")
	}
}

func TestRejectsBadInputBeforeWork(t *testing.T) {
	calls := 0
	f := ode.Plain(func(_ float64, z, dz []float64) { calls++; dz[0] = -z[0] })
	good := Problem{Drift: f, Diffusion: f, Z0: tensor.FromSlice(1, 1, []float64{1}), T0: 0, T1: 1}
	bad := SOSRI()
	bad.Alpha[0] += 0.01
	cases := map[string]struct {
		p Problem
		o *Options
	}{
		"negative rtol":    {good, &Options{RTol: -1}},
		"NaN atol":         {good, &Options{ATol: math.NaN()}},
		"negative delta":   {good, &Options{Delta: -1}},
		"empty span":       {Problem{Drift: f, Diffusion: f, Z0: good.Z0, T0: 1, T1: 1}, nil},
		"no diffusion":     {Problem{Drift: f, Z0: good.Z0, T0: 0, T1: 1}, nil},
		"unsorted saves":   {good, &Options{SaveAt: []float64{0.5, 0.2}}},
		"save outside":     {good, &Options{SaveAt: []float64{0.5, 2}}},
		"empty state":      {Problem{Drift: f, Diffusion: f, Z0: tensor.New(0, 0), T0: 0, T1: 1}, nil},
		"NaN state":        {Problem{Drift: f, Diffusion: f, Z0: tensor.FromSlice(1, 1, []float64{math.NaN()}), T0: 0, T1: 1}, nil},
		"EM without dt":    {good, &Options{Method: MethodEulerMaruyama}},
		"fixed without dt": {good, &Options{FixedStep: true}},
		"unknown method":   {good, &Options{Method: Method(9)}},
		"bad tableau":      {good, &Options{Tableau: &bad}},
		"negative steps":   {good, &Options{MaxSteps: -1}},
		"infinite EM dt":   {good, &Options{Method: MethodEulerMaruyama, Dt: math.Inf(1)}},
		"dt beyond span":   {good, &Options{Method: MethodEulerMaruyama, Dt: 2}},
		"infinite dtmax":   {good, &Options{DtMax: math.Inf(1)}},
		"dtmin over dtmax": {good, &Options{DtMin: 0.5, DtMax: 0.1}},
		"pure relative":    {good, &Options{RTol: 1e-3}},
	}
	for name, c := range cases {
		_, err := Solve(context.Background(), c.p, c.o)
		if !errors.Is(err, ode.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "sde: ") {
			t.Errorf("%s: got %v, want an sde: error matching ode.ErrInvalidInput", name, err)
		}
	}
	if calls != 0 {
		t.Fatalf("drift or diffusion was evaluated %d times for rejected inputs", calls)
	}
}

// TestTolerances: both 0 means the defaults; RTol = 0 with ATol > 0 is a
// pure absolute tolerance (it used to become the default 1e-2).
func TestTolerances(t *testing.T) {
	p := Problem{Drift: ode.Plain(func(_ float64, z, dz []float64) { dz[0] = -z[0] }), Z0: tensor.FromSlice(1, 1, []float64{1}), T0: 0, T1: 1}
	p.Diffusion = p.Drift
	for _, c := range []struct{ rtol, atol, wantR, wantA float64 }{{0, 0, 1e-2, 1e-2}, {0, 1e-4, 0, 1e-4}, {1e-3, 1e-4, 1e-3, 1e-4}} {
		r, err := (&Options{RTol: c.rtol, ATol: c.atol}).resolve(&p)
		if err != nil {
			t.Fatal(err)
		}
		if r.RTol != c.wantR || r.ATol != c.wantA {
			t.Errorf("RTol %v ATol %v resolve to %v %v, want %v %v", c.rtol, c.atol, r.RTol, r.ATol, c.wantR, c.wantA)
		}
	}
}

func TestFailuresAreTypedAndPrompt(t *testing.T) {
	small := func(_, _ float64) float64 { return 0.01 }
	// x' = x^2, x(0) = 1 blows up at t = 1.
	_, err := Solve(context.Background(), scalarProblem(func(_, x float64) float64 { return x * x }, small, 1, 2), nil)
	se, ok := AsSolveError(err)
	if !ok || !(errors.Is(err, ode.ErrStepSizeUnderflow) || errors.Is(err, ode.ErrNonFinite) || errors.Is(err, ode.ErrMaxSteps)) {
		t.Fatalf("blow-up: got %v, want a typed failure", err)
	}
	if se.T > 1.1 || se.T < 0.9 {
		t.Errorf("blow-up failure reported at t=%v, expected near 1", se.T)
	}
	if !strings.HasPrefix(err.Error(), "sde: ") {
		t.Errorf("error %q lacks the sde: prefix", err)
	}
	_, err = Solve(context.Background(), scalarProblem(func(_, x float64) float64 { return -x }, small, 1, 1000), &Options{MaxSteps: 5})
	if se, ok := AsSolveError(err); !errors.Is(err, ode.ErrMaxSteps) || !ok || se.H <= 0 {
		t.Fatalf("step limit: got %v", err)
	}
	nanAfter := func(t, x float64) float64 {
		if t > 0.5 {
			return math.NaN()
		}
		return -x
	}
	if _, err := Solve(context.Background(), scalarProblem(nanAfter, small, 1, 1), nil); !errors.Is(err, ode.ErrNonFinite) {
		t.Fatalf("NaN drift: got %v, want ErrNonFinite", err)
	}
	if _, err := Solve(context.Background(), scalarProblem(func(_, x float64) float64 { return -x }, nanAfter, 1, 1), nil); !errors.Is(err, ode.ErrNonFinite) {
		t.Fatalf("NaN diffusion: got %v, want ErrNonFinite", err)
	}
	if _, err := Solve(context.Background(), scalarProblem(nanAfter, small, 1, 1), &Options{Method: MethodEulerMaruyama, Dt: 0.1}); !errors.Is(err, ode.ErrNonFinite) {
		t.Fatalf("NaN drift, Euler-Maruyama: got %v, want ErrNonFinite", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Solve(ctx, scalarProblem(func(_, x float64) float64 { return -x }, small, 1, 1), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: got %v", err)
	}
	sol, err := Solve(context.Background(), scalarProblem(func(_, x float64) float64 { return -x }, small, 1, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sol.Backward(context.Background(), make([]*tensor.Dense, 1), ode.Regularization{}); err == nil || !strings.Contains(err.Error(), "Options.Adjoint") {
		t.Errorf("Backward without Options.Adjoint: got %v", err)
	}
}
