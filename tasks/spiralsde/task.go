package spiralsde

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

func init() { tasks.Register(func() tasks.Task { return new(task) }) }

// ClaimLoss is the largest ratio of a regularized method's mean loss to
// vanilla's that the acceptance check accepts (the paper: within 4%).
const ClaimLoss = 1.2

// task is the spiral SDE experiment as a tasks.Task.
type task struct {
	flags *tasks.Overrides[Config]
	set   tasks.Settings
	cfg   Config // the protocol; each run sets its method and seed
}

func (*task) Info() tasks.Info {
	return tasks.Info{
		Name:    "spiral-sde",
		Summary: "fit a neural SDE to the moments of the stochastic spiral (paper Table 3) with vanilla, stiffness and error training",
		Methods: []string{"vanilla", "stiffness", "error"},
		Workers: 2,
	}
}

func (t *task) Flags(fs tasks.FlagSet) {
	o := tasks.NewOverrides(fs, Config{}.withDefaults())
	o.Int("iters", func(c *Config) *int { return &c.Iterations }, "AdaBelief iterations per run (the paper's 250; at 250 the regularizers' effect lies within the spread between seeds; --scale full is the same protocol)", tasks.AtLeast(1))
	o.Int("trajectories", func(c *Config) *int { return &c.Trajectories }, "trajectories per iteration and per prediction pass, solved as one batched SDE", tasks.AtLeast(2))
	o.Float("tol", func(c *Config) *float64 { return &c.Tol }, "SOSRI tolerance, rtol = atol, in training and prediction", tasks.Positive)
	o.Float("lr", func(c *Config) *float64 { return &c.LR }, "AdaBelief learning rate (the authors' code's 0.01 leaves some seeds unconverged after 250 iterations)", tasks.Positive)
	o.Float("lr-final", func(c *Config) *float64 { return &c.LRFinal }, "AdaBelief learning rate at the last iteration, exponential decay (0: constant --lr)", tasks.NonNegative)
	tasks.RegularizationFlags(o, func(c *Config) *train.Regularization { return &c.Reg }, 0)
	tasks.BudgetFlags(o, func(c *Config) *train.Budget { return &c.Budget })
	o.Int("data-trajectories", func(c *Config) *int { return &c.Data.Trajectories }, "simulated true trajectories whose means and variances are the target", tasks.AtLeast(2))
	o.Float("data-tol", func(c *Config) *float64 { return &c.Data.Tol }, "SOSRI tolerance of the simulation of the true SDE", tasks.Positive)
	o.Int("predict-passes", func(c *Config) *int { return &c.PredictPasses }, "prediction passes (each --trajectories paths with its own noise) whose loss and NFE are averaged", tasks.AtLeast(1))
	t.flags = o
}

func (t *task) Setup(s tasks.Settings) error {
	c, err := t.flags.Configure(s, Full().withDefaults(), func(c *Config) error {
		c.MaxSteps = s.MaxSteps
		return tasks.CheckBudget(t.flags.FlagSet(), c.Budget, s.Methods)
	}, checkMethod)
	if err != nil {
		return err
	}
	t.set, t.cfg = s, c
	return nil
}

// checkMethod checks that spiral-sde trains m and that c is valid for it.
func checkMethod(c Config, m train.Method) error {
	if m.STEER {
		return fmt.Errorf("--methods: spiral-sde trains vanilla, error, stiffness or error+stiffness, not %s", m)
	}
	for _, b := range []struct {
		on   bool
		name string
	}{{m.TayNODE, "taynode"}, {m.RNODE, "rnode"}} {
		if b.on {
			return fmt.Errorf("--methods %s: spiral-sde has no %s: taynode and rnode integrate derivatives of an ODE's vector field along its solution (Kelly et al. 2020, Finlay et al. 2020), which an SDE's paths do not have; spiral-sde trains vanilla, error, stiffness or error+stiffness", m, b.name)
		}
	}
	c.Reg.Method = m
	return c.validate()
}

