package mnistnode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// The model's shape: a state of Dim pixels, Hidden units in the dynamics'
// hidden layer, Classes logits; the span [0, T].
const (
	Dim     = 784
	Hidden  = 100
	Classes = 10
	T       = 1.0
	// PredictBatch is the size of the fixed prediction batch: the first
	// PredictBatch training images in storage order.
	PredictBatch = 512
	// EvalBatch is the number of images per solve when accuracies are
	// measured.
	EvalBatch = 1000
)

// Model is the classifier: the neural ODE's dynamics, time-concatenating
// Dense(784+1, 100, tanh) then Dense(100+1, 784, tanh), solved over [0, 1]
// from the image, and the head Dense(784, 10) on the final state.
type Model struct {
	Dynamics *nn.Chain
	Head     *nn.Dense

	input func(*ad.Tape) ad.Var
	f     func(t float64, a ad.Var) ad.Var
}

// NewModel returns the model with Glorot-uniform weights and zero biases
// drawn from seed.
func NewModel(seed uint64) *Model {
	rng := rand.New(rand.NewPCG(seed, 0x4d4e495354)) // "MNIST": a stream apart from IterationRNG's
	dyn := nn.NewChain(nn.NewTimeDense(Dim, Hidden, nn.Tanh, rng), nn.NewTimeDense(Hidden, Dim, nn.Tanh, rng))
	return newModel(dyn, nn.NewDense(Dim, Classes, nn.Identity, rng))
}

func newModel(dyn *nn.Chain, head *nn.Dense) *Model {
	input, f, ok := dyn.InputForm()
	if !ok {
		panic("mnistnode: the dynamics' first layer takes no input form")
	}
	return &Model{Dynamics: dyn, Head: head, input: input, f: f}
}

// Module returns the model as one module to save: a group of "dynamics"
// and "head".
func (m *Model) Module() *nn.Group {
	return nn.NewGroup([]string{"dynamics", "head"}, m.Dynamics, m.Head)
}

// Params returns the dynamics' and the head's parameters.
func (m *Model) Params() []*ad.Param { return append(m.Dynamics.Params(), m.Head.Params()...) }

// ErrShape is matched (errors.Is) by FromModule's error for a module that is
// not this task's architecture.
var ErrShape = errors.New("mnistnode: the model is not the MNIST neural ODE's architecture")

// FromModule checks that mod has this task's architecture (as Module
// returns it) and wraps it.
func FromModule(mod nn.Module) (*Model, error) {
	want := NewModel(0).Module().Spec()
	if got := mod.Spec(); !got.Equal(want) {
		return nil, fmt.Errorf("%w: the file holds %s, want %s", ErrShape, got, want)
	}
	g := mod.(*nn.Group)
	return newModel(g.Modules[0].(*nn.Chain), g.Modules[1].(*nn.Dense)), nil
}

// problem is the model's ODE from the images x (batch x Dim) over [0, t1].
func (m *Model) problem(x *tensor.Dense, t1 float64) ode.Problem {
	return ode.Problem{F: m.f, Input: m.input, Z0: x, T0: 0, T1: t1}
}

// Solve solves the model's ODE from the images x over [0, T] without
// gradients and returns the logits and the solution.
func (m *Model) Solve(ctx context.Context, x *tensor.Dense, tol float64, maxSteps int) (*tensor.Dense, *ode.Solution, error) {
	sol, err := ode.Solve(ctx, m.problem(x, T), &ode.Options{RTol: tol, ATol: tol, MaxSteps: maxSteps})
	if err != nil {
		return nil, nil, err
	}
	tp := ad.NewTape()
	return m.Head.Forward(tp.Const(sol.Z[len(sol.Z)-1])).Value(), sol, nil
}

