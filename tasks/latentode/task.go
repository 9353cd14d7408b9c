package latentode

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/whitebox-de/whitebox/physionet"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

func init() { tasks.Register(func() tasks.Task { return new(task) }) }

// TaskName is the task's command-line name.
const TaskName = "physionet"

// Methods are the methods reproduced by default, in the table's order
// (the checked ones first; taynode, the most expensive, last).
var Methods = []string{"vanilla", "stiffness", "error", "steer", "taynode"}

// FigurePatients and FigureFeatures choose the reconstructions a run
// records for the figures: the first test records and four frequently
// observed features.
var (
	FigurePatients = 3
	FigureFeatures = []string{"HR", "MAP", "Temp", "GCS"}
)

// task is the PhysioNet latent ODE as a tasks.Task.
type task struct {
	flags *tasks.Overrides[Config]
	set   tasks.Settings
	cfg   Config

	mu   sync.Mutex
	data *Data
}

func (*task) Info() tasks.Info {
	return tasks.Info{
		Name:    TaskName,
		Summary: "latent ODE on the PhysioNet 2012 ICU records (paper Table 2) with vanilla, stiffness, error, STEER and TayNODE training",
		Methods: Methods,
		Workers: 2,
	}
}

func (t *task) Flags(fs tasks.FlagSet) {
	d, f := Default().withDefaults(), Full().withDefaults()
	o := tasks.NewOverrides(fs, d)
	o.Int("iters", func(c *Config) *int { return &c.Iterations }, "stop each run after N iterations (0: epochs x batches per epoch)", tasks.AtLeast(0))
	o.Int("epochs", func(c *Config) *int { return &c.Epochs }, fmt.Sprintf("training epochs (full scale: %d)", f.Epochs), tasks.AtLeast(1))
	o.Int("batch", func(c *Config) *int { return &c.BatchSize }, fmt.Sprintf("records per batch; the short last batch is dropped (full scale: %d)", f.BatchSize), tasks.AtLeast(1))
	o.Int("train-records", func(c *Config) *int { return &c.TrainRecords }, "train on the first N records of the training split only (0: all 3200; full scale: 0)", tasks.AtLeast(0))
	o.Int("test-records", func(c *Config) *int { return &c.TestRecords }, "evaluate the first N records of the test split only (0: all 800)", tasks.AtLeast(0))
	o.Float("tol", func(c *Config) *float64 { return &c.Tol }, "solver tolerance, rtol = atol", tasks.Positive)
	o.Float("lr", func(c *Config) *float64 { return &c.LR }, "Adamax learning rate (decayed as lr/(1 + 1e-5 n))", tasks.Positive)
	// The regularizers' aggregations are the authors' (Config.Reg), so only
	// the coefficients are flags.
	o.Float("error-coef", func(c *Config) *float64 { return &c.Reg.ErrorCoef },
		"error coefficient at the first epoch (methods with error), annealed per epoch to --error-coef-final", tasks.Positive)
	o.Float("error-coef-final", func(c *Config) *float64 { return &c.Reg.ErrorCoefFinal },
		"error coefficient the per-epoch annealing reaches after --epochs (0: constant --error-coef)", tasks.NonNegative)
	o.Float("stiffness-coef", func(c *Config) *float64 { return &c.Reg.StiffnessCoef },
		"coefficient of max(1/3.5068, max_j S_j), S_j = |lambda_j|/3.5068 (methods with stiffness)", tasks.Positive)
	o.Float("taynode-coef", func(c *Config) *float64 { return &c.Reg.TayNODECoef },
		"coefficient of TayNODE's R_K (methods with taynode; Kelly et al.'s PhysioNet value 0.01)", tasks.Positive)
	o.Int("taynode-order", func(c *Config) *int { return &c.Reg.TayNODEOrder }, "TayNODE's order K (Kelly et al.'s PhysioNet value 2)", tasks.AtLeast(1))
	o.Float("rnode-kinetic-coef", func(c *Config) *float64 { return &c.Reg.RNODEKineticCoef }, "RNODE's kinetic-energy coefficient (methods with rnode)", tasks.NonNegative)
	o.Float("rnode-jacobian-coef", func(c *Config) *float64 { return &c.Reg.RNODEJacobianCoef }, "RNODE's Jacobian-norm coefficient (methods with rnode)", tasks.NonNegative)
	tasks.BudgetFlags(o, func(c *Config) *train.Budget { return &c.Budget })
	o.Int("predict-repeats", func(c *Config) *int { return &c.PredictRepeats }, "timed repetitions of the prediction pass (the median is reported)", tasks.AtLeast(1))
	o.Int("predict-every", func(c *Config) *int { return &c.PredictEvery }, fmt.Sprintf("record the prediction NFE every N epochs (full scale: %d)", f.PredictEvery), tasks.AtLeast(1))
	fs.StringVar(&t.cfg.Data, "data", "", "the set-a records: a folder or .tar.gz (default: the committed data/physionet2012/set-a.tar.gz)")
	t.flags = o
}

