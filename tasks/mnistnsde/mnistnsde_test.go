package mnistnsde

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

var (
	vanilla = train.Method{}
	errReg  = train.Method{Error: true}
)

// realData loads MNIST from the GoMNIST module (the tests use the real
// digits).
func realData(t *testing.T) *mnist.Dataset {
	t.Helper()
	ds, err := LoadData("")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// tinyConfig is a protocol of a few seconds: 16 images per iteration from
// the first 64, accuracy on 32 test images with 2 trajectories, prediction
// of 32 training images.
func tinyConfig(m train.Method) Config {
	c := Config{Seed: 5, Iterations: 6, Batch: 16, TrainSubset: 64, TestSubset: 32, Trajectories: 2,
		EvalEvery: 3, PredictImages: 32, PredictRepeats: 1}
	c.Reg.Method = m
	return c
}

// randomBatch returns n random images and labels.
func randomBatch(n int, seed uint64) (*tensor.Dense, *tensor.Dense, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := tensor.New(n, Pixels)
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(rng.IntN(Classes))
	}
	y := tensor.New(n, Classes)
	mnist.OneHot(y.Data, labels, Classes)
	return x, y, labels
}

// TestGradient checks the gradient of the whole objective (cross-entropy
// of the head's logits plus the error and stiffness regularizers, through
// head, SDE solve and embedding) against central differences along a
// random direction of every parameter. The steps are fixed (FixedStep), so
// that the step sequence, a constant of the discrete adjoint, does not move
// with the parameters; the noise is the same seeded path. The step 1e-7 is
// small because the stiffness estimate, a ratio of small differences, makes
// the objective strongly curved (at 1e-5 the central difference is off by
// 5e-6 relative).
func TestGradient(t *testing.T) {
	m := NewModel(rand.New(rand.NewPCG(3, 4)))
	x, y, labels := randomBatch(6, 9)
	for _, meth := range []sde.Method{sde.MethodSOSRI, sde.MethodSOSRI2} {
		opts := &sde.Options{Method: meth, RTol: 0.14, ATol: 0.14, FixedStep: true, Dt: 0.125, Seed: 11, Adjoint: true}
		reg := ode.Regularization{Error: 10, ErrorAgg: ode.Mean, Stiffness: 0.1, StiffnessAgg: ode.Mean}
		params := m.Params()
		for _, p := range params {
			p.Grad.Zero()
		}
		im, err := m.gradient(context.Background(), x, y, labels, opts, reg, ad.NewTape(), ad.NewTape())
		if err != nil {
			t.Fatal(err)
		}
		if !(im.RE > 0) || !(im.RS > 0) {
			t.Fatalf("%s: regularizers R_E = %v, R_S = %v; want both positive", meth, im.RE, im.RS)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		dirs := make([]*tensor.Dense, len(params))
		want := 0.0
		for i, p := range params {
			dirs[i] = tensor.New(p.Value.Rows, p.Value.Cols)
			for k := range dirs[i].Data {
				dirs[i].Data[k] = rng.NormFloat64()
				want += dirs[i].Data[k] * p.Grad.Data[k]
			}
		}
		fwd := *opts
		fwd.Adjoint = false
		objective := func(*tensor.Dense) (float64, error) {
			tp := ad.NewTape()
			z0 := m.Embed.Forward(tp.Const(x)).Value().Clone()
			sol, err := sde.Solve(context.Background(), m.Problem(z0), &fwd)
			if err != nil {
				return 0, err
			}
			l := nn.LogitCrossEntropy(m.Head.Forward(tp.Const(sol.Z[0])), tp.Const(y)).Scalar()
			return l + sol.Regularizer(reg), nil
		}
		one := tensor.New(1, 1)
		got, err := gradcheck.CentralDifferenceOf(objective, one, one, params, dirs, 1e-7)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: directional derivative: adjoint %.10g, central difference %.10g", meth, want, got)
		}
	}
}