// Config is one training run. Its zero value is the default scale, the
// protocol of `whitebox reproduce mnist-node` (with seed 0 and the vanilla
// method); Full is the paper's protocol. Zero fields take the default
// scale's values when the run starts.
type Config struct {
	// Seed draws the initial weights, the batch order and every
	// iteration's randomness.
	Seed uint64 `json:"seed"`
	// Data is the folder of the four IDX files ("": MNIST from the GoMNIST
	// module, mnist.DefaultDir).
	Data string `json:"data,omitempty"`
	// Epochs is the number of epochs (evaluation intervals). Default 4.
	Epochs int `json:"epochs"`
	// EpochIters is the number of iterations per epoch; 0 means a whole
	// pass over the training images (the paper's epochs, keeping the short
	// last batch). Default 25 (an evaluation interval of 25 batches).
	EpochIters int `json:"epoch_iters"`
	// FullEpochs makes EpochIters 0 (whole passes); it exists so that the
	// full scale can state it, since a zero EpochIters means the default.
	FullEpochs bool `json:"full_epochs,omitempty"`
	// Iterations, if set, ends the run after that many iterations in all
	// (the epochs still set the evaluation interval and the annealing);
	// 0 means Epochs epochs.
	Iterations int `json:"iterations,omitempty"`
	// Batch is the number of images per iteration. Default 128.
	Batch int `json:"batch"`
	// TrainImages limits training to the first TrainImages training images
	// (0: all).
	TrainImages int `json:"train_images,omitempty"`
	// Tol is the solver tolerance, rtol = atol, in training and
	// evaluation. Default 1e-6.
	Tol float64 `json:"tol"`
	// LR, Rho and LRDecay are Momentum's learning rate 0.1, momentum 0.9
	// and inverse decay 1e-5 per iteration (lr/(1 + LRDecay*n)).
	LR      float64 `json:"lr"`
	Rho     float64 `json:"rho"`
	LRDecay float64 `json:"lr_decay"`
	// Reg is the method and its coefficients for every method but
	// error+stiffness: the error coefficient annealed per epoch from
	// ErrorCoef to ErrorCoefFinal (default 100 -> 10, mean), the stiffness
	// coefficient (default 0.1, max), STEER's b (default 0.5).
	Reg train.Regularization `json:"-"`
	// ComboError and ComboStiffness are the coefficients of the
	// error+stiffness method, both aggregated by mean and constant: the
	// authors' entries E_j*h_j + 0.1*S_j with coefficient 10 (defaults 10
	// and 1).
	ComboError     float64 `json:"combo_error"`
	ComboStiffness float64 `json:"combo_stiffness"`
	// EvalImages is the number of test and of training images (the first
	// ones of each split) whose accuracy is measured after each epoch (0:
	// all). The final test accuracy always uses the whole test set.
	// Default 500.
	EvalImages int `json:"eval_images"`
	// TestImages limits the final test accuracy to the first TestImages
	// test images (0: the whole test set, the default).
	TestImages int `json:"test_images,omitempty"`
	// AllEval makes EvalImages 0 (whole splits) at the full scale.
	AllEval bool `json:"all_eval,omitempty"`
	// PredictRepeats is how many times the prediction solve is timed (the
	// median is reported). Default 5.
	PredictRepeats int `json:"predict_repeats"`
	// MaxSteps bounds the attempted steps of every solve (0: the solver's
	// default).
	MaxSteps int `json:"max_steps,omitempty"`
	// Budget, if set, trains to a prediction budget: the coefficient of
	// its regularizer (error by default) starts at the method's value
	// (ErrorCoef, or ComboError for error+stiffness) and is set online
	// from the forward NFE of the training solves
	// (train.BudgetController) instead of following the per-epoch
	// annealing. The budget is on the NFE of the prediction solve (the
	// first PredictBatch training images).
	Budget train.Budget `json:"budget,omitzero"`
}

// withDefaults fills the zero fields with the default scale's values.
func (c Config) withDefaults() Config {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Epochs, 4)
	if c.FullEpochs {
		c.EpochIters = 0
	} else {
		def(&c.EpochIters, 25)
	}
	def(&c.Batch, 128)
	deff(&c.Tol, 1e-6)
	deff(&c.LR, 0.1)
	deff(&c.Rho, 0.9)
	deff(&c.LRDecay, 1e-5)
	if c.Reg.ErrorCoef == 0 {
		c.Reg.ErrorCoef = 100
		if c.Reg.ErrorCoefFinal == 0 {
			c.Reg.ErrorCoefFinal = 10
		}
		c.Reg.ErrorAgg = ode.Mean
	}
	if c.Reg.StiffnessCoef == 0 {
		c.Reg.StiffnessCoef = 0.1
		c.Reg.StiffnessAgg = ode.Max
	}
	deff(&c.Reg.SteerB, 0.5)
	// Kelly et al.'s MNIST protocol (3rd order, lambda 3.02e-3); RNODE:
	// Finlay et al.'s 0.01 for both integrals.
	deff(&c.Reg.TayNODECoef, 3.02e-3)
	def(&c.Reg.TayNODEOrder, 3)
	if c.Reg.RNODEKineticCoef == 0 && c.Reg.RNODEJacobianCoef == 0 {
		c.Reg.RNODEKineticCoef, c.Reg.RNODEJacobianCoef = 0.01, 0.01
	}
	deff(&c.ComboError, 10)
	deff(&c.ComboStiffness, 1)
	if c.AllEval {
		c.EvalImages = 0
	} else {
		def(&c.EvalImages, 500)
	}
	def(&c.PredictRepeats, 5)
	return c
}