func (t *task) Setup(s tasks.Settings) error {
	c, err := t.flags.Configure(s, Full().withDefaults(), func(c *Config) error {
		c.Data, c.MaxSteps = t.cfg.Data, s.MaxSteps
		return tasks.CheckBudget(t.flags.FlagSet(), c.Budget, s.Methods)
	}, func(c Config, m train.Method) error {
		c.Reg.Method = m
		return c.Validate()
	})
	if err != nil {
		return err
	}
	t.set, t.cfg = s, c
	return nil
}

func (t *task) loadData() (*Data, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.data == nil {
		d, err := LoadData(t.cfg.Data, t.cfg.DataSeed)
		if err != nil {
			return nil, err
		}
		t.data = d
	}
	return t.data, nil
}

// Curve is a reconstruction of one feature of one test record.
type Curve struct {
	Record  int       `json:"record"`
	Feature string    `json:"feature"`
	ObsT    []float64 `json:"obs_t"` // hours
	ObsY    []float64 `json:"obs_y"`
	Model   []float64 `json:"model"` // at the 49 hours, normalized units
}

// extra is what a run records beyond its row: its NFE over training and
// the reconstructions for the figures.
type extra struct {
	Epochs     []EpochPoint `json:"epochs"`
	TrainNFE   []int        `json:"train_nfe"`
	Curves     []Curve      `json:"curves"`
	Iterations int          `json:"iterations"`
}

func (t *task) Run(ctx context.Context, spec tasks.RunSpec) (tasks.Record, error) {
	data, err := t.loadData()
	if err != nil {
		return tasks.Record{}, err
	}
	cfg := t.cfg
	cfg.Seed, cfg.Reg.Method = spec.Seed, spec.Method
	res, err := Train(ctx, cfg, data, spec.Options)
	if err != nil {
		return tasks.Record{}, err
	}
	if spec.Save != "" {
		if err := SaveModel(spec.Save, res.Model, res.Method, res.Seed, data.Stats, res.Config); err != nil {
			return tasks.Record{}, err
		}
	}
	x := extra{Epochs: res.Epochs, Iterations: res.Iterations}
	for _, p := range res.History {
		x.TrainNFE = append(x.TrainNFE, p.NFE)
	}
	if x.Curves, err = curves(ctx, res.Model, data.Test, res.Config); err != nil {
		return tasks.Record{}, err
	}
	tl := res.TestLoss
	run := report.Run{Method: res.Method, Seed: int(res.Seed), Iterations: res.Iterations,
		TrainTimeS: res.TrainTime.Seconds(), PredictTimeS: res.Prediction.Time.Seconds(),
		NFE: res.Prediction.NFE, TrainLoss: res.Prediction.Loss, TestLoss: &tl, Budget: res.Budget}
	return tasks.NewRecord(run, x)
}

