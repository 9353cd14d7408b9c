package latentode

import (
	"context"
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
	"github.com/whitebox-de/whitebox/physionet"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// Protocol constants of the authors' experiment (RegNeuralDE.jl,
// experiments/latent_ode.jl).
const (
	// PaperTol is the solver tolerance, rtol = atol.
	PaperTol = 1.4e-8
	// PaperEpochs and PaperBatch are the paper's training length and batch.
	PaperEpochs = 300
	PaperBatch  = 512
	// DefaultDataSeed seeds the 80:20 split of set-a, the same for every run
	// so that the methods are tested on the same records.
	DefaultDataSeed = 1999
	// PredictSeed seeds the reparameterization noise of every prediction
	// and test evaluation, the same for every run.
	PredictSeed = 20210718
)

// Config is one training run. Its zero value is the default scale of
// `whitebox reproduce physionet` (with seed 0 and the vanilla method); Full
// is the paper's. Zero fields take the default-scale values.
type Config struct {
	// Seed draws the initial weights, the batches and the noise of every
	// iteration.
	Seed uint64 `json:"seed"`
	// Arch is the model (zero: the authors' DefaultArch).
	Arch Arch `json:"arch"`
	// Data is the set-a folder or .tar.gz ("": physionet.DefaultArchive).
	Data string `json:"data,omitempty"`
	// DataSeed seeds the 80:20 split. Default DefaultDataSeed.
	DataSeed uint64 `json:"data_seed"`
	// TrainRecords, if positive, trains on the first TrainRecords records
	// of the training split only; TestRecords likewise bounds the test
	// records evaluated (0: all).
	TrainRecords int `json:"train_records,omitempty"`
	TestRecords  int `json:"test_records,omitempty"`
	// Epochs and BatchSize: the incomplete last batch of an epoch is
	// dropped, as in the authors' code.
	Epochs    int `json:"epochs"`
	BatchSize int `json:"batch_size"`
	// Iterations, if positive, stops the run after that many iterations
	// instead of Epochs x batches per epoch (for quick runs).
	Iterations int `json:"iterations,omitempty"`
	// Tol is rtol = atol of every solve. Default PaperTol.
	Tol float64 `json:"tol"`
	// LR is Adamax's learning rate, decayed as LR/(1 + LRDecay n) (Flux's
	// InvDecay). Defaults 0.01 and 1e-5.
	LR      float64 `json:"lr"`
	LRDecay float64 `json:"lr_decay"`
	// KLOffset is the epoch offset of the KL weight max(0, 1 -
	// 0.99^(epoch - KLOffset)) (epochs from 0). Default 10, the authors'.
	KLOffset int `json:"kl_offset"`
	// Reg is the method and its coefficients: the error coefficient is
	// annealed per epoch ErrorCoef*exp(-k e), k = ln(ErrorCoef/ErrorCoefFinal)/Epochs
	// (defaults 1000 -> 100); the stiffness coefficient is 10 on S_j =
	// |lambda_j|/3.5068 (the authors' 10 x stability size, i.e. 2.85 |lambda|).
	// The aggregations are the authors' (mean with a zero entry at t0, max
	// with StiffnessFloor) and are not configurable. SteerB is the jitter of
	// the save times as a fraction of their spacing (JitterTimes; default
	// 0.5, the authors').
	Reg train.Regularization `json:"-"`
	// PredictRepeats is the number of timed prediction solves whose median
	// is the prediction time. Default 5.
	PredictRepeats int `json:"predict_repeats"`
	// PredictEvery records the prediction NFE every PredictEvery epochs
	// (for the NFE-over-training figure; 0: every epoch). Its time is not
	// training time.
	PredictEvery int `json:"predict_every"`
	// MaxSteps bounds the attempted steps of every solve (0: the solver's).
	MaxSteps int `json:"max_steps,omitempty"`
	// Budget, if set, trains to a prediction budget: the coefficient of its
	// regularizer (error by default) starts at the method's value
	// (Reg.ErrorCoef for error) and is set online from the forward NFE of
	// the training solves (train.BudgetController) instead of following
	// the per-epoch annealing. The budget is on the NFE of the prediction
	// solve (the first BatchSize training records, Result.Prediction).
	Budget train.Budget `json:"budget,omitzero"`
}

// Default-scale values (README.md, "PhysioNet latent ODE", records how
// they were chosen).
const (
	DefaultEpochs       = 20
	DefaultBatch        = 256
	DefaultTrainRecords = 1024
)

func (c Config) withDefaults() Config {
	c.Arch = c.Arch.withDefaults()
	if c.DataSeed == 0 {
		c.DataSeed = DefaultDataSeed
	}
	if c.Epochs == 0 {
		c.Epochs = DefaultEpochs
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatch
	}
	if c.Tol == 0 {
		c.Tol = PaperTol
	}
	if c.LR == 0 {
		c.LR = 0.01
	}
	if c.LRDecay == 0 {
		c.LRDecay = 1e-5
	}
	if c.KLOffset == 0 {
		c.KLOffset = 10
	}
	if c.Reg.ErrorCoef == 0 {
		c.Reg.ErrorCoef = 1000
		if c.Reg.ErrorCoefFinal == 0 {
			c.Reg.ErrorCoefFinal = 100
		}
	}
	if c.Reg.StiffnessCoef == 0 {
		c.Reg.StiffnessCoef = 10
	}
	if c.Reg.SteerB == 0 {
		c.Reg.SteerB = 0.5
	}
	if c.Reg.TayNODECoef == 0 {
		c.Reg.TayNODECoef = 0.01
	}
	if c.Reg.TayNODEOrder == 0 {
		c.Reg.TayNODEOrder = 2
	}
	if c.Reg.RNODEKineticCoef == 0 && c.Reg.RNODEJacobianCoef == 0 {
		c.Reg.RNODEKineticCoef, c.Reg.RNODEJacobianCoef = 0.01, 0.01
	}
	if c.PredictRepeats == 0 {
		c.PredictRepeats = 5
	}
	if c.PredictEvery == 0 {
		c.PredictEvery = 1
	}
	return c
}

// Default returns the default scale: the first DefaultTrainRecords
// records of the training split in batches of DefaultBatch for
// DefaultEpochs epochs, the error coefficient annealed 2000 -> 200 (twice
// the authors' 1000 -> 100, which their 300 epochs have time for).
func Default() Config {
	return Config{TrainRecords: DefaultTrainRecords, Reg: train.Regularization{ErrorCoef: 2000, ErrorCoefFinal: 200}}
}

// Full returns the paper's protocol: the whole training split (3200
// records), batch 512, 300 epochs.
func Full() Config {
	return Config{Epochs: PaperEpochs, BatchSize: PaperBatch, PredictEvery: 5}
}

// Validate checks the configuration after filling its zero fields.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Arch.Validate(); err != nil {
		return err
	}
	for name, v := range map[string]int{"Epochs": c.Epochs, "BatchSize": c.BatchSize, "PredictRepeats": c.PredictRepeats, "PredictEvery": c.PredictEvery} {
		if v < 1 {
			return fmt.Errorf("latentode: %s = %d; give at least 1", name, v)
		}
	}
	for name, v := range map[string]int{"Iterations": c.Iterations, "TrainRecords": c.TrainRecords, "TestRecords": c.TestRecords, "MaxSteps": c.MaxSteps, "KLOffset": c.KLOffset} {
		if v < 0 {
			return fmt.Errorf("latentode: %s = %d must not be negative", name, v)
		}
	}
	if c.TrainRecords > 0 && c.TrainRecords < c.BatchSize {
		return fmt.Errorf("latentode: %d training records make no batch of %d; give at least as many records as the batch size", c.TrainRecords, c.BatchSize)
	}
	for name, v := range map[string]float64{"learning rate": c.LR, "tolerance": c.Tol} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("latentode: %s = %v; it must be positive and finite", name, v)
		}
	}
	if !(c.LRDecay >= 0) || math.IsInf(c.LRDecay, 0) {
		return fmt.Errorf("latentode: LRDecay = %v must be 0 or positive and finite", c.LRDecay)
	}
	if c.Reg.Method.STEER && c.Reg.SteerB > 0.5 {
		return fmt.Errorf("latentode: STEER's jitter b = %v; give at most 0.5 (a fraction of the interval between save times)", c.Reg.SteerB)
	}
	if err := c.Reg.Validate(); err != nil {
		return fmt.Errorf("latentode: %w", err)
	}
	if err := c.Budget.Validate(); err != nil {
		return fmt.Errorf("latentode: %w", err)
	}
	return nil
}

