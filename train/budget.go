package train

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/whitebox-de/whitebox/internal/numfmt"
	"github.com/whitebox-de/whitebox/ode"
)

// Budget asks a training run to end within a prediction budget: instead of
// following a schedule, the coefficient of one regularizer is set online by
// a controller (BudgetController) from the forward NFE of the training
// solves, so that the trained model's prediction takes about NFE function
// evaluations. The zero value is no budget. The command line spells the
// fields --nfe-budget, --predict-time-budget and --budget-regularizer (and
// --budget-gain, --budget-smoothing for tuning) in every task that supports
// budgets.
type Budget struct {
	// NFE is the budget on the prediction's number of function evaluations
	// (0: none).
	NFE float64 `json:"nfe,omitempty"`
	// PredictTime is the budget on the prediction's wall time (0: none),
	// converted to NFE by the measured time per NFE of the task's
	// prediction solve (BudgetController.TimePredictions): on the initial
	// model before training, and again on the fitted model at the end of
	// the warm-up, since a solve's fixed cost weighs more per evaluation
	// when it makes few. At most one of NFE and PredictTime is set.
	PredictTime time.Duration `json:"predict_time_ns,omitempty"`
	// Regularizer names the Method part whose coefficient the controller
	// sets ("error", the default, "stiffness", "taynode" or "rnode";
	// BudgetRegularizers lists them). Its coefficient in the Regularization is the controller's
	// starting value, and an annealing schedule of it is not used.
	Regularizer string `json:"regularizer,omitempty"`
	// Gain is the controller's integral gain: the change of ln(coefficient)
	// per iteration per unit of ln(smoothed NFE / setpoint). Default
	// DefaultBudgetGain.
	Gain float64 `json:"gain,omitempty"`
	// Smoothing is the time constant, in iterations, of the exponential
	// moving average of the training NFE the controller acts on. Default
	// DefaultBudgetSmoothing.
	Smoothing float64 `json:"smoothing,omitempty"`
	// Margin puts the controller's setpoint at (1-Margin)*NFE, below the
	// budget, so that the fluctuation of the final model's NFE about the
	// setpoint stays within the budget. Default DefaultBudgetMargin.
	Margin float64 `json:"margin,omitempty"`
	// Tolerance is the overshoot accepted when the outcome is judged: the
	// budget counts as met when the prediction takes at most
	// (1+Tolerance)*NFE evaluations. Default DefaultBudgetTolerance.
	Tolerance float64 `json:"tolerance,omitempty"`
	// Warmup is the fraction of the run during which the coefficient is
	// not raised: it stays at its starting value until the smoothed NFE
	// first reaches the setpoint or has averaged three time constants of
	// iterations (the NFE of the first iterations, from a model that has
	// not fit the data yet, says nothing about the budget), and may fall
	// after that. Default DefaultBudgetWarmup.
	Warmup float64 `json:"warmup,omitempty"`
	// Deadline is the fraction of the run by which the setpoint has come
	// down, geometrically from the smoothed NFE at the end of the warm-up,
	// to the budget; it stays there after. Default DefaultBudgetDeadline.
	Deadline float64 `json:"deadline,omitempty"`
	// LossGuard bounds the loss the budget may cost: while the smoothed
	// training loss is above LossGuard times the smallest smoothed loss of
	// the run, the coefficient is not raised (it is lowered in proportion to
	// the excess), and a budget that cannot be met within that bound is
	// reported as below what the data can be fit with. Default
	// DefaultBudgetLossGuard; it must exceed 1.
	LossGuard float64 `json:"loss_guard,omitempty"`
	// MetGuard bounds the loss paid for NFE the outcome does not need:
	// while the smoothed NFE is within the budget's tolerance (at most
	// (1+Tolerance)*NFE, where the budget counts as met) and the smoothed
	// loss is above MetGuard times its best, the coefficient is not raised
	// (it may still fall). Default DefaultBudgetMetGuard; it must exceed 1
	// and not exceed LossGuard.
	MetGuard float64 `json:"met_guard,omitempty"`
}

