package spiral

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// The true system.
var (
	// A is the matrix of du/dt = (u.^3) A.
	A = [2][2]float64{{-0.1, 2.0}, {-2.0, -0.1}}
	// U0 is the initial state.
	U0 = [2]float64{2, 0}
)

const (
	// T is the end of the observed span [0, T].
	T = 1.5
	// Saves is the number of equally spaced observations, t = 0 included.
	Saves = 30
	// DataTol is the tolerance (rtol = atol) of the reference solve.
	DataTol = 1e-10
)

// Data is the observed trajectory.
type Data struct {
	// Times are the observation times, Times[0] = 0 and Times[Saves-1] = T.
	Times []float64
	// U holds the observed states, one 1 x 2 matrix per time.
	U []*tensor.Dense
}

// U0Dense returns the initial state as a fresh 1 x 2 matrix.
func U0Dense() *tensor.Dense { return tensor.FromSlice(1, 2, []float64{U0[0], U0[1]}) }

// SaveTimes returns the Saves equally spaced times on [0, T].
func SaveTimes() []float64 {
	ts := make([]float64, Saves)
	for i := range ts {
		ts[i] = T * float64(i) / float64(Saves-1)
	}
	ts[Saves-1] = T
	return ts
}

// TrueDynamics is du/dt = (u.^3) A, for a batch of row states.
func TrueDynamics(_ float64, u, du []float64) {
	for i := 0; i+1 < len(u); i += 2 {
		a, b := u[i]*u[i]*u[i], u[i+1]*u[i+1]*u[i+1]
		du[i] = a*A[0][0] + b*A[1][0]
		du[i+1] = a*A[0][1] + b*A[1][1]
	}
}

// TrueData solves the true system at rtol = atol = DataTol and returns the
// observations.
func TrueData(ctx context.Context) (*Data, error) {
	sol, err := ode.Solve(ctx, ode.Problem{F: ode.Plain(TrueDynamics), Z0: U0Dense(), T0: 0, T1: T},
		&ode.Options{RTol: DataTol, ATol: DataTol, SaveAt: SaveTimes()})
	if err != nil {
		return nil, fmt.Errorf("spiral: generating the data: %w", err)
	}
	return &Data{Times: sol.T, U: sol.Z}, nil
}

// NewModel returns the dynamics x -> x^3 -> Dense(2,50,tanh) ->
// Dense(50,2) with weights drawn from seed.
func NewModel(seed uint64) *nn.Chain {
	rng := rand.New(rand.NewPCG(seed, 0x5350495241)) // "SPIRA": a stream apart from IterationRNG's
	return nn.NewChain(nn.Cube(), nn.NewDense(2, 50, nn.Tanh, rng), nn.NewDense(50, 2, nn.Identity, rng))
}

// Dynamics adapts a layer to an ode.Func (autonomous: t is ignored).
func Dynamics(model nn.Layer) ode.Func {
	return func(_ float64, z ad.Var) ad.Var { return model.Forward(z) }
}

// Config is one training run. Its zero value is the default scale, the
// protocol of `whitebox reproduce spiral` (with seed 0 and the vanilla
// method); Full is the paper-sized one. Zero fields take the default-scale
// values when the run starts.
type Config struct {
	// Seed draws the initial weights and every iteration's randomness.
	Seed uint64 `json:"seed"`
	// Iterations is the number of Adam steps. Default 4000.
	Iterations int `json:"iterations"`
	// LR is Adam's learning rate at the first step. With LRFinal > 0 (and
	// different) it decays exponentially to LRFinal at the last step
	// (optim.ExpAnneal); with LRFinal = 0 it is constant. A zero LR means
	// the default schedule, 0.1 decaying to 0.003.
	LR      float64 `json:"lr"`
	LRFinal float64 `json:"lr_final,omitempty"`
	// Tol is the solver tolerance, rtol = atol, in training and prediction.
	// Default 1e-6.
	Tol float64 `json:"tol"`
	// Reg is the regularization method and its coefficients. A zero
	// ErrorCoef means the default annealing 0.1 -> 1e-4 (a set ErrorCoef
	// with ErrorCoefFinal = 0 is constant); the defaults of StiffnessCoef
	// and SteerB are 1e-6 and 0.5; the aggregations default to sum. The
	// higher-order baselines default to TayNODECoef TayNODEDefaultCoef with
	// TayNODEOrder TayNODEDefaultOrder, and (when both are zero) to RNODE
	// coefficients RNODEDefaultCoef each.
	Reg train.Regularization `json:"-"`
	// PredictRepeats is how many times the prediction solve is timed (the
	// median is reported). Default 21.
	PredictRepeats int `json:"predict_repeats"`
	// MaxSteps bounds the attempted steps of every solve of the model
	// (0: the solver's default, ode.Options.MaxSteps).
	MaxSteps int `json:"max_steps,omitempty"`
	// Budget, if set, trains to a prediction budget: the coefficient of
	// its regularizer (error by default) starts at the Reg's value and is
	// set online from the training NFE (train.BudgetController) instead of
	// following the annealing.
	Budget train.Budget `json:"budget,omitzero"`
}

