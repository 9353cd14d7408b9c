package mnistnsde

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// The paper's protocol (Section 5 and the authors' RegNeuralDE.jl,
// experiments/mnist_nsde.jl).
const (
	// PaperBatch is the batch size and PredictBatch the size of the fixed
	// prediction batch (the first 512 training images in storage order).
	PaperBatch   = 512
	PredictBatch = 512
	// PaperEpochs is the paper's training length; an epoch is
	// ceil(60000/512) = 118 iterations (the last batch is short).
	PaperEpochs = 40
	// DefaultTol is the solver tolerance, rtol = atol.
	DefaultTol = 0.14
	// DefaultLR and DefaultDecay are Adam's learning rate and its inverse
	// decay per iteration, lr/(1 + decay*n).
	DefaultLR    = 0.01
	DefaultDecay = 1e-5
	// DefaultErrorCoef weighs the mean of E_j |h_j| over the accepted steps
	// and DefaultStiffnessCoef the mean of S_j (both constant), the authors'
	// code's values.
	DefaultErrorCoef     = 10
	DefaultStiffnessCoef = 0.1
	// DefaultTrajectories is the number of trajectories per image whose
	// logits are averaged at evaluation (training uses one).
	DefaultTrajectories = 10
	// DefaultPredictSeed seeds the Brownian paths of every evaluation
	// solve, the same for every run so that runs are compared on the same
	// noise.
	DefaultPredictSeed = 20210719
	// EvalChunk is the number of images per evaluation solve (each solve
	// covers EvalChunk x Trajectories rows), the authors' batch.
	EvalChunk = 512
)

// Default-scale protocol: a shortened run that fits the table's three
// methods into half an hour on two cores (README, "MNIST neural SDE").
const (
	DefaultIterations     = 150
	DefaultTrainSubset    = 0
	DefaultTestSubset     = 2048
	DefaultEvalEvery      = 50
	DefaultPredictRepeats = 3
)

// Config is one training run. The zero value is the default scale with
// seed 0 and the vanilla method; Full returns the paper's protocol.
type Config struct {
	// Seed seeds the initialisation, the batch order and the Brownian paths
	// of the training iterations (iteration k uses a seed derived from Seed
	// and k alone).
	Seed uint64
	// Iterations is the number of Adam steps. Default DefaultIterations.
	Iterations int
	// Batch is the number of images per iteration (one trajectory each).
	// Default 512.
	Batch int
	// TrainSubset is the number of training images used, the first ones in
	// storage order (0: all 60000). Batches are drawn from them in a
	// shuffled order per epoch that depends on Seed and the epoch alone,
	// keeping the short last batch.
	TrainSubset int
	// TestSubset is the number of test images (the first ones) on which
	// the accuracy is measured (0: all 10000).
	TestSubset int
	// Tol is the solver tolerance, rtol = atol. Default 0.14.
	Tol float64
	// Reg is the method and its coefficients. A zero ErrorCoef means the
	// authors' code's 10 with Mean aggregation, a zero StiffnessCoef their
	// 0.1 with Mean aggregation; the aggregations are taken as given when
	// the coefficient is set. Methods with stiffness are solved with SOSRI2
	// (whose last two drift stages sit at t+h, where the stiffness estimate
	// is meaningful), the others with SOSRI. STEER is not supported.
	Reg train.Regularization
	// LR and Decay give Adam's learning rate LR/(1 + Decay*n) at step n.
	// Defaults 0.01 and 1e-5.
	LR, Decay float64
	// Trajectories is the number of trajectories per image at evaluation
	// (mean logits). Default 10.
	Trajectories int
	// EvalEvery is the number of iterations between evaluations during
	// training (prediction NFE and time on the fixed batch, test accuracy),
	// which are excluded from the training time; one more is made before the
	// first iteration and one after the last. Default DefaultEvalEvery.
	EvalEvery int
	// PredictImages is the size of the fixed prediction batch, the first
	// training images in storage order. Default PredictBatch (512).
	PredictImages int
	// PredictRepeats is the number of timings of the final prediction whose
	// median is the prediction time. Default 3.
	PredictRepeats int
	// PredictSeed seeds the evaluation solves. Default DefaultPredictSeed.
	PredictSeed uint64
	// MaxSteps bounds the attempted steps of every solve (0: the solver's
	// default).
	MaxSteps int
	// Data is the directory of the MNIST files ("": mnist.DefaultDir).
	Data string
	// Budget, if set, trains to a prediction budget on the drift NFE of
	// the prediction (the table's NFE): the coefficient of its regularizer
	// is set online from the drift NFE of the training solves
	// (train.BudgetController) instead of held constant.
	Budget train.Budget `json:"budget,omitzero"`
}