// Defaults of the Budget's controller fields.
const (
	DefaultBudgetGain      = 0.05
	DefaultBudgetSmoothing = 20
	DefaultBudgetMargin    = 0.03
	DefaultBudgetTolerance = 0.1
	DefaultBudgetWarmup    = 0.1
	DefaultBudgetDeadline  = 0.9
	DefaultBudgetLossGuard = 10
	DefaultBudgetMetGuard  = 1.5
	// BudgetSlack is the fraction of the budget below which a met budget
	// is reported as met with room to spare (BudgetOutcome.Slack): the
	// model predicts in fewer evaluations than asked for, and may have paid
	// loss for NFE nobody needed.
	BudgetSlack = 0.8
	// BudgetRiseBack: a run met with room to spare whose smoothed NFE
	// ended above BudgetRiseBack times the smallest it reached is
	// reported as rising back towards the budget when the run ended.
	BudgetRiseBack = 1.1
	// BudgetCoefRange bounds the coefficient to [c0/BudgetCoefRange,
	// c0*BudgetCoefRange] around its starting value c0.
	BudgetCoefRange = 1e4
	// budgetMaxStep bounds the change of ln(coefficient) in one iteration.
	budgetMaxStep = 0.05
	// budgetProportional is the proportional gain, as a multiple of Gain
	// times Smoothing (the PI law's zero then sits at the moving average's
	// corner frequency).
	budgetProportional = 1.0
)

// budgetParts are the Method parts a budget can act on: whether a method
// has the part, and its coefficient in a Regularization (get and set; an
// annealing schedule of it is replaced by the constant). RNODE's two
// coefficients move together: the budget sets the kinetic one (the
// Jacobian one when the kinetic is 0) and scales the other in proportion.
// Supporting a further part is one row here.
var budgetParts = []struct {
	name string
	has  func(Method) bool
	get  func(*Regularization) float64
	set  func(*Regularization, float64)
}{
	{"error", func(m Method) bool { return m.Error }, func(r *Regularization) float64 { return r.ErrorCoef },
		func(r *Regularization, v float64) { r.ErrorCoef, r.ErrorCoefFinal = v, 0 }},
	{"stiffness", func(m Method) bool { return m.Stiffness }, func(r *Regularization) float64 { return r.StiffnessCoef },
		func(r *Regularization, v float64) { r.StiffnessCoef = v }},
	{"taynode", func(m Method) bool { return m.TayNODE }, func(r *Regularization) float64 { return r.TayNODECoef },
		func(r *Regularization, v float64) { r.TayNODECoef = v }},
	{"rnode", func(m Method) bool { return m.RNODE }, rnodeCoef,
		func(r *Regularization, v float64) {
			s := v / rnodeCoef(r)
			r.RNODEKineticCoef *= s
			r.RNODEJacobianCoef *= s
		}},
}

// rnodeCoef is the RNODE coefficient a budget sets: the kinetic one, or the
// Jacobian one when the kinetic is 0.
func rnodeCoef(r *Regularization) float64 {
	if r.RNODEKineticCoef != 0 {
		return r.RNODEKineticCoef
	}
	return r.RNODEJacobianCoef
}

// BudgetRegularizers returns the names of the parts a budget can act on.
func BudgetRegularizers() []string {
	out := make([]string, len(budgetParts))
	for i, p := range budgetParts {
		out[i] = p.name
	}
	return out
}

// ErrBudget is matched (errors.Is) by the errors of an invalid Budget.
var ErrBudget = errors.New("train: bad budget")

func budgetErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBudget, fmt.Sprintf(format, args...))
}

// IsSet reports whether the budget asks for anything.
func (b Budget) IsSet() bool { return b.NFE != 0 || b.PredictTime != 0 }

// Part returns the name of the regularizer the budget acts on ("error"
// when Regularizer is empty).
func (b Budget) Part() string {
	if b.Regularizer == "" {
		return "error"
	}
	return strings.ToLower(strings.TrimSpace(b.Regularizer))
}

func (b Budget) part() int {
	for i, p := range budgetParts {
		if p.name == b.Part() {
			return i
		}
	}
	return -1
}

// Applies reports whether the budget acts on a run of method m: it is set
// and m has its regularizer.
func (b Budget) Applies(m Method) bool {
	i := b.part()
	return b.IsSet() && i >= 0 && budgetParts[i].has(m)
}