// ErrorCoef returns the error coefficient of epoch e (from 0).
func (c *Config) ErrorCoef(e int) float64 {
	if !c.Reg.Method.Error {
		return 0
	}
	if c.Reg.ErrorCoefFinal == 0 || c.Reg.ErrorCoefFinal == c.Reg.ErrorCoef {
		return c.Reg.ErrorCoef
	}
	k := math.Log(c.Reg.ErrorCoef/c.Reg.ErrorCoefFinal) / float64(c.Epochs)
	return c.Reg.ErrorCoef * math.Exp(-k*float64(e))
}

// KLWeight returns the KL weight of epoch e (from 0): max(0, 1 -
// 0.99^(e - KLOffset)).
func (c *Config) KLWeight(e int) float64 {
	return math.Max(0, 1-math.Pow(0.99, float64(e-c.KLOffset)))
}

// Coefs returns the objective's weights in epoch e.
func (c *Config) Coefs(e int) Coefs {
	o := Coefs{KL: c.KLWeight(e), Error: c.ErrorCoef(e)}
	if c.Reg.Method.Stiffness {
		o.Stiffness = c.Reg.StiffnessCoef
	}
	if c.Reg.Augments() {
		r := c.Reg
		// Kelly et al.'s latent ODE code integrates R_K inside the error
		// control.
		r.AugmentedInNorm = true
		o.Aug = &r
	}
	return o
}