// Full returns the paper's protocol: 75 epochs of whole passes over the
// 60000 training images in batches of 512 at rtol = atol = 1.4e-8, with
// accuracies over the whole splits after every epoch.
func Full() Config {
	return Config{Epochs: 75, FullEpochs: true, Batch: 512, Tol: 1.4e-8, AllEval: true}
}

// Validate checks the configuration (after filling its zero fields with
// the defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	for name, v := range map[string]int{"Epochs": c.Epochs, "Batch": c.Batch} {
		if v < 1 {
			return fmt.Errorf("mnistnode: %s = %d; give at least 1", name, v)
		}
	}
	for name, v := range map[string]int{"Iterations": c.Iterations, "TestImages": c.TestImages, "EpochIters": c.EpochIters, "TrainImages": c.TrainImages, "EvalImages": c.EvalImages, "PredictRepeats": c.PredictRepeats, "MaxSteps": c.MaxSteps} {
		if v < 0 {
			return fmt.Errorf("mnistnode: %s = %d must not be negative", name, v)
		}
	}
	for name, v := range map[string]float64{"learning rate": c.LR, "tolerance": c.Tol, "momentum": c.Rho} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("mnistnode: %s = %v; it must be positive and finite", name, v)
		}
	}
	if c.Rho >= 1 {
		return fmt.Errorf("mnistnode: momentum = %v; it must be below 1", c.Rho)
	}
	if !(c.LRDecay >= 0) || math.IsInf(c.LRDecay, 0) {
		return fmt.Errorf("mnistnode: learning-rate decay = %v; it must be 0 or positive and finite", c.LRDecay)
	}
	r := c.reg()
	if err := r.Validate(); err != nil {
		return fmt.Errorf("mnistnode: %w", err)
	}
	if err := r.CheckSpan(0, T); err != nil {
		return fmt.Errorf("mnistnode: %w", err)
	}
	if err := c.Budget.Validate(); err != nil {
		return fmt.Errorf("mnistnode: %w", err)
	}
	return nil
}

// reg returns the regularization of the run's method: Reg, or for
// error+stiffness the combination's constant coefficients, both by mean.
func (c *Config) reg() train.Regularization {
	r := c.Reg
	if r.Method.Error && r.Method.Stiffness {
		r.ErrorCoef, r.ErrorCoefFinal, r.ErrorAgg = c.ComboError, 0, ode.Mean
		r.StiffnessCoef, r.StiffnessAgg = c.ComboStiffness, ode.Mean
	}
	return r
}

// regAt returns the solver's regularization in epoch e (0-based): the
// error coefficient ErrorCoef*exp(-k e), k = ln(ErrorCoef/ErrorCoefFinal)/Epochs.
func (c *Config) regAt(e int) ode.Regularization {
	r := c.reg()
	return r.At(e, c.Epochs+1)
}

// fingerprint describes everything that shapes the training arithmetic.
func (c *Config) fingerprint() string {
	t := *c
	t.Seed, t.PredictRepeats, t.MaxSteps, t.Data = 0, 0, 0, ""
	r := t.reg()
	js, _ := json.Marshal(t)
	return fmt.Sprintf("mnist-node %s %s", js, r.String())
}

// Data is a loaded data set.
type Data struct {
	// Dir is the folder it was read from.
	Dir string
	*mnist.Dataset
}

var (
	dataMu    sync.Mutex
	dataCache = map[string]*Data{}
)

// LoadData reads the data set in dir ("": MNIST from the GoMNIST module)
// once per process and checks that its images have Dim pixels.
func LoadData(dir string) (*Data, error) {
	if dir == "" {
		d, err := mnist.DefaultDir()
		if err != nil {
			return nil, fmt.Errorf("mnistnode: finding MNIST: %w (or pass --data DIR, a folder of the four IDX files)", err)
		}
		dir = d
	}
	dataMu.Lock()
	defer dataMu.Unlock()
	if d := dataCache[dir]; d != nil {
		return d, nil
	}
	ds, err := mnist.Load(dir)
	if err != nil {
		return nil, err
	}
	if ds.Train.Dim() != Dim {
		return nil, fmt.Errorf("mnistnode: %s holds %dx%d images; the model takes 28x28 (%d pixels)", dir, ds.Train.Rows, ds.Train.Cols, Dim)
	}
	if ds.Train.N < PredictBatch {
		return nil, fmt.Errorf("mnistnode: %s holds %d training images; the prediction batch needs at least %d", dir, ds.Train.N, PredictBatch)
	}
	d := &Data{Dir: dir, Dataset: ds}
	dataCache[dir] = d
	return d, nil
}