// Validate checks the budget's values (not its method: see CheckMethods).
func (b Budget) Validate() error {
	if !b.IsSet() {
		return nil
	}
	if b.NFE != 0 && b.PredictTime != 0 {
		return budgetErr("both an NFE budget (%g) and a prediction-time budget (%v) are set; give one of them", b.NFE, b.PredictTime)
	}
	if b.NFE != 0 && (!(b.NFE >= 1) || math.IsInf(b.NFE, 0)) {
		return budgetErr("the NFE budget %g must be at least 1 and finite", b.NFE)
	}
	if b.PredictTime < 0 {
		return budgetErr("the prediction-time budget %v must be positive", b.PredictTime)
	}
	if b.part() < 0 {
		return budgetErr("unknown regularizer %q; a budget acts on one of %s", b.Regularizer, strings.Join(BudgetRegularizers(), ", "))
	}
	for _, f := range []struct {
		name   string
		v, max float64
	}{{"gain", b.Gain, math.Inf(1)}, {"smoothing", b.Smoothing, math.Inf(1)}, {"margin", b.Margin, 1}, {"tolerance", b.Tolerance, math.Inf(1)},
		{"warm-up", b.Warmup, 1}, {"deadline", b.Deadline, 1 + 1e-12}, {"loss guard", b.LossGuard, math.Inf(1)}, {"met guard", b.MetGuard, math.Inf(1)}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v >= f.max {
			return budgetErr("the %s %v must be 0 (the default) or positive, finite and below %v", f.name, f.v, math.Round(f.max))
		}
	}
	d := b.withDefaults()
	if d.Deadline <= d.Warmup {
		return budgetErr("the deadline %v (fraction of the run) must come after the warm-up %v", d.Deadline, d.Warmup)
	}
	if d.LossGuard <= 1 {
		return budgetErr("the loss guard %v must exceed 1 (a factor on the best loss)", d.LossGuard)
	}
	if d.MetGuard <= 1 || d.MetGuard > d.LossGuard {
		return budgetErr("the met guard %v must exceed 1 and not exceed the loss guard %v (both are factors on the best loss)", d.MetGuard, d.LossGuard)
	}
	return nil
}

// CheckMethods checks that the budget acts on at least one of the methods:
// a budget sets the coefficient of a regularizer, so a run of methods that
// do not use it (vanilla) cannot be held to it.
func (b Budget) CheckMethods(methods []Method) error {
	if !b.IsSet() {
		return nil
	}
	if err := b.Validate(); err != nil {
		return err
	}
	names := make([]string, len(methods))
	for i, m := range methods {
		if b.Applies(m) {
			return nil
		}
		names[i] = m.String()
	}
	return budgetErr("a budget sets the coefficient of the %s regularizer, which %s does not use; train a method with %s (e.g. %q), or choose the regularizer the budget acts on",
		b.Part(), strings.Join(names, ", "), b.Part(), b.Part())
}

func (b Budget) withDefaults() Budget {
	if b.Regularizer == "" {
		b.Regularizer = "error"
	}
	if b.Gain == 0 {
		b.Gain = DefaultBudgetGain
	}
	if b.Smoothing == 0 {
		b.Smoothing = DefaultBudgetSmoothing
	}
	if b.Margin == 0 {
		b.Margin = DefaultBudgetMargin
	}
	if b.Tolerance == 0 {
		b.Tolerance = DefaultBudgetTolerance
	}
	if b.Warmup == 0 {
		b.Warmup = DefaultBudgetWarmup
	}
	if b.Deadline == 0 {
		b.Deadline = DefaultBudgetDeadline
	}
	if b.LossGuard == 0 {
		b.LossGuard = DefaultBudgetLossGuard
	}
	if b.MetGuard == 0 {
		b.MetGuard = min(DefaultBudgetMetGuard, b.LossGuard)
	}
	return b
}

// String describes the budget compactly, e.g. "budget 400 NFE on error"
// ("" when unset).
func (b Budget) String() string {
	if !b.IsSet() {
		return ""
	}
	d := b.withDefaults()
	what := fmt.Sprintf("%g NFE", b.NFE)
	if b.PredictTime != 0 {
		what = "prediction time " + b.PredictTime.String()
	}
	return fmt.Sprintf("budget %s on %s (gain %g, smoothing %g, margin %g)", what, d.Part(), d.Gain, d.Smoothing, d.Margin)
}

// BudgetController holds the state of a budgeted run: the coefficient of
// the budgeted regularizer, the moving average of the training NFE and the
// record of the run. It is a checkpoint Section ("budget"), so a resumed
// run continues bit-identically. Build it with NewBudgetController; a
// controller of a run without a budget (or whose method lacks the
// regularizer) is inactive: At is the Regularization's own schedule and it
// adds nothing to the loop.
//
// The package documentation describes the control law and why it is
// stable.
type BudgetController struct {
	b          Budget
	reg        Regularization
	part       int
	iterations int
	active     bool
	lo, hi     float64 // bounds of the coefficient

	// The state a checkpoint holds.
	target     float64 // the NFE budget (resolved from PredictTime)
	timePerNFE float64 // seconds per NFE of a prediction, when measured
	coef       float64 // the coefficient of the next iteration
	ema        float64 // smoothed training NFE
	emaLoss    float64 // smoothed training loss
	prevErr    float64 // the previous iteration's error, for the PI law
	start      float64 // the setpoint at the end of the warm-up (0 before)
	guarded    bool    // the loss guard held the coefficient at the last update
	reached    bool    // the smoothed NFE has reached the final setpoint
	retimed    bool    // the time per NFE was measured again after the warm-up

	predict    func(context.Context) (int, error) // a prediction solve, for TimePredictions
	repeats    int
	observed   int     // iterations observed
	bestLoss   float64 // the smallest smoothed loss
	closestNFE float64 // the smallest smoothed NFE reached ...
	closestIt  int     // ... after this many iterations ...
	closestL   float64 // ... with this smoothed loss
	coefs      []float64
}

