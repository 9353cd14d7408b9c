package spiral

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

func mustData(t *testing.T) *Data {
	t.Helper()
	d, err := TrueData(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rk4 integrates the true system with classical RK4 at a fixed step, an
// independent check of the data.
func rk4(t1 float64, n int) [2]float64 {
	u := []float64{U0[0], U0[1]}
	h := t1 / float64(n)
	k := make([][]float64, 4)
	for i := range k {
		k[i] = make([]float64, 2)
	}
	tmp := make([]float64, 2)
	for range n {
		TrueDynamics(0, u, k[0])
		for s, c := range []float64{0.5, 0.5, 1} {
			for j := range tmp {
				tmp[j] = u[j] + c*h*k[s][j]
			}
			TrueDynamics(0, tmp, k[s+1])
		}
		for j := range u {
			u[j] += h / 6 * (k[0][j] + 2*k[1][j] + 2*k[2][j] + k[3][j])
		}
	}
	return [2]float64{u[0], u[1]}
}

func TestTrueData(t *testing.T) {
	d := mustData(t)
	if len(d.Times) != Saves || len(d.U) != Saves || d.Times[0] != 0 || d.Times[Saves-1] != T {
		t.Fatalf("%d times from %v to %v", len(d.Times), d.Times[0], d.Times[len(d.Times)-1])
	}
	if d.U[0].At(0, 0) != 2 || d.U[0].At(0, 1) != 0 {
		t.Errorf("u(0) = %v", d.U[0].Data)
	}
	for _, i := range []int{1, 10, 29} {
		want := rk4(d.Times[i], 20000)
		for j := range 2 {
			if e := math.Abs(d.U[i].At(0, j) - want[j]); e > 1e-8 {
				t.Errorf("u(%.3f)[%d] = %.12f, RK4 gives %.12f", d.Times[i], j, d.U[i].At(0, j), want[j])
			}
		}
	}
	// du/dt at u0: (8, 0) A = (-0.8, 16).
	du := make([]float64, 2)
	TrueDynamics(0, []float64{2, 0}, du)
	if du[0] != -0.8 || du[1] != 16 {
		t.Errorf("f(u0) = %v, want [-0.8 16]", du)
	}
}

func TestNewModel(t *testing.T) {
	a, b, c := NewModel(1), NewModel(1), NewModel(2)
	if got := a.Spec().String(); got != "chain[map(cube) dense(2->50,tanh) dense(50->2)]" {
		t.Errorf("architecture %s", got)
	}
	pa, pb, pc := nn.Flatten(a.Params()).CopyTo(nil), nn.Flatten(b.Params()).CopyTo(nil), nn.Flatten(c.Params()).CopyTo(nil)
	if len(pa) != 252 {
		t.Fatalf("%d parameters, want 252", len(pa))
	}
	same, differ := true, false
	for i := range pa {
		same = same && pa[i] == pb[i]
		differ = differ || pa[i] != pc[i]
	}
	if !same || !differ {
		t.Errorf("initialisation must be a function of the seed (same %v, differ %v)", same, differ)
	}
}

func TestMSEGradient(t *testing.T) {
	z := []*tensor.Dense{tensor.FromSlice(1, 2, []float64{1, 2}), tensor.FromSlice(1, 2, []float64{-1, 0.5})}
	d := []*tensor.Dense{tensor.FromSlice(1, 2, []float64{0, 2}), tensor.FromSlice(1, 2, []float64{1, 1})}
	loss, dz := mse(z, d, true)
	// ((1)^2 + 0 + (-2)^2 + (-0.5)^2) / 4
	if want := 5.25 / 4; math.Abs(loss-want) > 1e-15 {
		t.Errorf("loss %v, want %v", loss, want)
	}
	const h = 1e-6
	for i := range z {
		for k := range z[i].Data {
			old := z[i].Data[k]
			z[i].Data[k] = old + h
			lp, _ := mse(z, d, false)
			z[i].Data[k] = old - h
			lm, _ := mse(z, d, false)
			z[i].Data[k] = old
			if fd := (lp - lm) / (2 * h); math.Abs(fd-dz[i].Data[k]) > 1e-8 {
				t.Errorf("dL/dz[%d][%d] = %v, finite difference %v", i, k, dz[i].Data[k], fd)
			}
		}
	}
}

func TestTrainingReducesLossAndPredictMatches(t *testing.T) {
	data := mustData(t)
	cfg := Config{Seed: 1999, Iterations: 150, LR: 0.02}
	r, err := NewRun(cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	loop := r.Loop("test")
	if _, err := loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := r.History()
	if len(h) != 150 || h[0].Iteration != 1 || h[149].Iteration != 150 {
		t.Fatalf("history of %d points", len(h))
	}
	if !(h[149].Loss < h[0].Loss/5) {
		t.Errorf("loss went from %v to %v in 150 iterations; want a fivefold drop", h[0].Loss, h[149].Loss)
	}
	for _, p := range h {
		if p.NFE < 9 || p.BackwardNFE <= 0 {
			t.Fatalf("iteration %d: NFE %d, backward NFE %d", p.Iteration, p.NFE, p.BackwardNFE)
		}
	}
	cfg.PredictRepeats = 3
	pred, err := Predict(context.Background(), r.Model(), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The next training iteration's forward solve is the same arithmetic
	// as the prediction (same model, tolerance and saves; the adjoint only
	// keeps checkpoints), so its loss and NFE agree exactly.
	m, err := r.Step(context.Background(), 150, train.IterationRNG(cfg.Seed, 150))
	if err != nil {
		t.Fatal(err)
	}
	if pred.Loss != m.Loss || pred.NFE != m.NFE || len(pred.U) != Saves || pred.Time <= 0 {
		t.Errorf("prediction loss %v NFE %d time %v; training forward loss %v NFE %d", pred.Loss, pred.NFE, pred.Time, m.Loss, m.NFE)
	}
	if m.Regularizers["error"] <= 0 || m.Regularizers["stiffness"] <= 0 || m.Coefficients["error"] != 0 || m.Objective != m.Loss {
		t.Errorf("vanilla metrics %+v", m)
	}
}

func TestSteerTruncatesTheSpan(t *testing.T) {
	data := mustData(t)
	m, _ := train.ParseMethod("steer+error")
	cfg := Config{Seed: 1999, Iterations: 40, Reg: train.Regularization{Method: m}}
	r, err := NewRun(cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	short, full := 0, 0
	for it := range 40 {
		mt, err := r.Step(context.Background(), it, train.IterationRNG(cfg.Seed, it))
		if err != nil {
			t.Fatal(err)
		}
		if mt.EndTime < T-r.Config().Reg.SteerB || mt.EndTime > T {
			t.Fatalf("end time %v outside [T-b, T]", mt.EndTime)
		}
		if mt.EndTime < T {
			short++
		} else {
			full++
		}
		if mt.Coefficients["error"] <= 0 || mt.Objective <= mt.Loss {
			t.Fatalf("error-regularized metrics %+v", mt)
		}
	}
	// P(T' < T) = 1/2: both kinds occur in 40 draws (fails with prob. 2^-39).
	if short == 0 || full == 0 {
		t.Errorf("%d truncated and %d full spans in 40 iterations", short, full)
	}
}

func TestResumeIsBitIdentical(t *testing.T) {
	data := mustData(t)
	m, _ := train.ParseMethod("steer+error+stiffness")
	cfg := Config{Seed: 1999, Iterations: 24, PredictRepeats: 1, Reg: train.Regularization{Method: m}}
	ctx := context.Background()
	whole, err := Train(ctx, cfg, data, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "spiral.ckpt")
	stop, cancel := context.WithCancel(ctx)
	_, err = Train(stop, cfg, data, train.RunOptions{Checkpoint: path, Recorders: []train.Recorder{&traintest.Recorder{StopAt: 12, Cancel: cancel}}})
	if err == nil || !strings.Contains(err.Error(), "interrupted after iteration 12 of 24") {
		t.Fatalf("interrupted run: %v", err)
	}
	resumed, err := Train(ctx, cfg, data, train.RunOptions{Resume: path})
	if err != nil {
		t.Fatal(err)
	}
	a, b := nn.Flatten(whole.Model.Params()).CopyTo(nil), nn.Flatten(resumed.Model.Params()).CopyTo(nil)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("parameter %d: %v uninterrupted, %v resumed", i, a[i], b[i])
		}
	}
	if len(resumed.History) != 24 || resumed.Iterations != 24 {
		t.Fatalf("resumed history %d, iterations %d", len(resumed.History), resumed.Iterations)
	}
	for i := range whole.History {
		if whole.History[i] != resumed.History[i] {
			t.Fatalf("history %d: %+v vs %+v", i, whole.History[i], resumed.History[i])
		}
	}
	if whole.Prediction.Loss != resumed.Prediction.Loss || whole.Prediction.NFE != resumed.Prediction.NFE {
		t.Error("predictions differ after resume")
	}
	// A checkpoint of another configuration is refused.
	other := cfg
	other.LR = 0.02
	if _, err := Train(ctx, other, data, train.RunOptions{Resume: path}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("resume with another learning rate: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	data := mustData(t)
	bad := []func(*Config){
		func(c *Config) { c.Iterations = -1 },
		func(c *Config) { c.LR = -1 },
		func(c *Config) { c.Tol = math.NaN() },
		func(c *Config) { c.PredictRepeats = -2 },
		func(c *Config) { c.MaxSteps = -1 },
		func(c *Config) { c.Reg.Method.Error = true; c.Reg.ErrorCoefFinal = -1 },
		// STEER's b must be below the span T = 1.5, or iterations fit nothing.
		func(c *Config) { c.Reg.Method.STEER = true; c.Reg.SteerB = T },
	}
	for i, mut := range bad {
		c := Config{}
		mut(&c)
		if _, err := NewRun(c, data); err == nil || !strings.HasPrefix(err.Error(), "spiral: ") {
			t.Errorf("case %d: %v", i, err)
		}
	}
	if _, err := NewRun(Config{}, &Data{}); err == nil {
		t.Error("empty data accepted")
	}
}

func TestCurve(t *testing.T) {
	data := mustData(t)
	u1, u2, err := Curve(context.Background(), ode.Plain(TrueDynamics), 59, DataTol, DataTol)
	if err != nil {
		t.Fatal(err)
	}
	// Every second point of a 59-point curve is an observation time.
	for i := 0; i < 59; i += 2 {
		if math.Abs(u1[i]-data.U[i/2].At(0, 0)) > 1e-9 || math.Abs(u2[i]-data.U[i/2].At(0, 1)) > 1e-9 {
			t.Fatalf("point %d: (%v, %v), data %v", i, u1[i], u2[i], data.U[i/2].Data)
		}
	}
	if _, _, err := Curve(context.Background(), ode.Plain(TrueDynamics), 1, 1e-6, 1e-6); err == nil {
		t.Error("a one-point curve was accepted")
	}
}

func TestLearningRateSchedule(t *testing.T) {
	c := Config{}.withDefaults()
	lr := c.lrSchedule()
	if lr.At(1) != 0.1 || math.Abs(lr.At(c.Iterations)-0.003) > 1e-15 {
		t.Errorf("learning rate %v at the first step and %v at the last, want 0.1 and 0.003", lr.At(1), lr.At(c.Iterations))
	}
	if mid := lr.At(c.Iterations/2 + 1); math.Abs(mid-math.Sqrt(0.1*0.003)) > 1e-4 {
		t.Errorf("learning rate halfway %v, want the geometric mean %v", mid, math.Sqrt(0.1*0.003))
	}
	c.LRFinal = 0
	if c.lrSchedule().At(3000) != 0.1 {
		t.Error("LRFinal = 0 must give a constant rate")
	}
	f := Full().withDefaults()
	if f.Tol != 1.4e-8 || f.Iterations != 10000 || f.LR != 0.1 || f.LRFinal != 0.003 || f.Reg.ErrorCoef != 0.1 || f.Reg.ErrorCoefFinal != 1e-6 {
		t.Errorf("full config %+v", f)
	}
	// A set LR (or error coefficient) with a zero final value is constant.
	k := Config{LR: 0.05, Reg: train.Regularization{ErrorCoef: 0.2}}.withDefaults()
	if k.LRFinal != 0 || k.Reg.ErrorCoefFinal != 0 || k.lrSchedule().At(100) != 0.05 {
		t.Errorf("constant rate and coefficient: %+v", k)
	}
}

// A run trained to a budget resumes bit-identically: parameters, history
// and the controller's coefficients; its coefficient moves, its metrics
// report it, and a checkpoint without the budget section is refused.
func TestBudgetResumeIsBitIdentical(t *testing.T) {
	data := mustData(t)
	cfg := Config{Seed: 1999, Iterations: 30, PredictRepeats: 1, Reg: train.Regularization{Method: train.Method{Error: true}},
		Budget: train.Budget{NFE: 60, Smoothing: 3}}
	ctx := context.Background()
	rec := &traintest.Recorder{}
	whole, err := Train(ctx, cfg, data, train.RunOptions{Recorders: []train.Recorder{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ms := rec.Metrics
	if whole.Budget == nil || len(whole.Budget.Coefficients) == 0 || whole.Budget.CoefStart == whole.Budget.CoefEnd {
		t.Fatalf("budget outcome %+v: the coefficient did not move", whole.Budget)
	}
	for i, m := range ms {
		if m.Budget == nil || m.Coefficients["error"] != m.Budget.Coefficient || m.Budget.NFE != 60 {
			t.Fatalf("iteration %d: metrics %+v, budget %+v", i+1, m.Coefficients, m.Budget)
		}
	}

	path := filepath.Join(t.TempDir(), "spiral.ckpt")
	stop, cancel := context.WithCancel(ctx)
	if _, err := Train(stop, cfg, data, train.RunOptions{Checkpoint: path, Recorders: []train.Recorder{&traintest.Recorder{StopAt: 15, Cancel: cancel}}}); err == nil {
		t.Fatal("the interrupted run did not stop")
	}
	resumed, err := Train(ctx, cfg, data, train.RunOptions{Resume: path})
	if err != nil {
		t.Fatal(err)
	}
	a, b := nn.Flatten(whole.Model.Params()).CopyTo(nil), nn.Flatten(resumed.Model.Params()).CopyTo(nil)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("parameter %d: %v uninterrupted, %v resumed", i, a[i], b[i])
		}
	}
	wc, rc := whole.Budget.Coefficients, resumed.Budget.Coefficients
	if len(wc) != len(rc) || whole.Budget.Verdict != resumed.Budget.Verdict {
		t.Fatalf("outcomes differ: %+v vs %+v", whole.Budget, resumed.Budget)
	}
	for i := range wc {
		if math.Float64bits(wc[i]) != math.Float64bits(rc[i]) {
			t.Fatalf("coefficient %d: %v uninterrupted, %v resumed", i, wc[i], rc[i])
		}
	}
	// The same configuration without the budget cannot resume it.
	other := cfg
	other.Budget = train.Budget{}
	if _, err := Train(ctx, other, data, train.RunOptions{Resume: path}); !errors.Is(err, train.ErrCheckpoint) {
		t.Errorf("resume without the budget: %v", err)
	}
}

// A prediction-time budget is converted to NFE by the measured time per
// NFE, and the outcome records the conversion.
func TestPredictTimeBudget(t *testing.T) {
	data := mustData(t)
	cfg := Config{Seed: 3, Iterations: 4, PredictRepeats: 3, Reg: train.Regularization{Method: train.Method{Error: true}},
		Budget: train.Budget{PredictTime: 50 * time.Millisecond}}
	res, err := Train(context.Background(), cfg, data, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Budget
	if o == nil || !(o.TimePerNFES > 0) || o.PredictTimeS != 0.05 || math.Abs(o.NFE-math.Floor(0.05/o.TimePerNFES)) > 1 {
		t.Fatalf("outcome %+v", o)
	}
	if !strings.Contains(o.Verdict, "ms of prediction") {
		t.Errorf("verdict %q does not state the time budget", o.Verdict)
	}
}

// A budget on TayNODE sets the coefficient of the augmented solve.
func TestBudgetOnTayNODE(t *testing.T) {
	data := mustData(t)
	cfg := Config{Seed: 5, Iterations: 8, PredictRepeats: 1, Reg: train.Regularization{Method: train.Method{TayNODE: true}},
		Budget: train.Budget{NFE: 30, Regularizer: "taynode", Smoothing: 2}}
	rec := &traintest.Recorder{}
	res, err := Train(context.Background(), cfg, data, train.RunOptions{Recorders: []train.Recorder{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ms := rec.Metrics
	if res.Budget == nil || res.Budget.Regularizer != "taynode" || res.Budget.CoefStart == res.Budget.CoefEnd {
		t.Fatalf("outcome %+v", res.Budget)
	}
	for i, m := range ms {
		if m.Coefficients["taynode"] != m.Budget.Coefficient {
			t.Fatalf("iteration %d: taynode coefficient %v, the budget's %v", i+1, m.Coefficients["taynode"], m.Budget.Coefficient)
		}
	}
}