// rows returns images [lo, hi) of set as a matrix (a copy).
func rows(set *mnist.Set, lo, hi int) *tensor.Dense {
	return tensor.FromSlice(hi-lo, Dim, slices.Clone(set.Images[lo*Dim:hi*Dim]))
}

// Eval is the evaluation after a number of completed epochs.
type Eval struct {
	Epoch     int     `json:"epoch"`
	Iteration int     `json:"iteration"`
	TestAcc   float64 `json:"test_acc"`
	TrainAcc  float64 `json:"train_acc"`
	PredNFE   int     `json:"pred_nfe"`
	// TrainTime is the training time (s) up to this evaluation.
	TrainTime float64 `json:"train_time_s"`
}

// Score is a model's accuracy and mean cross-entropy on n images.
type Score struct {
	Accuracy, Loss float64
	N              int
}

// Evaluate returns the accuracy and mean cross-entropy of m on the first n
// images of set (0 or more than set.N: all), solving EvalBatch images at a
// time.
func Evaluate(ctx context.Context, m *Model, set *mnist.Set, n int, tol float64, maxSteps int) (Score, error) {
	if n <= 0 || n > set.N {
		n = set.N
	}
	correct, ce := 0, 0.0
	for lo := 0; lo < n; lo += EvalBatch {
		hi := min(lo+EvalBatch, n)
		lg, _, err := m.Solve(ctx, rows(set, lo, hi), tol, maxSteps)
		if err != nil {
			return Score{}, fmt.Errorf("mnistnode: evaluation solve: %w", err)
		}
		labels := set.Labels[lo:hi]
		correct += nn.Correct(lg, labels)
		ce += crossEntropySum(lg, labels)
	}
	return Score{Accuracy: float64(correct) / float64(n), Loss: ce / float64(n), N: n}, nil
}

// crossEntropySum returns the sum over rows of -log softmax(logits)[label].
func crossEntropySum(lg *tensor.Dense, labels []uint8) float64 {
	s := 0.0
	for i, l := range labels {
		row := lg.Row(i)
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(v - mx)
		}
		s += mx + math.Log(z) - row[l]
	}
	return s
}

// Prediction is the timed solve of the fixed prediction batch.
type Prediction struct {
	NFE  int
	Time time.Duration
	// Times are every repetition's wall time.
	Times []time.Duration
}

// Predict solves the first PredictBatch training images repeats times (at
// least once) and returns the NFE and the median wall time.
func Predict(ctx context.Context, m *Model, d *Data, tol float64, maxSteps, repeats int) (*Prediction, error) {
	x := rows(d.Train, 0, PredictBatch)
	p := &Prediction{Times: make([]time.Duration, max(1, repeats))}
	for i := range p.Times {
		t0 := time.Now()
		_, sol, err := m.Solve(ctx, x, tol, maxSteps)
		p.Times[i] = time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("mnistnode: prediction solve: %w", err)
		}
		p.NFE = sol.NFE
	}
	s := slices.Clone(p.Times)
	slices.Sort(s)
	p.Time = s[len(s)/2]
	return p, nil
}

// Run is the state of one training run.
type Run struct {
	cfg    Config
	data   *Data
	set    *mnist.Set
	model  *Model
	params []*ad.Param
	opt    *optim.Momentum
	batch  *mnist.Batcher
	// itersPerEpoch and passIters are the iterations of an epoch and of a
	// pass over the training images.
	itersPerEpoch, passIters int

	evals   []Eval
	nfe     []int // forward NFE of every iteration
	loss    []float64
	paused  time.Duration // evaluation time inside Step, kept out of the training time
	elapsed time.Duration // training time so far, as the loop measures it
	// cpu is the process's CPU time (user + system) spent in training
	// steps, evaluations excluded.
	cpu, pausedCPU time.Duration

	xbuf []float64
	ybuf []uint8
	yh   *tensor.Dense
	tp   *ad.Tape

	// budget sets the budgeted coefficient (inactive without a budget).
	budget *train.BudgetController
}