func (c *Config) solverOptions() ode.Options {
	return ode.Options{RTol: c.Tol, ATol: c.Tol, MaxSteps: c.MaxSteps}
}

// fingerprint describes what shapes the training arithmetic (the budget
// included: a budgeted run's checkpoint only resumes with the same budget).
func (c *Config) fingerprint() string {
	t := *c
	t.Seed, t.PredictRepeats, t.MaxSteps, t.Data = 0, 0, 0, ""
	js, _ := json.Marshal(t)
	return fmt.Sprintf("physionet %s %s", js, t.Reg.String())
}

// JitterTimes returns the save times of a STEER iteration, as the authors'
// sample_tbounds with b = 0.5: t_0 stays, every later t_i moves by
// U(-1,1)*b*(t_i - t_{i-1}), clamped to [0, 1]. b must lie in (0, 0.5] so
// that the times stay ordered; should two times meet, it returns ts.
func JitterTimes(ts []float64, b float64, rng *rand.Rand) []float64 {
	out := slices.Clone(ts)
	for i := 1; i < len(ts); i++ {
		out[i] = math.Min(1, math.Max(0, ts[i]+(2*rng.Float64()-1)*b*(ts[i]-ts[i-1])))
	}
	for i := 1; i < len(out); i++ {
		if !(out[i] > out[i-1]) {
			return slices.Clone(ts)
		}
	}
	return out
}

// Data is the split, normalized data of a run.
type Data struct {
	Stats       *physionet.Stats
	Train, Test *physionet.Dataset
}

// LoadData loads the records at path ("": the committed set-a archive),
// splits them 80:20 with seed and normalizes both parts with the training
// part's statistics.
func LoadData(path string, seed uint64) (*Data, error) {
	if path == "" {
		p, err := physionet.DefaultArchive()
		if err != nil {
			return nil, err
		}
		path = p
	}
	all, err := physionet.Load(path, nil)
	if err != nil {
		return nil, err
	}
	if all.Len() < 5 {
		return nil, fmt.Errorf("latentode: %s holds %d records; training needs at least 5", path, all.Len())
	}
	rawTrain, rawTest := physionet.Split(all, seed)
	st, err := physionet.ComputeStats(rawTrain)
	if err != nil {
		return nil, err
	}
	tr, err := st.Normalize(rawTrain)
	if err != nil {
		return nil, err
	}
	te, err := st.Normalize(rawTest)
	if err != nil {
		return nil, err
	}
	return &Data{Stats: st, Train: tr, Test: te}, nil
}

// Point is one iteration's record.
type Point struct {
	Iteration   int     `json:"iteration"`
	Total       float64 `json:"total"`
	NLL         float64 `json:"nll"`
	NFE         int     `json:"nfe"`
	BackwardNFE int     `json:"backward_nfe"`
}

// EpochPoint is the prediction measured after an epoch.
type EpochPoint struct {
	Epoch int     `json:"epoch"`
	NFE   int     `json:"nfe"`
	Loss  float64 `json:"loss"`
	// TimeS is the wall time of the measurement (not training time).
	TimeS float64 `json:"time_s"`
}

