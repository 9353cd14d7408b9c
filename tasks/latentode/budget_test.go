package latentode

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/internal/flagtest"
	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// records loads the committed set-a archive once for the tests (skipping
// them where it is missing).
func records(t *testing.T) *Data {
	t.Helper()
	loaded.once.Do(func() { loaded.d, loaded.err = LoadData("", DefaultDataSeed) })
	if loaded.err != nil {
		t.Skip(loaded.err)
	}
	return loaded.d
}

var loaded struct {
	once sync.Once
	d    *Data
	err  error
}

// tinyConfig is a run of 8 iterations (2 epochs of 4 batches of 16
// records) at a loose tolerance.
func tinyConfig(m train.Method) Config {
	cfg := Config{Seed: 1, Epochs: 2, BatchSize: 16, TrainRecords: 64, TestRecords: 16, Tol: 1e-5, PredictRepeats: 1}
	cfg.Reg.Method = m
	return cfg
}

func sameParams(t *testing.T, what string, a, b *Model) {
	t.Helper()
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		for k, v := range pa[i].Value.Data {
			if math.Float64bits(v) != math.Float64bits(pb[i].Value.Data[k]) {
				t.Fatalf("%s: parameter %s element %d: %v vs %v", what, pa[i].Name, k, v, pb[i].Value.Data[k])
			}
		}
	}
}

