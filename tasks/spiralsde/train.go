package spiralsde

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// Default protocol values (the paper, Section 5, and the authors' RegNeuralDE.jl, except where
// noted).
const (
	// DefaultIterations is twice the paper's 250: after 250 iterations the
	// regularized and vanilla fits differ by less than the spread between
	// seeds, and whether a three-seed mean shows the paper's few percent
	// of NFE turned on the last bits of the arithmetic; after 500 both
	// regularizers cut the NFE on every seed tried (README, "How the SDE
	// protocol was chosen").
	DefaultIterations   = 500
	DefaultTrajectories = 100
	DefaultTol          = 0.3
	// DefaultLR is AdaBelief's learning rate. The authors' code's 0.01 leaves
	// some initialisations far from converged after 250 iterations (seed
	// 1999: loss still falling steadily, 0.31 against 0.02-0.04 for other
	// seeds), so that the spread between seeds swamps the regularizers'
	// effect; at 0.05 every seed tried reaches a loss of 0.016-0.037 (README,
	// "How the SDE protocol was chosen").
	DefaultLR = 0.05
	// DefaultErrorCoef and DefaultStiffnessCoef weigh the summed
	// regularizers (of the mean-form loss). The authors' code's error
	// coefficient is 0.2, for 250 iterations at a learning rate of 0.01;
	// over DefaultIterations at DefaultLR it costs 1.66x vanilla's loss
	// (0.1: 1.27x), while 0.05 cuts the NFE by 8% at 1.06x the loss. R_S
	// sums S_j ~ 0.8 over ~170 steps, so its coefficient is much smaller:
	// 1e-3 raised the loss 1.4x (at LR 0.01); 3e-4 cuts the NFE by 6.5% at
	// 1.12x the loss over 500 iterations.
	DefaultErrorCoef     = 0.05
	DefaultStiffnessCoef = 3e-4
	// DefaultPredictSeed seeds the Brownian paths of the prediction solves,
	// the same for every run so that runs are compared on the same noise.
	DefaultPredictSeed = 20210718
)

// Config is one training run. The zero value is the default scale (the
// paper's protocol apart from the learning rate, the number of iterations
// and the error coefficient; the full scale is the same) with seed 0 and
// the vanilla method.
type Config struct {
	// Seed seeds the model's initialisation and the Brownian paths of the
	// training iterations (iteration k uses a seed derived from Seed and k).
	Seed uint64
	// Iterations is the number of AdaBelief steps. Default 500.
	Iterations int
	// Trajectories is the batch: trajectories per iteration, solved as one
	// batched SDE. Default 100.
	Trajectories int
	// Tol is the solver tolerance, rtol = atol. Default 0.3.
	Tol float64
	// Reg is the method (vanilla, error, stiffness or error+stiffness;
	// STEER is not supported) and its coefficients. Zero coefficients take
	// the defaults DefaultErrorCoef (0.05, constant unless ErrorCoefFinal is
	// set) and DefaultStiffnessCoef (3e-4); the aggregations default to sum.
	Reg train.Regularization
	// LR is AdaBelief's learning rate. Default DefaultLR (0.05).
	LR float64
	// LRFinal, if positive, anneals the learning rate exponentially from LR
	// at the first iteration to LRFinal at the last (optim.ExpAnneal); zero
	// keeps it constant.
	LRFinal float64
	// FixedNoise, if set, gives every training iteration the same Brownian
	// paths (seeded by Seed alone) instead of fresh ones per iteration.
	FixedNoise bool
	// Solver is the SDE method. Default SOSRI.
	Solver sde.Method
	// PredictSeed seeds the prediction solves. Default DefaultPredictSeed.
	PredictSeed uint64
	// PredictPasses is the number of prediction solves (forward passes of
	// Trajectories paths, each with its own noise) whose loss and NFE are
	// averaged. Default 5: one pass of 100 paths gives an NFE that varies by
	// several percent with the noise.
	PredictPasses int
	// MaxSteps bounds the attempted steps of every solve of the model
	// (0: the solver's default, sde.Options.MaxSteps).
	MaxSteps int
	// Data configures the target statistics (simulated once per process
	// and configuration, see CachedData).
	Data DataConfig
	// Budget, if set, trains to a prediction budget: the coefficient of
	// its regularizer (error by default) starts at the Reg's value and is
	// set online from the training NFE (train.BudgetController).
	Budget train.Budget `json:",omitzero"`
}

// Full returns the paper-sized protocol, which is the default scale.
func Full() Config { return Config{} }

