package spiralsde

import (
	"context"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/flagtest"
	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// smallData is a cheap target for the tests: 500 true trajectories.
var smallData = DataConfig{Trajectories: 500, Seed: 7}

func TestTrueDrift(t *testing.T) {
	p := TrueProblem(2)
	tp := ad.NewTape()
	z := tensor.FromSlice(2, 2, []float64{2, 0, 0.5, -1.5})
	f := p.Drift(0, tp.Const(z)).Value()
	g := p.Diffusion(0, tp.Const(z)).Value()
	for r := range 2 {
		u1, u2 := z.At(r, 0), z.At(r, 1)
		c1, c2 := u1*u1*u1, u2*u2*u2
		want := [2]float64{-0.1*c1 - 2*c2, 2*c1 - 0.1*c2}
		for c := range 2 {
			if math.Abs(f.At(r, c)-want[c]) > 1e-12 {
				t.Errorf("drift[%d][%d] = %v, want %v", r, c, f.At(r, c), want[c])
			}
			if math.Abs(g.At(r, c)-0.2*z.At(r, c)) > 1e-15 {
				t.Errorf("diffusion[%d][%d] = %v, want %v", r, c, g.At(r, c), 0.2*z.At(r, c))
			}
		}
	}
}

// TestData checks the simulated target: it starts at U0 with zero spread,
// spreads out, turns counter-clockwise like the deterministic spiral (u2
// rises first), and is reproducible.
func TestData(t *testing.T) {
	d, err := Simulate(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.T) != Points || d.T[0] != 0 || d.T[Points-1] != 1 {
		t.Fatalf("times %v", d.T)
	}
	if d.Mean[0] != [2]float64{2, 0} || d.Var[0] != [2]float64{0, 0} {
		t.Errorf("at t=0: mean %v, variance %v; want (2, 0) and 0", d.Mean[0], d.Var[0])
	}
	if !(d.Mean[3][1] > 0.3) || !(d.Var[Points-1][0] > 0.1) || !(d.Var[Points-1][1] > 0.1) {
		t.Errorf("mean %v at t=%.3f and variance %v at t=1: want u2 rising and a spread", d.Mean[3], d.T[3], d.Var[Points-1])
	}
	again, err := Simulate(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Mean {
		if d.Mean[i] != again.Mean[i] || d.Var[i] != again.Var[i] {
			t.Fatalf("simulation is not reproducible at t=%v", d.T[i])
		}
	}
	c1, err := CachedData(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := CachedData(context.Background(), smallData)
	if c1 != c2 || c1.Mean[5] != d.Mean[5] {
		t.Error("CachedData does not return one shared simulation equal to Simulate's")
	}
}

// TestLossGradient checks Loss's cotangents against central differences.
func TestLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &Data{T: Times(), Mean: make([][2]float64, Points), Var: make([][2]float64, Points)}
	z := make([]*tensor.Dense, Points)
	for i := range z {
		d.Mean[i] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
		d.Var[i] = [2]float64{rng.Float64(), rng.Float64()}
		z[i] = tensor.New(7, 2)
		for k := range z[i].Data {
			z[i].Data[k] = rng.NormFloat64()
		}
	}
	l, g := Loss(z, d)
	if !(l > 0) {
		t.Fatalf("loss %v", l)
	}
	for _, i := range []int{0, 13, 29} {
		for k := range z[i].Data {
			const eps = 1e-6
			old := z[i].Data[k]
			z[i].Data[k] = old + eps
			lp, _ := Loss(z, d)
			z[i].Data[k] = old - eps
			lm, _ := Loss(z, d)
			z[i].Data[k] = old
			fd := (lp - lm) / (2 * eps)
			if math.Abs(fd-g[i].Data[k]) > 1e-7*math.Max(1e-3, math.Abs(fd)) {
				t.Errorf("dL/dz[%d][%d] = %.10g, central difference %.10g", i, k, g[i].Data[k], fd)
			}
		}
	}
}

// The methods are train.Method values: each turns into the solver
// regularization of its parts, and STEER is refused.
func TestMethods(t *testing.T) {
	reg := func(name string, c Config) ode.Regularization {
		m, err := train.ParseMethod(name)
		if err != nil {
			t.Fatal(err)
		}
		c.Reg.Method = m
		c = c.withDefaults()
		if err := c.validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return c.Reg.At(0, c.Iterations)
	}
	if r := reg("error", Config{Reg: train.Regularization{ErrorCoef: 0.5}}); r != (ode.Regularization{Error: 0.5, ErrorAgg: ode.Sum}) {
		t.Errorf("error regularization %+v", r)
	}
	if r := reg("stiffness", Config{Reg: train.Regularization{StiffnessCoef: 0.1}}); r != (ode.Regularization{Stiffness: 0.1, StiffnessAgg: ode.Sum}) {
		t.Errorf("stiffness regularization %+v", r)
	}
	if r := reg("vanilla", Config{Reg: train.Regularization{ErrorCoef: 1}}); r != (ode.Regularization{}) {
		t.Errorf("vanilla regularization %+v", r)
	}
	if r := reg("error+stiffness", Config{}); r != (ode.Regularization{Error: DefaultErrorCoef, Stiffness: DefaultStiffnessCoef}) {
		t.Errorf("error+stiffness regularization %+v", r)
	}
	c := Config{Reg: train.Regularization{Method: train.Method{STEER: true}}}.withDefaults()
	if err := c.validate(); err == nil {
		t.Error("STEER was accepted")
	}
	for _, m := range []train.Method{{TayNODE: true}, {RNODE: true}} {
		c := Config{Reg: train.Regularization{Method: m, TayNODECoef: 1, TayNODEOrder: 2, RNODEKineticCoef: 1}}.withDefaults()
		if err := c.validate(); err == nil || !strings.Contains(err.Error(), "not defined for the SDE") {
			t.Errorf("%s: %v", m, err)
		}
	}
}

// TestSetupRejectsBaselines: the task's Setup rejects taynode and rnode
// with an error naming the method and the task.
func TestSetupRejectsBaselines(t *testing.T) {
	for _, c := range []struct {
		method, want string
	}{
		{"taynode", "spiral-sde has no taynode: "},
		{"rnode", "spiral-sde has no rnode: "},
		{"error+taynode", "spiral-sde has no taynode: "},
	} {
		task, err := tasks.New("spiral-sde")
		if err != nil {
			t.Fatal(err)
		}
		fs := flagtest.New()
		task.Flags(fs)
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		m, err := train.ParseMethod(c.method)
		if err != nil {
			t.Fatal(err)
		}
		err = task.Setup(tasks.Settings{Scale: tasks.Default, Methods: []train.Method{{}, m}, Seeds: []uint64{1}, Workers: 1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.method, err, c.want)
		}
	}
}

// TestProtocolOptions: the learning-rate annealing, the aggregations and
// fixed training noise reach the optimizer, the regularization and the
// solves.
func TestProtocolOptions(t *testing.T) {
	stiff := train.Regularization{Method: train.Method{Stiffness: true}, StiffnessCoef: 0.1, StiffnessAgg: ode.Max}
	if r := stiff.At(0, 10); r != (ode.Regularization{Stiffness: 0.1, StiffnessAgg: ode.Max}) {
		t.Errorf("stiffness with max %+v", r)
	}
	s := Config{LR: 0.05, LRFinal: 0.005, Iterations: 11}.schedule()
	if s.At(0) != 0.05 || math.Abs(s.At(10)-0.005) > 1e-15 || !(s.At(5) < 0.05 && s.At(5) > 0.005) {
		t.Errorf("annealed LR %v, %v, %v; want 0.05 falling to 0.005", s.At(0), s.At(5), s.At(10))
	}
	if c := (Config{LR: 0.05, Iterations: 11}).schedule(); c.At(0) != 0.05 || c.At(10) != 0.05 {
		t.Errorf("constant LR %v, %v", c.At(0), c.At(10))
	}
	if _, err := Run(context.Background(), Config{LRFinal: -1}, train.RunOptions{}); err == nil {
		t.Error("Run accepted a negative LRFinal")
	}
	// With a vanishing learning rate the model stays put, so fixed noise
	// repeats the first iteration's solve exactly and fresh noise does not.
	cfg := Config{Seed: 3, Iterations: 3, Trajectories: 30, LR: 1e-300, Data: smallData, PredictPasses: 1}
	for _, fixed := range []bool{true, false} {
		cfg.FixedNoise = fixed
		res, err := Run(context.Background(), cfg, train.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		its := res.Iterations
		same := its[1].Loss == its[0].Loss && its[2].Loss == its[0].Loss && its[1].NFE == its[0].NFE
		if same != fixed {
			t.Errorf("FixedNoise %v: iteration losses %v %v %v, NFE %d %d", fixed, its[0].Loss, its[1].Loss, its[2].Loss, its[0].NFE, its[1].NFE)
		}
	}
}

func shortConfig(m train.Method) Config {
	return Config{Seed: 4, Reg: train.Regularization{Method: m}, Iterations: 12, Trajectories: 30, Data: smallData, PredictPasses: 2}
}

var (
	vanilla   = train.Method{}
	errorReg  = train.Method{Error: true}
	stiffness = train.Method{Stiffness: true}
)

// TestRunTrains: a short run lowers the loss, reports every iteration to
// its recorders and is reproducible bit for bit.
func TestRunTrains(t *testing.T) {
	rec := &traintest.Recorder{}
	res, err := Run(context.Background(), shortConfig(errorReg), train.RunOptions{Recorders: []train.Recorder{rec}})
	if err != nil {
		t.Fatal(err)
	}
	its := res.Iterations
	if len(rec.Metrics) != 12 || len(its) != 12 || res.Failures != 0 {
		t.Fatalf("%d recorded, %d iterations in the result, %d failures; want 12, 12, 0", len(rec.Metrics), len(its), res.Failures)
	}
	if len(rec.Begins) != 1 || rec.Begins[0].Name != "spiral-sde/error/seed=4" || rec.Begins[0].Total != 12 {
		t.Errorf("Begin %+v", rec.Begins)
	}
	nfe := 0.0
	for k, m := range its {
		if !(m.Objective > m.Loss) || !(m.RE > 0) || !(m.RS > 0) || m.NFE != 2*m.DriftNFE || m.BackwardNFE == 0 {
			t.Fatalf("iteration %d: %+v; want objective > loss (error regularizer), R_E, R_S > 0, NFE = 2 x drift NFE, backward NFE > 0", m.Iteration, m)
		}
		r := rec.Metrics[k]
		if r.Iteration != k+1 || r.Loss != m.Loss || r.Objective != m.Objective || r.NFE != m.NFE || r.BackwardNFE != m.BackwardNFE ||
			r.Regularizers["error"] != m.RE || r.Coefficients["error"] != DefaultErrorCoef || r.Coefficients["stiffness"] != 0 {
			t.Fatalf("recorded %+v for iteration %+v", r, m)
		}
		nfe += float64(m.NFE)
	}
	if math.Abs(res.TrainNFE-nfe/12) > 1e-9 {
		t.Errorf("TrainNFE %v, mean of the iterations %v", res.TrainNFE, nfe/12)
	}
	if !(its[11].Loss < its[0].Loss) {
		t.Errorf("loss went from %.4f to %.4f in 12 iterations", its[0].Loss, its[11].Loss)
	}
	if !(res.Loss > 0) || !(res.PredictNFE > 0) || res.PredictTime <= 0 || res.TrainTime <= 0 {
		t.Errorf("result: loss %v, NFE %v, predict %v, train %v", res.Loss, res.PredictNFE, res.PredictTime, res.TrainTime)
	}
	if len(res.ModelMean) != Points || len(res.DataStd) != Points || res.ModelMean[0] != [2]float64{2, 0} {
		t.Errorf("moments for plotting: %d model means (first %v), %d data stds", len(res.ModelMean), res.ModelMean[0], len(res.DataStd))
	}
	again, err := Run(context.Background(), shortConfig(errorReg), train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(again.Loss) != math.Float64bits(res.Loss) || again.PredictNFE != res.PredictNFE {
		t.Errorf("same config: loss %v then %v, NFE %v then %v", res.Loss, again.Loss, res.PredictNFE, again.PredictNFE)
	}
	if _, err := Run(context.Background(), Config{Trajectories: 1}, train.RunOptions{}); err == nil {
		t.Error("Run accepted a batch of one trajectory")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ie *train.InterruptedError
	if _, err := Run(ctx, shortConfig(vanilla), train.RunOptions{}); !errors.As(err, &ie) {
		t.Errorf("a cancelled context gave %v, want a *train.InterruptedError", err)
	}
}

// TestResume: a run interrupted and resumed from its checkpoint ends with
// the bits of an uninterrupted run; another configuration cannot resume it.
func TestResume(t *testing.T) {
	cfg := shortConfig(stiffness)
	cfg.Iterations = 8
	whole, err := Run(context.Background(), cfg, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &traintest.Recorder{StopAt: 3, Cancel: cancel}
	_, err = Run(ctx, cfg, train.RunOptions{Checkpoint: ckpt, Recorders: []train.Recorder{rec}})
	var ie *train.InterruptedError
	if !errors.As(err, &ie) || ie.Iteration != 3 || ie.Checkpoint != ckpt {
		t.Fatalf("interrupted run: %v", err)
	}
	rec = &traintest.Recorder{}
	res, err := Run(context.Background(), cfg, train.RunOptions{Checkpoint: ckpt, Resume: ckpt, Recorders: []train.Recorder{rec}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Begins[0].Start != 3 || len(rec.Metrics) != 5 || len(res.Iterations) != 8 {
		t.Fatalf("resumed at %d with %d iterations recorded and %d in the history; want 3, 5, 8", rec.Begins[0].Start, len(rec.Metrics), len(res.Iterations))
	}
	for i, m := range res.Iterations {
		if math.Float64bits(m.Loss) != math.Float64bits(whole.Iterations[i].Loss) || m.NFE != whole.Iterations[i].NFE {
			t.Errorf("iteration %d: resumed %+v, uninterrupted %+v", i+1, m, whole.Iterations[i])
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
	if res.Loss != whole.Loss || res.PredictNFE != whole.PredictNFE || res.TrainNFE != whole.TrainNFE {
		t.Errorf("resumed loss %v NFE %v train NFE %v; uninterrupted %v, %v, %v", res.Loss, res.PredictNFE, res.TrainNFE, whole.Loss, whole.PredictNFE, whole.TrainNFE)
	}
	other := cfg
	other.Reg.Method = errorReg
	if _, err := Run(context.Background(), other, train.RunOptions{Resume: ckpt}); !errors.Is(err, train.ErrCheckpoint) {
		t.Errorf("resuming another method's checkpoint: %v", err)
	}
}

// TestFigure draws a short run's moments against the data.
func TestFigure(t *testing.T) {
	cfg := shortConfig(vanilla)
	cfg.Iterations = 2
	res, err := Run(context.Background(), cfg, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := MomentPanels(res, "vanilla")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[1].Title != "vanilla: u2" || len(ps[0].Points) != 1 || len(ps[0].Lines) != 1 {
		t.Fatalf("panels %+v", ps)
	}
	for c, p := range ps {
		d, m := p.Points[0], p.Lines[0]
		for i := range Points {
			if d.Y[i] != res.DataMean[i][c] || d.YErr[i] != res.DataStd[i][c] || m.Y[i] != res.ModelMean[i][c] || m.YErr[i] != res.ModelStd[i][c] {
				t.Fatalf("u%d at t=%v: data %v ± %v, model %v ± %v", c+1, res.T[i], d.Y[i], d.YErr[i], m.Y[i], m.YErr[i])
			}
		}
	}
	path := filepath.Join(t.TempDir(), "moments.png")
	if err := WriteFigure(path, []*Result{res, res}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Two rows (runs) of two 4 x 3.4 inch panels at 96 dpi.
	if c, err := png.DecodeConfig(f); err != nil || c.Width != 768 || c.Height != 653 {
		t.Errorf("figure %dx%d (%v), want 768x653", c.Width, c.Height, err)
	}
	if _, err := MomentPanels(&Result{}, "x"); err == nil {
		t.Error("MomentPanels drew a run without moments")
	}
}

// TestBudgetResume: an SDE run trained to a budget resumes bit-identically,
// the controller's coefficients included, and the outcome is recorded.
func TestBudgetResume(t *testing.T) {
	cfg := shortConfig(errorReg)
	cfg.Iterations = 8
	cfg.Budget = train.Budget{NFE: 40, Smoothing: 2}
	whole, err := Run(context.Background(), cfg, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Budget == nil || len(whole.Budget.Coefficients) != 8 || whole.Budget.CoefStart == whole.Budget.CoefEnd || whole.Budget.PredictNFE != whole.PredictNFE {
		t.Fatalf("budget outcome %+v", whole.Budget)
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
	for i, c := range whole.Budget.Coefficients {
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