// NewRun builds the model, optimizer and batcher of a run on data.
func NewRun(cfg Config, data *Data) (*Run, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if data == nil {
		return nil, errors.New("mnistnode: no data; load it with LoadData")
	}
	set := data.Train
	if cfg.TrainImages > 0 && cfg.TrainImages < set.N {
		n := cfg.TrainImages
		set = &mnist.Set{N: n, Rows: set.Rows, Cols: set.Cols, Images: set.Images[:n*Dim], Labels: set.Labels[:n]}
	}
	if cfg.Batch > set.N {
		return nil, fmt.Errorf("mnistnode: batch of %d images but only %d training images", cfg.Batch, set.N)
	}
	m := NewModel(cfg.Seed)
	r := &Run{cfg: cfg, data: data, set: set, model: m, params: m.Params(),
		opt:   optim.NewMomentum(optim.InverseDecay(cfg.LR, cfg.LRDecay), cfg.Rho),
		batch: mnist.NewBatcher(set, cfg.Batch, cfg.Seed, false),
		xbuf:  make([]float64, cfg.Batch*Dim), ybuf: make([]uint8, cfg.Batch), tp: ad.NewTape()}
	r.passIters = r.batch.Batches()
	r.itersPerEpoch = cfg.EpochIters
	if r.itersPerEpoch == 0 {
		r.itersPerEpoch = r.passIters
	}
	b, err := train.NewBudgetController(cfg.Budget, cfg.reg(), r.Iterations())
	if err != nil {
		return nil, fmt.Errorf("mnistnode: %w", err)
	}
	r.budget = b
	return r, nil
}

// Iterations is the run's number of iterations.
func (r *Run) Iterations() int {
	if r.cfg.Iterations > 0 {
		return r.cfg.Iterations
	}
	return r.cfg.Epochs * r.itersPerEpoch
}

// Model returns the run's model.
func (r *Run) Model() *Model { return r.model }

// Evals returns the evaluations so far.
func (r *Run) Evals() []Eval { return r.evals }

// Budget returns the run's budget controller (inactive without a budget).
func (r *Run) Budget() *train.BudgetController { return r.budget }

// evaluate appends the evaluation after the completed epochs of iteration it.
func (r *Run) evaluate(ctx context.Context, it int) error {
	c := &r.cfg
	te, err := Evaluate(ctx, r.model, r.data.Test, c.EvalImages, c.Tol, c.MaxSteps)
	if err != nil {
		return err
	}
	tr, err := Evaluate(ctx, r.model, r.data.Train, c.EvalImages, c.Tol, c.MaxSteps)
	if err != nil {
		return err
	}
	p, err := Predict(ctx, r.model, r.data, c.Tol, c.MaxSteps, 1)
	if err != nil {
		return err
	}
	r.evals = append(r.evals, Eval{Epoch: it / r.itersPerEpoch, Iteration: it, TestAcc: te.Accuracy, TrainAcc: tr.Accuracy,
		PredNFE: p.NFE, TrainTime: r.elapsed.Seconds()})
	return nil
}

// Step is one training iteration (a train.Step). At the start of each
// epoch it first evaluates the model (test and training accuracy,
// prediction NFE); that time is not training time (see Loop).
func (r *Run) Step(ctx context.Context, it int, rng *rand.Rand) (train.Metrics, error) {
	var m train.Metrics
	epoch := it / r.itersPerEpoch
	if it%r.itersPerEpoch == 0 && len(r.evals) == epoch {
		t0, c0 := time.Now(), cpuTime()
		err := r.evaluate(ctx, it)
		r.paused += time.Since(t0)
		r.pausedCPU += cpuTime() - c0
		if err != nil {
			return m, err
		}
	}
	// The batch: pass it/passIters, batch it%passIters of that pass.
	pass, b := it/r.passIters, it%r.passIters
	if e, k := r.batch.Pos(); e != pass || k != b {
		r.batch.Epoch(pass)
		r.batch.Seek(b)
	}
	n := r.batch.Next(r.xbuf, r.ybuf)
	x := tensor.FromSlice(n, Dim, slices.Clone(r.xbuf[:n*Dim]))
	if r.yh == nil || r.yh.Rows != n {
		r.yh = tensor.New(n, Classes)
	}
	mnist.OneHot(r.yh.Data, r.ybuf[:n], Classes)

	// The solver's regularization of the epoch (regAt), with a budget's
	// coefficient in place of the annealed one.
	reg := r.budget.At(epoch, r.cfg.Epochs+1)
	rr := r.budget.Regularization()
	end := rr.EndTime(0, T, rng)
	if rr.Augments() {
		return r.augmentedStep(ctx, x, end, reg, rr, rng.Uint64())
	}
	sol, err := ode.Solve(ctx, r.model.problem(x, end), &ode.Options{RTol: r.cfg.Tol, ATol: r.cfg.Tol, Adjoint: true, MaxSteps: r.cfg.MaxSteps})
	if err != nil {
		return m, fmt.Errorf("mnistnode: training solve: %w", err)
	}
	defer sol.Release()
	tp := r.tp
	tp.Reset()
	z1 := tp.Leaf(sol.Z[len(sol.Z)-1], true)
	lossV := nn.LogitCrossEntropy(r.model.Head.Forward(z1), tp.Const(r.yh))
	nn.ZeroGrad(r.params)
	tp.Backward(lossV)
	if _, err := sol.Backward(ctx, []*tensor.Dense{tp.Grad(z1)}, reg); err != nil {
		return m, fmt.Errorf("mnistnode: adjoint: %w", err)
	}
	r.opt.Step(r.params)
	return r.record(m, sol, lossV.Value().Data[0], end, reg), nil
}

