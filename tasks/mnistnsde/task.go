package mnistnsde

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

func init() { tasks.Register(func() tasks.Task { return new(task) }) }

// TaskName is the task's command-line name.
const TaskName = "mnist-nsde"

// The acceptance check of the error-regularized model against vanilla:
// mean prediction NFE at most ClaimNFE times vanilla's, mean test accuracy
// at least vanilla's minus ClaimAccuracyDrop (a fraction: 0.01 is one
// percentage point), mean training time at most vanilla's.
const (
	ClaimNFE          = 0.7
	ClaimAccuracyDrop = 0.01
)

// task is the MNIST neural SDE experiment as a tasks.Task.
type task struct {
	flags *tasks.Overrides[Config]
	data  string
	fs    tasks.FlagSet
	set   tasks.Settings
	cfg   Config
}

var (
	_ tasks.Task      = (*task)(nil)
	_ tasks.Evaluator = (*task)(nil)
)

func (*task) Info() tasks.Info {
	return tasks.Info{
		Name:    TaskName,
		Summary: "classify MNIST with a neural SDE (paper Table 4) with vanilla, stiffness and error training",
		Methods: []string{"vanilla", "stiffness", "error"},
		Workers: 1,
	}
}

func (t *task) Flags(fs tasks.FlagSet) {
	o := tasks.NewOverrides(fs, Config{}.withDefaults())
	o.Int("iters", func(c *Config) *int { return &c.Iterations }, "Adam iterations per run (--scale full: 40 epochs of 118 = 4720)", tasks.AtLeast(1))
	o.Int("batch", func(c *Config) *int { return &c.Batch }, "images per training iteration (one trajectory each)", tasks.AtLeast(1))
	o.Int("train-subset", func(c *Config) *int { return &c.TrainSubset }, "training images used, the first ones in storage order (0: all 60000)", tasks.AtLeast(0))
	o.Int("test-subset", func(c *Config) *int { return &c.TestSubset }, "test images the accuracy is measured on, the first ones (--scale full: all 10000)", tasks.AtLeast(1))
	o.Float("tol", func(c *Config) *float64 { return &c.Tol }, "SOSRI/SOSRI2 tolerance, rtol = atol, in training and prediction", tasks.Positive)
	o.Float("lr", func(c *Config) *float64 { return &c.LR }, "Adam learning rate", tasks.Positive)
	o.Float("decay", func(c *Config) *float64 { return &c.Decay }, "inverse decay of the learning rate per iteration, lr/(1 + decay*n)", tasks.NonNegative)
	tasks.RegularizationFlags(o, func(c *Config) *train.Regularization { return &c.Reg }, 0)
	tasks.BudgetFlags(o, func(c *Config) *train.Budget { return &c.Budget })
	o.Int("trajectories", func(c *Config) *int { return &c.Trajectories }, "trajectories per image at evaluation (mean logits)", tasks.AtLeast(1))
	o.Int("eval-every", func(c *Config) *int { return &c.EvalEvery }, "iterations between evaluations during training (excluded from the training time)", tasks.AtLeast(1))
	o.Int("predict-repeats", func(c *Config) *int { return &c.PredictRepeats }, "timings of the final prediction whose median is the prediction time", tasks.AtLeast(1))
	fs.StringVar(&t.data, "data", "", "directory of the four MNIST files (default: the GoMNIST module in the Go module cache)")
	t.flags, t.fs = o, fs
}

func (t *task) Setup(s tasks.Settings) error {
	c, err := t.flags.Configure(s, Full().withDefaults(), func(c *Config) error {
		c.MaxSteps, c.Data = s.MaxSteps, t.data
		return tasks.CheckBudget(t.flags.FlagSet(), c.Budget, s.Methods)
	}, func(c Config, m train.Method) error {
		if m.STEER {
			return fmt.Errorf("--methods: mnist-nsde trains vanilla, error, stiffness or error+stiffness, not %s", m)
		}
		c.Reg.Method = m
		return c.validate()
	})
	if err != nil {
		return err
	}
	if _, err := LoadData(c.Data); err != nil {
		return fmt.Errorf("--data %q: %v", c.Data, err)
	}
	t.set, t.cfg = s, c
	return nil
}