// Full returns the paper's protocol: 40 epochs of the 60000 training
// images (4720 iterations), accuracy on the 10000 test images, an
// evaluation after every epoch.
func Full() Config {
	return Config{Iterations: PaperEpochs * 118, TrainSubset: 60000, TestSubset: 10000, EvalEvery: 118}
}

func (c Config) withDefaults() Config {
	if c.Iterations == 0 {
		c.Iterations = DefaultIterations
	}
	if c.Batch == 0 {
		c.Batch = PaperBatch
	}
	if c.TestSubset == 0 {
		c.TestSubset = DefaultTestSubset
	}
	if c.Tol == 0 {
		c.Tol = DefaultTol
	}
	if c.Reg.ErrorCoef == 0 {
		c.Reg.ErrorCoef, c.Reg.ErrorAgg = DefaultErrorCoef, ode.Mean
	}
	if c.Reg.StiffnessCoef == 0 {
		c.Reg.StiffnessCoef, c.Reg.StiffnessAgg = DefaultStiffnessCoef, ode.Mean
	}
	if c.LR == 0 {
		c.LR = DefaultLR
	}
	if c.Decay == 0 {
		c.Decay = DefaultDecay
	}
	if c.Trajectories == 0 {
		c.Trajectories = DefaultTrajectories
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = DefaultEvalEvery
	}
	if c.PredictImages == 0 {
		c.PredictImages = PredictBatch
	}
	if c.PredictRepeats == 0 {
		c.PredictRepeats = DefaultPredictRepeats
	}
	if c.PredictSeed == 0 {
		c.PredictSeed = DefaultPredictSeed
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Iterations < 1:
		return fmt.Errorf("mnistnsde: Iterations = %d; give at least 1", c.Iterations)
	case c.Batch < 1:
		return fmt.Errorf("mnistnsde: Batch = %d; give at least 1", c.Batch)
	case c.TrainSubset < 0 || c.TestSubset < 0:
		return fmt.Errorf("mnistnsde: TrainSubset = %d and TestSubset = %d must not be negative (0: the whole split)", c.TrainSubset, c.TestSubset)
	case !(c.Tol > 0) || !(c.LR > 0) || math.IsInf(c.Tol, 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("mnistnsde: Tol = %g and LR = %g must be positive and finite", c.Tol, c.LR)
	case !(c.Decay >= 0):
		return fmt.Errorf("mnistnsde: Decay = %g must not be negative", c.Decay)
	case c.Trajectories < 1 || c.EvalEvery < 1 || c.PredictRepeats < 1 || c.PredictImages < 1:
		return fmt.Errorf("mnistnsde: Trajectories = %d, EvalEvery = %d, PredictImages = %d and PredictRepeats = %d must be at least 1", c.Trajectories, c.EvalEvery, c.PredictImages, c.PredictRepeats)
	case c.MaxSteps < 0:
		return fmt.Errorf("mnistnsde: MaxSteps = %d must not be negative", c.MaxSteps)
	case c.Reg.Method.STEER:
		return fmt.Errorf("mnistnsde: method %s: STEER is not supported for the SDE (use vanilla, error, stiffness or error+stiffness)", c.Reg.Method)
	}
	if err := c.Reg.Validate(); err != nil {
		return fmt.Errorf("mnistnsde: %w", err)
	}
	if err := c.Budget.Validate(); err != nil {
		return fmt.Errorf("mnistnsde: %w", err)
	}
	return nil
}

// Solver returns the SDE method of a run: SOSRI2 for methods with
// stiffness, SOSRI otherwise (the authors' code).
func (c Config) Solver() sde.Method {
	if c.Reg.Method.Stiffness {
		return sde.MethodSOSRI2
	}
	return sde.MethodSOSRI
}

// fingerprint describes what shapes the training arithmetic, so that a
// checkpoint is only resumed by the same protocol (the seed is held apart,
// the evaluation settings do not change the training).
func (c Config) fingerprint() string {
	t := c
	t.Seed, t.PredictSeed, t.PredictRepeats, t.PredictImages, t.MaxSteps, t.Data, t.TestSubset = 0, 0, 0, 0, 0, "", 0
	js, _ := json.Marshal(t)
	return "mnist-nsde " + string(js)
}

// mixSeed derives the seed of item k from seed (SplitMix64's finaliser).
func mixSeed(seed, k uint64) uint64 {
	z := seed + (k+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// IterationMetrics is the record of one training iteration.
type IterationMetrics struct {
	Iteration int
	// Loss is the batch's cross-entropy and Objective the loss plus the
	// weighted regularizer that was differentiated; Accuracy the batch's
	// training accuracy (one trajectory).
	Loss, Objective, Accuracy float64
	// RE and RS are the regularizers R_E = mean_j E_j |h_j| and
	// R_S = mean_j S_j over the accepted steps of the forward solve.
	RE, RS float64
	// DriftNFE and DiffusionNFE count the forward solve's evaluations;
	// BackwardNFE the adjoint's (both).
	DriftNFE, DiffusionNFE, BackwardNFE int
	Accepted, Rejected                  int
	Failed                              bool
	Err                                 string `json:",omitempty"`
	// Time is the wall time of the iteration's training work (forward,
	// adjoint and update), without any evaluation.
	Time time.Duration
}

// failed reports an iteration skipped because its solve failed.
func (m IterationMetrics) failed() bool { return m.Failed }

// EvalPoint is an evaluation made during training: after Iteration
// iterations (0: before training).
type EvalPoint struct {
	Iteration int
	// DriftNFE and DiffusionNFE are those of one prediction of the fixed
	// batch (PredictBatch images x Trajectories trajectories), and
	// PredictTime its wall time.
	DriftNFE, DiffusionNFE int
	PredictTime            time.Duration
	// TestAccuracy is the mean-logit accuracy on the TestSubset.
	TestAccuracy float64
	// Time is the evaluation's whole wall time (not training time).
	Time time.Duration
}

// Result is the outcome of a training run.
type Result struct {
	Config Config
	Model  *Model
	// TestAccuracy is the trained model's accuracy on the first TestSubset
	// test images, each classified by the mean logits of Trajectories
	// trajectories; TestLoss the cross-entropy of those mean logits.
	TestAccuracy, TestLoss float64
	// TestDriftNFE is the mean drift NFE of the test solves.
	TestDriftNFE float64
	// DriftNFE and DiffusionNFE are those of the final prediction of the
	// fixed batch; PredictTime the median of PredictRepeats timings of it.
	DriftNFE, DiffusionNFE int
	PredictTime            time.Duration
	// TrainTime is the sum of the iterations' training times (after a
	// resume, including those before the interruption); evaluations are
	// excluded.
	TrainTime time.Duration
	// TrainDriftNFE is the mean forward drift NFE of the training
	// iterations.
	TrainDriftNFE float64
	Failures      int
	Iterations    []IterationMetrics
	// Evals are the evaluations during training, the final one last.
	Evals []EvalPoint
	// Budget is the outcome of a budgeted run (nil without a budget),
	// judged on the final prediction's drift NFE and TrainLoss.
	Budget *train.BudgetOutcome
	// TrainLoss is the mean cross-entropy of the last (up to) 50
	// successful training iterations.
	TrainLoss float64
	// Spread holds, for the first SpreadImages test images, the logits of
	// each of the Trajectories trajectories (Spread[i][j] is image i's
	// trajectory j), and SpreadLabels their labels.
	Spread       [][][]float64
	SpreadLabels []int
}

// SpreadImages is the number of test images whose per-trajectory logits a
// Result keeps.
const SpreadImages = 4

// Run trains the MNIST neural SDE with Adam through a train.Loop and
// evaluates it. Solves that fail (an sde.SolveError) skip their iteration;
// ten in a row end the run with an error. An interrupted run returns the
// loop's *train.InterruptedError. The run's default name is
// "mnist-nsde/<method>/seed=<seed>".
func Run(ctx context.Context, cfg Config, opts train.RunOptions) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ds, err := LoadData(cfg.Data)
	if err != nil {
		return nil, err
	}
	r, err := newRun(cfg, ds)
	if err != nil {
		return nil, err
	}
	loop := &train.Loop{
		Name:       fmt.Sprintf("mnist-nsde/%s/seed=%d", cfg.Reg.Method, cfg.Seed),
		Iterations: cfg.Iterations, Seed: cfg.Seed, Fingerprint: cfg.fingerprint(),
		Step: r.step,
		State: []train.Section{
			{Name: "model", State: train.ModuleState(r.model.Module())},
			{Name: "optimizer", State: r.opt},
			{Name: "history", State: history{r}},
		},
	}
	r.budget.Attach(loop)
	// A prediction-time budget is converted to drift NFE by the time per
	// drift evaluation of the prediction.
	lr, err := r.budget.Run(ctx, loop, opts, cfg.PredictRepeats, func(ctx context.Context) (int, error) {
		p, err := PredictBatchOf(ctx, r.model, r.ds.Train, r.cfg)
		if err != nil {
			return 0, err
		}
		return p.DriftNFE, nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, Model: r.model, Iterations: r.its, Evals: r.evals}
	var evalTime time.Duration
	for _, e := range r.evals {
		evalTime += e.Time
	}
	res.TrainTime = lr.Elapsed - evalTime
	ok := 0
	for _, m := range r.its {
		if m.Failed {
			res.Failures++
			continue
		}
		res.TrainDriftNFE += float64(m.DriftNFE)
		ok++
	}
	if ok > 0 {
		res.TrainDriftNFE /= float64(ok)
	}
	if err := r.final(ctx, res); err != nil {
		return nil, err
	}
	res.TrainLoss = trainLoss(r.its)
	res.Budget = r.budget.Outcome(float64(res.DriftNFE), res.TrainLoss)
	return res, nil
}

// run is the training state of one run.
type run struct {
	cfg     Config
	ds      *mnist.Dataset
	train   *mnist.Set
	test    *mnist.Set
	model   *Model
	params  []*ad.Param
	opt     *optim.Adam
	batcher *mnist.Batcher
	epoch   int
	xbuf    []float64
	ybuf    []uint8
	onehot  []float64
	tpE     *ad.Tape
	tpH     *ad.Tape
	its     []IterationMetrics
	evals   []EvalPoint
	budget  *train.BudgetController
}

func newRun(cfg Config, ds *mnist.Dataset) (*run, error) {
	tr, err := subset(ds.Train, cfg.TrainSubset, "TrainSubset")
	if err != nil {
		return nil, err
	}
	te, err := subset(ds.Test, cfg.TestSubset, "TestSubset")
	if err != nil {
		return nil, err
	}
	if tr.Dim() != Pixels {
		return nil, fmt.Errorf("mnistnsde: the images have %d pixels, want 28 x 28 = 784", tr.Dim())
	}
	b, err := train.NewBudgetController(cfg.Budget, cfg.Reg, cfg.Iterations)
	if err != nil {
		return nil, fmt.Errorf("mnistnsde: %w", err)
	}
	m := NewModel(rand.New(rand.NewPCG(cfg.Seed, 0x6e5de)))
	r := &run{cfg: cfg, ds: ds, train: tr, test: te, model: m, params: m.Params(),
		opt:     optim.NewAdam(optim.InverseDecay(cfg.LR, cfg.Decay)),
		batcher: mnist.NewBatcher(tr, cfg.Batch, mixSeed(cfg.Seed, 0xba7c), false), epoch: 0,
		xbuf: make([]float64, cfg.Batch*Pixels), ybuf: make([]uint8, cfg.Batch), onehot: make([]float64, cfg.Batch*Classes),
		tpE: ad.NewTape(), tpH: ad.NewTape(), budget: b}
	return r, nil
}

// subset returns the first n examples of s (all when n is 0).
func subset(s *mnist.Set, n int, what string) (*mnist.Set, error) {
	if n == 0 || n == s.N {
		return s, nil
	}
	if n > s.N {
		return nil, fmt.Errorf("mnistnsde: %s = %d, but the split has %d images", what, n, s.N)
	}
	d := s.Dim()
	return &mnist.Set{N: n, Rows: s.Rows, Cols: s.Cols, Images: s.Images[:n*d], Labels: s.Labels[:n]}, nil
}

// solveOptions are the options of a solve of the run's model.
func (c Config) solveOptions(seed uint64, adjoint bool) *sde.Options {
	return &sde.Options{Method: c.Solver(), RTol: c.Tol, ATol: c.Tol, Seed: seed, Adjoint: adjoint, MaxSteps: c.MaxSteps}
}

// step is training iteration it (0 for the first), a train.Step. Its batch
// is batch it mod B of epoch it div B of the seeded batch order, and its
// Brownian paths are seeded by (Seed, it) alone, so a resumed run draws the
// same batches and noise as an uninterrupted one.
func (r *run) step(ctx context.Context, it int, _ *rand.Rand) (train.Metrics, error) {
	if it == 0 && len(r.evals) == 0 {
		if err := r.evaluate(ctx, 0); err != nil {
			return train.Metrics{}, err
		}
	}
	start := time.Now()
	nb := r.batcher.Batches()
	if e := it / nb; e != r.epoch {
		r.batcher.Epoch(e)
		r.epoch = e
	}
	r.batcher.Seek(it % nb)
	n := r.batcher.Next(r.xbuf, r.ybuf)
	x := tensor.FromSlice(n, Pixels, r.xbuf[:n*Pixels])
	y := tensor.FromSlice(n, Classes, mnist.OneHot(r.onehot, r.ybuf[:n], Classes))

	reg := r.budget.At(it, r.cfg.Iterations)
	for _, p := range r.params {
		p.Grad.Zero()
	}
	m, err := r.model.gradient(ctx, x, y, r.ybuf[:n], r.cfg.solveOptions(mixSeed(r.cfg.Seed, uint64(it+1)), true), reg, r.tpE, r.tpH)
	m.Iteration = it + 1
	if err != nil {
		if err := tasks.SkipFailedSolve(ctx, "mnistnsde", err, r.its, IterationMetrics.failed); err != nil {
			return train.Metrics{}, err
		}
		// The model is unchanged: report the last loss measured.
		m = IterationMetrics{Iteration: it + 1, Failed: true, Err: err.Error()}
		if k := len(r.its); k > 0 {
			m.Loss, m.Objective = r.its[k-1].Loss, r.its[k-1].Objective
		}
	} else if err := tasks.StepFinite("mnistnsde", r.opt, r.params); err != nil {
		return train.Metrics{}, err
	}
	m.Time = time.Since(start)
	r.its = append(r.its, m)
	if k := it + 1; k%r.cfg.EvalEvery == 0 && k < r.cfg.Iterations {
		if err := r.evaluate(ctx, k); err != nil {
			return train.Metrics{}, err
		}
	}
	return train.Metrics{Loss: m.Loss, Objective: m.Objective,
		Regularizers: map[string]float64{"error": m.RE, "stiffness": m.RS},
		Coefficients: map[string]float64{"error": reg.Error, "stiffness": reg.Stiffness},
		NFE:          m.DriftNFE + m.DiffusionNFE, BackwardNFE: m.BackwardNFE, BudgetNFE: m.DriftNFE}, nil
}

// gradient adds the gradient of the objective (the logit cross-entropy of
// the images x against the one-hot targets y, plus the regularization reg)
// to the parameters' Grad fields, solving the SDE with opts (which must set
// Adjoint), and returns the iteration's measurements. tpE and tpH are the
// tapes of the embedding and of the head.
func (m *Model) gradient(ctx context.Context, x, y *tensor.Dense, labels []uint8, opts *sde.Options, reg ode.Regularization, tpE, tpH *ad.Tape) (IterationMetrics, error) {
	var im IterationMetrics
	tpE.Reset()
	z0 := m.Embed.Forward(tpE.Const(x))
	sol, err := sde.Solve(ctx, m.Problem(z0.Value().Clone()), opts)
	if err != nil {
		return im, err
	}
	defer sol.Release()
	im.DriftNFE, im.DiffusionNFE = sol.DriftNFE, sol.DiffusionNFE
	im.Accepted, im.Rejected = sol.Accepted, sol.Rejected
	im.RE, im.RS = sol.ErrorRegularizer(ode.Mean), sol.StiffnessRegularizer(ode.Mean)
	tpH.Reset()
	z1 := tpH.Leaf(sol.Z[0], true)
	logits := m.Head.Forward(z1)
	loss := nn.LogitCrossEntropy(logits, tpH.Const(y))
	tpH.Backward(loss)
	im.Loss = loss.Scalar()
	im.Accuracy = nn.Accuracy(logits.Value(), labels)
	im.Objective = im.Loss + sol.Regularizer(reg)
	lam, err := sol.Backward(ctx, []*tensor.Dense{tpH.Grad(z1)}, reg)
	im.BackwardNFE = sol.BackwardNFE
	if err != nil {
		return im, err
	}
	tpE.Seed(z0, lam.Data)
	tpE.Backward(ad.Var{})
	return im, nil
}

// evaluate appends the evaluation after k iterations.
func (r *run) evaluate(ctx context.Context, k int) error {
	start := time.Now()
	p, err := PredictBatchOf(ctx, r.model, r.ds.Train, r.cfg)
	if err != nil {
		return err
	}
	acc, err := Evaluate(ctx, r.model, r.test, r.cfg, 0)
	if err != nil {
		return err
	}
	r.evals = append(r.evals, EvalPoint{Iteration: k, DriftNFE: p.DriftNFE, DiffusionNFE: p.DiffusionNFE,
		PredictTime: p.Time, TestAccuracy: acc.Accuracy, Time: time.Since(start)})
	return nil
}

// final measures the trained model: the fixed batch's prediction (timed
// PredictRepeats times, median), the test accuracy and the logit spread.
func (r *run) final(ctx context.Context, res *Result) error {
	start := time.Now()
	var times []time.Duration
	var p *Prediction
	for range r.cfg.PredictRepeats {
		q, err := PredictBatchOf(ctx, r.model, r.ds.Train, r.cfg)
		if err != nil {
			return err
		}
		times = append(times, q.Time)
		p = q
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	res.DriftNFE, res.DiffusionNFE, res.PredictTime = p.DriftNFE, p.DiffusionNFE, times[len(times)/2]
	acc, err := Evaluate(ctx, r.model, r.test, r.cfg, SpreadImages)
	if err != nil {
		return err
	}
	res.TestAccuracy, res.TestLoss, res.TestDriftNFE = acc.Accuracy, acc.Loss, acc.DriftNFE
	res.Spread, res.SpreadLabels = acc.Spread, acc.SpreadLabels
	res.Evals = append(res.Evals, EvalPoint{Iteration: r.cfg.Iterations, DriftNFE: p.DriftNFE, DiffusionNFE: p.DiffusionNFE,
		PredictTime: res.PredictTime, TestAccuracy: acc.Accuracy, Time: time.Since(start)})
	return nil
}

// history is the checkpoint section holding a run's iteration records and
// evaluations, as JSON (which round-trips float64 exactly).
type history struct{ r *run }

type historyJSON struct {
	Iterations []IterationMetrics
	Evals      []EvalPoint
}

func (h history) MarshalBinary() ([]byte, error) {
	return json.Marshal(historyJSON{h.r.its, h.r.evals})
}

func (h history) UnmarshalBinary(b []byte) error {
	var v historyJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("mnistnsde: history section: %v", err)
	}
	for i, m := range v.Iterations {
		if m.Iteration != i+1 {
			return fmt.Errorf("mnistnsde: history section: record %d is of iteration %d", i+1, m.Iteration)
		}
	}
	h.r.its, h.r.evals = v.Iterations, v.Evals
	return nil
}