func (c Config) withDefaults() Config {
	if c.Iterations == 0 {
		c.Iterations = DefaultIterations
	}
	if c.Trajectories == 0 {
		c.Trajectories = DefaultTrajectories
	}
	if c.Tol == 0 {
		c.Tol = DefaultTol
	}
	if c.Reg.ErrorCoef == 0 {
		c.Reg.ErrorCoef = DefaultErrorCoef
	}
	if c.Reg.StiffnessCoef == 0 {
		c.Reg.StiffnessCoef = DefaultStiffnessCoef
	}
	if c.LR == 0 {
		c.LR = DefaultLR
	}
	if c.PredictPasses == 0 {
		c.PredictPasses = 5
	}
	if c.PredictSeed == 0 {
		c.PredictSeed = DefaultPredictSeed
	}
	c.Data = c.Data.withDefaults()
	return c
}

func (c Config) validate() error {
	switch {
	case c.Iterations < 0:
		return fmt.Errorf("spiralsde: Iterations = %d must be positive", c.Iterations)
	case c.Trajectories < 2:
		return fmt.Errorf("spiralsde: Trajectories = %d; the variances need at least 2", c.Trajectories)
	case !(c.Tol > 0) || !(c.LR > 0):
		return fmt.Errorf("spiralsde: Tol and LR must be positive (Tol=%g LR=%g)", c.Tol, c.LR)
	case c.LRFinal < 0:
		return fmt.Errorf("spiralsde: LRFinal = %g must be positive, or 0 for a constant learning rate", c.LRFinal)
	case c.PredictPasses < 0:
		return fmt.Errorf("spiralsde: PredictPasses = %d must be positive", c.PredictPasses)
	case c.MaxSteps < 0:
		return fmt.Errorf("spiralsde: MaxSteps = %d must not be negative", c.MaxSteps)
	case c.Reg.Method.STEER:
		return fmt.Errorf("spiralsde: method %s: STEER is not supported for the SDE (use vanilla, error, stiffness or error+stiffness)", c.Reg.Method)
	case c.Reg.Method.TayNODE || c.Reg.Method.RNODE:
		return fmt.Errorf("spiralsde: method %s: taynode and rnode are not defined for the SDE (use vanilla, error, stiffness or error+stiffness)", c.Reg.Method)
	}
	if err := c.Reg.Validate(); err != nil {
		return fmt.Errorf("spiralsde: %w", err)
	}
	if err := c.Budget.Validate(); err != nil {
		return fmt.Errorf("spiralsde: %w", err)
	}
	return nil
}

// IterationMetrics is the record of one training iteration.
type IterationMetrics struct {
	Iteration int
	// Loss is the moment loss and Objective the loss plus the weighted
	// regularizer that was differentiated.
	Loss, Objective float64
	// RE and RS are the unweighted regularizers sum_j E_j |h_j| and
	// sum_j S_j over the accepted steps of the iteration's forward solve.
	RE, RS float64
	// NFE and DriftNFE count the forward solve's evaluations (drift plus
	// diffusion, and drift alone); BackwardNFE the adjoint's.
	NFE, DriftNFE, BackwardNFE int
	Accepted, Rejected         int
	// Failed reports a solve that failed (no update was made); Err says why.
	Failed bool
	Err    string
	// Time is the wall time of the iteration (forward, adjoint and update).
	Time time.Duration
}

// failed reports an iteration skipped because its solve failed.
func (m IterationMetrics) failed() bool { return m.Failed }

// Result is the outcome of a training run.
type Result struct {
	Config Config
	// Model is the trained model (save it with nn.Save(path, Model.Module())).
	Model *Model
	// Loss is the moment loss of the trained model and PredictNFE,
	// PredictDriftNFE the evaluations of one forward pass (drift plus
	// diffusion, and drift alone as the authors' code counts), each the mean over
	// PredictPasses forward passes of Trajectories paths without gradients;
	// PredictAccepted and PredictRejected are the passes' mean step counts.
	Loss                             float64
	PredictNFE, PredictDriftNFE      float64
	PredictAccepted, PredictRejected float64
	// TrainTime is the time of the training iterations (forward, adjoint and
	// update; after a resume, including the time before the interruption);
	// PredictTime the best of three runs of the first forward pass.
	TrainTime, PredictTime time.Duration
	// TrainNFE is the mean forward NFE (drift plus diffusion) of the
	// training iterations: the work the regularizers aim to cut during
	// training.
	TrainNFE float64
	// Failures counts iterations whose solve failed and were skipped.
	Failures int
	// Budget is the outcome of a budgeted run (nil without a budget).
	Budget *train.BudgetOutcome
	// Iterations is the record of every training iteration.
	Iterations []IterationMetrics
	// T are the observation times; the data's and the trained model's means
	// and standard deviations there, per component, for plotting.
	T                   []float64
	DataMean, DataStd   [][2]float64
	ModelMean, ModelStd [][2]float64
}