// The spiral's TayNODE protocol: Kelly et al. do not fit the spiral (they
// use K = 3 on MNIST and K = 2 on the PhysioNet latent ODE); here K = 3
// with a coefficient small enough to keep vanilla's loss (R_3 of a model
// that fits the spiral is many orders of magnitude above its data loss).
// README.md records the coefficients and orders tried.
const (
	TayNODEDefaultCoef  = 1e-10
	TayNODEDefaultOrder = 3
)

// RNODEDefaultCoef is the spiral's coefficient of both RNODE integrals.
// Finlay et al.'s 0.01 (for normalizing flows, whose loss is in nats per
// dimension) stops the spiral's fit; README.md records the values tried.
const RNODEDefaultCoef = 3e-6

// withDefaults fills the zero fields with the default scale's values:
// 4000 Adam iterations with the learning rate decaying exponentially from
// 0.1 to 0.003, Tsit5 at rtol = atol = 1e-6, the error coefficient annealed
// from 0.1 to 1e-4 (sum aggregation, paper eq. 9), the stiffness
// coefficient 1e-6 (sum, eq. 11), STEER's b = 0.5. README.md records how
// these values were chosen.
func (c Config) withDefaults() Config {
	if c.Iterations == 0 {
		c.Iterations = 4000
	}
	if c.LR == 0 {
		c.LR = 0.1
		if c.LRFinal == 0 {
			c.LRFinal = 0.003
		}
	}
	if c.Tol == 0 {
		c.Tol = 1e-6
	}
	if c.Reg.ErrorCoef == 0 {
		c.Reg.ErrorCoef = 0.1
		if c.Reg.ErrorCoefFinal == 0 {
			c.Reg.ErrorCoefFinal = 1e-4
		}
	}
	if c.Reg.StiffnessCoef == 0 {
		c.Reg.StiffnessCoef = 1e-6
	}
	if c.Reg.SteerB == 0 {
		c.Reg.SteerB = 0.5
	}
	if c.Reg.TayNODECoef == 0 {
		c.Reg.TayNODECoef = TayNODEDefaultCoef
	}
	if c.Reg.TayNODEOrder == 0 {
		c.Reg.TayNODEOrder = TayNODEDefaultOrder
	}
	if c.Reg.RNODEKineticCoef == 0 && c.Reg.RNODEJacobianCoef == 0 {
		c.Reg.RNODEKineticCoef, c.Reg.RNODEJacobianCoef = RNODEDefaultCoef, RNODEDefaultCoef
	}
	if c.PredictRepeats == 0 {
		c.PredictRepeats = 21
	}
	return c
}

// Full returns the paper-sized protocol: the default scale at the paper's
// neural-ODE tolerance rtol = atol = 1.4e-8 (its Section 4.1) with 10000
// iterations, the error coefficient annealed from 0.1 down to 1e-6 so that
// the longer training can reach vanilla's loss.
func Full() Config {
	return Config{Iterations: 10000, Tol: 1.4e-8, Reg: train.Regularization{ErrorCoef: 0.1, ErrorCoefFinal: 1e-6}}
}