// modelConfig is what a saved model records besides its weights: the
// evaluation settings it was trained with.
type modelConfig struct {
	Tol          float64 `json:"tol"`
	Solver       string  `json:"solver"`
	Trajectories int     `json:"trajectories"`
	Iterations   int     `json:"iterations"`
}

// extra is what a run records beyond its row of the results JSON.
type extra struct {
	DriftNFE      int         `json:"drift_nfe"`
	DiffusionNFE  int         `json:"diffusion_nfe"`
	TrainDriftNFE float64     `json:"train_drift_nfe"`
	TestDriftNFE  float64     `json:"test_drift_nfe"`
	Failures      int         `json:"failures"`
	Solver        string      `json:"solver"`
	Evals         []EvalPoint `json:"evals"`
	// IterDriftNFE is each training iteration's forward drift NFE.
	IterDriftNFE []int         `json:"iter_drift_nfe"`
	Spread       [][][]float64 `json:"spread"`
	SpreadLabels []int         `json:"spread_labels"`
}

func (t *task) Run(ctx context.Context, spec tasks.RunSpec) (tasks.Record, error) {
	cfg := t.cfg
	cfg.Seed, cfg.Reg.Method = spec.Seed, spec.Method
	res, err := Run(ctx, cfg, spec.Options)
	if err != nil {
		return tasks.Record{}, err
	}
	c := res.Config
	if spec.Save != "" {
		meta := tasks.ModelMeta{Task: TaskName, Method: c.Reg.Method.String(), Seed: c.Seed}
		mc := modelConfig{Tol: c.Tol, Solver: c.Solver().String(), Trajectories: c.Trajectories, Iterations: c.Iterations}
		if err := tasks.SaveModel(spec.Save, res.Model.Module(), meta, mc); err != nil {
			return tasks.Record{}, err
		}
	}
	x := extra{DriftNFE: res.DriftNFE, DiffusionNFE: res.DiffusionNFE, TrainDriftNFE: res.TrainDriftNFE, TestDriftNFE: res.TestDriftNFE,
		Failures: res.Failures, Solver: c.Solver().String(), Evals: res.Evals, Spread: res.Spread, SpreadLabels: res.SpreadLabels}
	for _, m := range res.Iterations {
		x.IterDriftNFE = append(x.IterDriftNFE, m.DriftNFE)
	}
	acc, loss := res.TestAccuracy, res.TestLoss
	run := report.Run{Method: c.Reg.Method.String(), Seed: int(c.Seed), Iterations: len(res.Iterations),
		TrainTimeS: res.TrainTime.Seconds(), PredictTimeS: res.PredictTime.Seconds(),
		NFE: res.DriftNFE, TrainLoss: res.TrainLoss, TestLoss: &loss, TestAccuracy: &acc, Budget: res.Budget}
	return tasks.NewRecord(run, x)
}