// record fills the metrics of an iteration whose solve was sol, with the
// task loss loss, and appends its NFE and loss to the run's history.
func (r *Run) record(m train.Metrics, sol *ode.Solution, loss, end float64, reg ode.Regularization) train.Metrics {
	re, rs := sol.ErrorRegularizer(reg.ErrorAgg), sol.StiffnessRegularizer(reg.StiffnessAgg)
	m.Loss = loss
	m.Objective += loss + reg.Error*re + reg.Stiffness*rs
	if m.Regularizers == nil {
		m.Regularizers, m.Coefficients = map[string]float64{}, map[string]float64{}
	}
	m.Regularizers["error"], m.Regularizers["stiffness"] = re, rs
	m.Coefficients["error"], m.Coefficients["stiffness"] = reg.Error, reg.Stiffness
	m.EndTime = end
	m.NFE, m.BackwardNFE = sol.NFE, sol.BackwardNFE
	r.nfe = append(r.nfe, sol.NFE)
	r.loss = append(r.loss, loss)
	return m
}

// augmentedStep is the rest of Step for taynode and rnode (rr.Augments):
// the gradient of augmentedObjective, then the optimizer's step.
func (r *Run) augmentedStep(ctx context.Context, x *tensor.Dense, end float64, reg ode.Regularization, rr train.Regularization, seed uint64) (train.Metrics, error) {
	var m train.Metrics
	nn.ZeroGrad(r.params)
	a, err := augmentedObjective(ctx, r.model, x, r.yh, end, r.cfg.Tol, r.cfg.MaxSteps, reg, rr, seed, true)
	if err != nil {
		return m, err
	}
	defer a.sol.Release()
	r.opt.Step(r.params)
	m.Regularizers, m.Coefficients = map[string]float64{}, map[string]float64{}
	for _, name := range a.aug.Names() {
		m.Regularizers[name], m.Coefficients[name] = a.values[name], a.coefs[name]
		m.Objective += a.coefs[name] * a.values[name]
	}
	return r.record(m, a.sol, a.loss, end, reg), nil
}

// augmented is the result of augmentedObjective.
type augmented struct {
	aug *train.Augmented
	sol *ode.Solution
	// loss is the cross entropy; values and coefs are the higher-order
	// regularizers and their coefficients by name.
	loss          float64
	values, coefs map[string]float64
}