// Validate checks the configuration (after filling its zero fields with
// the defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Iterations < 0 {
		return fmt.Errorf("spiral: %d iterations; give a positive number", c.Iterations)
	}
	if c.LRFinal < 0 || math.IsNaN(c.LRFinal) || math.IsInf(c.LRFinal, 0) {
		return fmt.Errorf("spiral: final learning rate %v; give a positive value, or 0 for a constant rate", c.LRFinal)
	}
	for name, v := range map[string]float64{"learning rate": c.LR, "tolerance": c.Tol} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("spiral: %s = %v; it must be positive and finite", name, v)
		}
	}
	if c.PredictRepeats < 0 {
		return fmt.Errorf("spiral: PredictRepeats = %d must not be negative", c.PredictRepeats)
	}
	if c.MaxSteps < 0 {
		return fmt.Errorf("spiral: MaxSteps = %d must not be negative", c.MaxSteps)
	}
	if err := c.Reg.Validate(); err != nil {
		return fmt.Errorf("spiral: %w", err)
	}
	if err := c.Reg.CheckSpan(0, T); err != nil {
		return fmt.Errorf("spiral: %w", err)
	}
	if err := c.Budget.Validate(); err != nil {
		return fmt.Errorf("spiral: %w", err)
	}
	return nil
}

// lrSchedule is Adam's learning rate as a function of its step number (1
// for the first step).
func (c *Config) lrSchedule() optim.Schedule {
	if c.LRFinal == 0 || c.LRFinal == c.LR {
		return optim.Constant(c.LR)
	}
	k := optim.ExpAnneal(c.LR, c.LRFinal, max(1, c.Iterations-1))
	return optim.Func(func(n int) float64 { return k.At(n - 1) })
}

// fingerprint describes everything that shapes the training arithmetic
// (not the seed, which checkpoints hold apart, nor the prediction timing).
func (c *Config) fingerprint() string {
	t := *c
	t.Seed, t.PredictRepeats, t.MaxSteps = 0, 0, 0
	js, _ := json.Marshal(t)
	return fmt.Sprintf("spiral %s %s", js, t.Reg.String())
}

// Point is one iteration's record in a run's history.
type Point struct {
	Iteration   int     `json:"iteration"`
	Loss        float64 `json:"loss"`
	NFE         int     `json:"nfe"`
	BackwardNFE int     `json:"backward_nfe"`
}

// history is the checkpoint section holding a run's Points: 32 bytes per
// point, little endian (iteration, loss bits, NFE, backward NFE).
type history struct{ points *[]Point }

func (h history) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 32*len(*h.points))
	for _, p := range *h.points {
		b = binary.LittleEndian.AppendUint64(b, uint64(p.Iteration))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Loss))
		b = binary.LittleEndian.AppendUint64(b, uint64(p.NFE))
		b = binary.LittleEndian.AppendUint64(b, uint64(p.BackwardNFE))
	}
	return b, nil
}

func (h history) UnmarshalBinary(b []byte) error {
	if len(b)%32 != 0 {
		return fmt.Errorf("spiral: history section of %d bytes is not a whole number of 32-byte points", len(b))
	}
	ps := make([]Point, len(b)/32)
	for i := range ps {
		r := b[32*i:]
		ps[i] = Point{Iteration: int(binary.LittleEndian.Uint64(r)), Loss: math.Float64frombits(binary.LittleEndian.Uint64(r[8:])),
			NFE: int(binary.LittleEndian.Uint64(r[16:])), BackwardNFE: int(binary.LittleEndian.Uint64(r[24:]))}
		if ps[i].Iteration != i+1 || ps[i].NFE < 0 || ps[i].BackwardNFE < 0 {
			return fmt.Errorf("spiral: history section: point %d is inconsistent", i)
		}
	}
	*h.points = ps
	return nil
}

// Run is the state of one training run: the model, the optimizer and the
// history of its iterations.
type Run struct {
	cfg     Config
	data    *Data
	model   *nn.Chain
	params  []*ad.Param
	opt     *optim.Adam
	history []Point
	f       ode.Func
	// tf is the model in Taylor mode, for the methods that augment the
	// state (taynode, rnode); nil otherwise.
	tf     taylor.Func
	budget *train.BudgetController
}

// NewRun builds the model and optimizer of a run.
func NewRun(cfg Config, data *Data) (*Run, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if data == nil || len(data.Times) < 2 || len(data.U) != len(data.Times) {
		return nil, fmt.Errorf("spiral: the data must hold at least two observations (use TrueData)")
	}
	b, err := train.NewBudgetController(cfg.Budget, cfg.Reg, cfg.Iterations)
	if err != nil {
		return nil, fmt.Errorf("spiral: %w", err)
	}
	m := NewModel(cfg.Seed)
	r := &Run{cfg: cfg, data: data, model: m, params: m.Params(), opt: optim.NewAdam(cfg.lrSchedule()), f: Dynamics(m), budget: b}
	if cfg.Reg.Augments() {
		tf, err := taylor.FromLayer(m)
		if err != nil {
			return nil, fmt.Errorf("spiral: %w", err)
		}
		r.tf = tf
	}
	return r, nil
}