// NewBudgetController returns the controller of a run of iterations
// iterations with regularization reg under budget b. It is inactive when b
// is unset or reg.Method lacks b's regularizer. The coefficient starts at
// the regularizer's coefficient in reg, which must be positive.
func NewBudgetController(b Budget, reg Regularization, iterations int) (*BudgetController, error) {
	c := &BudgetController{b: b.withDefaults(), reg: reg, iterations: iterations, part: b.part()}
	if !b.Applies(reg.Method) {
		if err := b.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	c0 := budgetParts[c.part].get(&reg)
	if !(c0 > 0) || math.IsInf(c0, 0) {
		return nil, budgetErr("the starting %s coefficient %v must be positive and finite", c.b.Part(), c0)
	}
	c.active = true
	c.coef = c0
	c.lo, c.hi = c0/BudgetCoefRange, c0*BudgetCoefRange
	c.target = b.NFE
	c.closestNFE, c.bestLoss = math.Inf(1), math.Inf(1)
	return c, nil
}

// Active reports whether the controller sets a coefficient.
func (c *BudgetController) Active() bool { return c.active }

// NeedsTimePerNFE reports whether the budget is a prediction time not yet
// converted to NFE. A controller restored from a checkpoint has its
// conversion.
func (c *BudgetController) NeedsTimePerNFE() bool { return c.active && c.target == 0 }

// Run is how a task runs its loop l (to which c is attached): it applies
// the run options o (restoring l from o.Resume when set, which restores the
// controller too), hands the controller the prediction solve
// (TimePredictions: a prediction-time budget not converted by the
// checkpoint is converted now, on the initial model) and runs l. Without a
// budget it is o.Apply followed by l.Run.
func (c *BudgetController) Run(ctx context.Context, l *Loop, o RunOptions, repeats int, predict func(context.Context) (int, error)) (Result, error) {
	if err := o.Apply(l); err != nil {
		return Result{}, err
	}
	if err := c.TimePredictions(ctx, repeats, predict); err != nil {
		return Result{}, err
	}
	return l.Run(ctx)
}

// TimePredictions gives the controller of a prediction-time budget the
// task's prediction solve with the current model (predict runs one and
// returns its NFE; repeats of it are timed, MeasureTimePerNFE) and, when the
// budget is not converted yet, converts it on the current (initial) model.
// The loop (Attach) converts it again at the first iteration after the
// warm-up, on the fitted model, before that iteration's step; both
// conversions are part of the checkpoint. For other budgets it does
// nothing.
func (c *BudgetController) TimePredictions(ctx context.Context, repeats int, predict func(context.Context) (int, error)) error {
	if !c.active || c.b.PredictTime == 0 {
		return nil
	}
	c.predict, c.repeats = predict, repeats
	if !c.NeedsTimePerNFE() {
		return nil
	}
	return c.retime(ctx)
}

func (c *BudgetController) retime(ctx context.Context) error {
	d, err := MeasureTimePerNFE(ctx, c.repeats, c.predict)
	if err != nil {
		return err
	}
	return c.SetTimePerNFE(d)
}

// SetTimePerNFE converts a prediction-time budget to NFE: the budget is
// PredictTime / perNFE evaluations (at least 1).
func (c *BudgetController) SetTimePerNFE(perNFE time.Duration) error {
	if !c.active || c.b.PredictTime == 0 {
		return nil
	}
	if perNFE <= 0 {
		return budgetErr("the measured time per NFE %v must be positive", perNFE)
	}
	c.timePerNFE = perNFE.Seconds()
	c.target = math.Max(1, math.Floor(c.b.PredictTime.Seconds()/c.timePerNFE))
	return nil
}

// MeasureTimePerNFE runs predict (one prediction solve returning its NFE)
// repeats times and returns the median wall time divided by the NFE of the
// median run.
func MeasureTimePerNFE(ctx context.Context, repeats int, predict func(context.Context) (int, error)) (time.Duration, error) {
	type meas struct {
		d   time.Duration
		nfe int
	}
	ms := make([]meas, max(1, repeats))
	for i := range ms {
		t0 := time.Now()
		n, err := predict(ctx)
		ms[i] = meas{time.Since(t0), n}
		if err != nil {
			return 0, err
		}
		if n <= 0 {
			return 0, fmt.Errorf("train: measuring the time per NFE: the prediction made %d evaluations", n)
		}
	}
	slices.SortFunc(ms, func(a, b meas) int { return int(a.d - b.d) })
	m := ms[len(ms)/2]
	return max(1, m.d/time.Duration(m.nfe)), nil
}

// Target is the NFE budget (0 until a prediction-time budget is converted).
func (c *BudgetController) Target() float64 { return c.target }

// Setpoint is the smoothed NFE the controller steers to at the end of the
// run: (1-Margin) times the budget.
func (c *BudgetController) Setpoint() float64 { return (1 - c.b.Margin) * c.target }

// phases returns the number of iterations of the warm-up and the iteration
// by which the setpoint reaches its final value.
func (c *BudgetController) phases() (warm, deadline int) {
	n := float64(c.iterations)
	warm = int(math.Ceil(c.b.Warmup * n))
	deadline = max(warm+1, int(math.Ceil(c.b.Deadline*n)))
	return warm, deadline
}

// setpointAt is the setpoint after k completed iterations (k past the
// warm-up): from start geometrically down to Setpoint by the deadline.
func (c *BudgetController) setpointAt(k int) float64 {
	warm, deadline := c.phases()
	final := c.Setpoint()
	if k >= deadline || c.start <= final {
		return final
	}
	return final * math.Pow(c.start/final, float64(deadline-k)/float64(deadline-warm))
}

// Coefficient is the coefficient the next iteration uses.
func (c *BudgetController) Coefficient() float64 {
	return c.coef
}

// Coefficients returns the coefficient of every completed iteration.
func (c *BudgetController) Coefficients() []float64 { return c.coefs }

// Regularization returns the run's regularization with the budgeted
// coefficient set to the controller's current value and held constant.
func (c *BudgetController) Regularization() Regularization {
	r := c.reg
	if c.active {
		budgetParts[c.part].set(&r, c.coef)
	}
	return r
}

// At returns the ode.Regularization of iteration it of n: the
// Regularization's own (At) with the budgeted coefficient at the
// controller's current value. It does not change the controller, so a
// step that fails may call it again.
func (c *BudgetController) At(it, n int) ode.Regularization {
	r := c.Regularization()
	return r.At(it, n)
}

// Attach makes loop report every completed iteration to the controller
// (wrapping its Step) and saves the controller as the checkpoint section
// "budget". An inactive controller leaves the loop unchanged. Call it before
// RunOptions.Apply, which may restore the section.
func (c *BudgetController) Attach(l *Loop) {
	if !c.active {
		return
	}
	step := l.Step
	l.Step = func(ctx context.Context, it int, rng *rand.Rand) (Metrics, error) {
		if warm, _ := c.phases(); c.predict != nil && !c.retimed && len(c.coefs) >= warm {
			if err := c.retime(ctx); err != nil {
				return Metrics{}, err
			}
			c.retimed = true
		}
		m, err := step(ctx, it, rng)
		if err != nil {
			return m, err
		}
		c.Observe(&m)
		return m, nil
	}
	l.State = append(l.State, Section{Name: "budget", State: c})
}

// BudgetMetrics is the controller's part of an iteration's Metrics.
type BudgetMetrics struct {
	// NFE is the budget and SmoothedNFE the moving average of the training
	// NFE including this iteration.
	NFE         float64 `json:"nfe"`
	SmoothedNFE float64 `json:"smoothed_nfe"`
	// Coefficient is what this iteration used, Next what the next uses.
	Coefficient float64 `json:"coefficient"`
	Next        float64 `json:"next"`
	// Setpoint is the smoothed NFE steered to (0 during the warm-up).
	Setpoint float64 `json:"setpoint,omitempty"`
}

// Observe takes a completed iteration's metrics (its forward NFE and loss,
// or BudgetNFE and BudgetLoss when set) and sets the coefficient of the next
// iteration; it records the controller's state in m.Budget. Iterations without NFE (a skipped
// iteration whose solve failed) only record the coefficient.
func (c *BudgetController) Observe(m *Metrics) {
	if !c.active {
		return
	}
	used := c.coef
	c.coefs = append(c.coefs, used)
	nfe := m.NFE
	if m.BudgetNFE > 0 {
		nfe = m.BudgetNFE
	}
	loss := m.Loss
	if m.BudgetLoss != 0 {
		loss = m.BudgetLoss
	}
	if nfe > 0 && c.target > 0 {
		c.update(float64(nfe), loss)
	}
	m.Budget = &BudgetMetrics{NFE: c.target, SmoothedNFE: c.ema, Coefficient: used, Next: c.coef}
	if c.start > 0 {
		m.Budget.Setpoint = c.setpointAt(len(c.coefs))
	}
}

// update is the control law: an exponential moving average of the NFE, and
// a PI law on ln(coefficient) in velocity form, rate-limited and clamped to
// its bounds (which is its anti-windup).
func (c *BudgetController) update(nfe, loss float64) {
	a := 1 / c.b.Smoothing
	if c.observed == 0 {
		c.ema, c.emaLoss = nfe, loss
	} else {
		c.ema += a * (nfe - c.ema)
		c.emaLoss += a * (loss - c.emaLoss)
	}
	c.observed++
	k := len(c.coefs)
	if float64(c.observed) >= c.b.Smoothing {
		c.bestLoss = math.Min(c.bestLoss, c.emaLoss)
	}
	if warm, _ := c.phases(); k < warm {
		// The warm-up: hold until the smoothed NFE first reaches the
		// final setpoint or has seen three time constants, then only
		// lower the coefficient.
		if !c.reached && (c.ema >= c.Setpoint() || float64(c.observed) >= 3*c.b.Smoothing) {
			c.reached = true
			c.prevErr = math.Log(c.ema / c.Setpoint())
		}
		if c.reached {
			e := math.Log(c.ema / c.Setpoint())
			du := c.b.Gain*e + budgetProportional*c.b.Gain*c.b.Smoothing*(e-c.prevErr)
			c.prevErr = e
			c.coef = math.Max(c.lo, c.coef*math.Exp(math.Max(-budgetMaxStep, math.Min(0, du))))
		}
		return
	}
	// The closest approach to the budget is that of the moving average
	// once the controller acts and the average has forgotten the first
	// iterations.
	if float64(c.observed) >= 2*c.b.Smoothing && c.ema < c.closestNFE {
		c.closestNFE, c.closestIt, c.closestL = c.ema, k, c.emaLoss
	}
	if c.start == 0 {
		c.start = math.Max(c.ema, c.Setpoint())
		c.prevErr = math.Log(c.ema / c.setpointAt(k))
	}
	e := math.Log(c.ema / c.setpointAt(k))
	kp := budgetProportional * c.b.Gain * c.b.Smoothing
	du := c.b.Gain*e + kp*(e-c.prevErr)
	c.prevErr = e
	// The loss guard overrides the NFE law when the loss has risen above
	// LossGuard times its best: the smaller of the two changes is taken.
	c.guarded = false
	if g := c.b.LossGuard * c.bestLoss; c.emaLoss > g {
		c.guarded = true
		du = math.Min(du, -c.b.Gain*math.Log(c.emaLoss/g))
	}
	if c.ema <= (1+c.b.Tolerance)*c.target && c.emaLoss > c.b.MetGuard*c.bestLoss {
		c.guarded = true
		du = math.Min(du, 0)
	}
	du = math.Max(-budgetMaxStep, math.Min(budgetMaxStep, du))
	c.coef = math.Max(c.lo, math.Min(c.hi, c.coef*math.Exp(du)))
}

// budgetStateVersion is the format of the checkpoint section.
const budgetStateVersion = 1

// MarshalBinary saves the controller's state (little endian: a version,
// the scalars, then the coefficient of every completed iteration).
func (c *BudgetController) MarshalBinary() ([]byte, error) {
	b := binary.LittleEndian.AppendUint32(nil, budgetStateVersion)
	for _, v := range []float64{c.target, c.timePerNFE, c.coef, c.ema, c.emaLoss, c.prevErr, c.start, c.bestLoss, c.closestNFE, c.closestL} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	flags := 0
	if c.guarded {
		flags |= 1
	}
	if c.reached {
		flags |= 2
	}
	if c.retimed {
		flags |= 4
	}
	for _, v := range []int{c.observed, c.closestIt, flags, len(c.coefs)} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	for _, v := range c.coefs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

// UnmarshalBinary restores the state MarshalBinary saved.
func (c *BudgetController) UnmarshalBinary(b []byte) error {
	const head = 4 + 10*8 + 4*8
	if len(b) < head {
		return budgetErr("the budget section has %d bytes, fewer than its %d-byte header", len(b), head)
	}
	if v := binary.LittleEndian.Uint32(b); v != budgetStateVersion {
		return budgetErr("the budget section has version %d, this build reads %d", v, budgetStateVersion)
	}
	f := func(i int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*i:])) }
	n := func(i int) int { return int(binary.LittleEndian.Uint64(b[4+10*8+8*i:])) }
	observed, closestIt, flags, ncoef := n(0), n(1), n(2), n(3)
	if ncoef < 0 || len(b) != head+8*ncoef || observed < 0 || observed > ncoef || closestIt < 0 || closestIt > ncoef || flags < 0 || flags > 7 {
		return budgetErr("the budget section is inconsistent (%d bytes for %d coefficients)", len(b), ncoef)
	}
	coefs := make([]float64, ncoef)
	for i := range coefs {
		coefs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[head+8*i:]))
	}
	c.target, c.timePerNFE, c.coef, c.ema, c.emaLoss = f(0), f(1), f(2), f(3), f(4)
	c.prevErr, c.start, c.bestLoss, c.closestNFE, c.closestL = f(5), f(6), f(7), f(8), f(9)
	c.observed, c.closestIt, c.guarded, c.reached, c.retimed, c.coefs = observed, closestIt, flags&1 != 0, flags&2 != 0, flags&4 != 0, coefs
	return nil
}