// augmentedObjective solves the model's dynamics from the images x over
// [0, end] augmented with the integral of rr's taynode or rnode
// regularizer (train.Regularization.AugmentLayer; RNODE's probe from
// seed), in the state form (the Input form's precomputed image product
// carries no Taylor series), the integrals out of the solver's norms
// unless rr.AugmentedInNorm, as in Kelly et al.'s MNIST code. With grad it
// adds into the parameters' Grad fields the gradient of the cross entropy
// of the head on the model's columns of the final state against the
// one-hot labels yh, plus the weighted integrals, plus the solver
// regularization reg, all through the discrete adjoint of the augmented
// solve.
func augmentedObjective(ctx context.Context, model *Model, x, yh *tensor.Dense, end, tol float64, maxSteps int, reg ode.Regularization, rr train.Regularization, seed uint64, grad bool) (*augmented, error) {
	aug, err := rr.AugmentLayer(model.Dynamics, x, seed)
	if err != nil {
		return nil, fmt.Errorf("mnistnode: %w", err)
	}
	sol, err := ode.Solve(ctx, aug.Problem(0, end), &ode.Options{RTol: tol, ATol: tol, Adjoint: grad,
		MaxSteps: maxSteps, NormColumns: aug.NormColumns})
	if err != nil {
		return nil, fmt.Errorf("mnistnode: training solve: %w", err)
	}
	last := sol.Z[len(sol.Z)-1]
	a := &augmented{aug: aug, sol: sol, values: aug.Values(last), coefs: aug.Coefficients()}
	if grad {
		loss := func(tp *ad.Tape, y []ad.Var) ad.Var {
			z := y[len(y)-1]
			return ad.Add(nn.LogitCrossEntropy(model.Head.Forward(aug.State(z)), tp.Const(yh)), aug.Term(z))
		}
		obj, _, err := sol.BackwardLoss(ctx, loss, reg)
		if err != nil {
			sol.Release()
			return nil, fmt.Errorf("mnistnode: adjoint: %w", err)
		}
		a.loss = obj
		for _, name := range aug.Names() {
			a.loss -= a.coefs[name] * a.values[name] // obj included the term
		}
	} else {
		tp := ad.NewTape()
		a.loss = nn.LogitCrossEntropy(model.Head.Forward(tp.Const(aug.StateValue(last))), tp.Const(yh)).Scalar()
	}
	return a, nil
}

// history is the checkpoint section holding the run's evaluations and
// per-iteration NFE and loss, as JSON.
type history struct{ r *Run }

type historyJSON struct {
	Elapsed time.Duration `json:"elapsed_ns"`
	CPU     time.Duration `json:"cpu_ns"`
	Evals   []Eval        `json:"evals"`
	NFE     []int         `json:"nfe"`
	Loss    []float64     `json:"loss"`
}

func (h history) MarshalBinary() ([]byte, error) {
	return json.Marshal(historyJSON{h.r.elapsed, h.r.cpu, h.r.evals, h.r.nfe, h.r.loss})
}

func (h history) UnmarshalBinary(b []byte) error {
	var x historyJSON
	if err := json.Unmarshal(b, &x); err != nil {
		return fmt.Errorf("mnistnode: history section: %w", err)
	}
	if len(x.NFE) != len(x.Loss) {
		return fmt.Errorf("mnistnode: history section: %d NFE but %d losses", len(x.NFE), len(x.Loss))
	}
	h.r.elapsed, h.r.cpu, h.r.evals, h.r.nfe, h.r.loss = x.Elapsed, x.CPU, x.Evals, x.NFE, x.Loss
	return nil
}

// Loop returns a training loop for the run: its Step, the checkpoint
// sections "model", "optimizer" and "history" (and "budget" with a
// budget), the seed, a fingerprint of the configuration, and a clock that
// leaves out the evaluations Step does (and a prediction-time budget's
// timing of the prediction solve), so that the loop's training time counts
// only gradient and update work.
func (r *Run) Loop(name string) *train.Loop {
	l := &train.Loop{
		Name: name, Iterations: r.Iterations(), Seed: r.cfg.Seed, Fingerprint: r.cfg.fingerprint(),
		Step: func(ctx context.Context, it int, rng *rand.Rand) (train.Metrics, error) {
			t0, p0, c0, pc0 := time.Now(), r.paused, cpuTime(), r.pausedCPU
			m, err := r.Step(ctx, it, rng)
			if err == nil {
				r.elapsed += time.Since(t0) - (r.paused - p0)
				r.cpu += cpuTime() - c0 - (r.pausedCPU - pc0)
			}
			return m, err
		},
		Now: func() time.Time { return time.Now().Add(-r.paused) },
		State: []train.Section{
			{Name: "model", State: train.ModuleState(r.model.Module())},
			{Name: "optimizer", State: r.opt},
			{Name: "history", State: history{r}},
		},
	}
	r.budget.Attach(l)
	return l
}

// timePrediction is the prediction solve a prediction-time budget is
// converted by (train.BudgetController.TimePredictions): one solve of the
// prediction batch with the current model, its time kept out of the
// training time like the evaluations'.
func (r *Run) timePrediction(ctx context.Context) (int, error) {
	t0, c0 := time.Now(), cpuTime()
	defer func() {
		r.paused += time.Since(t0)
		r.pausedCPU += cpuTime() - c0
	}()
	_, sol, err := r.model.Solve(ctx, rows(r.data.Train, 0, PredictBatch), r.cfg.Tol, r.cfg.MaxSteps)
	if err != nil {
		return 0, fmt.Errorf("mnistnode: timing the prediction solve: %w", err)
	}
	return sol.NFE, nil
}