// TestBudgetedRun: with an NFE budget below anything the tiny model
// reaches, the controller sets the error coefficient of every iteration
// (starting at --error-coef's value, then rising), the objective the
// gradient is of uses it, the metrics record it, and the outcome is judged
// on the prediction's NFE and loss (the table's NFE and train loss). The
// metrics' loss stays the negative log-likelihood, and the first iteration
// (same coefficient as the annealing's first) is the unbudgeted one's.
func TestBudgetedRun(t *testing.T) {
	data := records(t)
	ctx := context.Background()
	plain := tinyConfig(train.Method{Error: true})
	prec := &traintest.Recorder{}
	if _, err := Train(ctx, plain, data, train.RunOptions{Recorders: []train.Recorder{prec}}); err != nil {
		t.Fatal(err)
	}
	pm := prec.Metrics
	cfg := plain
	cfg.Budget = train.Budget{NFE: 5, Smoothing: 2}
	rec := &traintest.Recorder{}
	res, err := Train(ctx, cfg, data, train.RunOptions{Recorders: []train.Recorder{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ms := rec.Metrics
	if pm[0].Budget != nil || pm[3].Coefficients["error"] != 1000 || pm[4].Coefficients["error"] >= 1000 {
		t.Fatalf("without a budget: budget metrics %+v, error coefficients %v, %v; want none and the annealing from 1000", pm[0].Budget, pm[3].Coefficients["error"], pm[4].Coefficients["error"])
	}
	o := res.Budget
	if o == nil || o.Regularizer != "error" || o.NFE != 5 || o.CoefStart != 1000 || !(o.CoefEnd > o.CoefStart) || len(o.Coefficients) != 8 ||
		o.PredictNFE != float64(res.Prediction.NFE) || o.PredictLoss != res.Prediction.Loss || o.Met || !strings.Contains(o.Verdict, "NOT met") {
		t.Fatalf("outcome %+v", o)
	}
	// The loss guards read the batches' masked squared error, in the
	// units of the prediction's loss (far below the NLL of these
	// iterations).
	if !(o.BestLoss > 0) || o.BestLoss > 1 || !(ms[len(ms)-1].Loss > 10) {
		t.Errorf("best loss %v, last NLL %v: want the squared error (0 < x < 1) and the NLL (> 10)", o.BestLoss, ms[len(ms)-1].Loss)
	}
	if len(ms) != 8 {
		t.Fatalf("%d metrics, want 8", len(ms))
	}
	changed := false
	for i, m := range ms {
		c := m.Coefficients["error"]
		if m.Budget == nil || c != m.Budget.Coefficient || c != o.Coefficients[i] || m.Budget.NFE != 5 || m.Budget.SmoothedNFE <= 0 {
			t.Fatalf("iteration %d: coefficients %v, budget %+v, outcome's %v", i+1, m.Coefficients, m.Budget, o.Coefficients)
		}
		if i > 0 && c != ms[i-1].Budget.Next {
			t.Errorf("iteration %d used %v, the controller's next after iteration %d was %v", i+1, c, i, ms[i-1].Budget.Next)
		}
		// The objective is of that coefficient: NLL + KL weight x KL +
		// error coefficient x R_E.
		want := m.Loss + m.Coefficients["kl"]*m.Regularizers["kl"] + c*m.Regularizers["error"]
		if math.Abs(m.Objective-want) > 1e-9*math.Abs(want) {
			t.Errorf("iteration %d: objective %v, want %v with coefficient %v", i+1, m.Objective, want, c)
		}
		if m.Loss != res.History[i].NLL {
			t.Errorf("iteration %d: metrics loss %v, the NLL %v", i+1, m.Loss, res.History[i].NLL)
		}
		changed = changed || (i > 0 && c != ms[i-1].Coefficients["error"])
	}
	if !changed {
		t.Error("the budgeted coefficient never changed")
	}
	a, b := pm[0], ms[0]
	if a.Objective != b.Objective || a.NFE != b.NFE || a.Loss != b.Loss {
		t.Errorf("first iteration: budgeted %+v, unbudgeted %+v; want the same bits", b, a)
	}
}

// TestBudgetInactive: a budget on a regularizer the method does not use
// leaves the run bit-identical to one without a budget, with no outcome.
func TestBudgetInactive(t *testing.T) {
	data := records(t)
	ctx := context.Background()
	for _, c := range []struct {
		method train.Method
		budget train.Budget
	}{{train.Method{}, train.Budget{NFE: 30}}, {train.Method{Error: true}, train.Budget{NFE: 30, Regularizer: "stiffness"}}} {
		cfg := tinyConfig(c.method)
		cfg.Iterations = 3
		prec, brec := &traintest.Recorder{}, &traintest.Recorder{}
		plain, err := Train(ctx, cfg, data, train.RunOptions{Recorders: []train.Recorder{prec}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Budget = c.budget
		budgeted, err := Train(ctx, cfg, data, train.RunOptions{Recorders: []train.Recorder{brec}})
		if err != nil {
			t.Fatal(err)
		}
		pm, bm := prec.Metrics, brec.Metrics
		if budgeted.Budget != nil {
			t.Errorf("%s with %+v: outcome %+v, want none", c.method, c.budget, budgeted.Budget)
		}
		sameParams(t, c.method.String(), plain.Model, budgeted.Model)
		for i := range pm {
			if bm[i].Budget != nil || math.Float64bits(pm[i].Objective) != math.Float64bits(bm[i].Objective) || pm[i].NFE != bm[i].NFE || pm[i].Coefficients["error"] != bm[i].Coefficients["error"] {
				t.Errorf("%s iteration %d: %+v with the budget, %+v without", c.method, i+1, bm[i], pm[i])
			}
		}
		if plain.Prediction.NFE != budgeted.Prediction.NFE || plain.TestLoss != budgeted.TestLoss {
			t.Errorf("%s: prediction NFE %d vs %d, test loss %v vs %v", c.method, budgeted.Prediction.NFE, plain.Prediction.NFE, budgeted.TestLoss, plain.TestLoss)
		}
	}
}

// TestResumeBitIdentical: a run interrupted after 3 iterations and resumed
// from its checkpoint ends with the bits of an uninterrupted one, also when
// it trains to a budget (the controller's coefficients and verdict too),
// and a budgeted run's checkpoint does not resume without its budget.
func TestResumeBitIdentical(t *testing.T) {
	data := records(t)
	ctx := context.Background()
	budgeted := tinyConfig(train.Method{Error: true})
	budgeted.Budget = train.Budget{NFE: 5, Smoothing: 2}
	// Without a budget the fingerprint is what it was before budgets (old
	// checkpoints resume); with one it names the budget.
	if plain := tinyConfig(train.Method{Error: true}); strings.Contains(plain.fingerprint(), "budget") || !strings.Contains(budgeted.fingerprint(), `"budget":{"nfe":5,`) {
		t.Errorf("fingerprints %q, %q", plain.fingerprint(), budgeted.fingerprint())
	}
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"error", tinyConfig(train.Method{Error: true})}, {"error with a budget", budgeted}} {
		cfg := c.cfg
		whole, err := Train(ctx, cfg, data, train.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ck := filepath.Join(t.TempDir(), "run.ckpt")
		cctx, cancel := context.WithCancel(ctx)
		_, err = Train(cctx, cfg, data, train.RunOptions{Checkpoint: ck, Recorders: []train.Recorder{&traintest.Recorder{StopAt: 3, Cancel: cancel}}})
		cancel()
		var ie *train.InterruptedError
		if !errors.As(err, &ie) || ie.Iteration != 3 {
			t.Fatalf("%s: interrupted run: %v", c.name, err)
		}
		resumed, err := Train(ctx, cfg, data, train.RunOptions{Resume: ck})
		if err != nil {
			t.Fatal(err)
		}
		sameParams(t, c.name, whole.Model, resumed.Model)
		if len(resumed.History) != 8 || resumed.History[7] != whole.History[7] || resumed.Prediction.NFE != whole.Prediction.NFE || resumed.TestLoss != whole.TestLoss {
			t.Errorf("%s: resumed history %v, prediction NFE %d, test loss %v; uninterrupted %v, %d, %v", c.name,
				resumed.History, resumed.Prediction.NFE, resumed.TestLoss, whole.History, whole.Prediction.NFE, whole.TestLoss)
		}
		if !cfg.Budget.IsSet() {
			if whole.Budget != nil || resumed.Budget != nil {
				t.Errorf("%s: outcomes %+v, %+v without a budget", c.name, whole.Budget, resumed.Budget)
			}
			continue
		}
		wo, ro := whole.Budget, resumed.Budget
		if wo == nil || ro == nil || len(wo.Coefficients) != 8 || len(ro.Coefficients) != 8 || wo.Verdict != ro.Verdict ||
			math.Float64bits(wo.BestLoss) != math.Float64bits(ro.BestLoss) {
			t.Fatalf("%s: outcomes differ: %+v vs %+v", c.name, wo, ro)
		}
		for i := range wo.Coefficients {
			if math.Float64bits(wo.Coefficients[i]) != math.Float64bits(ro.Coefficients[i]) {
				t.Fatalf("%s: coefficient %d: %v uninterrupted, %v resumed", c.name, i+1, wo.Coefficients[i], ro.Coefficients[i])
			}
		}
		other := cfg
		other.Budget = train.Budget{}
		if _, err := Train(ctx, other, data, train.RunOptions{Resume: ck}); !errors.Is(err, train.ErrCheckpoint) {
			t.Errorf("%s: resume without the budget: %v, want a checkpoint error", c.name, err)
		}
	}
}

// TestPredictTimeBudget: a prediction-time budget is converted to NFE by
// the measured time per NFE of the prediction pass.
func TestPredictTimeBudget(t *testing.T) {
	data := records(t)
	cfg := tinyConfig(train.Method{Error: true})
	cfg.Iterations = 4
	cfg.Budget = train.Budget{PredictTime: 50 * time.Millisecond, Smoothing: 2}
	res, err := Train(context.Background(), cfg, data, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Budget
	if o == nil || !(o.TimePerNFES > 0) || !(o.NFE >= 1) || o.PredictTimeS != 0.05 || math.Abs(o.NFE-math.Max(1, math.Floor(0.05/o.TimePerNFES))) > 1e-9 {
		t.Fatalf("outcome %+v", o)
	}
	if !strings.Contains(o.Verdict, "ms of prediction") {
		t.Errorf("verdict %q does not state the time budget", o.Verdict)
	}
}

// TestSquaredErrorOfNLL: the loss the controller reads, the NLL converted
// to the masked squared error, is MaskedSquaredError's mean on the same
// reconstruction (same noise).
func TestSquaredErrorOfNLL(t *testing.T) {
	m, _ := NewModel(smallArch, 2)
	b := smallBatch(rand.New(rand.NewPCG(3, 3)))
	opts := ode.Options{RTol: 1e-6, ATol: 1e-6}
	o, err := m.Gradient(context.Background(), b, nil, rand.New(rand.NewPCG(8, 8)), opts, Coefs{KL: 0.5, Error: 10})
	if err != nil {
		t.Fatal(err)
	}
	recon, _, err := m.Forward(context.Background(), b, rand.New(rand.NewPCG(8, 8)), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := mean(MaskedSquaredError(b, recon))
	if got := m.squaredError(b, o.NLL); !(want > 0) || math.Abs(got-want) > 1e-9*want {
		t.Errorf("squared error from the NLL %v: %v, MaskedSquaredError %v", o.NLL, got, want)
	}
}

// setup runs the task's Setup for methods with the command-line args.
func setup(t *testing.T, methods string, args ...string) (tasks.Task, error) {
	t.Helper()
	tk, err := tasks.New(TaskName)
	if err != nil {
		t.Fatal(err)
	}
	fs := flagtest.New()
	tk.Flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var ms []train.Method
	for _, name := range strings.Split(methods, ",") {
		m, err := train.ParseMethod(name)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return tk, tk.Setup(tasks.Settings{Scale: tasks.Default, Methods: ms, Seeds: []uint64{1}})
}

// Bad budget flags are usage errors naming the flag and the fix; beside a
// method with the regularizer, vanilla trains unbudgeted.
func TestBudgetSetupErrors(t *testing.T) {
	for _, c := range []struct {
		methods string
		args    []string
		want    string
	}{
		{"vanilla", []string{"--nfe-budget", "30"}, "--nfe-budget 30: a budget sets the coefficient of the error regularizer, which vanilla does not use"},
		{"steer", []string{"--nfe-budget", "30"}, "which steer does not use"},
		{"error", []string{"--nfe-budget", "30", "--error-coef-final", "5"}, "--error-coef-final: with --nfe-budget 30 the error coefficient is set online"},
		{"error", []string{"--predict-time-budget", "1ms", "--error-coef-final", "5"}, "--error-coef-final: with --predict-time-budget 1ms"},
		{"error", []string{"--nfe-budget", "0.5"}, "--nfe-budget 0.5: give at least 1 evaluation"},
		{"error", []string{"--nfe-budget", "30", "--predict-time-budget", "1ms"}, "give one budget, not both"},
		{"error", []string{"--nfe-budget", "30", "--budget-regularizer", "stiffness"}, "the stiffness regularizer, which error does not use"},
	} {
		_, err := setup(t, c.methods, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want one containing %q", c.methods, c.args, err, c.want)
		}
	}
	for _, c := range []struct {
		methods string
		args    []string
	}{
		{"vanilla,error", []string{"--nfe-budget", "30"}},
		{"taynode", []string{"--nfe-budget", "30", "--budget-regularizer", "taynode"}},
		{"vanilla", nil},
	} {
		if _, err := setup(t, c.methods, c.args...); err != nil {
			t.Errorf("%s %v: %v", c.methods, c.args, err)
		}
	}
}

// TestTaskRecordsBudget: a budgeted run of the task records its outcome as
// the run's budget, and the results' configuration describes the budget.
func TestTaskRecordsBudget(t *testing.T) {
	records(t) // skips without the archive
	tk, err := setup(t, "error", "--batch", "16", "--train-records", "64", "--test-records", "16", "--tol", "1e-5",
		"--iters", "3", "--predict-repeats", "1", "--nfe-budget", "5", "--budget-smoothing", "2")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := tk.Run(context.Background(), tasks.RunSpec{Method: train.Method{Error: true}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := rec.Run.Budget
	if b == nil || b.NFE != 5 || b.PredictNFE != float64(rec.Run.NFE) || b.PredictLoss != rec.Run.TrainLoss || len(b.Coefficients) != 3 || b.Verdict == "" {
		t.Fatalf("run %+v, budget %+v", rec.Run, b)
	}
	res, err := tk.Report([]tasks.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := res.Config.(map[string]any)
	got, ok := c["budget"].(train.Budget)
	sig, _ := c["budget_signal"].(string)
	if !ok || got.NFE != 5 || !strings.Contains(sig, "forward NFE of each training solve (batch 16)") || !strings.Contains(sig, "replaces the per-epoch annealing") {
		t.Errorf("config budget %v, signal %q", c["budget"], sig)
	}
}