// BudgetOutcome says how a budgeted run ended. It is also the results
// JSON's record of it (report.Budget is this type), so its JSON field names
// are part of that file's schema.
type BudgetOutcome struct {
	// Regularizer is the part whose coefficient was set.
	Regularizer string `json:"regularizer"`
	// NFE is the budget, Setpoint the smoothed NFE the controller aimed at
	// and Tolerance the accepted overshoot.
	NFE       float64 `json:"nfe_budget"`
	Setpoint  float64 `json:"setpoint"`
	Tolerance float64 `json:"tolerance"`
	// PredictTimeS is the prediction-time budget and TimePerNFES the
	// measured time per NFE that converted it (seconds; 0 for NFE budgets).
	PredictTimeS float64 `json:"predict_time_budget_s,omitempty"`
	TimePerNFES  float64 `json:"time_per_nfe_s,omitempty"`
	// PredictNFE and PredictLoss are the trained model's prediction.
	PredictNFE  float64 `json:"predict_nfe"`
	PredictLoss float64 `json:"predict_loss"`
	// Met: PredictNFE <= (1+Tolerance)*NFE. FitLost: the prediction's loss
	// is above the loss guard's bound (LossGuard times BestLoss), so the
	// budget was met (or approached) by giving up the fit. AtUpperBound:
	// the coefficient ended at its upper bound, so the controller could not
	// push further.
	Met          bool `json:"met"`
	FitLost      bool `json:"fit_lost"`
	AtUpperBound bool `json:"at_upper_bound"`
	// LossGuarded: the loss guard held the coefficient back at the end.
	LossGuarded bool `json:"loss_guarded"`
	// Slack: met with the prediction below BudgetSlack times the budget.
	Slack bool `json:"slack"`
	// BestLoss is the smallest smoothed training loss of the run.
	BestLoss float64 `json:"best_loss"`
	// ClosestNFE is the smallest smoothed training NFE of the run, reached
	// after ClosestIteration iterations with smoothed loss ClosestLoss.
	ClosestNFE       float64 `json:"closest_nfe"`
	ClosestIteration int     `json:"closest_iteration"`
	ClosestLoss      float64 `json:"closest_loss"`
	// EndNFE is the smoothed training NFE at the end of the run.
	EndNFE float64 `json:"end_nfe"`
	// CoefStart and CoefEnd are the coefficient of the first and the last
	// iteration; Coefficients the coefficient after each iteration of
	// CoefIterations (at most about 200 of them, evenly spaced).
	CoefStart      float64   `json:"coef_start"`
	CoefEnd        float64   `json:"coef_end"`
	CoefIterations []int     `json:"coef_iterations"`
	Coefficients   []float64 `json:"coefficients"`
	// Verdict states the outcome in one sentence.
	Verdict string `json:"verdict"`
}