// TestResume: a run interrupted after 2 iterations and resumed from its
// checkpoint ends with the same parameter bits, history and evaluations
// as an uninterrupted one (batches and Brownian paths are seeded per
// iteration), on real MNIST.
func TestResume(t *testing.T) {
	realData(t)
	cfg := tinyConfig(errReg)
	whole, err := Run(context.Background(), cfg, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &traintest.Recorder{StopAt: 2, Cancel: cancel}
	_, err = Run(ctx, cfg, train.RunOptions{Checkpoint: ckpt, Recorders: []train.Recorder{rec}})
	var ie *train.InterruptedError
	if !errors.As(err, &ie) || ie.Iteration != 2 {
		t.Fatalf("interrupted run: %v", err)
	}
	res, err := Run(context.Background(), cfg, train.RunOptions{Resume: ckpt})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Iterations) != cfg.Iterations || len(res.Evals) != len(whole.Evals) {
		t.Fatalf("resumed run has %d iterations and %d evaluations; uninterrupted %d and %d", len(res.Iterations), len(res.Evals), len(whole.Iterations), len(whole.Evals))
	}
	for i, m := range res.Iterations {
		w := whole.Iterations[i]
		if math.Float64bits(m.Loss) != math.Float64bits(w.Loss) || m.DriftNFE != w.DriftNFE || math.Float64bits(m.RE) != math.Float64bits(w.RE) {
			t.Errorf("iteration %d: resumed %+v, uninterrupted %+v", i+1, m, w)
		}
	}
	for i, e := range res.Evals {
		w := whole.Evals[i]
		if e.Iteration != w.Iteration || e.DriftNFE != w.DriftNFE || e.TestAccuracy != w.TestAccuracy {
			t.Errorf("evaluation %d: resumed %+v, uninterrupted %+v", i, e, w)
		}
	}
	pr, pw := res.Model.Params(), whole.Model.Params()
	for i := range pr {
		for k := range pr[i].Value.Data {
			if math.Float64bits(pr[i].Value.Data[k]) != math.Float64bits(pw[i].Value.Data[k]) {
				t.Fatalf("parameter %d[%d]: resumed %v, uninterrupted %v", i, k, pr[i].Value.Data[k], pw[i].Value.Data[k])
			}
		}
	}
	if res.TestAccuracy != whole.TestAccuracy || res.DriftNFE != whole.DriftNFE {
		t.Errorf("resumed accuracy %v NFE %d; uninterrupted %v, %d", res.TestAccuracy, res.DriftNFE, whole.TestAccuracy, whole.DriftNFE)
	}
	other := cfg
	other.Reg.Method = vanilla
	if _, err := Run(context.Background(), other, train.RunOptions{Resume: ckpt}); !errors.Is(err, train.ErrCheckpoint) {
		t.Errorf("resuming another method's checkpoint: %v", err)
	}
}