// history is the checkpoint section of a run's records (JSON).
type history struct {
	Points []Point      `json:"points"`
	Epochs []EpochPoint `json:"epochs"`
}

type historyState struct{ h *history }

func (s historyState) MarshalBinary() ([]byte, error) { return json.Marshal(s.h) }
func (s historyState) UnmarshalBinary(b []byte) error {
	var h history
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("latentode: history section: %w", err)
	}
	*s.h = h
	return nil
}

// Run is the state of one training run.
type Run struct {
	cfg     Config
	data    *Data
	train   *physionet.Dataset
	model   *Model
	params  []*ad.Param
	opt     *optim.Adamax
	batcher *physionet.Batcher
	bpe     int
	vals    []float64
	mask    []float64
	pred    *Batch
	hist    history

	// budget sets the budgeted coefficient (inactive without a budget);
	// paused is the time of the prediction solves a prediction-time budget
	// is converted by, which is not training time.
	budget *train.BudgetController
	paused time.Duration
}

// NewRun builds the model, optimizer and batcher of a run on data.
func NewRun(cfg Config, data *Data) (*Run, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if data == nil || data.Train == nil || data.Train.Len() == 0 {
		return nil, fmt.Errorf("latentode: no training data (use LoadData)")
	}
	m, err := NewModel(cfg.Arch, cfg.Seed)
	if err != nil {
		return nil, err
	}
	tr := data.Train
	if cfg.TrainRecords > 0 && cfg.TrainRecords < tr.Len() {
		tr = tr.Subset(seq(cfg.TrainRecords))
	}
	if tr.Len() < cfg.BatchSize {
		return nil, fmt.Errorf("latentode: %d training records make no batch of %d; lower the batch size", tr.Len(), cfg.BatchSize)
	}
	r := &Run{cfg: cfg, data: data, train: tr, model: m, params: m.Params(),
		opt:     optim.NewAdamax(optim.InverseDecay(cfg.LR, cfg.LRDecay)),
		batcher: physionet.NewBatcher(tr, physionet.BatchConfig{Size: cfg.BatchSize, Seed: cfg.Seed})}
	r.bpe = r.batcher.Batches()
	b, err := train.NewBudgetController(cfg.Budget, cfg.Reg, r.Iterations())
	if err != nil {
		return nil, fmt.Errorf("latentode: %w", err)
	}
	r.budget = b
	r.vals = make([]float64, cfg.BatchSize*physionet.RecordSize)
	r.mask = make([]float64, len(r.vals))
	// The prediction batch: the first BatchSize training records in storage
	// order, as the authors time one forward pass on a fixed batch.
	pb := tr.Subset(seq(cfg.BatchSize))
	r.pred = NewBatch(cfg.Arch, pb.Values, pb.Mask, pb.Len(), physionet.Times())
	return r, nil
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Model returns the run's model.
func (r *Run) Model() *Model { return r.model }

// Config returns the run's configuration (defaults filled).
func (r *Run) Config() Config { return r.cfg }

// Budget returns the run's budget controller (inactive without a budget).
func (r *Run) Budget() *train.BudgetController { return r.budget }

// coefs returns the objective's weights of an iteration in epoch e: the
// configuration's (Config.Coefs, the error coefficient annealed per
// epoch), or with an active budget the same with the controller's
// coefficient, held constant, in place of its regularizer's.
func (r *Run) coefs(epoch int) Coefs {
	if !r.budget.Active() {
		return r.cfg.Coefs(epoch)
	}
	c := r.cfg
	c.Reg = r.budget.Regularization()
	return c.Coefs(epoch)
}

// Iterations is the run's number of iterations: epochs x batches per epoch.
func (r *Run) Iterations() int {
	if r.cfg.Iterations > 0 {
		return r.cfg.Iterations
	}
	return r.cfg.Epochs * r.bpe
}

// Step is one training iteration (a train.Step): batch it%bpe of epoch
// it/bpe; after an epoch's last batch it measures the prediction NFE.
func (r *Run) Step(ctx context.Context, it int, rng *rand.Rand) (train.Metrics, error) {
	var mt train.Metrics
	epoch, k := it/r.bpe, it%r.bpe
	r.batcher.Epoch(epoch)
	r.batcher.Seek(k)
	n := r.batcher.Next(r.vals, r.mask)
	ts := physionet.Times()
	if r.cfg.Reg.Method.STEER {
		ts = JitterTimes(ts, r.cfg.Reg.SteerB, rng)
	}
	b := NewBatch(r.cfg.Arch, r.vals, r.mask, n, ts)
	c := r.coefs(epoch)
	nn.ZeroGrad(r.params)
	o, err := r.model.Gradient(ctx, b, nil, rng, r.cfg.solverOptions(), c)
	if err != nil {
		return mt, err
	}
	r.opt.Step(r.params)
	r.hist.Points = append(r.hist.Points, Point{Iteration: it + 1, Total: o.Total, NLL: o.NLL, NFE: o.NFE, BackwardNFE: o.BackwardNFE})
	if last := it+1 == r.Iterations(); last || k == r.bpe-1 && (epoch+1)%r.cfg.PredictEvery == 0 {
		t0 := time.Now()
		p, err := r.predictOnce(ctx)
		if err != nil {
			return mt, err
		}
		r.hist.Epochs = append(r.hist.Epochs, EpochPoint{Epoch: epoch + 1, NFE: p.NFE, Loss: p.Loss, TimeS: time.Since(t0).Seconds()})
	}
	mt.Loss = o.NLL
	mt.Objective = o.Total
	mt.Regularizers = map[string]float64{"error": o.RE, "stiffness": o.RS, "kl": o.KL}
	mt.Coefficients = map[string]float64{"error": c.Error, "stiffness": c.Stiffness, "kl": c.KL}
	for name, v := range o.Augmented {
		mt.Regularizers[name] = v
	}
	if c.Aug != nil {
		for _, name := range []string{train.RegTayNODE, train.RegRNODEKinetic, train.RegRNODEJacobian} {
			if _, ok := o.Augmented[name]; ok {
				mt.Coefficients[name] = map[string]float64{train.RegTayNODE: c.Aug.TayNODECoef, train.RegRNODEKinetic: c.Aug.RNODEKineticCoef, train.RegRNODEJacobian: c.Aug.RNODEJacobianCoef}[name]
			}
		}
	}
	mt.EndTime = 1
	mt.NFE, mt.BackwardNFE = o.NFE, o.BackwardNFE
	if r.budget.Active() {
		// The loss guards read the batch's masked squared error (the units
		// of the table's train loss, Prediction.Loss, which the outcome is
		// judged on), not the negative log-likelihood, whose constant can
		// make it negative.
		mt.BudgetLoss = r.model.squaredError(b, o.NLL)
	}
	return mt, nil
}

// Loop returns the run's training loop (checkpoint sections "model",
// "optimizer", "history", and "budget" with an active budget). With an
// active budget the controller is attached, and the loop's clock leaves
// out a prediction-time budget's timing of the prediction solve.
func (r *Run) Loop(name string) *train.Loop {
	l := &train.Loop{
		Name: name, Iterations: r.Iterations(), Seed: r.cfg.Seed, Fingerprint: r.cfg.fingerprint(),
		Step: r.Step,
		State: []train.Section{
			{Name: "model", State: train.ModuleState(r.model.Group)},
			{Name: "optimizer", State: r.opt},
			{Name: "history", State: historyState{&r.hist}},
		},
	}
	if r.budget.Active() {
		r.budget.Attach(l)
		l.Now = func() time.Time { return time.Now().Add(-r.paused) }
	}
	return l
}

// timePrediction is the prediction solve a prediction-time budget is
// converted by (train.BudgetController.TimePredictions): one forward pass
// (encoder, solve, decoder) of the prediction batch with the current model
// and the prediction noise, the pass Predict times; its time is not
// training time.
func (r *Run) timePrediction(ctx context.Context) (int, error) {
	t0 := time.Now()
	defer func() { r.paused += time.Since(t0) }()
	_, sol, err := r.model.Forward(ctx, r.pred, rand.New(rand.NewPCG(PredictSeed, 1)), r.cfg.solverOptions())
	if err != nil {
		return 0, fmt.Errorf("latentode: timing the prediction solve: %w", err)
	}
	return sol.NFE, nil
}

// Prediction is one forward pass of a model on a batch.
type Prediction struct {
	// Recon is the reconstruction (per time, N x Features).
	Recon []*tensor.Dense
	// Loss is the mean over the records of the masked squared error.
	Loss float64
	NFE  int
	// Time is the median wall time of a forward pass (encoder, solve,
	// decoder).
	Time time.Duration
}

func (r *Run) predictOnce(ctx context.Context) (*Prediction, error) {
	return Predict(ctx, r.model, r.pred, r.cfg.solverOptions(), 1)
}

// Predict runs the model on b (noise from PredictSeed) repeats times and
// reports the loss, NFE and median time.
func Predict(ctx context.Context, m *Model, b *Batch, opts ode.Options, repeats int) (*Prediction, error) {
	times := make([]time.Duration, max(1, repeats))
	var p Prediction
	for i := range times {
		t0 := time.Now()
		recon, sol, err := m.Forward(ctx, b, rand.New(rand.NewPCG(PredictSeed, 1)), opts)
		times[i] = time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("latentode: prediction: %w", err)
		}
		p.Recon, p.NFE = recon, sol.NFE
	}
	slices.Sort(times)
	p.Time = times[len(times)/2]
	p.Loss = mean(MaskedSquaredError(b, p.Recon))
	return &p, nil
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// TestLoss returns the authors' test metric on d: the mean over its
// records of sum(mask r^2)/sum(mask), evaluated in batches of batch
// records with the noise of PredictSeed, and the per-record errors.
func TestLoss(ctx context.Context, m *Model, d *physionet.Dataset, batch int, opts ode.Options) (float64, []float64, error) {
	if d.Len() == 0 {
		return 0, nil, fmt.Errorf("latentode: no records to evaluate")
	}
	var all []float64
	for lo := 0; lo < d.Len(); lo += batch {
		hi := min(lo+batch, d.Len())
		s := d.Subset(seqFrom(lo, hi))
		b := NewBatch(m.Arch, s.Values, s.Mask, s.Len(), physionet.Times())
		recon, _, err := m.Forward(ctx, b, rand.New(rand.NewPCG(PredictSeed, uint64(lo))), opts)
		if err != nil {
			return 0, nil, fmt.Errorf("latentode: test loss: %w", err)
		}
		all = append(all, MaskedSquaredError(b, recon)...)
	}
	return mean(all), all, nil
}

func seqFrom(lo, hi int) []int {
	s := make([]int, hi-lo)
	for i := range s {
		s[i] = lo + i
	}
	return s
}

// Result is a finished run.
type Result struct {
	Method     string
	Seed       uint64
	Iterations int
	// TrainTime is the sum of the iterations' wall times less the
	// per-epoch prediction measurements.
	TrainTime  time.Duration
	Prediction *Prediction
	TestLoss   float64
	History    []Point
	Epochs     []EpochPoint
	Model      *Model
	Config     Config
	// Budget is the outcome of a budgeted run (nil without a budget),
	// judged on the prediction's NFE and loss (Prediction.NFE and
	// Prediction.Loss, the table's NFE and train loss).
	Budget *train.BudgetOutcome
}

// Train runs cfg on data with the run options and evaluates the trained
// model: the prediction on the fixed training batch (its NFE and median
// time are the table's) and the test loss.
func Train(ctx context.Context, cfg Config, data *Data, opts train.RunOptions) (*Result, error) {
	r, err := NewRun(cfg, data)
	if err != nil {
		return nil, err
	}
	cfg = r.cfg
	loop := r.Loop(fmt.Sprintf("physionet/%s/seed=%d", cfg.Reg.Method, cfg.Seed))
	// A prediction-time budget is converted to NFE by the time per NFE of
	// the prediction pass.
	res, err := r.budget.Run(ctx, loop, opts, cfg.PredictRepeats, r.timePrediction)
	if err != nil {
		return nil, err
	}
	pred, err := Predict(ctx, r.model, r.pred, cfg.solverOptions(), cfg.PredictRepeats)
	if err != nil {
		return nil, err
	}
	test := data.Test
	if cfg.TestRecords > 0 && cfg.TestRecords < test.Len() {
		test = test.Subset(seq(cfg.TestRecords))
	}
	tl, _, err := TestLoss(ctx, r.model, test, cfg.BatchSize, cfg.solverOptions())
	if err != nil {
		return nil, err
	}
	evalTime := 0.0
	for _, e := range r.hist.Epochs {
		evalTime += e.TimeS
	}
	return &Result{Method: cfg.Reg.Method.String(), Seed: cfg.Seed, Iterations: res.Iterations,
		TrainTime:  res.Elapsed - time.Duration(evalTime*float64(time.Second)),
		Prediction: pred, TestLoss: tl, History: r.hist.Points, Epochs: r.hist.Epochs, Model: r.model, Config: cfg,
		Budget: r.budget.Outcome(float64(pred.NFE), pred.Loss)}, nil
}