// Outcome judges the run from its trained model's prediction NFE and loss.
// It returns nil for an inactive controller.
func (c *BudgetController) Outcome(predictNFE, predictLoss float64) *BudgetOutcome {
	if !c.active {
		return nil
	}
	o := &BudgetOutcome{Regularizer: c.b.Part(), NFE: c.target, Setpoint: c.Setpoint(), Tolerance: c.b.Tolerance,
		PredictTimeS: c.b.PredictTime.Seconds(), TimePerNFES: c.timePerNFE,
		PredictNFE: predictNFE, PredictLoss: predictLoss, BestLoss: c.bestLoss,
		ClosestNFE: c.closestNFE, ClosestIteration: c.closestIt, ClosestLoss: c.closestL, EndNFE: c.ema}
	if math.IsInf(o.ClosestNFE, 0) { // a run shorter than the smoothing
		o.ClosestNFE = c.ema
		o.ClosestIteration, o.ClosestLoss = len(c.coefs), c.emaLoss
	}
	if math.IsInf(o.BestLoss, 0) {
		o.BestLoss = c.emaLoss
	}
	o.Met = predictNFE <= (1+c.b.Tolerance)*c.target
	o.FitLost = c.observed > 0 && predictLoss > c.b.LossGuard*o.BestLoss
	o.LossGuarded = c.guarded
	o.AtUpperBound = c.coef >= c.hi*math.Exp(-budgetMaxStep)
	o.Slack = o.Met && predictNFE < BudgetSlack*c.target
	if len(c.coefs) > 0 {
		o.CoefStart, o.CoefEnd = c.coefs[0], c.coefs[len(c.coefs)-1]
		every := max(1, (len(c.coefs)+199)/200)
		for i := every - 1; i < len(c.coefs); i += every {
			o.CoefIterations = append(o.CoefIterations, i+1)
			o.Coefficients = append(o.Coefficients, c.coefs[i])
		}
		if last := len(c.coefs); o.CoefIterations[len(o.CoefIterations)-1] != last {
			o.CoefIterations = append(o.CoefIterations, last)
			o.Coefficients = append(o.Coefficients, c.coefs[last-1])
		}
	}
	o.Verdict = o.verdict()
	return o
}