// trainLoss is the mean cross-entropy of the last (up to) 50 successful
// training iterations.
func trainLoss(its []IterationMetrics) float64 {
	s, n := 0.0, 0
	for k := len(its) - 1; k >= 0 && n < 50; k-- {
		if !its[k].Failed {
			s += its[k].Loss
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func decode(recs []tasks.Record) ([]extra, error) {
	xs := make([]extra, len(recs))
	for i := range recs {
		if err := recs[i].Decode(&xs[i]); err != nil {
			return nil, err
		}
	}
	return xs, nil
}

// Paper is the paper's Table 4 (mean ± std over 3 seeds; times in hours
// converted to seconds).
func Paper() report.Paper {
	row := func(method, label string, acc, accStd, ttH, ttHStd, pt, ptStd, nfe, nfeStd float64) report.PaperRow {
		return report.PaperRow{Method: method, Label: label, TestAccuracy: &report.Stat{Mean: acc / 100, Std: accStd / 100},
			TrainTimeS: &report.Stat{Mean: ttH * 3600, Std: ttHStd * 3600}, PredictTimeS: &report.Stat{Mean: pt, Std: ptStd}, NFE: &report.Stat{Mean: nfe, Std: nfeStd}}
	}
	return report.Paper{
		Source: "Pal et al. 2021, Table 4 (MNIST neural SDE; mean ± std over 3 seeds; 40 epochs, Float32, training time in hours converted to seconds)",
		Notes: []string{
			"Our NFE column is the drift NFE of one prediction of the first 512 training images with 10 trajectories each (a 5120 x 32 state); SOSRI and SOSRI2 evaluate the diffusion as often as the drift (the notes give both). The authors' code records both counts of this prediction.",
		},
		Rows: []report.PaperRow{
			row("vanilla", "Vanilla NSDE", 96.95, 0.13, 6.32, 0.03, 15.07, 0.50, 411.33, 6.24),
			row("stiffness", "SRNSDE", 96.80, 0.09, 8.54, 0.11, 14.50, 0.37, 382.00, 9.09),
			row("error", "ERNSDE", 96.27, 0.09, 4.19, 0.04, 7.23, 0.22, 184.67, 4.10),
		},
	}
}

func (t *task) configJSON() map[string]any {
	v := t.cfg
	full := v.TrainSubset
	if full == 0 {
		full = 60000
	}
	c := map[string]any{
		"scale": string(t.set.Scale), "methods": t.set.MethodNames(), "seeds": t.set.Seeds, "workers": t.set.Workers,
		"data": map[string]any{"set": "MNIST", "train_images": full, "test_images": v.TestSubset, "pixels": "bytes / 255"},
		"model": map[string]any{"embed": "Dense(784,32)", "drift": "Dense(32,64,tanh) -> Dense(64,32)",
			"diffusion": "Dense(32,32), diagonal noise", "head": "Dense(32,10)", "span": []float64{0, 1}},
		"loss":   "logit cross-entropy of one trajectory per image (training)",
		"solver": "SOSRI (vanilla, error), SOSRI2 (methods with stiffness); discrete adjoint", "rtol": v.Tol, "atol": v.Tol, "max_steps": v.MaxSteps,
		"batch": v.Batch, "iterations": v.Iterations,
		"optimizer":                map[string]any{"name": "Adam", "lr": v.LR, "inverse_decay": v.Decay},
		"error_regularization":     map[string]any{"coef": v.Reg.ErrorCoef, "coef_final": v.Reg.ErrorCoefFinal, "aggregation": v.Reg.ErrorAgg.String()},
		"stiffness_regularization": map[string]any{"coef": v.Reg.StiffnessCoef, "aggregation": v.Reg.StiffnessAgg.String(), "scale": "1/10.6"},
		"evaluation": map[string]any{"trajectories": v.Trajectories, "every": v.EvalEvery, "seed": v.PredictSeed,
			"accuracy": "mean logits of the trajectories, one solve per 512 images",
			"predict":  "first 512 training images in storage order, one solve; time = median of predict_repeats", "predict_repeats": v.PredictRepeats},
		"train_time": "sum of the iterations' wall times (forward, adjoint, update), evaluations excluded",
	}
	if v.Budget.IsSet() {
		c["budget"] = v.Budget
		c["budget_signal"] = fmt.Sprintf("the forward drift NFE of each training solve (batch %d, one trajectory per image) sets the coefficient; the budget is on the prediction's drift NFE (the first %d training images, %d trajectories each); the budgeted coefficient starts at the method's (--error-coef or --stiffness-coef)", v.Batch, v.PredictImages, v.Trajectories)
	}
	return c
}

func (t *task) Report(recs []tasks.Record) (*report.Results, error) {
	xs, err := decode(recs)
	if err != nil {
		return nil, err
	}
	runs := tasks.Runs(recs)
	r := &report.Results{Task: TaskName, Paper: Paper(), Config: t.configJSON(), Runs: runs, Summary: report.Summarize(runs, t.set.MethodNames())}
	r.Notes = t.notes(r, recs, xs)
	r.Checks, r.Verdict = Checks(r)
	return r, nil
}

// notes: the table of ratios beside Table 4's, the NFE the table leaves
// out, and how the runs were made.
func (t *task) notes(r *report.Results, recs []tasks.Record, xs []extra) []string {
	var notes []string
	paper := Paper()
	if v := r.SummaryOf("vanilla"); v != nil {
		pv := paper.Row("vanilla")
		notes = append(notes, "Relative to vanilla (ours, then the paper's Table 4):", "",
			"| method | accuracy − vanilla (points) | train time / vanilla | predict time / vanilla | NFE / vanilla | paper: accuracy − vanilla | paper: train time | paper: predict time | paper: NFE |",
			"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, s := range r.Summary {
			row := fmt.Sprintf("| %s | %+.2f | %.2f | %.2f | %.2f |", s.Method, 100*(deref(s.TestAccuracyMean)-deref(v.TestAccuracyMean)),
				s.TrainTimeMeanS/v.TrainTimeMeanS, s.PredictTimeMeanS/v.PredictTimeMeanS, s.NFEMean/v.NFEMean)
			if p := paper.Row(s.Method); p != nil && pv != nil {
				row += fmt.Sprintf(" %+.2f | %.2f | %.2f | %.2f |", 100*(p.TestAccuracy.Mean-pv.TestAccuracy.Mean),
					p.TrainTimeS.Mean/pv.TrainTimeS.Mean, p.PredictTimeS.Mean/pv.PredictTimeS.Mean, p.NFE.Mean/pv.NFE.Mean)
			} else {
				row += " — | — | — | — |"
			}
			notes = append(notes, row)
		}
		notes = append(notes, "")
	}
	var diff, trainNFE, testNFE []string
	failures := 0
	for _, name := range t.set.MethodNames() {
		var d, tn, te []float64
		for i, rec := range recs {
			if rec.Run.Method == name {
				d = append(d, float64(xs[i].DiffusionNFE))
				tn = append(tn, xs[i].TrainDriftNFE)
				te = append(te, xs[i].TestDriftNFE)
				failures += xs[i].Failures
			}
		}
		if len(d) == 0 {
			continue
		}
		diff = append(diff, fmt.Sprintf("%s %s", name, meanPM(d, "%.1f")))
		trainNFE = append(trainNFE, fmt.Sprintf("%s %s", name, meanPM(tn, "%.1f")))
		testNFE = append(testNFE, fmt.Sprintf("%s %s", name, meanPM(te, "%.1f")))
	}
	notes = append(notes,
		"Prediction diffusion NFE (the NFE column counts the drift): "+strings.Join(diff, ", ")+".",
		"Mean forward drift NFE per training iteration (512 images, one trajectory each): "+strings.Join(trainNFE, ", ")+".",
		"Mean drift NFE of the test-accuracy solves (512 images x 10 trajectories each): "+strings.Join(testNFE, ", ")+".")
	if failures > 0 {
		notes = append(notes, fmt.Sprintf("%d training iterations were skipped because their solve failed.", failures))
	}
	if t.set.Scale != tasks.Full {
		c := t.cfg
		sub := "all 60000"
		if c.TrainSubset > 0 && c.TrainSubset < 60000 {
			sub = fmt.Sprintf("the first %d", c.TrainSubset)
		}
		notes = append(notes, fmt.Sprintf("Default scale: %d iterations of %d images from %s training images (the paper: 40 epochs, 4720 iterations), accuracy on the first %d test images; the paper's times are for 40 epochs, so only the ratios compare.",
			c.Iterations, c.Batch, sub, c.TestSubset))
	}
	if t.set.Workers > 1 {
		notes = append(notes, fmt.Sprintf("Runs were trained %d at a time, so each run's times include sharing the cores.", t.set.Workers))
	}
	return notes
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func meanPM(x []float64, format string) string {
	m, sd := stat.MeanStdDev(x, nil)
	if len(x) < 2 {
		sd = 0
	}
	return fmt.Sprintf(format+" ± "+format, m, sd)
}

// Checks states the acceptance checks of the error-regularized model
// against vanilla, each a pass/fail line: mean prediction NFE at most
// ClaimNFE times vanilla's, mean test accuracy at least vanilla's minus
// ClaimAccuracyDrop, mean training time at most vanilla's.
func Checks(r *report.Results) ([]report.Check, string) {
	v, e := r.SummaryOf("vanilla"), r.SummaryOf("error")
	if v == nil || e == nil || v.TestAccuracyMean == nil || e.TestAccuracyMean == nil {
		return nil, ""
	}
	pf := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	nfe := e.NFEMean / v.NFEMean
	dAcc := *e.TestAccuracyMean - *v.TestAccuracyMean
	tt := e.TrainTimeMeanS / v.TrainTimeMeanS
	okN, okA, okT := nfe <= ClaimNFE, dAcc >= -ClaimAccuracyDrop, tt <= 1
	checks := []report.Check{
		{Name: "error NFE", Pass: okN, Text: fmt.Sprintf("%s error vs vanilla, prediction NFE: %.1f / %.1f = %.2fx (want <= %.2f)", pf(okN), e.NFEMean, v.NFEMean, nfe, ClaimNFE)},
		{Name: "error accuracy", Pass: okA, Text: fmt.Sprintf("%s error vs vanilla, test accuracy: %.2f%% vs %.2f%%, %+.2f points (want >= %.1f)", pf(okA), 100**e.TestAccuracyMean, 100**v.TestAccuracyMean, 100*dAcc, -100*ClaimAccuracyDrop)},
		{Name: "error train time", Pass: okT, Text: fmt.Sprintf("%s error vs vanilla, training time: %.1f s / %.1f s = %.2fx (want <= 1)", pf(okT), e.TrainTimeMeanS, v.TrainTimeMeanS, tt)},
	}
	if okN && okA && okT {
		return checks, fmt.Sprintf("The claim holds: error regularization cuts the prediction NFE to %.2fx vanilla's at %+.2f points of accuracy and %.2fx the training time (paper: 0.45x, -0.68 points, 0.66x).", nfe, 100*dAcc, tt)
	}
	return checks, "The claim does NOT hold at this protocol (paper: 0.45x NFE, -0.68 points, 0.66x training time)."
}

// Figures draws, from the records: the prediction drift NFE and the test
// accuracy over training (mean over seeds per method), and the spread of
// the trajectories' logits for the first test images (each method's first
// seed).
func (t *task) Figures(ctx context.Context, dir string, recs []tasks.Record) ([]string, error) {
	xs, err := decode(recs)
	if err != nil {
		return nil, err
	}
	var nfeLines, accLines []report.Series
	var spread []report.Panel
	for _, name := range t.set.MethodNames() {
		var nfeC, accC [][]float64
		var its []float64
		first := true
		for i, rec := range recs {
			if rec.Run.Method != name {
				continue
			}
			x := xs[i]
			var n, a, it []float64
			for _, e := range x.Evals {
				it = append(it, float64(e.Iteration))
				n = append(n, float64(e.DriftNFE))
				a = append(a, 100*e.TestAccuracy)
			}
			nfeC, accC = append(nfeC, n), append(accC, a)
			if len(its) == 0 || len(it) < len(its) {
				its = it
			}
			if first {
				first = false
				for k := range x.Spread {
					spread = append(spread, spreadPanel(fmt.Sprintf("%s seed %d: test image %d (label %d)", name, rec.Run.Seed, k, x.SpreadLabels[k]), x.Spread[k]))
				}
			}
		}
		if len(nfeC) == 0 {
			continue
		}
		mn, ma := report.MeanCurve(nfeC), report.MeanCurve(accC)
		nfeLines = append(nfeLines, report.Series{Name: name, X: its[:len(mn)], Y: mn})
		accLines = append(accLines, report.Series{Name: name, X: its[:len(ma)], Y: ma})
	}
	if len(nfeLines) == 0 {
		return nil, nil
	}
	nfe := filepath.Join(dir, "nfe.png")
	if err := report.Lines(nfe, report.Panel{Title: "Prediction drift NFE (512 images x 10 trajectories; mean over seeds)",
		XLabel: "iteration", YLabel: "drift NFE", Lines: nfeLines}); err != nil {
		return nil, err
	}
	acc := filepath.Join(dir, "accuracy.png")
	if err := report.Lines(acc, report.Panel{Title: "Test accuracy, mean logits of 10 trajectories (mean over seeds)",
		XLabel: "iteration", YLabel: "accuracy (%)", Lines: accLines}); err != nil {
		return nil, err
	}
	files := []string{nfe, acc}
	if len(spread) > 0 {
		sp := filepath.Join(dir, "spread.png")
		if err := report.Panels(sp, spread, SpreadImages); err != nil {
			return nil, err
		}
		files = append(files, sp)
	}
	return files, nil
}

// spreadPanel plots the logits of each trajectory (points) and their mean
// (line) against the class.
func spreadPanel(title string, traj [][]float64) report.Panel {
	var xsP, ysP []float64
	mean := make([]float64, Classes)
	for _, l := range traj {
		for c, v := range l {
			xsP = append(xsP, float64(c))
			ysP = append(ysP, v)
			mean[c] += v / float64(len(traj))
		}
	}
	classes := make([]float64, Classes)
	for c := range classes {
		classes[c] = float64(c)
	}
	return report.Panel{Title: title, XLabel: "class", YLabel: "logit",
		Points: []report.Series{{Name: "trajectories", X: xsP, Y: ysP}},
		Lines:  []report.Series{{Name: "mean", X: classes, Y: mean}}}
}

// Evaluate loads a model saved by `whitebox train mnist-nsde --save` and
// measures its accuracy on the test split of spec.Data (the four MNIST
// files; "": the default MNIST), and its prediction NFE and time on the
// first 512 training images with the trajectories, solver and tolerance it
// was trained with.
func (t *task) Evaluate(ctx context.Context, spec tasks.EvalSpec) (*tasks.Evaluation, error) {
	var mc modelConfig
	mod, meta, err := tasks.LoadModel(spec.Model, TaskName, &mc)
	if err != nil {
		return nil, err
	}
	m, err := FromModule(mod)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", tasks.ErrWrongModel, err)
	}
	cfg := Config{Tol: mc.Tol, Trajectories: mc.Trajectories, PredictRepeats: spec.Repeats, MaxSteps: spec.MaxSteps}
	if mc.Solver == sde.MethodSOSRI2.String() {
		cfg.Reg.Method.Stiffness = true
	}
	cfg = cfg.withDefaults()
	ds, err := LoadData(spec.Data)
	if err != nil {
		return nil, err
	}
	acc, err := Evaluate(ctx, m, ds.Test, cfg, 0)
	if err != nil {
		return nil, err
	}
	var times []time.Duration
	var p *Prediction
	for range cfg.PredictRepeats {
		if p, err = PredictBatchOf(ctx, m, ds.Train, cfg); err != nil {
			return nil, err
		}
		times = append(times, p.Time)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	data := spec.Data
	if data == "" {
		data = "MNIST test split (GoMNIST)"
	}
	return &tasks.Evaluation{Task: TaskName, Method: meta.Method, Seed: meta.Seed, Data: data, Examples: ds.Test.N,
		TestAccuracy: &acc.Accuracy, TestLoss: &acc.Loss, NFE: p.DriftNFE, PredictTimeS: times[len(times)/2].Seconds(),
		Notes: []string{
			fmt.Sprintf("%d trajectories per image (mean logits), %s at rtol = atol = %g; NFE counts the drift of one prediction of the first %d training images (diffusion NFE %d); test solves: mean drift NFE %.1f.",
				cfg.Trajectories, cfg.Solver(), cfg.Tol, min(PredictBatch, ds.Train.N), p.DiffusionNFE, acc.DriftNFE),
		}}, nil
}