// Model returns the run's model.
func (r *Run) Model() *nn.Chain { return r.model }

// Config returns the run's configuration.
func (r *Run) Config() Config { return r.cfg }

// History returns the record of the completed iterations.
func (r *Run) History() []Point { return r.history }

// Budget returns the run's budget controller (inactive without a budget).
func (r *Run) Budget() *train.BudgetController { return r.budget }

// Step is one training iteration (a train.Step).
func (r *Run) Step(ctx context.Context, it int, rng *rand.Rand) (train.Metrics, error) {
	var m train.Metrics
	end := math.Min(r.cfg.Reg.EndTime(0, T, rng), r.data.Times[len(r.data.Times)-1])
	n := 0
	for n < len(r.data.Times) && r.data.Times[n] <= end {
		n++
	}
	if r.tf != nil {
		return r.augmentedStep(ctx, it, rng, end, n)
	}
	sol, err := ode.Solve(ctx, ode.Problem{F: r.f, Z0: U0Dense(), T0: 0, T1: end},
		&ode.Options{RTol: r.cfg.Tol, ATol: r.cfg.Tol, SaveAt: r.data.Times[:n], Adjoint: true, MaxSteps: r.cfg.MaxSteps})
	if err != nil {
		return m, fmt.Errorf("spiral: training solve: %w", err)
	}
	loss, dZ := mse(sol.Z, r.data.U[:n], true)
	reg := r.budget.At(it, r.cfg.Iterations)
	nn.ZeroGrad(r.params)
	if _, err := sol.Backward(ctx, dZ, reg); err != nil {
		return m, fmt.Errorf("spiral: adjoint: %w", err)
	}
	sol.Release()
	r.opt.Step(r.params)

	re, rs := sol.ErrorRegularizer(reg.ErrorAgg), sol.StiffnessRegularizer(reg.StiffnessAgg)
	m.Loss = loss
	m.Objective = loss + reg.Error*re + reg.Stiffness*rs
	m.Regularizers = map[string]float64{"error": re, "stiffness": rs}
	m.Coefficients = map[string]float64{"error": reg.Error, "stiffness": reg.Stiffness}
	m.EndTime = end
	m.NFE, m.BackwardNFE = sol.NFE, sol.BackwardNFE
	r.history = append(r.history, Point{Iteration: it + 1, Loss: loss, NFE: sol.NFE, BackwardNFE: sol.BackwardNFE})
	return m, nil
}

// augmentedStep is Step for the methods that augment the state with the
// integrals of their regularizers (taynode, rnode): the same solve and
// data loss on the model's columns of the augmented state, plus the
// regularization term read off the state at the end, all differentiated
// through the discrete adjoint of the augmented solve. The integrals stay
// out of the solver's norms unless Reg.AugmentedInNorm. RNODE's probe
// comes from the iteration's generator (after STEER's draw).
func (r *Run) augmentedStep(ctx context.Context, it int, rng *rand.Rand, end float64, n int) (train.Metrics, error) {
	var m train.Metrics
	aug, sol, err := r.augmentedSolve(ctx, rng, end, n)
	if err != nil {
		return m, err
	}
	reg := r.budget.At(it, r.cfg.Iterations)
	nn.ZeroGrad(r.params)
	if _, _, err := sol.BackwardLoss(ctx, r.augmentedLoss(aug, n), reg); err != nil {
		return m, fmt.Errorf("spiral: adjoint: %w", err)
	}
	sol.Release()
	r.opt.Step(r.params)

	zs := make([]*tensor.Dense, n)
	for i := range zs {
		zs[i] = aug.StateValue(sol.Z[i])
	}
	loss, _ := mse(zs, r.data.U[:n], false)
	last := sol.Z[len(sol.Z)-1]
	re, rs := sol.ErrorRegularizer(reg.ErrorAgg), sol.StiffnessRegularizer(reg.StiffnessAgg)
	m.Loss = loss
	m.Objective = loss + reg.Error*re + reg.Stiffness*rs
	m.Regularizers = map[string]float64{"error": re, "stiffness": rs}
	m.Coefficients = map[string]float64{"error": reg.Error, "stiffness": reg.Stiffness}
	vals, coefs := aug.Values(last), aug.Coefficients()
	for _, name := range aug.Names() {
		m.Regularizers[name], m.Coefficients[name] = vals[name], coefs[name]
		m.Objective += coefs[name] * vals[name]
	}
	m.EndTime = end
	m.NFE, m.BackwardNFE = sol.NFE, sol.BackwardNFE
	r.history = append(r.history, Point{Iteration: it + 1, Loss: loss, NFE: sol.NFE, BackwardNFE: sol.BackwardNFE})
	return m, nil
}

