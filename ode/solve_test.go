package ode

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/tensor"
)

// scalarProblem wraps y' = f(t, y) on a 1x1 state.
func scalarProblem(f func(t, y float64) float64, y0, t1 float64) Problem {
	return Problem{
		F:  Plain(func(t float64, z, dz []float64) { dz[0] = f(t, z[0]) }),
		Z0: tensor.FromSlice(1, 1, []float64{y0}), T0: 0, T1: t1,
	}
}

// DETEST class A (Hull, Enright, Fellen and Sedgwick 1972), t in [0, 20].
var detestA = []struct {
	name  string
	f     func(t, y float64) float64
	exact func(t float64) float64
}{
	{"A1", func(t, y float64) float64 { return -y }, func(t float64) float64 { return math.Exp(-t) }},
	{"A2", func(t, y float64) float64 { return -y * y * y / 2 }, func(t float64) float64 { return 1 / math.Sqrt(t+1) }},
	{"A3", func(t, y float64) float64 { return y * math.Cos(t) }, func(t float64) float64 { return math.Exp(math.Sin(t)) }},
	{"A4", func(t, y float64) float64 { return y / 4 * (1 - y/20) }, func(t float64) float64 { return 20 / (1 + 19*math.Exp(-t/4)) }},
}

func TestDETESTClassA(t *testing.T) {
	saves := make([]float64, 21)
	for i := range saves {
		saves[i] = float64(i)
	}
	for _, m := range []*Tableau{Tsit5(), DP5()} {
		for _, pr := range detestA {
			sol, err := Solve(context.Background(), scalarProblem(pr.f, 1, 20), &Options{Method: m, RTol: 1e-8, ATol: 1e-8, SaveAt: saves})
			if err != nil {
				t.Fatalf("%s %s: %v", m.Name, pr.name, err)
			}
			for i, ts := range sol.T {
				want := pr.exact(ts)
				tol := 10 * (1e-8 + 1e-8*math.Abs(want))
				if got := sol.Z[i].Data[0]; math.Abs(got-want) > tol {
					t.Errorf("%s %s: y(%v) = %.12g, exact %.12g, error %.2g > 10x tolerance %.2g", m.Name, pr.name, ts, got, want, math.Abs(got-want), tol)
				}
			}
		}
	}
}

func TestLogisticExact(t *testing.T) {
	r, y0 := 3.0, 0.1
	exact := func(t float64) float64 { return 1 / (1 + (1/y0-1)*math.Exp(-r*t)) }
	sol, err := Solve(context.Background(), scalarProblem(func(t, y float64) float64 { return r * y * (1 - y) }, y0, 4),
		&Options{RTol: 1e-10, ATol: 1e-10, SaveAt: []float64{0, 0.5, 1.3, 2.7, 4}})
	if err != nil {
		t.Fatal(err)
	}
	for i, ts := range sol.T {
		if e := math.Abs(sol.Z[i].Data[0] - exact(ts)); e > 1e-8 {
			t.Errorf("logistic y(%v): error %.3g", ts, e)
		}
	}
}

// linearProblem is z' = z*M for a batch of states, with exact solution
// z0*expm(M t), M = [[-0.1, 2], [-2, -0.1]]: a decaying rotation.
func linearProblem(w *ad.Param) Problem {
	return Problem{
		F:  func(t float64, z ad.Var) ad.Var { return ad.MatMul(z, z.Tape().Param(w)) },
		Z0: tensor.FromSlice(2, 2, []float64{2, 0, 0.5, -1}),
		T0: 0, T1: 1.5,
	}
}

func linearParam() *ad.Param {
	w := ad.NewParam("M", 2, 2)
	copy(w.Value.Data, []float64{-0.1, 2, -2, -0.1})
	return w
}

func TestLinearExactAndDenseOutput(t *testing.T) {
	w := linearParam()
	saves := []float64{0, 0.13, 0.4, 0.77, 1.0, 1.21, 1.5}
	for _, m := range []*Tableau{Tsit5(), DP5(), BS3()} {
		sol, err := Solve(context.Background(), linearProblem(w), &Options{Method: m, RTol: 1e-9, ATol: 1e-9, SaveAt: saves})
		if err != nil {
			t.Fatal(err)
		}
		// Dense output must not force steps onto the save times.
		plain, err := Solve(context.Background(), linearProblem(w), &Options{Method: m, RTol: 1e-9, ATol: 1e-9})
		if err != nil {
			t.Fatal(err)
		}
		if len(plain.Steps) != len(sol.Steps) {
			t.Errorf("%s: saving changed the step sequence (%d vs %d steps)", m.Name, len(sol.Steps), len(plain.Steps))
		}
		z0 := linearProblem(w).Z0
		for i, ts := range sol.T {
			// z(t) = z0 * e^{-0.1 t} [[cos 2t, sin 2t], [-sin 2t, cos 2t]]
			c, s, d := math.Cos(2*ts), math.Sin(2*ts), math.Exp(-0.1*ts)
			for r := 0; r < 2; r++ {
				a, b := z0.At(r, 0), z0.At(r, 1)
				want := []float64{d * (a*c - b*s), d * (a*s + b*c)}
				for k := range want {
					if e := math.Abs(sol.Z[i].At(r, k) - want[k]); e > 1e-7 {
						t.Errorf("%s: z(%v)[%d,%d] error %.3g", m.Name, ts, r, k, e)
					}
				}
			}
		}
	}
}