// extra is what a run records beyond its row of the results JSON: the NFE
// measures the table leaves out, the training NFE per iteration and the
// moments of the data and of the trained model, for the notes and figures.
type extra struct {
	PredictNFE      float64      `json:"predict_nfe"`
	PredictDriftNFE float64      `json:"predict_drift_nfe"`
	TrainNFE        float64      `json:"train_nfe"`
	Failures        int          `json:"failures"`
	DataNFE         int          `json:"data_nfe"`
	NFE             []int        `json:"nfe"`
	Failed          []bool       `json:"failed"`
	T               []float64    `json:"t"`
	DataMean        [][2]float64 `json:"data_mean"`
	DataStd         [][2]float64 `json:"data_std"`
	ModelMean       [][2]float64 `json:"model_mean"`
	ModelStd        [][2]float64 `json:"model_std"`
}

func (t *task) Run(ctx context.Context, spec tasks.RunSpec) (tasks.Record, error) {
	cfg := t.cfg
	cfg.Seed, cfg.Reg.Method = spec.Seed, spec.Method
	data, err := CachedData(ctx, cfg.Data)
	if err != nil {
		return tasks.Record{}, err
	}
	res, err := Run(ctx, cfg, spec.Options)
	if err != nil {
		return tasks.Record{}, err
	}
	if spec.Save != "" {
		if err := nn.Save(spec.Save, res.Model.Module()); err != nil {
			return tasks.Record{}, err
		}
	}
	x := extra{PredictNFE: res.PredictNFE, PredictDriftNFE: res.PredictDriftNFE, TrainNFE: res.TrainNFE, Failures: res.Failures, DataNFE: data.NFE,
		T: res.T, DataMean: res.DataMean, DataStd: res.DataStd, ModelMean: res.ModelMean, ModelStd: res.ModelStd}
	for _, m := range res.Iterations {
		x.NFE = append(x.NFE, m.NFE)
		x.Failed = append(x.Failed, m.Failed)
	}
	run := report.Run{Method: res.Config.Reg.Method.String(), Seed: int(res.Config.Seed), Iterations: len(res.Iterations),
		TrainTimeS: res.TrainTime.Seconds(), PredictTimeS: res.PredictTime.Seconds(),
		NFE: int(math.Round(res.PredictNFE)), TrainLoss: res.Loss, Budget: res.Budget}
	return tasks.NewRecord(run, x)
}

// decode returns the records' extras.
func decode(recs []tasks.Record) ([]extra, error) {
	xs := make([]extra, len(recs))
	for i := range recs {
		if err := recs[i].Decode(&xs[i]); err != nil {
			return nil, err
		}
	}
	return xs, nil
}

// Paper is the paper's Table 3.
func Paper() report.Paper {
	row := func(method, label string, loss, lossStd, tt, ttStd, pt, ptStd, nfe, nfeStd float64) report.PaperRow {
		return report.PaperRow{Method: method, Label: label, TrainLoss: &report.Stat{Mean: loss, Std: lossStd},
			TrainTimeS: &report.Stat{Mean: tt, Std: ttStd}, PredictTimeS: &report.Stat{Mean: pt, Std: ptStd}, NFE: &report.Stat{Mean: nfe, Std: nfeStd}}
	}
	return report.Paper{
		Source: "Pal et al. 2021, Table 3 (spiral SDE; mean ± std over 3 seeds)",
		Notes: []string{
			"The paper's loss sums the squared errors of the 30 means and variances of each component (eq. 17); ours averages them, as the authors' code does, so its numbers are 1/60 of the sum.",
			"Our NFE counts drift plus diffusion evaluations of SOSRI stepping onto the 30 save times; the authors' code counts drift evaluations (see the drift NFE below) and interpolates at the saves.",
		},
		Rows: []report.PaperRow{
			row("vanilla", "Vanilla NSDE", 0.0217, 0.0088, 178.95, 20.22, 0.07553, 0.0186, 528.67, 6.11),
			row("stiffness", "SRNSDE", 0.0204, 0.0091, 166.42, 14.51, 0.07250, 0.0017, 502.00, 4.00),
			row("error", "ERNSDE", 0.0227, 0.0090, 173.43, 4.18, 0.07552, 0.0008, 502.00, 4.00),
		},
	}
}