// Run trains the neural SDE with AdaBelief through a train.Loop and returns
// the trained model's loss, NFE and timings. Solves that fail (an
// sde.SolveError, e.g. a diverging model) skip their iteration, which
// reports the previous iteration's loss and no NFE; ten failures in a row
// end the run with an error. An interrupted run returns the loop's
// *train.InterruptedError (after writing its checkpoint when
// opts.Checkpoint is set). The run's default name is
// "spiral-sde/<method>/seed=<seed>".
func Run(ctx context.Context, cfg Config, opts train.RunOptions) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	data, err := CachedData(ctx, cfg.Data)
	if err != nil {
		return nil, err
	}
	r, err := newRun(cfg, data)
	if err != nil {
		return nil, err
	}
	loop := &train.Loop{
		Name:       fmt.Sprintf("spiral-sde/%s/seed=%d", cfg.Reg.Method, cfg.Seed),
		Iterations: cfg.Iterations, Seed: cfg.Seed, Fingerprint: cfg.fingerprint(),
		Step: r.step,
		State: []train.Section{
			{Name: "model", State: train.ModuleState(r.model.Module())},
			{Name: "optimizer", State: r.opt},
			{Name: "history", State: history{&r.history}},
		},
	}
	r.budget.Attach(loop)
	// A prediction-time budget is converted to NFE by the time per NFE of
	// one prediction pass (the median of three).
	popts := &sde.Options{Method: cfg.Solver, RTol: cfg.Tol, ATol: cfg.Tol, SaveAt: data.T, Seed: mixSeed(cfg.PredictSeed, 0), MaxSteps: cfg.MaxSteps}
	lr, err := r.budget.Run(ctx, loop, opts, 3, func(ctx context.Context) (int, error) {
		sol, err := sde.Solve(ctx, r.prob, popts)
		if err != nil {
			return 0, fmt.Errorf("spiralsde: timing the prediction solve: %w", err)
		}
		return sol.NFE, nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, Model: r.model, T: data.T, TrainTime: lr.Elapsed, Iterations: r.history}
	ok := 0
	for _, m := range r.history {
		if m.Failed {
			res.Failures++
			continue
		}
		res.TrainNFE += float64(m.NFE)
		ok++
	}
	if ok > 0 {
		res.TrainNFE /= float64(ok)
	}
	if err := predict(ctx, cfg, data, r.model, res); err != nil {
		return nil, err
	}
	res.Budget = r.budget.Outcome(res.PredictNFE, res.Loss)
	return res, nil
}

// newRNG returns the generator of a run's model initialisation.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5e5de)) }

// fingerprint describes what shapes the training arithmetic (not the seed,
// which checkpoints hold apart, nor the prediction), so that a checkpoint is
// only resumed by the same protocol.
func (c Config) fingerprint() string {
	t := c
	t.Seed, t.PredictSeed, t.PredictPasses, t.MaxSteps = 0, 0, 0, 0
	js, _ := json.Marshal(t)
	return "spiral-sde " + string(js)
}

// run is the training state of one run: model, optimizer and history.
type run struct {
	cfg     Config
	data    *Data
	model   *Model
	params  []*ad.Param
	opt     *optim.AdaBelief
	prob    sde.Problem
	history []IterationMetrics
	budget  *train.BudgetController
}

func newRun(cfg Config, data *Data) (*run, error) {
	b, err := train.NewBudgetController(cfg.Budget, cfg.Reg, cfg.Iterations)
	if err != nil {
		return nil, fmt.Errorf("spiralsde: %w", err)
	}
	m := NewModel(newRNG(cfg.Seed))
	return &run{cfg: cfg, data: data, model: m, params: m.Params(), opt: optim.NewAdaBelief(cfg.schedule()),
		prob: m.Problem(cfg.Trajectories), budget: b}, nil
}

// schedule is the learning rate over the iterations.
func (c Config) schedule() optim.Schedule {
	if c.LRFinal > 0 && c.LRFinal != c.LR && c.Iterations > 1 {
		return optim.ExpAnneal(c.LR, c.LRFinal, c.Iterations-1)
	}
	return optim.Constant(c.LR)
}