// Result is a finished run.
type Result struct {
	Method     string
	Seed       uint64
	Iterations int
	// TrainTime is the training time: the sum over iterations of the
	// gradient and update work.
	TrainTime time.Duration
	// TrainCPU is the process's CPU time (user + system, all threads)
	// spent in the training steps, evaluations excluded (meaningful when
	// no other run shares the process).
	TrainCPU time.Duration
	// Images is the number of training images processed.
	Images int
	// Test is the final score on the test set (Config.TestImages), Train on the first
	// EvalImages training images.
	Test, Train Score
	Prediction  *Prediction
	Evals       []Eval
	NFE         []int
	Loss        []float64
	Model       *Model
	Config      Config
	// Budget is the outcome of a budgeted run (nil without a budget),
	// judged on the prediction's NFE and the training loss Train.Loss.
	Budget *train.BudgetOutcome
}

// Train runs cfg on data with the run options (name, recorders,
// checkpoints; resuming from opts.Resume if set), evaluates the trained
// model and times its prediction. The run's default name is
// "mnist-node/<method>/seed=<seed>". An interrupted run returns the loop's
// *train.InterruptedError.
func Train(ctx context.Context, cfg Config, data *Data, opts train.RunOptions) (*Result, error) {
	r, err := NewRun(cfg, data)
	if err != nil {
		return nil, err
	}
	cfg = r.cfg
	loop := r.Loop(fmt.Sprintf("mnist-node/%s/seed=%d", cfg.Reg.Method, cfg.Seed))
	// A prediction-time budget is converted to NFE by the time per NFE of
	// the prediction solve.
	res, err := r.budget.Run(ctx, loop, opts, cfg.PredictRepeats, r.timePrediction)
	if err != nil {
		return nil, err
	}
	r.elapsed = res.Elapsed
	if n := len(r.evals); n == 0 || r.evals[n-1].Iteration != r.Iterations() {
		if err := r.evaluate(ctx, r.Iterations()); err != nil {
			return nil, err
		}
	}
	test, err := Evaluate(ctx, r.model, data.Test, cfg.TestImages, cfg.Tol, cfg.MaxSteps)
	if err != nil {
		return nil, err
	}
	tr, err := Evaluate(ctx, r.model, data.Train, cfg.EvalImages, cfg.Tol, cfg.MaxSteps)
	if err != nil {
		return nil, err
	}
	pred, err := Predict(ctx, r.model, data, cfg.Tol, cfg.MaxSteps, cfg.PredictRepeats)
	if err != nil {
		return nil, err
	}
	images := 0
	for it := 0; it < r.Iterations(); it++ {
		k := it % r.passIters
		images += min(cfg.Batch, r.set.N-k*cfg.Batch)
	}
	return &Result{Method: cfg.Reg.Method.String(), Seed: cfg.Seed, Iterations: res.Iterations, TrainTime: res.Elapsed, TrainCPU: r.cpu,
		Images: images, Test: test, Train: tr, Prediction: pred, Evals: r.evals, NFE: r.nfe, Loss: r.loss, Model: r.model, Config: cfg,
		Budget: r.budget.Outcome(float64(pred.NFE), tr.Loss)}, nil
}

// StepTrace is the accepted steps of one solve, for the figures.
type StepTrace struct {
	T    []float64 `json:"t"`
	H    []float64 `json:"h"`
	EEst []float64 `json:"eest"`
	// Rejected counts the rejected steps.
	Rejected int `json:"rejected"`
	NFE      int `json:"nfe"`
}

// Trace solves the first PredictBatch test images and returns the accepted
// steps' start times, sizes and error estimates.
func Trace(ctx context.Context, m *Model, d *Data, tol float64, maxSteps int) (*StepTrace, error) {
	n := min(PredictBatch, d.Test.N)
	_, sol, err := m.Solve(ctx, rows(d.Test, 0, n), tol, maxSteps)
	if err != nil {
		return nil, fmt.Errorf("mnistnode: trace solve: %w", err)
	}
	tr := &StepTrace{Rejected: sol.Rejected, NFE: sol.NFE}
	for _, s := range sol.Steps {
		if s.Accepted {
			tr.T = append(tr.T, s.T)
			tr.H = append(tr.H, s.H)
			tr.EEst = append(tr.EEst, s.ErrorEstimate)
		}
	}
	return tr, nil
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