// configJSON is the "config" of the results JSON; dataNFE is the work of
// the simulation of the data.
func (t *task) configJSON(dataNFE int) map[string]any {
	v := t.cfg
	c := map[string]any{
		"scale": string(t.set.Scale), "methods": t.set.MethodNames(), "seeds": t.set.Seeds, "workers": t.set.Workers,
		"data": map[string]any{"system": "du = (u.^3) A dt + 0.2 u .* dW (diagonal noise)", "A": [][]float64{{-0.1, 2}, {-2, -0.1}}, "u0": []float64{2, 0},
			"times": "30 equally spaced on [0, 1]", "trajectories": v.Data.Trajectories, "solver": "SOSRI", "tolerance": v.Data.Tol,
			"seed": v.Data.Seed, "statistics": "sample mean and unbiased variance per time and component", "nfe": dataNFE},
		"model":  map[string]any{"drift": "x -> x^3 -> Dense(2,50,tanh) -> Dense(50,2)", "diffusion": "Dense(2,2), diagonal noise"},
		"loss":   "mean over times and components of (mean - data mean)^2 plus mean of (variance - data variance)^2 over the batch's trajectories",
		"solver": "SOSRI, discrete adjoint", "rtol": v.Tol, "atol": v.Tol, "max_steps": v.MaxSteps,
		"trajectories": v.Trajectories, "iterations": v.Iterations,
		"optimizer": map[string]any{"name": "AdaBelief", "lr": v.LR, "lr_final": v.LRFinal},
		"error_regularization": map[string]any{"coef": v.Reg.ErrorCoef, "coef_final": v.Reg.ErrorCoefFinal,
			"annealing": "exponential over the iterations (constant when coef_final is 0)", "aggregation": v.Reg.ErrorAgg.String()},
		"stiffness_regularization": map[string]any{"coef": v.Reg.StiffnessCoef, "aggregation": v.Reg.StiffnessAgg.String()},
		"prediction": map[string]any{"passes": v.PredictPasses, "seed": DefaultPredictSeed,
			"loss": "mean over the passes", "nfe": "drift plus diffusion evaluations, mean over the passes rounded to an integer",
			"timing": "best of three timings of the first pass"},
		"train_time": "sum of the iterations' wall times; with workers > 1 the runs shared the cores",
	}
	if v.Budget.IsSet() {
		c["budget"] = v.Budget
	}
	return c
}

func (t *task) Report(recs []tasks.Record) (*report.Results, error) {
	xs, err := decode(recs)
	if err != nil {
		return nil, err
	}
	dataNFE := 0
	if len(xs) > 0 {
		dataNFE = xs[0].DataNFE
	}
	runs := tasks.Runs(recs)
	methods := t.set.MethodNames()
	r := &report.Results{Task: "spiral-sde", Paper: Paper(), Config: t.configJSON(dataNFE), Runs: runs, Summary: report.Summarize(runs, methods)}
	r.Notes = t.notes(recs, xs)
	r.Checks, r.Verdict = Checks(r)
	return r, nil
}

// notes gives, per method, the NFE measures the table leaves out, and says
// whether runs shared the cores.
func (t *task) notes(recs []tasks.Record, xs []extra) []string {
	var drift, trainNFE []string
	failures := 0
	for _, name := range t.set.MethodNames() {
		var d, tn []float64
		for i, r := range recs {
			if r.Run.Method == name {
				d = append(d, xs[i].PredictDriftNFE)
				tn = append(tn, xs[i].TrainNFE)
				failures += xs[i].Failures
			}
		}
		drift = append(drift, fmt.Sprintf("%s %s", name, meanPM(d, "%.0f")))
		trainNFE = append(trainNFE, fmt.Sprintf("%s %s", name, meanPM(tn, "%.0f")))
	}
	notes := []string{
		"Prediction drift NFE (the authors' code's count): " + strings.Join(drift, ", ") + ".",
		"Mean forward NFE per training iteration: " + strings.Join(trainNFE, ", ") + ".",
	}
	if failures > 0 {
		notes = append(notes, fmt.Sprintf("%d training iterations were skipped because their solve failed.", failures))
	}
	if t.set.Workers > 1 {
		notes = append(notes, fmt.Sprintf("Runs were trained %d at a time, so each run's training time includes sharing the cores.", t.set.Workers))
	}
	return notes
}