// step is training iteration it (0 for the first), a train.Step. Its
// Brownian paths are seeded by (Seed, it) alone (by Seed alone with
// FixedNoise), so a resumed run draws the same noise as an uninterrupted
// one; the loop's generator is not used.
func (r *run) step(ctx context.Context, it int, _ *rand.Rand) (train.Metrics, error) {
	start := time.Now()
	m := IterationMetrics{Iteration: it + 1}
	reg := r.budget.At(it, r.cfg.Iterations)
	opts := &sde.Options{Method: r.cfg.Solver, RTol: r.cfg.Tol, ATol: r.cfg.Tol, SaveAt: r.data.T,
		Seed: mixSeed(r.cfg.Seed, uint64(it+1)), Adjoint: true, MaxSteps: r.cfg.MaxSteps}
	if r.cfg.FixedNoise {
		opts.Seed = mixSeed(r.cfg.Seed, 0)
	}
	sol, err := sde.Solve(ctx, r.prob, opts)
	if err == nil {
		m.NFE, m.DriftNFE = sol.NFE, sol.DriftNFE
		m.Accepted, m.Rejected = sol.Accepted, sol.Rejected
		m.RE, m.RS = sol.ErrorRegularizer(ode.Sum), sol.StiffnessRegularizer(ode.Sum)
		l, grad := Loss(sol.Z, r.data)
		m.Loss = l
		m.Objective = l + sol.Regularizer(reg)
		for _, p := range r.params {
			p.Grad.Zero()
		}
		_, err = sol.Backward(ctx, grad, reg)
		m.BackwardNFE = sol.BackwardNFE
		sol.Release()
	}
	if err != nil {
		if err := tasks.SkipFailedSolve(ctx, "spiralsde", err, r.history, IterationMetrics.failed); err != nil {
			return train.Metrics{}, err
		}
		// The model is unchanged: report the last loss measured.
		m = IterationMetrics{Iteration: it + 1, Failed: true, Err: err.Error()}
		if n := len(r.history); n > 0 {
			m.Loss, m.Objective = r.history[n-1].Loss, r.history[n-1].Objective
		}
	} else if err := tasks.StepFinite("spiralsde", r.opt, r.params); err != nil {
		return train.Metrics{}, err
	}
	m.Time = time.Since(start)
	r.history = append(r.history, m)
	return train.Metrics{Loss: m.Loss, Objective: m.Objective,
		Regularizers: map[string]float64{"error": m.RE, "stiffness": m.RS},
		Coefficients: map[string]float64{"error": reg.Error, "stiffness": reg.Stiffness},
		NFE:          m.NFE, BackwardNFE: m.BackwardNFE}, nil
}

// history is the checkpoint section holding a run's IterationMetrics, as
// JSON (which round-trips float64 exactly).
type history struct{ its *[]IterationMetrics }

func (h history) MarshalBinary() ([]byte, error) { return json.Marshal(*h.its) }

func (h history) UnmarshalBinary(b []byte) error {
	var its []IterationMetrics
	if err := json.Unmarshal(b, &its); err != nil {
		return fmt.Errorf("spiralsde: history section: %v", err)
	}
	for i, m := range its {
		if m.Iteration != i+1 {
			return fmt.Errorf("spiralsde: history section: record %d is of iteration %d", i+1, m.Iteration)
		}
	}
	*h.its = its
	return nil
}

// predict evaluates the trained model without gradients: PredictPasses
// forward solves of Trajectories paths, each with its own Brownian seed
// (derived from PredictSeed), averaging loss and NFE over them; the moments
// for the figure come from the first pass, and PredictTime is the best time
// of a repeat of the first pass.
func predict(ctx context.Context, cfg Config, data *Data, model *Model, res *Result) error {
	prob := model.Problem(cfg.Trajectories)
	var loss, nfe, drift, acc, rej float64
	for k := range cfg.PredictPasses {
		opts := &sde.Options{Method: cfg.Solver, RTol: cfg.Tol, ATol: cfg.Tol, SaveAt: data.T, Seed: mixSeed(cfg.PredictSeed, uint64(k)), MaxSteps: cfg.MaxSteps}
		reps := 1
		if k == 0 {
			reps = 3
		}
		var sol *sde.Solution
		for r := range reps {
			start := time.Now()
			s, err := sde.Solve(ctx, prob, opts)
			el := time.Since(start)
			if err != nil {
				return fmt.Errorf("spiralsde: prediction solve of the trained model: %w", err)
			}
			if k == 0 && (r == 0 || el < res.PredictTime) {
				res.PredictTime = el
			}
			sol = s
		}
		l, _ := Loss(sol.Z, data)
		loss += l
		nfe += float64(sol.NFE)
		drift += float64(sol.DriftNFE)
		acc += float64(sol.Accepted)
		rej += float64(sol.Rejected)
		if k == 0 {
			mean, variance := Moments(sol.Z)
			res.ModelMean, res.ModelStd = mean, sqrtAll(variance)
		}
	}
	n := float64(cfg.PredictPasses)
	res.Loss, res.PredictNFE, res.PredictDriftNFE = loss/n, nfe/n, drift/n
	res.PredictAccepted, res.PredictRejected = acc/n, rej/n
	res.DataMean, res.DataStd = data.Mean, sqrtAll(data.Var)
	return nil
}

func sqrtAll(v [][2]float64) [][2]float64 {
	out := make([][2]float64, len(v))
	for i := range v {
		out[i] = [2]float64{math.Sqrt(v[i][0]), math.Sqrt(v[i][1])}
	}
	return out
}
