package mnistnode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/flagtest"
	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// writeIDX writes the first nTrain training and nTest test images of ds
// (resized to side x side by taking the top-left corner when side < 28) as
// the four IDX files into a new folder and returns it.
func writeIDX(t *testing.T, ds *mnist.Dataset, nTrain, nTest, side int) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, set *mnist.Set, n int) {
		var img, lab bytes.Buffer
		for _, w := range []uint32{2051, uint32(n), uint32(side), uint32(side)} {
			binary.Write(&img, binary.BigEndian, w)
		}
		for _, w := range []uint32{2049, uint32(n)} {
			binary.Write(&lab, binary.BigEndian, w)
		}
		for i := 0; i < n; i++ {
			im := set.Image(i)
			for r := 0; r < side; r++ {
				for c := 0; c < side; c++ {
					img.WriteByte(byte(math.Round(im[r*set.Cols+c] * 255)))
				}
			}
			lab.WriteByte(set.Labels[i])
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-images-idx3-ubyte"), img.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-labels-idx1-ubyte"), lab.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("train", ds.Train, nTrain)
	write("t10k", ds.Test, nTest)
	return dir
}

// small returns a 600/200-image slice of real MNIST as an IDX folder,
// loaded.
func small(t *testing.T) *Data {
	t.Helper()
	full, err := LoadData("")
	if err != nil {
		t.Fatal(err) // go.mod requires GoMNIST, so its data are in the module cache
	}
	d, err := LoadData(writeIDX(t, full.Dataset, 600, 200, 28))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tiny is a training configuration of a few iterations.
func tiny(m train.Method) Config {
	return Config{Seed: 7, Epochs: 2, EpochIters: 2, Batch: 16, Tol: 1e-3, EvalImages: 100, PredictRepeats: 1,
		Reg: train.Regularization{Method: m}}
}

func TestTrainOnRealMNIST(t *testing.T) {
	d := small(t)
	ctx := context.Background()
	for _, name := range []string{"vanilla", "error+stiffness", "steer", "taynode"} {
		m, err := train.ParseMethod(name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Train(ctx, tiny(m), d, train.RunOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Iterations != 4 || len(res.NFE) != 4 || len(res.Evals) != 3 || res.Images != 64 {
			t.Fatalf("%s: %d iterations, %d NFE, %d evaluations, %d images; want 4, 4, 3 (epochs 0, 1, 2), 64",
				name, res.Iterations, len(res.NFE), len(res.Evals), res.Images)
		}
		for i, e := range res.Evals {
			if e.Epoch != i || e.Iteration != 2*i || e.PredNFE < 9 {
				t.Errorf("%s: evaluation %d = %+v", name, i, e)
			}
		}
		if res.Test.N != 200 || res.Train.N != 100 || res.Prediction.NFE < 9 || res.TrainTime <= 0 {
			t.Errorf("%s: test %+v, train %+v, prediction %+v, train time %v", name, res.Test, res.Train, res.Prediction, res.TrainTime)
		}
		// Four Momentum steps on 64 images already beat chance (10%).
		if res.Test.Accuracy < 0.2 || math.IsNaN(res.Test.Loss) {
			t.Errorf("%s: test accuracy %.3f, loss %v after 4 iterations", name, res.Test.Accuracy, res.Test.Loss)
		}
	}
}

// Training the same seed twice gives the same bits; a resumed run gives
// the bits of an uninterrupted one (evaluations included), also when it
// trains to a budget (the controller's coefficients too), and a budgeted
// run's checkpoint does not resume without its budget.
func TestResumeBitIdentical(t *testing.T) {
	d := small(t)
	ctx := context.Background()
	budgeted := tiny(train.Method{Error: true})
	// Below any NFE the tiny model reaches: the controller raises the
	// coefficient after the warm-up (the first iteration).
	budgeted.Budget = train.Budget{NFE: 5, Smoothing: 2}
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"error", tiny(train.Method{Error: true})}, {"error with a budget", budgeted}} {
		cfg := c.cfg
		rec := &traintest.Recorder{}
		whole, err := Train(ctx, cfg, d, train.RunOptions{Recorders: []train.Recorder{rec}})
		if err != nil {
			t.Fatal(err)
		}
		ms := rec.Metrics
		ck := filepath.Join(t.TempDir(), "run.ckpt")
		// Stop after 3 iterations (in the second epoch, after its evaluation).
		cctx, cancel := context.WithCancel(ctx)
		_, err = Train(cctx, cfg, d, train.RunOptions{Checkpoint: ck, Recorders: []train.Recorder{&traintest.Recorder{StopAt: 3, Cancel: cancel}}})
		cancel()
		var ie *train.InterruptedError
		if !errors.As(err, &ie) || ie.Iteration != 3 {
			t.Fatalf("%s: interrupted run: %v", c.name, err)
		}
		resumed, err := Train(ctx, cfg, d, train.RunOptions{Resume: ck})
		if err != nil {
			t.Fatal(err)
		}
		a, b := whole.Model.Params(), resumed.Model.Params()
		for i := range a {
			for k, v := range a[i].Value.Data {
				if math.Float64bits(v) != math.Float64bits(b[i].Value.Data[k]) {
					t.Fatalf("%s: parameter %d element %d: %v uninterrupted, %v resumed", c.name, i, k, v, b[i].Value.Data[k])
				}
			}
		}
		if len(resumed.Evals) != len(whole.Evals) || resumed.Evals[1].TestAcc != whole.Evals[1].TestAcc || resumed.Test != whole.Test {
			t.Errorf("%s: evaluations differ: %+v vs %+v", c.name, resumed.Evals, whole.Evals)
		}
		if len(resumed.NFE) != 4 || resumed.NFE[3] != whole.NFE[3] {
			t.Errorf("%s: NFE history %v, want %v", c.name, resumed.NFE, whole.NFE)
		}
		if !cfg.Budget.IsSet() {
			if whole.Budget != nil || ms[0].Budget != nil || ms[3].Coefficients["error"] == ms[0].Coefficients["error"] {
				t.Errorf("%s: a run without a budget has outcome %+v, metrics %+v; want none and the annealed coefficient", c.name, whole.Budget, ms[0].Budget)
			}
			continue
		}

		// The controller sets the coefficient the solves use, starting
		// at --error-coef's 100, and records it.
		o := whole.Budget
		if o == nil || o.Regularizer != "error" || o.NFE != 5 || o.CoefStart != 100 || !(o.CoefEnd > o.CoefStart) || len(o.Coefficients) != 4 ||
			o.PredictNFE != float64(whole.Prediction.NFE) || o.PredictLoss != whole.Train.Loss || o.Met || !strings.Contains(o.Verdict, "NOT met") {
			t.Fatalf("%s: outcome %+v", c.name, o)
		}
		for i, m := range ms {
			if m.Budget == nil || m.Coefficients["error"] != m.Budget.Coefficient || m.Budget.Coefficient != o.Coefficients[i] || m.Budget.NFE != 5 {
				t.Fatalf("%s: iteration %d: coefficients %v, budget %+v, outcome's %v", c.name, i+1, m.Coefficients, m.Budget, o.Coefficients)
			}
		}
		wc, rc := o.Coefficients, resumed.Budget.Coefficients
		if len(wc) != len(rc) || o.Verdict != resumed.Budget.Verdict {
			t.Fatalf("%s: outcomes differ: %+v vs %+v", c.name, o, resumed.Budget)
		}
		for i := range wc {
			if math.Float64bits(wc[i]) != math.Float64bits(rc[i]) {
				t.Fatalf("%s: coefficient %d: %v uninterrupted, %v resumed", c.name, i, wc[i], rc[i])
			}
		}
		other := cfg
		other.Budget = train.Budget{}
		if _, err := Train(ctx, other, d, train.RunOptions{Resume: ck}); !errors.Is(err, train.ErrCheckpoint) {
			t.Errorf("%s: resume without the budget: %v", c.name, err)
		}
	}
}

// The gradient of one iteration's loss (cross-entropy of the head on the
// solved state) with respect to a weight of the dynamics and one of the
// head matches central differences.
func TestLossGradient(t *testing.T) {
	d := small(t)
	ctx := context.Background()
	m := NewModel(3)
	x := rows(d.Train, 0, 3)
	yh := tensor.New(3, Classes)
	mnist.OneHot(yh.Data, d.Train.Labels[:3], Classes)
	const tol = 1e-10
	lossOf := func(grad bool) float64 {
		sol, err := ode.Solve(ctx, m.problem(x, T), &ode.Options{RTol: tol, ATol: tol, Adjoint: grad})
		if err != nil {
			t.Fatal(err)
		}
		tp := ad.NewTape()
		z1 := tp.Leaf(sol.Z[len(sol.Z)-1], grad)
		loss := nn.LogitCrossEntropy(m.Head.Forward(z1), tp.Const(yh))
		if grad {
			nn.ZeroGrad(m.Params())
			tp.Backward(loss)
			if _, err := sol.Backward(ctx, []*tensor.Dense{tp.Grad(z1)}, ode.Regularization{}); err != nil {
				t.Fatal(err)
			}
		}
		return loss.Value().Data[0]
	}
	lossOf(true)
	params := m.Params()
	for _, c := range []struct {
		name  string
		p     *ad.Param
		index int
	}{{"dynamics W1", params[0], 250*Hidden + 7}, {"dynamics W1 time row", params[0], Dim*Hidden + 3}, {"dynamics W2", params[2], 5*Dim + 300}, {"head W", params[4], 400*Classes + 2}, {"head b", params[5], 4}} {
		g := c.p.Grad.Data[c.index]
		const h = 1e-5
		v := c.p.Value.Data[c.index]
		c.p.Value.Data[c.index] = v + h
		lp := lossOf(false)
		c.p.Value.Data[c.index] = v - h
		lm := lossOf(false)
		c.p.Value.Data[c.index] = v
		fd := (lp - lm) / (2 * h)
		if math.Abs(g-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("%s[%d]: gradient %.10g, central difference %.10g", c.name, c.index, g, fd)
		}
	}
}

func newRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func TestTaskSaveEvaluateAndWrongModels(t *testing.T) {
	d := small(t)
	ctx := context.Background()
	tk, err := tasks.New(Name)
	if err != nil {
		t.Fatal(err)
	}
	fs := flagtest.New()
	tk.Flags(fs)
	if err := fs.Parse([]string{"--data", d.Dir, "--epochs", "1", "--epoch-iters", "3", "--batch", "16", "--tol", "1e-3", "--eval-images", "50", "--predict-repeats", "1"}); err != nil {
		t.Fatal(err)
	}
	m, _ := train.ParseMethod("error")
	if err := tk.Setup(tasks.Settings{Scale: tasks.Default, Methods: []train.Method{m}, Seeds: []uint64{5}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(t.TempDir(), "model.wbm")
	rec, err := tk.Run(ctx, tasks.RunSpec{Method: m, Seed: 5, Save: model})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Run.TestAccuracy == nil || rec.Run.NFE < 9 || rec.Run.Iterations != 3 {
		t.Fatalf("record %+v", rec.Run)
	}
	var x extra
	if err := rec.Decode(&x); err != nil || x.Trace == nil || len(x.Trace.H) == 0 || x.ImagesPerS <= 0 {
		t.Fatalf("extras %+v: %v", x, err)
	}
	ev := tk.(tasks.Evaluator)
	res, err := ev.Evaluate(ctx, tasks.EvalSpec{Model: model, Data: d.Dir, Repeats: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The saved model is the trained one: same test accuracy and NFE.
	if res.Method != "error" || res.Seed != 5 || res.Examples != 200 || *res.TestAccuracy != *rec.Run.TestAccuracy || res.NFE != rec.Run.NFE {
		t.Errorf("evaluation %+v (accuracy %v), record %+v (accuracy %v)", res, *res.TestAccuracy, rec.Run, *rec.Run.TestAccuracy)
	}

	// The report's checks and figures come from the records.
	r, err := tk.Report([]tasks.Record{rec})
	if err != nil || r.Extras == nil || len(r.Notes) == 0 {
		t.Fatalf("report %+v: %v", r, err)
	}

	dir := t.TempDir()
	// A model of another task.
	other := filepath.Join(dir, "spiral.wbm")
	if err := tasks.SaveModel(other, nn.NewChain(nn.NewDense(2, 2, nn.Identity, newRNG())), tasks.ModelMeta{Task: "spiral"}, nil); err != nil {
		t.Fatal(err)
	}
	// A model file with no task.
	plain := filepath.Join(dir, "plain.wbm")
	if err := nn.Save(plain, NewModel(1).Module()); err != nil {
		t.Fatal(err)
	}
	// This task's name on another architecture (50 hidden units).
	rng := newRNG()
	narrow := &Model{Dynamics: nn.NewChain(nn.NewTimeDense(Dim, 50, nn.Tanh, rng), nn.NewTimeDense(50, Dim, nn.Tanh, rng)), Head: nn.NewDense(Dim, Classes, nn.Identity, rng)}
	shape := filepath.Join(dir, "narrow.wbm")
	if err := tasks.SaveModel(shape, narrow.Module(), tasks.ModelMeta{Task: Name}, ModelConfig{Dim: Dim, Hidden: Hidden, Classes: Classes, T: T, Tol: 1e-4}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, want string
	}{{other, `saved by task "spiral"`}, {plain, "records no task"}, {shape, "architecture"}} {
		_, err := ev.Evaluate(ctx, tasks.EvalSpec{Model: c.path, Data: d.Dir})
		if !errors.Is(err, tasks.ErrWrongModel) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrWrongModel saying %q", filepath.Base(c.path), err, c.want)
		}
	}
	// Data of another image size.
	full, _ := LoadData("")
	_, err = ev.Evaluate(ctx, tasks.EvalSpec{Model: model, Data: writeIDX(t, full.Dataset, 600, 10, 14)})
	if err == nil || !strings.Contains(err.Error(), "14x14") || !strings.Contains(err.Error(), "28x28") {
		t.Errorf("14x14 data: error %v", err)
	}
	// A folder without the files.
	_, err = ev.Evaluate(ctx, tasks.EvalSpec{Model: model, Data: dir})
	if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("empty folder: error %v", err)
	}
}

func TestSetupErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", "/nonexistent"}, "not a folder"},
		{[]string{"--steer-b", "1"}, "--steer-b 1"},
		{[]string{"--batch", "0"}, "--batch 0"},
		{[]string{"--tol", "-1"}, "--tol -1"},
	} {
		tk, _ := tasks.New(Name)
		fs := flagtest.New()
		tk.Flags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		m, _ := train.ParseMethod("steer")
		err := tk.Setup(tasks.Settings{Scale: tasks.Default, Methods: []train.Method{m}, Seeds: []uint64{1}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func TestChecks(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	mk := func(nfe, acc, tt float64) []report.Run {
		return []report.Run{
			{Method: "vanilla", NFE: 60, TestAccuracy: f(0.90), TrainTimeS: 100, TestLoss: f(0.3)},
			{Method: "error", NFE: int(nfe), TestAccuracy: f(acc), TrainTimeS: tt, TestLoss: f(0.3)},
		}
	}
	for _, c := range []struct {
		runs []report.Run
		pass []bool
	}{
		{mk(45, 0.895, 90), []bool{true, true, true}},
		{mk(50, 0.895, 90), []bool{false, true, true}},
		{mk(45, 0.885, 90), []bool{true, false, true}},
		{mk(45, 0.91, 101), []bool{true, true, false}},
	} {
		r := &report.Results{Runs: c.runs, Summary: report.Summarize(c.runs, []string{"vanilla", "error"})}
		checks, verdict := Checks(r)
		all := true
		for i, ch := range checks {
			all = all && ch.Pass
			if ch.Pass != c.pass[i] || !strings.HasPrefix(ch.Text, "Check ") {
				t.Errorf("%+v: check %d = %+v, want pass %v", c.runs[1], i, ch, c.pass[i])
			}
		}
		if all != strings.Contains(verdict, "is shown") {
			t.Errorf("verdict %q for checks %+v", verdict, checks)
		}
	}
}

func TestErrorCoefficientPerEpoch(t *testing.T) {
	c := Config{Epochs: 75, Reg: train.Regularization{Method: train.Method{Error: true}}}.withDefaults()
	for _, e := range []int{0, 1, 74} {
		want := 100 * math.Exp(-math.Log(10)/75*float64(e))
		if got := c.regAt(e).Error; math.Abs(got-want) > 1e-12*want {
			t.Errorf("epoch %d: coefficient %v, want %v", e, got, want)
		}
	}
	c.Reg.Method.Stiffness = true
	r := c.regAt(10)
	if r.Error != 10 || r.Stiffness != 1 || r.ErrorAgg != ode.Mean || r.StiffnessAgg != ode.Mean {
		t.Errorf("error+stiffness: %+v, want 10 and 1, both mean", r)
	}
	c.Reg.Method.Error = false
	r = c.regAt(10)
	if r.Error != 0 || r.Stiffness != 0.1 || r.StiffnessAgg != ode.Max {
		t.Errorf("stiffness: %+v, want 0.1, max", r)
	}
}

// The gradient of the taynode and rnode objectives (cross entropy of the
// head on the augmented solve's model columns plus the weighted integral)
// matches central differences, for weights of the dynamics and the head.
func TestAugmentedObjectiveGradient(t *testing.T) {
	d := small(t)
	ctx := context.Background()
	x := rows(d.Train, 0, 2)
	yh := tensor.New(2, Classes)
	mnist.OneHot(yh.Data, d.Train.Labels[:2], Classes)
	const tol = 1e-10
	for _, name := range []string{"taynode", "rnode"} {
		meth, err := train.ParseMethod(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Reg: train.Regularization{Method: meth}}.withDefaults()
		rr := cfg.reg()
		// A weight large enough that the integral shapes the gradient.
		rr.TayNODECoef, rr.RNODEKineticCoef, rr.RNODEJacobianCoef = 1, 1, 1
		m := NewModel(5)
		objective := func(grad bool) (float64, *augmented) {
			a, err := augmentedObjective(ctx, m, x, yh, T, tol, 0, ode.Regularization{}, rr, 11, grad)
			if err != nil {
				t.Fatal(err)
			}
			defer a.sol.Release()
			j := a.loss
			for _, n := range a.aug.Names() {
				j += a.coefs[n] * a.values[n]
			}
			return j, a
		}
		nn.ZeroGrad(m.Params())
		_, a := objective(true)
		for _, n := range a.aug.Names() {
			if !(a.values[n] > 1e-3*a.loss) {
				t.Fatalf("%s: integral %s = %g is negligible beside the cross entropy %g", name, n, a.values[n], a.loss)
			}
		}
		params := m.Params()
		for _, c := range []struct {
			label string
			p     *ad.Param
			index int
		}{{"dynamics W1", params[0], 250*Hidden + 7}, {"dynamics W1 time row", params[0], Dim*Hidden + 3}, {"dynamics b2", params[3], 300}, {"head W", params[4], 400*Classes + 2}} {
			g := c.p.Grad.Data[c.index]
			const h = 1e-5
			v := c.p.Value.Data[c.index]
			c.p.Value.Data[c.index] = v + h
			jp, _ := objective(false)
			c.p.Value.Data[c.index] = v - h
			jm, _ := objective(false)
			c.p.Value.Data[c.index] = v
			fd := (jp - jm) / (2 * h)
			if math.Abs(g-fd) > 1e-5*math.Max(1e-3, math.Abs(fd)) {
				t.Errorf("%s %s[%d]: gradient %.10g, central difference %.10g", name, c.label, c.index, g, fd)
			}
		}
	}
}

// Bad budget flags are usage errors naming the flag and the fix.
func TestBudgetSetupErrors(t *testing.T) {
	for _, c := range []struct {
		method string
		args   []string
		want   string
	}{
		{"vanilla", []string{"--nfe-budget", "30"}, "--nfe-budget 30: a budget sets the coefficient of the error regularizer, which vanilla does not use"},
		{"error", []string{"--nfe-budget", "0.5"}, "--nfe-budget 0.5: give at least 1 evaluation"},
		{"error", []string{"--nfe-budget", "30", "--predict-time-budget", "1ms"}, "give one budget, not both"},
		{"error", []string{"--predict-time-budget", "soon"}, `--predict-time-budget "soon": give a positive duration`},
		{"error", []string{"--nfe-budget", "30", "--error-coef-final", "5"}, "--error-coef-final: with --nfe-budget 30 the error coefficient is set online"},
		{"error", []string{"--nfe-budget", "30", "--budget-regularizer", "stiffness"}, "the stiffness regularizer, which error does not use"},
		{"error", []string{"--nfe-budget", "30", "--budget-regularizer", "steer"}, `--budget-regularizer "steer": use error, stiffness, taynode or rnode`},
		{"error", []string{"--nfe-budget", "30", "--budget-smoothing", "-2"}, "--budget-smoothing -2"},
	} {
		tk, _ := tasks.New(Name)
		fs := flagtest.New()
		tk.Flags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		m, _ := train.ParseMethod(c.method)
		err := tk.Setup(tasks.Settings{Scale: tasks.Default, Methods: []train.Method{m}, Seeds: []uint64{1}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want one containing %q", c.method, c.args, err, c.want)
		}
	}
	// Beside a method with the regularizer, vanilla trains unbudgeted.
	tk, _ := tasks.New(Name)
	fs := flagtest.New()
	tk.Flags(fs)
	if err := fs.Parse([]string{"--nfe-budget", "30"}); err != nil {
		t.Fatal(err)
	}
	v, _ := train.ParseMethod("vanilla")
	e, _ := train.ParseMethod("error")
	if err := tk.Setup(tasks.Settings{Scale: tasks.Default, Methods: []train.Method{v, e}, Seeds: []uint64{1}}); err != nil {
		t.Errorf("vanilla and error with a budget: %v", err)
	}
}

// Without a budget the run's regularization is the per-epoch annealing;
// with one, the budgeted coefficient starts at the method's own (for
// error+stiffness the combination's) and is held constant over the epochs.
func TestBudgetRegularization(t *testing.T) {
	d := &Data{Dataset: &mnist.Dataset{Train: &mnist.Set{N: 64, Rows: 28, Cols: 28, Images: make([]float64, 64*Dim), Labels: make([]uint8, 64)}}}
	for _, c := range []struct {
		method string
		budget train.Budget
		start  float64
	}{{"error", train.Budget{}, 0}, {"error", train.Budget{NFE: 30}, 100}, {"error+stiffness", train.Budget{NFE: 30}, 10}, {"stiffness", train.Budget{NFE: 30, Regularizer: "stiffness"}, 0.1}} {
		m, _ := train.ParseMethod(c.method)
		cfg := Config{Epochs: 4, Batch: 16, Reg: train.Regularization{Method: m}, Budget: c.budget}
		r, err := NewRun(cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		b := r.Budget()
		if b.Active() != c.budget.IsSet() {
			t.Fatalf("%s %+v: controller active %v", c.method, c.budget, b.Active())
		}
		for e := range 4 {
			got, want := b.At(e, r.cfg.Epochs+1), r.cfg.regAt(e)
			if c.budget.IsSet() {
				if c.budget.Part() == "error" {
					want.Error = c.start
				} else {
					want.Stiffness = c.start
				}
			}
			if got != want {
				t.Errorf("%s %+v, epoch %d: regularization %+v, want %+v", c.method, c.budget, e, got, want)
			}
		}
	}
}

// A prediction-time budget is converted to NFE by the measured time per
// NFE of the prediction solve, and the outcome records the conversion.
func TestPredictTimeBudget(t *testing.T) {
	d := small(t)
	cfg := tiny(train.Method{Error: true})
	cfg.Budget = train.Budget{PredictTime: 50 * time.Millisecond, Smoothing: 2}
	res, err := Train(context.Background(), cfg, d, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Budget
	if o == nil || !(o.TimePerNFES > 0) || o.PredictTimeS != 0.05 || math.Abs(o.NFE-math.Max(1, math.Floor(0.05/o.TimePerNFES))) > 1 {
		t.Fatalf("outcome %+v", o)
	}
	if !strings.Contains(o.Verdict, "ms of prediction") {
		t.Errorf("verdict %q does not state the time budget", o.Verdict)
	}
}

// A budget on TayNODE sets the coefficient of the augmented solve.
func TestBudgetOnTayNODE(t *testing.T) {
	d := small(t)
	cfg := tiny(train.Method{TayNODE: true})
	// Three iterations in one epoch: the first ends the warm-up, the
	// second's average is above the setpoint, so the third's coefficient
	// is higher.
	cfg.Epochs, cfg.EpochIters = 1, 3
	cfg.Budget = train.Budget{NFE: 3, Regularizer: "taynode", Smoothing: 2}
	r, err := NewRun(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	rec := &traintest.Recorder{}
	l := r.Loop("taynode")
	l.Recorders = []train.Recorder{rec}
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms := rec.Metrics
	if len(ms) != 3 || ms[0].Coefficients["taynode"] != 3.02e-3 || !(ms[2].Coefficients["taynode"] > ms[0].Coefficients["taynode"]) {
		t.Fatalf("metrics %+v", ms)
	}
	for i, m := range ms {
		if m.Budget == nil || m.Coefficients["taynode"] != m.Budget.Coefficient {
			t.Fatalf("iteration %d: taynode coefficient %v, the budget's %+v", i+1, m.Coefficients["taynode"], m.Budget)
		}
	}
}