// meanPM formats the mean ± sample standard deviation of x.
func meanPM(x []float64, format string) string {
	m, sd := stat.MeanStdDev(x, nil)
	if len(x) < 2 {
		sd = 0
	}
	return fmt.Sprintf(format+" ± "+format, m, sd)
}

// Checks states the acceptance check: every regularized method's mean
// prediction NFE at most vanilla's, at a mean loss at most ClaimLoss times
// vanilla's. The verdict says whether the paper's claim holds.
func Checks(r *report.Results) ([]report.Check, string) {
	v := r.SummaryOf("vanilla")
	if v == nil {
		return nil, ""
	}
	var checks []report.Check
	var failed []string
	for _, s := range r.Summary {
		if s.Method == "vanilla" {
			continue
		}
		nfe, loss := s.NFEMean/v.NFEMean, s.TrainLossMean/v.TrainLossMean
		ok := nfe <= 1 && loss <= ClaimLoss
		verdict := "holds"
		if !ok {
			verdict = "does not hold"
			failed = append(failed, s.Method)
		}
		checks = append(checks, report.Check{Name: s.Method + " vs vanilla", Pass: ok,
			Text: fmt.Sprintf("Check %s vs vanilla: NFE %.3fx (want <= 1), loss %.2fx (want <= %.1f): %s.", s.Method, nfe, loss, ClaimLoss, verdict)})
	}
	switch {
	case len(checks) == 0:
		return nil, ""
	case len(failed) == 0:
		return checks, "The claim holds: every regularized method needs at most vanilla's NFE at a comparable loss (paper: 502 vs 529 NFE, loss within 4%)."
	default:
		return checks, fmt.Sprintf("The claim does NOT hold for %s (paper: 502 vs 529 NFE, loss within 4%%).", strings.Join(failed, ", "))
	}
}

// Figures draws, from the records, each method's first-seed fit against
// the data's moments, and the forward NFE over training.
func (t *task) Figures(ctx context.Context, dir string, recs []tasks.Record) ([]string, error) {
	xs, err := decode(recs)
	if err != nil {
		return nil, err
	}
	var firsts []*Result
	var lines []report.Series
	for _, name := range t.set.MethodNames() {
		var curves [][]float64
		for i, r := range recs {
			if r.Run.Method != name {
				continue
			}
			x := xs[i]
			if len(curves) == 0 {
				m, _ := train.ParseMethod(r.Run.Method)
				firsts = append(firsts, &Result{Config: Config{Seed: uint64(r.Run.Seed), Reg: train.Regularization{Method: m}},
					Loss: r.Run.TrainLoss, PredictNFE: x.PredictNFE,
					T: x.T, DataMean: x.DataMean, DataStd: x.DataStd, ModelMean: x.ModelMean, ModelStd: x.ModelStd})
			}
			c := make([]float64, len(x.NFE))
			for k, n := range x.NFE {
				c[k] = float64(n)
				if k < len(x.Failed) && x.Failed[k] {
					c[k] = math.NaN()
				}
			}
			curves = append(curves, c)
		}
		if len(curves) == 0 {
			continue
		}
		mc := report.MeanCurve(curves)
		lines = append(lines, report.Series{Name: name, X: report.Range(len(mc)), Y: report.Smooth(mc, max(1, len(mc)/50))})
	}
	if len(firsts) == 0 {
		return nil, nil
	}
	moments := filepath.Join(dir, "moments.png")
	if err := WriteFigure(moments, firsts); err != nil {
		return nil, err
	}
	nfe := filepath.Join(dir, "nfe.png")
	if err := report.Lines(nfe, report.Panel{Title: "Forward NFE per training iteration (mean over seeds, smoothed)",
		XLabel: "iteration", YLabel: "NFE (drift + diffusion)", Lines: lines}); err != nil {
		return nil, err
	}
	return []string{moments, nfe}, nil
}