// curves reconstructs the first FigurePatients test records.
func curves(ctx context.Context, m *Model, test *physionet.Dataset, cfg Config) ([]Curve, error) {
	n := min(FigurePatients, test.Len())
	s := test.Subset(seq(n))
	b := NewBatch(m.Arch, s.Values, s.Mask, n, physionet.Times())
	p, err := Predict(ctx, m, b, cfg.solverOptions(), 1)
	if err != nil {
		return nil, err
	}
	var out []Curve
	for r := range n {
		for _, name := range FigureFeatures {
			f := physionet.FeatureIndex(name)
			c := Curve{Record: s.IDs[r], Feature: name}
			for h := range physionet.NumTimes {
				if b.Mask[h].At(r, f) != 0 {
					c.ObsT = append(c.ObsT, float64(h))
					c.ObsY = append(c.ObsY, b.Values[h].At(r, f))
				}
				c.Model = append(c.Model, p.Recon[h].At(r, f))
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// Paper is Table 2 of Pal et al. (2021).
func Paper() report.Paper {
	st := func(m, s float64) *report.Stat { return &report.Stat{Mean: m, Std: s} }
	return report.Paper{
		Source: "Pal et al. 2021, Table 2 (PhysioNet latent ODE; mean ± std over 3 seeds; Float32 on a GPU)",
		Notes: []string{
			"Compare with the paper as ratios to vanilla: its NFE are Float32 counts at 1.4e-8 (below Float32's epsilon), ours float64; its times are GPU hours.",
			"The paper's TayNODE row comes from Kelly et al.'s setup; the authors' code has no TayNODE variant.",
		},
		Rows: []report.PaperRow{
			{Method: "vanilla", Label: "Vanilla Latent ODE", TestLoss: st(3.55e-3, 0.04e-3), TrainTimeS: st(1.75*3600, 0.06*3600), PredictTimeS: st(0.53, 0.02), NFE: st(733, 10)},
			{Method: "taynode", Label: "TayNODE", TestLoss: st(4.21e-3, 0.13e-3), TrainTimeS: st(12.3*3600, 0.5*3600), PredictTimeS: st(0.22, 0.01), NFE: st(167, 4)},
			{Method: "stiffness", Label: "SRNODE", TestLoss: st(3.58e-3, 0.03e-3), TrainTimeS: st(0.87*3600, 0.05*3600), PredictTimeS: st(0.20, 0.01), NFE: st(273, 13)},
			{Method: "error", Label: "ERNODE", TestLoss: st(3.57e-3, 0.03e-3), TrainTimeS: st(0.94*3600, 0.06*3600), PredictTimeS: st(0.21, 0.01), NFE: st(287, 9)},
		},
	}
}

func (t *task) configJSON() map[string]any {
	v := t.cfg
	a := v.Arch
	c := map[string]any{
		"scale": string(t.set.Scale), "methods": t.set.MethodNames(), "seeds": t.set.Seeds,
		"data": map[string]any{"records": "PhysioNet 2012 set-a", "path": v.Data, "split": "80:20", "split_seed": v.DataSeed,
			"train_records": v.TrainRecords, "test_records": v.TestRecords, "normalization": "min/max of the training split"},
		"model": fmt.Sprintf("encoder LatentGRU(%d,%d,%d) backward in time over [x; mask; dt], RecToGen Dense(%d,%d,tanh)->Dense(%d,%d); z0 = mu + exp(logvar/2) eps; dynamics tanh then %d x [Dense(%d,%d,tanh), Dense(%d,%d,tanh)]; decoder Dense(%d,%d)",
			a.Features, a.GateHidden, a.State, 2*a.State, a.State, a.State, 2*a.Latent, a.Blocks, a.Latent, a.DynHidden, a.DynHidden, a.Latent, a.Latent, a.Features),
		"loss":       fmt.Sprintf("-mean_batch(LL - c_e KL) + reg; masked Gaussian LL sigma %g per record / its observed count; KL mean over the latent dims; c_e = max(0, 1 - 0.99^(epoch - %d)), epochs from 0", a.Sigma, v.KLOffset),
		"solver":     "Tsit5, discrete adjoint, saves at the 49 times over [0, 1]",
		"rtol":       v.Tol,
		"atol":       v.Tol,
		"max_steps":  v.MaxSteps,
		"epochs":     v.Epochs,
		"iterations": v.Iterations,
		"batch_size": v.BatchSize,
		"optimizer":  map[string]any{"name": "Adamax", "lr": v.LR, "inverse_decay": v.LRDecay, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
		"error_regularization": map[string]any{"coef": v.Reg.ErrorCoef, "coef_final": v.Reg.ErrorCoefFinal,
			"annealing": "per epoch e: coef exp(-k e), k = ln(coef/coef_final)/epochs", "aggregation": "mean of E_j |h_j| over the accepted steps and a zero entry at t0"},
		"stiffness_regularization": map[string]any{"coef": v.Reg.StiffnessCoef, "aggregation": "max(1/3.5068, max_j S_j), S_j = |lambda_j|/3.5068"},
		"steer":                    "every save time t_i (i >= 1) jittered by U(-1,1)(t_i - t_{i-1})/2 each iteration, clamped to [0, 1]",
		"prediction":               map[string]any{"batch": "the first batch_size training records in storage order", "noise_seed": PredictSeed, "timing": "median of repeats", "repeats": v.PredictRepeats},
		"test_loss":                "mean over the test records of sum(mask r^2)/sum(mask), z0 sampled with the noise seed",
	}
	if v.Budget.IsSet() {
		c["budget"] = v.Budget
		c["budget_signal"] = fmt.Sprintf("the forward NFE of each training solve (batch %d) sets the coefficient; the budget is on the prediction solve's NFE (one forward pass of the first %d training records, the table's NFE); the controller's loss guards read each batch's masked squared error and the outcome is judged on the prediction's (the table's train loss); the budgeted coefficient starts at the method's (error: --error-coef) and replaces the per-epoch annealing", v.BatchSize, v.BatchSize)
	}
	return c
}

func (t *task) Report(recs []tasks.Record) (*report.Results, error) {
	runs := tasks.Runs(recs)
	r := &report.Results{Task: TaskName, Paper: Paper(), Config: t.configJSON(), Runs: runs, Summary: report.Summarize(runs, append(append([]string{}, Methods...), "taynode"))}
	r.Checks, r.Verdict = Checks(r)
	return r, nil
}

// Checks states the acceptance check: the error method's mean prediction
// NFE at most 0.7x vanilla's, its mean test loss at most 1.1x and its mean
// training time at most vanilla's.
func Checks(r *report.Results) ([]report.Check, string) {
	v, s := r.SummaryOf("vanilla"), r.SummaryOf("error")
	if v == nil || s == nil || v.TestLossMean == nil || s.TestLossMean == nil {
		return nil, ""
	}
	nfe, loss, tt := s.NFEMean/v.NFEMean, *s.TestLossMean / *v.TestLossMean, s.TrainTimeMeanS/v.TrainTimeMeanS
	ok := nfe <= 0.7 && loss <= 1.1 && tt <= 1
	verdict := "holds"
	if !ok {
		verdict = "does not hold"
	}
	c := report.Check{Name: "error vs vanilla", Pass: ok,
		Text: fmt.Sprintf("Check error vs vanilla: prediction NFE %.2fx (want <= 0.70), test loss %.2fx (want <= 1.10), train time %.2fx (want <= 1.00): %s.", nfe, loss, tt, verdict)}
	if ok {
		return []report.Check{c}, "The regularization effect is shown (paper: ERNODE 287/733 = 0.39x NFE at 1.01x test loss, 0.54x training time)."
	}
	return []report.Check{c}, "The regularization effect is NOT shown by this run."
}

// Figures draws, from the records, the reconstructions of a few test
// records (first seed of each method) and the prediction NFE over training.
func (t *task) Figures(ctx context.Context, dir string, recs []tasks.Record) ([]string, error) {
	type methodX struct {
		name string
		x    extra
		all  []extra
	}
	var ms []*methodX
	for _, name := range t.set.MethodNames() {
		var mx *methodX
		for _, r := range recs {
			if r.Run.Method != name {
				continue
			}
			var x extra
			if err := r.Decode(&x); err != nil {
				return nil, err
			}
			if mx == nil {
				mx = &methodX{name: name, x: x}
			}
			mx.all = append(mx.all, x)
		}
		if mx != nil {
			ms = append(ms, mx)
		}
	}
	if len(ms) == 0 {
		return nil, nil
	}
	var panels []report.Panel
	for i, c := range ms[0].x.Curves {
		p := report.Panel{Title: fmt.Sprintf("record %d, %s", c.Record, c.Feature), XLabel: "hour", YLabel: "normalized value",
			Points: []report.Series{{Name: "observed", X: c.ObsT, Y: c.ObsY}}}
		for _, m := range ms {
			if i < len(m.x.Curves) {
				p.Lines = append(p.Lines, report.Series{Name: m.name, X: report.Range(len(m.x.Curves[i].Model)), Y: m.x.Curves[i].Model})
			}
		}
		panels = append(panels, p)
	}
	recon := filepath.Join(dir, "reconstructions.png")
	if err := report.Panels(recon, panels, len(FigureFeatures)); err != nil {
		return nil, err
	}
	var nfeLines, trainLines []report.Series
	for _, m := range ms {
		var curves, tcurves [][]float64
		var xs []float64
		for _, x := range m.all {
			var c []float64
			xs = xs[:0]
			for _, e := range x.Epochs {
				c = append(c, float64(e.NFE))
				xs = append(xs, float64(e.Epoch))
			}
			curves = append(curves, c)
			tc := make([]float64, len(x.TrainNFE))
			for i, v := range x.TrainNFE {
				tc[i] = float64(v)
			}
			tcurves = append(tcurves, tc)
		}
		mc := report.MeanCurve(curves)
		nfeLines = append(nfeLines, report.Series{Name: m.name, X: append([]float64(nil), xs[:len(mc)]...), Y: mc})
		tm := report.MeanCurve(tcurves)
		trainLines = append(trainLines, report.Series{Name: m.name, X: report.Range(len(tm)), Y: report.Smooth(tm, max(1, len(tm)/50))})
	}
	nfe := filepath.Join(dir, "nfe.png")
	if err := report.Lines(nfe, report.Panel{Title: "Prediction NFE after each epoch (fixed training batch; mean over seeds)", XLabel: "epoch", YLabel: "NFE", Lines: nfeLines}); err != nil {
		return nil, err
	}
	tr := filepath.Join(dir, "train_nfe.png")
	if err := report.Lines(tr, report.Panel{Title: "Forward NFE per training iteration (mean over seeds, smoothed)", XLabel: "iteration", YLabel: "NFE", Lines: trainLines}); err != nil {
		return nil, err
	}
	return []string{recon, nfe, tr}, nil
}