// augmentedSolve is the forward solve of augmentedStep, with the checkpoints
// of the adjoint.
func (r *Run) augmentedSolve(ctx context.Context, rng *rand.Rand, end float64, n int) (*train.Augmented, *ode.Solution, error) {
	reg := r.budget.Regularization() // the run's, with a budget's coefficient
	aug, err := reg.Augment(r.tf, U0Dense(), rng.Uint64())
	if err != nil {
		return nil, nil, fmt.Errorf("spiral: %w", err)
	}
	sol, err := ode.Solve(ctx, aug.Problem(0, end), &ode.Options{RTol: r.cfg.Tol, ATol: r.cfg.Tol, SaveAt: aug.SaveAt(r.data.Times[:n], end),
		Adjoint: true, MaxSteps: r.cfg.MaxSteps, NormColumns: aug.NormColumns})
	if err != nil {
		return nil, nil, fmt.Errorf("spiral: training solve: %w", err)
	}
	return aug, sol, nil
}

// augmentedLoss is the training objective of the augmented solve without
// the solver's regularizers: the mean squared error of the model's columns
// of the first n saves against the data, plus the regularization term of
// the last save (the state at the end of the span).
func (r *Run) augmentedLoss(aug *train.Augmented, n int) ode.Loss {
	count := float64(n * r.data.U[0].Len())
	return func(tp *ad.Tape, z []ad.Var) ad.Var {
		terms := make([]ad.Var, n)
		for i := range terms {
			terms[i] = ad.Sum(ad.Square(ad.Sub(aug.State(z[i]), tp.Const(r.data.U[i]))))
		}
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1 / count
		}
		return ad.Add(ad.LinComb(ones, terms), aug.Term(z[len(z)-1]))
	}
}

// mse returns the mean of (z - d)^2 over all saved states and components,
// and, if grad, its cotangents dL/dz.
func mse(z, d []*tensor.Dense, grad bool) (float64, []*tensor.Dense) {
	count := 0
	for _, zi := range z {
		count += zi.Len()
	}
	var dZ []*tensor.Dense
	if grad {
		dZ = make([]*tensor.Dense, len(z))
	}
	s := 0.0
	for i, zi := range z {
		if grad {
			dZ[i] = tensor.New(zi.Rows, zi.Cols)
		}
		for k, v := range zi.Data {
			e := v - d[i].Data[k]
			s += e * e
			if grad {
				dZ[i].Data[k] = 2 * e / float64(count)
			}
		}
	}
	return s / float64(count), dZ
}

// Loop returns a training loop for the run: its Step, the checkpoint
// sections "model", "optimizer" and "history" (and "budget" with a
// budget), the seed and a fingerprint of the configuration. Set the
// recorders and checkpoint path on it.
func (r *Run) Loop(name string) *train.Loop {
	l := &train.Loop{
		Name: name, Iterations: r.cfg.Iterations, Seed: r.cfg.Seed, Fingerprint: r.cfg.fingerprint(),
		Step: r.Step,
		State: []train.Section{
			{Name: "model", State: train.ModuleState(r.model)},
			{Name: "optimizer", State: r.opt},
			{Name: "history", State: history{&r.history}},
		},
	}
	r.budget.Attach(l)
	return l
}

// Prediction is the trained model's forward solve over [0, T].
type Prediction struct {
	Times []float64
	U     []*tensor.Dense
	// Loss is the MSE against the data, NFE the solve's evaluations and
	// Time the median wall time of one solve.
	Loss float64
	NFE  int
	Time time.Duration
}