// writeIDX writes set's first n images and labels as raw IDX files under
// the names of split ("train" or "t10k").
func writeIDX(t *testing.T, dir, split string, set *mnist.Set, n int) {
	t.Helper()
	var img, lab bytes.Buffer
	for _, w := range []uint32{2051, uint32(n), uint32(set.Rows), uint32(set.Cols)} {
		binary.Write(&img, binary.BigEndian, w)
	}
	for _, v := range set.Images[:n*set.Dim()] {
		img.WriteByte(byte(math.Round(v * 255)))
	}
	binary.Write(&lab, binary.BigEndian, uint32(2049))
	binary.Write(&lab, binary.BigEndian, uint32(n))
	lab.Write(set.Labels[:n])
	if err := os.WriteFile(filepath.Join(dir, split+"-images-idx3-ubyte"), img.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, split+"-labels-idx1-ubyte"), lab.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTaskTrainSaveEvaluate trains vanilla and error for a few iterations
// on real MNIST through the task, saves a model, evaluates it on a data
// directory given like --data (a 48-image copy of MNIST), refuses another
// task's model, and reports and draws the records.
func TestTaskTrainSaveEvaluate(t *testing.T) {
	ds := realData(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	writeIDX(t, data, "train", ds.Train, 48)
	writeIDX(t, data, "t10k", ds.Test, 24)

	set := tasks.Settings{Scale: tasks.Default, Methods: []train.Method{vanilla, errReg}, Seeds: []uint64{5}, Workers: 1}
	tk := &task{set: set, cfg: tinyConfig(vanilla).withDefaults()}
	model := filepath.Join(dir, "m.wbm")
	var recs []tasks.Record
	for _, spec := range set.Runs() {
		if spec.Method == errReg {
			spec.Save = model
		}
		rec, err := tk.Run(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if a := rec.Run.TestAccuracy; a == nil || *a < 0 || *a > 1 || rec.Run.NFE <= 0 || rec.Run.Iterations != 6 {
			t.Fatalf("record %+v", rec.Run)
		}
		recs = append(recs, rec)
	}

	ev, err := tk.Evaluate(context.Background(), tasks.EvalSpec{Model: model, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Task != TaskName || ev.Method != "error" || ev.Seed != 5 || ev.Examples != 24 || ev.NFE <= 0 || ev.TestAccuracy == nil || ev.PredictTimeS <= 0 {
		t.Errorf("evaluation %+v", ev)
	}
	// The same model and noise on the same 24 test images: the evaluation
	// reproduces the accuracy measured on them directly.
	mod, _, err := tasks.LoadModel(model, TaskName, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := subset(ds.Test, 24, "test")
	direct, err := Evaluate(context.Background(), m, sub, Config{Trajectories: 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if *ev.TestAccuracy != direct.Accuracy {
		t.Errorf("eval --data accuracy %v, direct %v", *ev.TestAccuracy, direct.Accuracy)
	}

	other := filepath.Join(dir, "other.wbm")
	if err := tasks.SaveModel(other, NewModel(rand.New(rand.NewPCG(1, 1))).Module(), tasks.ModelMeta{Task: "spiral-sde", Method: "error"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Evaluate(context.Background(), tasks.EvalSpec{Model: other, Data: data}); !errors.Is(err, tasks.ErrWrongModel) || !strings.Contains(err.Error(), "spiral-sde") {
		t.Errorf("another task's model: %v", err)
	}

	res, err := tk.Report(recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Validate(); err != nil {
		t.Error(err)
	}
	if len(res.Checks) != 3 || !strings.Contains(strings.Join(res.Notes, "\n"), "Relative to vanilla") {
		t.Errorf("checks %+v notes %q", res.Checks, res.Notes)
	}
	files, err := tk.Figures(context.Background(), dir, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("figures %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestChecks: the acceptance checks pass and fail on their thresholds.
func TestChecks(t *testing.T) {
	acc := func(v float64) *float64 { return &v }
	res := func(nfe, a, tt float64) *report.Results {
		return &report.Results{Summary: []report.Summary{
			{Method: "vanilla", NFEMean: 400, TestAccuracyMean: acc(0.95), TrainTimeMeanS: 100},
			{Method: "error", NFEMean: nfe, TestAccuracyMean: acc(a), TrainTimeMeanS: tt},
		}}
	}
	checks, verdict := Checks(res(280, 0.941, 100))
	if len(checks) != 3 || !checks[0].Pass || !checks[1].Pass || !checks[2].Pass || !strings.Contains(verdict, "holds") {
		t.Errorf("at the limits: %+v %q", checks, verdict)
	}
	for i, r := range []*report.Results{res(281, 0.95, 50), res(200, 0.939, 50), res(200, 0.95, 101)} {
		checks, verdict := Checks(r)
		if checks[i].Pass || !strings.HasPrefix(checks[i].Text, "FAIL") || !strings.Contains(verdict, "NOT") {
			t.Errorf("case %d: %+v %q", i, checks, verdict)
		}
	}
}

// TestBitsIndependentOfCores runs one training gradient (512 real images)
// and one 10-trajectory prediction (64 images, a 640 x 32 state) in
// subprocesses with GOMAXPROCS 1 and 2 and compares hashes of their bits:
// the parallel kernels split work without changing the arithmetic.
func TestBitsIndependentOfCores(t *testing.T) {
	if os.Getenv("MNISTNSDE_HASH") != "" {
		fmt.Printf("HASH %x\n", bitsHash(t))
		return
	}
	if testing.Short() {
		t.Skip("starts two subprocesses")
	}
	var hashes []string
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestBitsIndependentOfCores$")
		cmd.Env = append(os.Environ(), "MNISTNSDE_HASH=1", "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
		_, h, ok := strings.Cut(string(out), "HASH ")
		if !ok {
			t.Fatalf("GOMAXPROCS=%s printed no hash:\n%s", procs, out)
		}
		hashes = append(hashes, strings.Fields(h)[0])
	}
	if hashes[0] != hashes[1] {
		t.Errorf("GOMAXPROCS=1 gives %s, GOMAXPROCS=2 %s", hashes[0], hashes[1])
	}
}

func bitsHash(t *testing.T) []byte {
	ds := realData(t)
	m := NewModel(rand.New(rand.NewPCG(1999, 0x6e5de)))
	h := sha256.New()
	put := func(xs []float64) {
		for _, v := range xs {
			binary.Write(h, binary.LittleEndian, math.Float64bits(v))
		}
	}
	x := tensor.FromSlice(512, Pixels, ds.Train.Images[:512*Pixels])
	y := tensor.New(512, Classes)
	mnist.OneHot(y.Data, ds.Train.Labels[:512], Classes)
	for _, p := range m.Params() {
		p.Grad.Zero()
	}
	cfg := Config{Reg: train.Regularization{Method: errReg}}.withDefaults()
	im, err := m.gradient(context.Background(), x, y, ds.Train.Labels[:512], cfg.solveOptions(3, true), cfg.Reg.At(0, 1), ad.NewTape(), ad.NewTape())
	if err != nil {
		t.Fatal(err)
	}
	put([]float64{im.Loss, im.RE, float64(im.DriftNFE)})
	for _, p := range m.Params() {
		put(p.Grad.Data)
	}
	p, err := m.Predict(context.Background(), tensor.FromSlice(64, Pixels, ds.Test.Images[:64*Pixels]), 10, cfg.solveOptions(4, false))
	if err != nil {
		t.Fatal(err)
	}
	put(p.Logits.Data)
	put([]float64{float64(p.DriftNFE)})
	return h.Sum(nil)
}

// A budgeted run: the controller reads the drift NFE of the training solves
// (the count the table and the budget are on, half of drift plus
// diffusion), the solver uses the controller's coefficient, the outcome is
// judged on the final prediction's drift NFE, and an interrupted and
// resumed run is bit-identical to an uninterrupted one.
func TestBudgetResume(t *testing.T) {
	realData(t)
	cfg := tinyConfig(errReg)
	cfg.Budget = train.Budget{NFE: 20, Smoothing: 2}
	rec := &traintest.Recorder{}
	whole, err := Run(context.Background(), cfg, train.RunOptions{Recorders: []train.Recorder{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ms := rec.Metrics
	o := whole.Budget
	if o == nil || len(o.Coefficients) == 0 || o.CoefStart == o.CoefEnd || o.PredictNFE != float64(whole.DriftNFE) || o.PredictLoss != whole.TrainLoss || o.NFE != 20 {
		t.Fatalf("budget outcome %+v (prediction drift NFE %d, train loss %v)", o, whole.DriftNFE, whole.TrainLoss)
	}
	if len(ms) != cfg.Iterations {
		t.Fatalf("%d metrics for %d iterations", len(ms), cfg.Iterations)
	}
	for i, m := range ms {
		d := whole.Iterations[i].DriftNFE
		if m.BudgetNFE != d || m.NFE != d+whole.Iterations[i].DiffusionNFE || m.Budget == nil || m.Coefficients["error"] != m.Budget.Coefficient {
			t.Fatalf("iteration %d: metrics %+v, budget %+v, drift NFE %d", i+1, m, m.Budget, d)
		}
	}
	if ms[0].Budget.SmoothedNFE != float64(whole.Iterations[0].DriftNFE) {
		t.Errorf("the controller's first average %v is not the first drift NFE %d", ms[0].Budget.SmoothedNFE, whole.Iterations[0].DriftNFE)
	}
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Run(ctx, cfg, train.RunOptions{Checkpoint: ckpt, Recorders: []train.Recorder{&traintest.Recorder{StopAt: 3, Cancel: cancel}}}); err == nil {
		t.Fatal("the interrupted run did not stop")
	}
	res, err := Run(context.Background(), cfg, train.RunOptions{Resume: ckpt})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range o.Coefficients {
		if math.Float64bits(c) != math.Float64bits(res.Budget.Coefficients[i]) {
			t.Fatalf("coefficient %d: resumed %v, uninterrupted %v", i+1, res.Budget.Coefficients[i], c)
		}
	}
	pr, pw := res.Model.Params(), whole.Model.Params()
	for i := range pr {
		for k := range pr[i].Value.Data {
			if math.Float64bits(pr[i].Value.Data[k]) != math.Float64bits(pw[i].Value.Data[k]) {
				t.Fatalf("parameter %d[%d]: resumed %v, uninterrupted %v", i, k, pr[i].Value.Data[k], pw[i].Value.Data[k])
			}
		}
	}
}