func TestStatisticsAndNFE(t *testing.T) {
	w := linearParam()
	sol, err := Solve(context.Background(), linearProblem(w), &Options{RTol: 1e-8, ATol: 1e-8})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Accepted+sol.Rejected != len(sol.Steps) {
		t.Fatalf("accepted %d + rejected %d != %d steps", sol.Accepted, sol.Rejected, len(sol.Steps))
	}
	if want := 3 + 6*len(sol.Steps); sol.NFE != want {
		t.Fatalf("NFE %d, want 3 + 6*%d = %d (OrdinaryDiffEq's count for Tsit5)", sol.NFE, len(sol.Steps), want)
	}
	// A rejected first step must not re-evaluate k1: start with a step far
	// too large.
	big, err := Solve(context.Background(), linearProblem(w), &Options{RTol: 1e-8, ATol: 1e-8, Dt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if big.Rejected == 0 {
		t.Fatal("expected rejections with Dt = 1")
	}
	if want := 1 + 6*len(big.Steps); big.NFE != want {
		t.Fatalf("NFE %d with a given Dt, want 1 + 6*%d = %d", big.NFE, len(big.Steps), want)
	}
	rk4, err := Solve(context.Background(), linearProblem(w), &Options{Method: RK4(), Dt: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * len(rk4.Steps); rk4.NFE != want {
		t.Fatalf("RK4 NFE %d, want 4*%d", rk4.NFE, len(rk4.Steps))
	}
	tt := 0.0
	for _, st := range sol.Steps {
		if st.Accepted {
			if st.T != tt {
				t.Fatalf("accepted steps are not contiguous: step at %v, expected %v", st.T, tt)
			}
			tt += st.H
			if st.ErrorEstimate > 1 {
				t.Fatalf("accepted step with EEst %v > 1", st.ErrorEstimate)
			}
		} else if st.ErrorEstimate <= 1 {
			t.Fatalf("rejected step with EEst %v <= 1", st.ErrorEstimate)
		}
		if st.StiffnessEstimate <= 0 {
			t.Fatalf("Tsit5 step reports stiffness estimate %v", st.StiffnessEstimate)
		}
	}
	if math.Abs(tt-1.5) > 1e-12 {
		t.Fatalf("accepted steps end at %v, not 1.5", tt)
	}
	// For z' = zM the stiffness estimate approximates the spectral radius
	// |lambda| = |-0.1 +- 2i| ~ 2.0025 divided by Tsit5's 3.5068.
	st := sol.Steps[len(sol.Steps)/2].StiffnessEstimate
	if math.Abs(st*3.5068-math.Hypot(0.1, 2)) > 0.05 {
		t.Errorf("stiffness estimate %v * 3.5068 = %v, expected about %v", st, st*3.5068, math.Hypot(0.1, 2))
	}
}

func TestRejectsBadInputBeforeWork(t *testing.T) {
	calls := 0
	f := Plain(func(t float64, z, dz []float64) { calls++; dz[0] = -z[0] })
	good := Problem{F: f, Z0: tensor.FromSlice(1, 1, []float64{1}), T0: 0, T1: 1}
	cases := map[string]struct {
		p Problem
		o *Options
	}{
		"negative rtol":            {good, &Options{RTol: -1}},
		"NaN atol":                 {good, &Options{ATol: math.NaN()}},
		"empty span":               {Problem{F: f, Z0: good.Z0, T0: 1, T1: 1}, nil},
		"ascending saves backward": {Problem{F: f, Z0: good.Z0, T0: 1, T1: 0}, &Options{SaveAt: []float64{0.2, 0.5}}},
		"tstop at t0 backward":     {Problem{F: f, Z0: good.Z0, T0: 1, T1: 0}, &Options{TStops: []float64{1}}},
		"unsorted saves":           {good, &Options{SaveAt: []float64{0.5, 0.2}}},
		"save outside":             {good, &Options{SaveAt: []float64{0.5, 2}}},
		"tstop at t0":              {good, &Options{TStops: []float64{0}}},
		"empty state":              {Problem{F: f, Z0: tensor.New(0, 0), T0: 0, T1: 1}, nil},
		"NaN state":                {Problem{F: f, Z0: tensor.FromSlice(1, 1, []float64{math.NaN()}), T0: 0, T1: 1}, nil},
		"fixed step no dt":         {good, &Options{Method: RK4()}},
		"bad checkpointing":        {good, &Options{Adjoint: true, Checkpointing: Checkpointing(7)}},
		"infinite fixed dt":        {good, &Options{Method: RK4(), Dt: math.Inf(1)}},
		"infinite dt":              {good, &Options{Dt: math.Inf(1)}},
		"negative dt":              {good, &Options{Method: RK4(), Dt: -0.1}},
		"NaN dt":                   {good, &Options{Method: Euler(), Dt: math.NaN()}},
		"dt beyond span":           {good, &Options{Method: RK4(), Dt: 1.5}},
		"infinite dtmin":           {good, &Options{DtMin: math.Inf(1)}},
		"infinite dtmax":           {good, &Options{DtMax: math.Inf(1)}},
		"dtmin over dtmax":         {good, &Options{DtMin: 0.5, DtMax: 0.1}},
		"pure relative tol":        {good, &Options{RTol: 1e-6}},
		"input shape": {Problem{F: f, Z0: good.Z0, T0: 0, T1: 1, Input: func(tp *ad.Tape) ad.Var {
			return tp.Const(tensor.New(2, 1))
		}}, nil},
	}
	for name, c := range cases {
		_, err := Solve(context.Background(), c.p, c.o)
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: got %v, want ErrInvalidInput", name, err)
		}
	}
	if calls != 0 {
		t.Fatalf("dynamics were evaluated %d times for rejected inputs", calls)
	}
}

// TestPureAbsoluteTolerance: RTol = 0 with ATol > 0 controls the absolute
// error alone (it used to become the default 1e-6 silently): on z' = -z from
// z0 = 1000 the error at T1 = 1 then stays near ATol, where a relative
// tolerance of 1e-6 would allow about 1e-4.
func TestPureAbsoluteTolerance(t *testing.T) {
	p := scalarProblem(func(t, y float64) float64 { return -y }, 1000, 1)
	exact := 1000 * math.Exp(-1)
	errAt := func(o *Options) (float64, int) {
		sol, err := Solve(context.Background(), p, o)
		if err != nil {
			t.Fatal(err)
		}
		return math.Abs(sol.Z[0].Data[0] - exact), sol.Accepted
	}
	abs, nAbs := errAt(&Options{RTol: 0, ATol: 1e-7})
	mixed, nMixed := errAt(&Options{RTol: 1e-6, ATol: 1e-7})
	if abs > 1e-6 || nAbs <= nMixed {
		t.Errorf("pure absolute tolerance 1e-7: error %.3g in %d steps; with rtol 1e-6: %.3g in %d steps", abs, nAbs, mixed, nMixed)
	}
	sol, err := Solve(context.Background(), p, &Options{RTol: 0, ATol: 1e-7, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	// The recorded estimate is RMS(utilde)/ATol: replay the first accepted
	// step and compare with the estimate formed with rtol = 0.
	tp := ad.NewTape()
	_, es, _, err := sol.Replay(tp, tp.Const(p.Z0))
	if err != nil {
		t.Fatal(err)
	}
	acc := sol.accepted()
	if got := es[0].Scalar(); got != acc[0].ErrorEstimate {
		t.Errorf("replayed estimate %v, recorded %v", got, acc[0].ErrorEstimate)
	}
}

func TestFailuresAreTypedAndPrompt(t *testing.T) {
	// y' = y^2, y(0) = 1 blows up at t = 1.
	blowup := scalarProblem(func(t, y float64) float64 { return y * y }, 1, 2)
	_, err := Solve(context.Background(), blowup, nil)
	var se *SolveError
	if !errors.As(err, &se) || !(errors.Is(err, ErrStepSizeUnderflow) || errors.Is(err, ErrNonFinite) || errors.Is(err, ErrMaxSteps)) {
		t.Fatalf("blow-up: got %v, want a typed failure", err)
	}
	if se.T > 1.001 || se.T < 0.99 {
		t.Errorf("blow-up failure reported at t=%v, expected just before 1", se.T)
	}
	_, err = Solve(context.Background(), scalarProblem(func(t, y float64) float64 { return -y }, 1, 1000), &Options{MaxSteps: 5})
	if !errors.Is(err, ErrMaxSteps) || !errors.As(err, &se) || se.H <= 0 {
		t.Fatalf("step limit: got %v", err)
	}
	nan := scalarProblem(func(t, y float64) float64 {
		if t > 0.5 {
			return math.NaN()
		}
		return -y
	}, 1, 1)
	_, err = Solve(context.Background(), nan, nil)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("NaN dynamics: got %v, want ErrNonFinite", err)
	}
	_, err = Solve(context.Background(), nan, &Options{Method: RK4(), Dt: 0.1})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("NaN dynamics, fixed step: got %v, want ErrNonFinite", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Solve(ctx, blowup, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: got %v", err)
	}
}

func TestTStopsAreSteppedOn(t *testing.T) {
	sol, err := Solve(context.Background(), scalarProblem(func(t, y float64) float64 { return -y }, 1, 3),
		&Options{TStops: []float64{0.3141, 1.7}})
	if err != nil {
		t.Fatal(err)
	}
	hit := map[float64]bool{}
	for _, st := range sol.Steps {
		if st.Accepted {
			hit[st.T] = true
		}
	}
	for _, ts := range []float64{0.3141, 1.7} {
		if !hit[ts] {
			t.Errorf("no accepted step starts at tstop %v", ts)
		}
	}
}

func TestFixedStepMethods(t *testing.T) {
	exact := math.Exp(-1.0)
	for _, c := range []struct {
		m   *Tableau
		tol float64
	}{{Euler(), 0.02}, {RK4(), 1e-6}} {
		sol, err := Solve(context.Background(), scalarProblem(func(t, y float64) float64 { return -y }, 1, 1),
			&Options{Method: c.m, Dt: 0.01, SaveAt: []float64{0.5, 1}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sol.Steps) != 100 {
			t.Errorf("%s: %d steps, want 100", c.m.Name, len(sol.Steps))
		}
		if e := math.Abs(sol.Z[1].Data[0] - exact); e > c.tol {
			t.Errorf("%s: error %.3g", c.m.Name, e)
		}
	}
}

// spiralModel is the paper's spiral ODE model: x -> x^3 -> Dense(2,50,tanh)
// -> Dense(50,2), with fixed random weights.
func spiralModel(seed uint64) (Func, []*ad.Param) {
	rng := rand.New(rand.NewPCG(seed, 1))
	w1, b1 := ad.NewParam("w1", 2, 50), ad.NewParam("b1", 1, 50)
	w2, b2 := ad.NewParam("w2", 50, 2), ad.NewParam("b2", 1, 2)
	for _, p := range []*ad.Param{w1, b1, w2, b2} {
		for i := range p.Value.Data {
			p.Value.Data[i] = 0.4 * (2*rng.Float64() - 1)
		}
	}
	f := func(t float64, z ad.Var) ad.Var {
		tp := z.Tape()
		h := ad.Dense(ad.Cube(z), tp.Param(w1), tp.Param(b1), ad.ActTanh)
		return ad.Dense(h, tp.Param(w2), tp.Param(b2), ad.ActIdentity)
	}
	return f, []*ad.Param{w1, b1, w2, b2}
}

// mnistModel is the paper's MNIST neural-ODE dynamics at a small width.
func mnistModel(seed uint64, in, hid int) (Func, []*ad.Param) {
	rng := rand.New(rand.NewPCG(seed, 2))
	w1, b1 := ad.NewParam("w1", in+1, hid), ad.NewParam("b1", 1, hid)
	w2, b2 := ad.NewParam("w2", hid+1, in), ad.NewParam("b2", 1, in)
	for _, p := range []*ad.Param{w1, b1, w2, b2} {
		for i := range p.Value.Data {
			p.Value.Data[i] = 0.3 * (2*rng.Float64() - 1)
		}
	}
	f := func(t float64, z ad.Var) ad.Var {
		h := timeDense(z, t, w1, b1, ad.ActTanh)
		return timeDense(h, t, w2, b2, ad.ActTanh)
	}
	return f, []*ad.Param{w1, b1, w2, b2}
}

// timeDense is Dense(n+1, m, act) of [x, t]: w's last row multiplies t.
func timeDense(x ad.Var, t float64, w, b *ad.Param, act int) ad.Var {
	tp := x.Tape()
	n := x.Cols()
	wv := tp.Param(w)
	return ad.Dense(x, ad.SliceRows(wv, 0, n), timeBias(wv, n, b, t), act)
}

// timeBias is the bias b + t*w[n] of a dense layer of [x, t].
func timeBias(wv ad.Var, n int, b *ad.Param, t float64) ad.Var {
	return ad.Add(wv.Tape().Param(b), ad.Scale(ad.SliceRows(wv, n, n+1), t))
}

// mnistInputModel is mnistModel (the same parameters) written for
// Problem.Input: the state rows of w1 are the input matrix, and the
// dynamics take the product of the state with them.
func mnistInputModel(seed uint64, in, hid int) (Func, func(*ad.Tape) ad.Var, []*ad.Param) {
	_, params := mnistModel(seed, in, hid)
	w1, b1, w2, b2 := params[0], params[1], params[2], params[3]
	input := func(tp *ad.Tape) ad.Var { return ad.SliceRows(tp.Param(w1), 0, in) }
	f := func(t float64, a ad.Var) ad.Var {
		h := ad.Tanh(ad.AddRow(a, timeBias(a.Tape().Param(w1), in, b1, t)))
		return timeDense(h, t, w2, b2, ad.ActTanh)
	}
	return f, input, params
}

type gradCase struct {
	name   string
	f      Func
	input  func(*ad.Tape) ad.Var
	params []*ad.Param
	z0     *tensor.Dense
	t1     float64
	saves  []float64
	tol    float64
}

func gradCases() []gradCase {
	lin := linearParam()
	sf, sp := spiralModel(1999)
	mf, mp := mnistModel(7, 12, 6)
	mif, mii, mip := mnistInputModel(7, 12, 6)
	rng := rand.New(rand.NewPCG(5, 5))
	mz := tensor.New(3, 12)
	for i := range mz.Data {
		mz.Data[i] = rng.Float64()
	}
	saves := func(n int, t1 float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = t1 * float64(i) / float64(n-1)
		}
		return s
	}
	return []gradCase{
		{"linear", func(t float64, z ad.Var) ad.Var { return ad.MatMul(z, z.Tape().Param(lin)) }, nil, []*ad.Param{lin},
			tensor.FromSlice(2, 2, []float64{2, 0, 0.5, -1}), 1.5, saves(7, 1.5), 1e-6},
		{"spiral", sf, nil, sp, tensor.FromSlice(1, 2, []float64{2, 0}), 1.5, saves(30, 1.5), 1e-6},
		{"mnist-small", mf, nil, mp, mz, 1, nil, 1e-6},
		{"mnist-small-input", mif, mii, mip, mz, 1, saves(4, 1), 1e-6},
	}
}

// gradMethods are the adaptive methods the gradient tests run, each at a
// tolerance where its error estimate is well above rounding: Vern7's
// order-7 estimate h*sum_i Btilde_i k_i cancels coefficients of size 200
// down to about 1e-14 of the state at 1e-6 on these problems, where forward
// and reverse mode round it differently: with Vern7 at 1e-6 here,
// TestRegularizerGradientsMatchForwardMode fails its 1e-8 bound.
func gradMethods() []struct {
	tab *Tableau
	tol float64
} {
	return []struct {
		tab *Tableau
		tol float64
	}{{Tsit5(), 1e-6}, {Vern7(), 1e-3}}
}

// TestAdjointMatchesFiniteDifferences: with the step sequence frozen, the
// discrete adjoint's gradient of a loss of the saved outputs matches central
// finite differences along random directions of (z0, parameters), and
// element by element for the linear problem, to a relative error <= 1e-6.
func TestAdjointMatchesFiniteDifferences(t *testing.T) {
	for _, m := range gradMethods() {
		for _, c := range gradCases() {
			testAdjointMatchesFiniteDifferences(t, m.tab, m.tol, c)
		}
	}
}

func testAdjointMatchesFiniteDifferences(t *testing.T, m *Tableau, tol float64, c gradCase) {
	t.Run(m.Name+"/"+c.name, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(42, 1))
		p := Problem{F: c.f, Input: c.input, Z0: c.z0, T0: 0, T1: c.t1}
		sol, err := Solve(context.Background(), p, &Options{Method: m, RTol: tol, ATol: tol, SaveAt: c.saves, Adjoint: true})
		if err != nil {
			t.Fatal(err)
		}
		w := make([]*tensor.Dense, len(sol.Z))
		for i := range w {
			w[i] = gradcheck.RandLike(rng, sol.Z[i])
		}
		_, dz := gradcheck.SquareLoss(sol.Z, w)
		gradcheck.ZeroGrads(c.params)
		dz0, err := sol.Backward(context.Background(), dz, Regularization{})
		if err != nil {
			t.Fatal(err)
		}
		grad := gradcheck.FlatGrad(c.params)
		for dir := 0; dir < 3; dir++ {
			vz := gradcheck.RandLike(rng, c.z0)
			vp := make([]*tensor.Dense, len(c.params))
			ad := 0.0
			for k := range vz.Data {
				ad += vz.Data[k] * dz0.Data[k]
			}
			off := 0
			for i, pr := range c.params {
				vp[i] = gradcheck.RandLike(rng, pr.Value)
				for k := range vp[i].Data {
					ad += vp[i].Data[k] * grad[off+k]
				}
				off += pr.Value.Len()
			}
			fd, err := gradcheck.CentralDifference(sol, c.z0, vz, c.params, vp, w, 1e-6)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(fd-ad) / math.Max(math.Abs(fd), 1e-12); e > c.tol {
				t.Errorf("direction %d: adjoint %.12g vs finite difference %.12g (relative error %.2g)", dir, ad, fd, e)
			}
		}
	})
}

// TestRegularizerGradientsMatchForwardMode checks the gradients of the
// error and stiffness regularizers (every aggregation) from the discrete
// adjoint against forward-mode directional derivatives through the same
// frozen solve: <v, gradient> = JVP(v) to a relative error <= 1e-8.
func TestRegularizerGradientsMatchForwardMode(t *testing.T) {
	for _, m := range gradMethods() {
		for _, c := range gradCases() {
			testRegularizerGradientsMatchForwardMode(t, m.tab, m.tol, c)
		}
	}
}

func testRegularizerGradientsMatchForwardMode(t *testing.T, m *Tableau, tol float64, c gradCase) {
	for _, agg := range []Aggregation{Sum, Mean, Max} {
		t.Run(m.Name+"/"+c.name+"/"+agg.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(43, uint64(agg)))
			p := Problem{F: c.f, Input: c.input, Z0: c.z0, T0: 0, T1: c.t1}
			sol, err := Solve(context.Background(), p, &Options{Method: m, RTol: tol, ATol: tol, SaveAt: c.saves, Adjoint: true})
			if err != nil {
				t.Fatal(err)
			}
			reg := Regularization{Error: 0.7, Stiffness: 0.3, ErrorAgg: agg, StiffnessAgg: agg}
			w := make([]*tensor.Dense, len(sol.Z))
			for i := range w {
				w[i] = gradcheck.RandLike(rng, sol.Z[i])
			}
			_, dz := gradcheck.SquareLoss(sol.Z, w)
			gradcheck.ZeroGrads(c.params)
			dz0, err := sol.Backward(context.Background(), dz, reg)
			if err != nil {
				t.Fatal(err)
			}
			grad := gradcheck.FlatGrad(c.params)
			_, wE := sol.errorTerms(agg)
			_, wS := sol.stiffTerms(agg)
			for dir := 0; dir < 3; dir++ {
				tp := ad.NewTape()
				z0, dot := gradcheck.RandomTangents(tp, rng, c.z0, dz0, c.params, grad)
				mark := tp.Len()
				zs, es, ss, err := sol.Replay(tp, z0)
				if err != nil {
					t.Fatal(err)
				}
				// Total objective: loss of saves + regularizers.
				terms := []ad.Var{}
				coef := []float64{}
				for i, z := range zs {
					terms = append(terms, ad.Sum(ad.Mul(tp.Const(w[i]), ad.Square(z))))
					coef = append(coef, 0.5)
				}
				for j := range es {
					if es[j].Valid() && wE[j] != 0 {
						terms = append(terms, es[j])
						coef = append(coef, reg.Error*wE[j])
					}
					if ss[j].Valid() && wS[j] != 0 {
						terms = append(terms, ss[j])
						coef = append(coef, reg.Stiffness*wS[j])
					}
				}
				obj := ad.LinComb(coef, terms)
				tp.JVP(mark)
				jv, ok := tp.Tangent(obj)
				if !ok {
					t.Fatal("objective has no tangent")
				}
				if e := math.Abs(jv.Scalar()-dot) / math.Max(math.Abs(jv.Scalar()), 1e-12); e > 1e-8 {
					t.Errorf("direction %d: <v, adjoint gradient> %.15g vs JVP %.15g (relative error %.2g)", dir, dot, jv.Scalar(), e)
				}
			}
		})
	}
}

// TestRegularizerValues checks R_E and R_S against the step records.
func TestRegularizerValues(t *testing.T) {
	f, _ := spiralModel(3)
	sol, err := Solve(context.Background(), Problem{F: f, Z0: tensor.FromSlice(1, 2, []float64{2, 0}), T0: 0, T1: 1.5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sumE, sumS, maxS, n := 0.0, 0.0, 0.0, 0
	for _, st := range sol.Steps {
		if st.Accepted {
			sumE += st.ErrorEstimate * st.H
			sumS += st.StiffnessEstimate
			maxS = math.Max(maxS, st.StiffnessEstimate)
			n++
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"R_E sum", sol.ErrorRegularizer(Sum), sumE},
		{"R_E mean", sol.ErrorRegularizer(Mean), sumE / float64(n)},
		{"R_S sum", sol.StiffnessRegularizer(Sum), sumS},
		{"R_S max", sol.StiffnessRegularizer(Max), maxS},
		{"combined", sol.Regularizer(Regularization{Error: 2, Stiffness: 3}), 2*sumE + 3*sumS},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestStepAllocatesNothing: recording a Tsit5 step (stages, error and
// stiffness estimates, dense output) and back-propagating through it reuse
// the tape's buffers.
func TestStepAllocatesNothing(t *testing.T) {
	f, _ := spiralModel(1999)
	p := Problem{F: f, Z0: tensor.FromSlice(1, 2, []float64{2, 0}), T0: 0, T1: 1.5}
	o, err := (&Options{}).withDefaults(&p)
	if err != nil {
		t.Fatal(err)
	}
	s := newSolveStepper(&p, &o)
	defer s.release()
	var sv stageVars
	step := func() {
		s.tp.Reset()
		u := s.tp.Leaf(p.Z0, true)
		s.record(0, 0.01, u, ad.Var{}, ad.Var{}, &sv, true, true)
		s.tp.SeedScalar(s.dense(u, 0.01, 0.5, &sv), 1)
		s.tp.SeedScalar(sv.e, 1)
		s.tp.SeedScalar(sv.s, 1)
		s.tp.Backward(ad.Var{})
	}
	step()
	if a := testing.AllocsPerRun(20, step); a != 0 {
		t.Fatalf("a recorded step with its backward pass allocated %v times", a)
	}
}

// policyRegs are the regularizations TestCheckpointingPolicies covers: the
// error estimate only, the stiffness estimate only, and both, each with
// every aggregation.
func policyRegs() []Regularization {
	var regs []Regularization
	for _, agg := range []Aggregation{Sum, Mean, Max} {
		regs = append(regs,
			Regularization{Error: 0.7, ErrorAgg: agg},
			Regularization{Stiffness: 0.3, StiffnessAgg: agg},
			Regularization{Error: 0.7, Stiffness: 0.3, ErrorAgg: agg, StiffnessAgg: agg})
	}
	return regs
}

// TestCheckpointingPolicies: for every method, with rejected steps, and for
// every regularization of policyRegs, the adjoint gives the same bits
// whether the checkpoints keep the products (KeepProducts), only the states
// (KeepStates), the step's arithmetic (KeepStages), or were consumed by an
// earlier Backward (which then recomputes), and agrees with reverse mode
// over the whole solve recorded on one tape (Replay, where FSAL stages are
// shared as in the forward solve) to 1e-11 relative. A 1x1 state is among
// the cases (KeepStages with a weight of zero on one estimate once replayed
// kept values into the wrong ops: a panic for larger states, a wrong
// gradient for 1x1). KeepProducts keeps the expected products: every
// stage's for the first step, all but the first stage's (carried over as
// K1) for the later steps of FSAL methods.
func TestCheckpointingPolicies(t *testing.T) {
	// Per method: dt for the fixed-step ones (0: adaptive, with a first
	// step over the whole span, to be rejected); tol (0: the solver's
	// default); bound, the relative gap allowed between Backward and
	// reverse mode over the whole solve; reject, whether the test needs a
	// rejected step. Vern7 runs at 1e-4, since at tighter tolerances its
	// order-7 estimate nears rounding (see gradMethods), and those
	// estimates cancel stage combinations with coefficients of size 200, so
	// the two reverse sweeps' summation orders differ in more digits; it
	// accepts a first step over the whole span of these problems at every
	// tolerance tried (1e-4 ... 1e-9), and the other adaptive methods
	// exercise the rejected steps, whose replay does not depend on the
	// tableau.
	methods := []struct {
		tab    *Tableau
		dt     float64
		tol    float64
		bound  float64
		reject bool
	}{
		{Tsit5(), 0, 0, 1e-11, true}, {DP5(), 0, 0, 1e-11, true}, {BS3(), 0, 0, 1e-11, true},
		{Vern7(), 0, 1e-4, 1e-9, false}, {RK4(), 0.05, 0, 1e-11, false}, {Euler(), 0.02, 0, 1e-11, false},
	}
	sc := ad.NewParam("w", 1, 1)
	sc.Value.Data[0] = -1.3
	cases := append(gradCases(), gradCase{name: "scalar", f: func(t float64, z ad.Var) ad.Var {
		return ad.Tanh(ad.MatMul(z, z.Tape().Param(sc)))
	}, params: []*ad.Param{sc}, z0: tensor.FromSlice(1, 1, []float64{2}), t1: 2, saves: []float64{0.5, 1, 2}})
	for _, c := range cases {
		for _, m := range methods {
			t.Run(c.name+"/"+m.tab.Name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(44, 2))
				p := Problem{F: c.f, Input: c.input, Z0: c.z0, T0: 0, T1: c.t1}
				dt := m.dt
				if dt == 0 {
					dt = c.t1 // a first step over the whole span, to be rejected
				}
				var w, dz []*tensor.Dense
				grads := func(pol Checkpointing, twice bool, reg Regularization) ([]float64, *Solution) {
					o := &Options{Method: m.tab, Dt: dt, SaveAt: c.saves, Adjoint: true, Checkpointing: pol, RTol: m.tol, ATol: m.tol}
					sol, err := Solve(context.Background(), p, o)
					if err != nil {
						t.Fatal(err)
					}
					if w == nil {
						for _, z := range sol.Z {
							w = append(w, gradcheck.RandLike(rng, z))
						}
						_, dz = gradcheck.SquareLoss(sol.Z, w)
					}
					var out []float64
					for range 1 + btoi(twice) {
						gradcheck.ZeroGrads(c.params)
						dz0, err := sol.Backward(context.Background(), dz, reg)
						if err != nil {
							t.Fatal(err)
						}
						out = append(append(out[:0], dz0.Data...), gradcheck.FlatGrad(c.params)...)
					}
					return out, sol
				}
				for _, reg := range policyRegs() {
					gp, solP := grads(KeepProducts, false, reg)
					gs, _ := grads(KeepStates, false, reg)
					ga, _ := grads(KeepStages, false, reg)
					gt, _ := grads(KeepProducts, true, reg)
					gat, _ := grads(KeepStages, true, reg)
					if !slices.Equal(gp, gs) || !slices.Equal(gp, gt) || !slices.Equal(gp, ga) || !slices.Equal(gp, gat) {
						t.Fatalf("%+v: the checkpointing policies give different gradients:\nproducts %v\nstates   %v\nstages   %v", reg, gp, gs, ga)
					}
					if m.reject && solP.Rejected == 0 {
						t.Fatal("no rejected step: the test needs one")
					}

					// Reverse mode over the whole solve on one tape.
					tp := ad.NewTape()
					z0 := tp.Leaf(c.z0, true)
					zs, es, ss, err := solP.Replay(tp, z0)
					if err != nil {
						t.Fatal(err)
					}
					_, wE := solP.errorTerms(reg.ErrorAgg)
					_, wS := solP.stiffTerms(reg.StiffnessAgg)
					var terms []ad.Var
					var coef []float64
					for i, z := range zs {
						terms = append(terms, ad.Sum(ad.Mul(tp.Const(w[i]), ad.Square(z))))
						coef = append(coef, 0.5)
					}
					for j := range es {
						if es[j].Valid() && reg.Error != 0 {
							terms, coef = append(terms, es[j]), append(coef, reg.Error*wE[j])
						}
						if ss[j].Valid() && reg.Stiffness != 0 {
							terms, coef = append(terms, ss[j]), append(coef, reg.Stiffness*wS[j])
						}
					}
					gradcheck.ZeroGrads(c.params)
					tp.Backward(ad.LinComb(coef, terms))
					want := append(slices.Clone(tp.Grad(z0).Data), gradcheck.FlatGrad(c.params)...)
					num, den := 0.0, 0.0
					for i := range want {
						num += (gp[i] - want[i]) * (gp[i] - want[i])
						den += want[i] * want[i]
					}
					if e := math.Sqrt(num / den); e > m.bound {
						t.Fatalf("%+v: Backward differs from reverse mode over the whole solve: relative error %.2g", reg, e)
					}
				}

				// What KeepProducts and KeepStages kept (checked on fresh
				// solves: Backward consumed solP's).
				perEval := map[string]int{"linear": 1, "spiral": 2, "mnist-small": 2, "mnist-small-input": 1, "scalar": 1}[c.name]
				// With Problem.Input: the products k_j*W of the stages
				// that later stages use.
				stageProducts := 0
				if c.input != nil {
					for j := range m.tab.Stages {
						for i := j + 1; i < m.tab.Stages; i++ {
							if m.tab.A[i][j] != 0 {
								stageProducts++
								break
							}
						}
					}
				}
				for _, pol := range []Checkpointing{KeepProducts, KeepStages} {
					sol, _ := Solve(context.Background(), p, &Options{Method: m.tab, Dt: dt, SaveAt: c.saves, Adjoint: true, Checkpointing: pol})
					for j, ck := range sol.Checkpoints {
						evals := m.tab.Stages
						if m.tab.FSAL && j > 0 {
							evals--
							if ck.K1 == nil {
								t.Fatalf("step %d of an FSAL method kept no K1", j)
							}
						} else if ck.K1 != nil {
							t.Fatalf("step %d kept a K1 it evaluated itself", j)
						}
						want := evals*perEval + stageProducts
						if c.input != nil && evals == m.tab.Stages {
							want++ // u*W, which an FSAL step takes over
							if ck.UW != nil {
								t.Fatalf("step %d kept a UW it computed itself", j)
							}
						} else if c.input != nil && ck.UW == nil {
							t.Fatalf("step %d of an FSAL method kept no UW", j)
						}
						if pol == KeepStages {
							// Stage states (or their products with W), u1
							// when not FSAL or not formed as a stage, and
							// with an error estimate its combination, norm
							// and the stiffness estimate's norms (with W:
							// a combination and two norms).
							want += m.tab.Stages - 1
							if !m.tab.FSAL || c.input != nil {
								want++
							}
							if m.tab.HasErrorEstimate() {
								want += 2
							}
							if m.tab.HasStiffnessEstimate() && sol.Steps[0].StiffnessEstimate != 0 {
								want += 2 + btoi(c.input != nil)
							}
						}
						if got := ck.Products.Len(); got != want {
							t.Fatalf("%v: step %d kept %d values, want %d", pol, j, got, want)
						}
					}
				}
			})
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestReleaseRecyclesCheckpoints: after Release, Backward and Replay fail
// with an error naming Release, and a training iteration (solve, Backward,
// Release) that follows another allocates less than eight states' worth of
// memory (the initial-step heuristic's three vectors, the returned state and
// gradient, and in the pure-Go build gonum's DGEMM workspaces): the
// checkpoints and kept products come back from the pool.
func TestReleaseRecyclesCheckpoints(t *testing.T) {
	f, params := mnistModel(3, 64, 16)
	rng := rand.New(rand.NewPCG(6, 6))
	z0 := gradcheck.RandLike(rng, tensor.New(256, 64))
	p := Problem{F: f, Z0: z0, T0: 0, T1: 1}
	opts := &Options{RTol: 1e-8, ATol: 1e-8, Adjoint: true}
	dz := []*tensor.Dense{gradcheck.RandLike(rng, z0)}
	var sol *Solution
	iter := func() {
		var err error
		if sol, err = Solve(context.Background(), p, opts); err != nil {
			t.Fatal(err)
		}
		if _, err := sol.Backward(context.Background(), dz, Regularization{Error: 1, Stiffness: 1}); err != nil {
			t.Fatal(err)
		}
		sol.Release()
	}
	iter()
	iter()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	iter()
	runtime.ReadMemStats(&m1)
	state := uint64(8 * z0.Len())
	if got := m1.TotalAlloc - m0.TotalAlloc; got > 8*state {
		t.Errorf("an iteration after the first allocated %d bytes (%d steps; a state is %d bytes)", got, sol.Accepted, state)
	}
	if sol.Accepted < 3 {
		t.Fatalf("only %d steps: the test needs several", sol.Accepted)
	}
	if _, err := sol.Backward(context.Background(), dz, Regularization{}); err == nil || !strings.Contains(err.Error(), "Release") {
		t.Errorf("Backward after Release: %v", err)
	}
	if _, _, _, err := sol.Replay(ad.NewTape(), ad.NewTape().Const(z0)); err == nil || !strings.Contains(err.Error(), "Release") {
		t.Errorf("Replay after Release: %v", err)
	}
	gradcheck.ZeroGrads(params)
}

// mnistForms returns small MNIST-shaped dynamics (40 -> 7 -> 40) in the
// state form and written for Problem.Input (the same weights), and a 5 x 40
// initial state.
func mnistForms(seed uint64) (state, input Func, in func(*ad.Tape) ad.Var, z0 *tensor.Dense) {
	state, _ = mnistModel(seed, 40, 7)
	input, in, _ = mnistInputModel(seed, 40, 7)
	rng := rand.New(rand.NewPCG(seed, 9))
	z0 = tensor.New(5, 40)
	for i := range z0.Data {
		z0.Data[i] = rng.Float64()
	}
	return state, input, in, z0
}

// TestInputMatchesStateForm: the same MNIST-shaped dynamics solved with
// Problem.Input (stage inputs formed as products with W) and on the state
// take the same steps, with the same NFE, and agree to rounding in the
// saved states and in every step's error and stiffness estimates.
func TestInputMatchesStateForm(t *testing.T) {
	fs, fi, in, z0 := mnistForms(11)
	for _, m := range []struct {
		tab *Tableau
		dt  float64
		tol float64
	}{{Tsit5(), 0, 1e-8}, {DP5(), 0, 1e-8}, {BS3(), 0, 1e-8}, {Vern7(), 0, 1e-5}, {RK4(), 0.1, 1e-8}} {
		t.Run(m.tab.Name, func(t *testing.T) {
			// Vern7 at 1e-5: at 1e-8 its order-7 estimates are near
			// rounding (see gradMethods).
			o := &Options{Method: m.tab, Dt: m.dt, RTol: m.tol, ATol: m.tol, SaveAt: []float64{0, 0.3, 1, 2}}
			ss, err := Solve(context.Background(), Problem{F: fs, Z0: z0, T0: 0, T1: 2}, o)
			if err != nil {
				t.Fatal(err)
			}
			si, err := Solve(context.Background(), Problem{F: fi, Input: in, Z0: z0, T0: 0, T1: 2}, o)
			if err != nil {
				t.Fatal(err)
			}
			if ss.NFE != si.NFE || ss.Accepted != si.Accepted || ss.Rejected != si.Rejected {
				t.Fatalf("input form: NFE %d, %d+%d steps; state form: NFE %d, %d+%d steps",
					si.NFE, si.Accepted, si.Rejected, ss.NFE, ss.Accepted, ss.Rejected)
			}
			for i := range ss.Z {
				if d := tensor.RMSDiff(ss.Z[i].Data, si.Z[i].Data) / tensor.RMS(ss.Z[i].Data); d > 1e-11 {
					t.Errorf("save %d: relative difference %.2g", i, d)
				}
			}
			// The first step is tiny (Hairer's initial step): its error
			// estimate measures a utilde of about ten ulps of the state, so
			// rounding differences of the two forms show in its leading
			// digits and, through the controller, in the later step sizes.
			var dh, de, ds float64
			for j := range ss.Steps {
				a, b := ss.Steps[j], si.Steps[j]
				dh = max(dh, math.Abs(a.H-b.H)/a.H)
				if a.ErrorEstimate != 0 {
					de = max(de, math.Abs(a.ErrorEstimate-b.ErrorEstimate)/a.ErrorEstimate)
				}
				if a.StiffnessEstimate != 0 {
					ds = max(ds, math.Abs(a.StiffnessEstimate-b.StiffnessEstimate)/a.StiffnessEstimate)
				}
			}
			t.Logf("largest relative differences: step size %.2g, error estimate %.2g, stiffness estimate %.2g", dh, de, ds)
			if dh > 1e-4 || de > 1e-3 || ds > 1e-4 {
				t.Errorf("the two forms' steps differ more than rounding explains")
			}
			if m.tab.HasStiffnessEstimate() && ss.Steps[0].StiffnessEstimate == 0 {
				t.Fatal("no stiffness estimate to compare")
			}
		})
	}
}

// TestFusedStepEndMatchesRecorded: a forward solve ends its steps with one
// fused pass (fusedEnd); a solve that captures the step's combinations
// (KeepStages) records them as ops instead. Both give the same bits: the
// same steps, estimates and saved states, for every method, in the state
// and Problem.Input forms.
func TestFusedStepEndMatchesRecorded(t *testing.T) {
	fs, fi, in, z0 := mnistForms(13)
	probs := map[string]Problem{
		"state": {F: fs, Z0: z0, T0: 0, T1: 2},
		"input": {F: fi, Input: in, Z0: z0, T0: 0, T1: 2},
	}
	for name, p := range probs {
		for _, m := range []*Tableau{Tsit5(), DP5(), BS3(), Vern7()} {
			// Dt: a first step over the whole span, to be rejected.
			o := Options{Method: m, RTol: 1e-7, ATol: 1e-7, Dt: 2, SaveAt: []float64{0.5, 2}}
			fused, err := Solve(context.Background(), p, &o)
			if err != nil {
				t.Fatal(err)
			}
			o.Adjoint, o.Checkpointing = true, KeepStages
			recorded, err := Solve(context.Background(), p, &o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fused.Steps, recorded.Steps) {
				t.Errorf("%s/%s: the steps differ", name, m.Name)
			}
			if fused.Rejected == 0 || (m.HasStiffnessEstimate() && fused.Steps[1].StiffnessEstimate == 0) {
				t.Errorf("%s/%s: want a rejected step and stiffness estimates", name, m.Name)
			}
			for i := range fused.Z {
				if !slices.Equal(fused.Z[i].Data, recorded.Z[i].Data) {
					t.Errorf("%s/%s: save %d differs", name, m.Name, i)
				}
			}
		}
	}
}