// Predict solves model over the observation times at the tolerance of cfg
// without gradients, cfg.PredictRepeats times (at least once), and reports
// the loss against data, the NFE and the median time of one solve.
func Predict(ctx context.Context, model nn.Layer, data *Data, cfg Config) (*Prediction, error) {
	cfg = cfg.withDefaults()
	p := ode.Problem{F: Dynamics(model), Z0: U0Dense(), T0: 0, T1: data.Times[len(data.Times)-1]}
	opts := &ode.Options{RTol: cfg.Tol, ATol: cfg.Tol, SaveAt: data.Times, MaxSteps: cfg.MaxSteps}
	var sol *ode.Solution
	times := make([]time.Duration, max(1, cfg.PredictRepeats))
	for i := range times {
		t0 := time.Now()
		s, err := ode.Solve(ctx, p, opts)
		times[i] = time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("spiral: prediction solve: %w", err)
		}
		sol = s
	}
	slices.Sort(times)
	loss, _ := mse(sol.Z, data.U, false)
	return &Prediction{Times: sol.T, U: sol.Z, Loss: loss, NFE: sol.NFE, Time: times[len(times)/2]}, nil
}

// Result is a finished run.
type Result struct {
	Method     string
	Seed       uint64
	Iterations int
	// TrainTime is the training wall time (sum over iterations).
	TrainTime  time.Duration
	Prediction *Prediction
	History    []Point
	Model      *nn.Chain
	// Budget is the outcome of a budgeted run (nil without a budget).
	Budget *train.BudgetOutcome
}

// Train runs cfg on data with the run options (name, recorders,
// checkpoints; resuming from opts.Resume if set) and predicts with the
// trained model. The run's default name is "spiral/<method>/seed=<seed>".
// An interrupted run returns the loop's *train.InterruptedError.
func Train(ctx context.Context, cfg Config, data *Data, opts train.RunOptions) (*Result, error) {
	r, err := NewRun(cfg, data)
	if err != nil {
		return nil, err
	}
	cfg = r.cfg
	loop := r.Loop(fmt.Sprintf("spiral/%s/seed=%d", cfg.Reg.Method, cfg.Seed))
	// A prediction-time budget is converted to NFE by the time per NFE of
	// the prediction solve.
	p := ode.Problem{F: r.f, Z0: U0Dense(), T0: 0, T1: T}
	popts := &ode.Options{RTol: cfg.Tol, ATol: cfg.Tol, SaveAt: data.Times, MaxSteps: cfg.MaxSteps}
	res, err := r.budget.Run(ctx, loop, opts, cfg.PredictRepeats, func(ctx context.Context) (int, error) {
		sol, err := ode.Solve(ctx, p, popts)
		if err != nil {
			return 0, fmt.Errorf("spiral: timing the prediction solve: %w", err)
		}
		return sol.NFE, nil
	})
	if err != nil {
		return nil, err
	}
	pred, err := Predict(ctx, r.model, data, cfg)
	if err != nil {
		return nil, err
	}
	return &Result{Method: cfg.Reg.Method.String(), Seed: cfg.Seed, Iterations: res.Iterations, TrainTime: res.Elapsed,
		Prediction: pred, History: r.history, Model: r.model, Budget: r.budget.Outcome(float64(pred.NFE), pred.Loss)}, nil
}

// Curve solves the dynamics f from U0 over [0, T] and returns the state at n
// equally spaced times (for figures): f is Dynamics(model) for a trained
// model or ode.Plain(TrueDynamics) for the true system.
func Curve(ctx context.Context, f ode.Func, n int, rtol, atol float64) (u1, u2 []float64, err error) {
	if n < 2 {
		return nil, nil, fmt.Errorf("spiral: a curve needs at least 2 points, got %d", n)
	}
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = T * float64(i) / float64(n-1)
	}
	ts[n-1] = T
	sol, err := ode.Solve(ctx, ode.Problem{F: f, Z0: U0Dense(), T0: 0, T1: T}, &ode.Options{RTol: rtol, ATol: atol, SaveAt: ts})
	if err != nil {
		return nil, nil, fmt.Errorf("spiral: curve: %w", err)
	}
	for _, z := range sol.Z {
		u1 = append(u1, z.At(0, 0))
		u2 = append(u2, z.At(0, 1))
	}
	return u1, u2, nil
}