// Infeasible reports a budget not met because the training could not go
// further towards it: the loss guard held the coefficient back, the fit was
// lost, or the coefficient reached its upper bound. A budget missed
// otherwise was not yet reached when the training ended.
func (o *BudgetOutcome) Infeasible() bool {
	return !o.Met && (o.LossGuarded || o.FitLost || o.AtUpperBound)
}

func (o *BudgetOutcome) verdict() string {
	head := fmt.Sprintf("budget %.0f NFE on %s", o.NFE, o.Regularizer)
	if o.PredictTimeS > 0 {
		head = fmt.Sprintf("budget %.3g ms of prediction (%.0f NFE at %.3g us per NFE) on %s", o.PredictTimeS*1e3, o.NFE, o.TimePerNFES*1e6, o.Regularizer)
	}
	ratio := numfmt.Ratio(o.PredictNFE/o.NFE, BudgetSlack, 1+o.Tolerance)
	coef := fmt.Sprintf("coefficient %.3g -> %.3g", o.CoefStart, o.CoefEnd)
	switch {
	case o.Met && !o.FitLost && o.Slack:
		why := "the NFE fell past the budget faster than the controller followed (a smaller starting coefficient, or a longer run, may land closer)"
		switch {
		case o.CoefEnd < o.CoefStart && o.EndNFE > BudgetRiseBack*o.ClosestNFE:
			why = fmt.Sprintf("the NFE was rising back towards the budget as the coefficient fell (smoothed, from %.0f to %.0f), more slowly than the run lasted (a longer run, or a smaller starting coefficient, may land closer)", o.ClosestNFE, o.EndNFE)
		case o.CoefEnd < o.CoefStart:
			why = "the NFE did not rise back towards the budget as the coefficient fell (a smaller starting coefficient may leave more of the budget to the fit)"
		}
		return fmt.Sprintf("%s: met with room to spare, prediction NFE %.0f (%sx the budget) at loss %.3g; %s; %s.", head, o.PredictNFE, ratio, o.PredictLoss, coef, why)
	case o.Met && !o.FitLost:
		return fmt.Sprintf("%s: met, prediction NFE %.0f (%sx the budget) at loss %.3g; %s.", head, o.PredictNFE, ratio, o.PredictLoss, coef)
	case o.Met:
		return fmt.Sprintf("%s: met only by giving up the fit, prediction NFE %.0f (%sx) at loss %.3g against %.3g reached during training: the budget may be below what the data can be fit with; %s.",
			head, o.PredictNFE, ratio, o.PredictLoss, o.BestLoss, coef)
	}
	why := "the controller had not brought the NFE down by the end of training (train longer or raise the budget gain)"
	switch {
	case o.LossGuarded || o.FitLost:
		why = "reaching it would cost more than the loss guard allows (the loss rose above the guard's multiple of its best while the NFE stayed above the budget), so the budget is below what the data can be fit with"
	case o.AtUpperBound:
		why = "the coefficient reached its upper bound, so the budget is infeasible for this regularizer"
	}
	return fmt.Sprintf("%s: NOT met, prediction NFE %.0f (%sx the budget) at loss %.3g; the closest the training came was %.0f NFE (smoothed) after iteration %d, at loss %.3g; %s; %s.",
		head, o.PredictNFE, ratio, o.PredictLoss, o.ClosestNFE, o.ClosestIteration, o.ClosestLoss, why, coef)
}
