package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plant is a synthetic training run as the budget controller sees it: the
// NFE relaxes with time constant tau (iterations) towards a decreasing
// power of the coefficient, n0*(coef/coef0)^-k, above floor, and each
// iteration observes it with log-normal noise of relative size sigma.
type plant struct {
	n0, coef0, k, tau, floor, sigma float64
	// ceil is the NFE of the unregularized model (0: none); flatLoss makes
	// the loss independent of the coefficient.
	ceil     float64
	flatLoss bool
	logN     float64
	rng      *rand.Rand
}

func newPlant(n0, coef0, k, tau, floor, sigma float64, seed uint64) *plant {
	return &plant{n0: n0, coef0: coef0, k: k, tau: tau, floor: floor, sigma: sigma, logN: math.Log(n0 / 4), rng: rand.New(rand.NewPCG(seed, 3))}
}

// equilibrium is the noise-free NFE the plant settles at under coef.
func (p *plant) equilibrium(coef float64) float64 {
	n := math.Max(p.floor, p.n0*math.Pow(coef/p.coef0, -p.k))
	if p.ceil > 0 {
		n = math.Min(n, p.ceil)
	}
	return n
}

// step applies coef for one iteration and returns the observed NFE and a
// loss that grows with the coefficient.
func (p *plant) step(coef float64) Metrics {
	p.logN += (math.Log(p.equilibrium(coef)) - p.logN) / p.tau
	nfe := math.Exp(p.logN + p.sigma*p.rng.NormFloat64())
	if p.flatLoss {
		return Metrics{NFE: int(math.Round(nfe)), Loss: 1e-4}
	}
	return Metrics{NFE: int(math.Round(nfe)), Loss: 1e-4 * (1 + coef)}
}

// drive runs the controller on the plant for n iterations and returns the
// noise-free NFE of the end.
func drive(t *testing.T, c *BudgetController, p *plant, n int) float64 {
	t.Helper()
	for it := range n {
		r := c.At(it, n)
		if r.Error != c.Coefficient() {
			t.Fatalf("iteration %d: At gives the error coefficient %v, the controller %v", it, r.Error, c.Coefficient())
		}
		m := p.step(r.Error)
		c.Observe(&m)
		if m.Budget == nil || m.Budget.Coefficient != r.Error {
			t.Fatalf("iteration %d: metrics %+v do not record the coefficient %v", it, m.Budget, r.Error)
		}
	}
	return math.Exp(p.logN)
}

func errorReg(coef float64) Regularization {
	return Regularization{Method: Method{Error: true}, ErrorCoef: coef, ErrorCoefFinal: coef / 1000}
}

// The controller brings a noisy, lagging plant to its budget: for several
// plant gains (how strongly the NFE falls with the coefficient) and noise
// levels, the final NFE is within the budget and above 0.85 of it, and the
// coefficient is within 20% of the one whose equilibrium is the setpoint.
func TestBudgetControllerConverges(t *testing.T) {
	const n = 2000
	for _, pc := range []struct{ k, tau, sigma float64 }{
		{0.1, 50, 0.05}, {0.3, 50, 0.05}, {1, 20, 0.02}, {0.3, 200, 0.1}, {0.2, 100, 0},
	} {
		for seed := range uint64(3) {
			p := newPlant(500, 0.1, pc.k, pc.tau, 0, pc.sigma, seed)
			p.flatLoss = true
			c, err := NewBudgetController(Budget{NFE: 300}, errorReg(0.1), n)
			if err != nil {
				t.Fatal(err)
			}
			end := drive(t, c, p, n)
			o := c.Outcome(end, 1e-4)
			want := 0.1 * math.Pow(c.Setpoint()/500, -1/pc.k)
			if !o.Met || end > 300 || end < 0.85*300 || math.Abs(math.Log(c.Coefficient()/want)) > math.Log(1.2) {
				t.Errorf("plant %+v seed %d: final NFE %.1f (budget 300, setpoint %.1f), coefficient %.4g (equilibrium %.4g), outcome %s",
					pc, seed, end, c.Setpoint(), c.Coefficient(), want, o.Verdict)
			}
			if o.AtUpperBound || o.Slack || o.CoefStart != 0.1 || len(c.Coefficients()) != n || o.ClosestIteration < n/10 {
				t.Errorf("plant %+v: at upper bound %v, coefficient from %v, %d coefficients, closest NFE %v after %d",
					pc, o.AtUpperBound, o.CoefStart, len(c.Coefficients()), o.ClosestNFE, o.ClosestIteration)
			}
		}
	}
}

// During the warm-up the coefficient is never raised: it holds while the
// smoothed NFE is above the setpoint, and falls once the NFE, having reached
// the setpoint, drops below it. After the warm-up the setpoint comes down
// to its final value by the deadline.
func TestBudgetWarmupAndSetpointRamp(t *testing.T) {
	const n, warm = 1000, 200
	for _, tc := range []struct {
		name        string
		budget, eq  float64 // the budget and the plant's NFE at the starting coefficient
		start       float64 // the plant's first NFE
		wantFalling bool
	}{
		{"tight", 200, 500, 125, false},
		{"loose", 400, 300, 600, true},
	} {
		c, err := NewBudgetController(Budget{NFE: tc.budget, Warmup: 0.2, Deadline: 0.5}, errorReg(0.05), n)
		if err != nil {
			t.Fatal(err)
		}
		p := newPlant(tc.eq, 0.05, 0.3, 30, 0, 0.02, 1)
		p.logN = math.Log(tc.start)
		var sps, next []float64
		for it := range n {
			m := p.step(c.At(it, n).Error)
			c.Observe(&m)
			sps = append(sps, m.Budget.Setpoint)
			next = append(next, m.Budget.Next)
		}
		for i := range warm - 1 {
			if next[i] > 0.05 {
				t.Fatalf("%s: the coefficient rose to %v during the warm-up (iteration %d)", tc.name, next[i], i+1)
			}
		}
		if falling := next[warm-2] < 0.05; falling != tc.wantFalling {
			t.Errorf("%s: coefficient %v at the end of the warm-up, from 0.05", tc.name, next[warm-2])
		}
		if sps[warm-2] != 0 || sps[warm-1] < c.Setpoint() {
			t.Errorf("%s: setpoint %v at the end of the warm-up, want 0 before and at least %v after", tc.name, sps[warm-2:warm], c.Setpoint())
		}
		for i := warm; i < n; i++ {
			if sps[i] > sps[i-1] {
				t.Fatalf("%s: setpoint rises at iteration %d: %v -> %v", tc.name, i+1, sps[i-1], sps[i])
			}
		}
		if sps[499] != c.Setpoint() || sps[n-1] != c.Setpoint() {
			t.Errorf("%s: setpoint %v at the deadline, %v at the end; want %v", tc.name, sps[499], sps[n-1], c.Setpoint())
		}
	}
}

// A budget below the plant's floor is reported as not met, with the
// closest NFE reached: when the loss does not grow with the coefficient,
// the coefficient ends at its upper bound; when it does, the loss guard
// stops the coefficient once the loss is ten times its best. A budget the
// plant meets without regularization drives the coefficient to its lower
// bound (the smallest loss cost).
func TestBudgetInfeasibleAndLoose(t *testing.T) {
	const n = 1500
	for _, flat := range []bool{true, false} {
		p := newPlant(500, 0.1, 0.3, 30, 380, 0.02, 7)
		p.flatLoss = flat
		c, err := NewBudgetController(Budget{NFE: 300, Deadline: 0.5}, errorReg(0.1), n)
		if err != nil {
			t.Fatal(err)
		}
		end := drive(t, c, p, n)
		o := c.Outcome(end, p.step(c.Coefficient()).Loss)
		if o.Met || !o.Infeasible() || o.AtUpperBound != flat || o.LossGuarded == flat || math.Abs(o.ClosestNFE-380) > 20 {
			t.Errorf("infeasible budget, flat loss %v: met %v, at upper bound %v, loss guarded %v, closest NFE %v: %s",
				flat, o.Met, o.AtUpperBound, o.LossGuarded, o.ClosestNFE, o.Verdict)
		}
		why := "infeasible"
		if !flat {
			why = "below what the data can be fit with"
			// The guard holds the loss near ten times its best.
			if o.PredictLoss > 12*o.BestLoss || o.PredictLoss < 5*o.BestLoss {
				t.Errorf("loss guard: loss %v, best %v", o.PredictLoss, o.BestLoss)
			}
		}
		for _, s := range []string{"NOT met", why, "closest the training came was"} {
			if !strings.Contains(o.Verdict, s) {
				t.Errorf("verdict %q lacks %q", o.Verdict, s)
			}
		}
	}

	p := newPlant(500, 0.1, 0.3, 30, 0, 0.02, 8)
	p.ceil = 600
	c, _ := NewBudgetController(Budget{NFE: 2000}, errorReg(0.1), n)
	end := drive(t, c, p, n)
	o := c.Outcome(end, 1e-4)
	if !o.Met || !o.Slack || o.Infeasible() || c.Coefficient() > 0.1/BudgetCoefRange*1.0001 || !strings.Contains(o.Verdict, ": met with room to spare") ||
		!strings.Contains(o.Verdict, "did not rise back") {
		t.Errorf("loose budget: coefficient %v, outcome %s", c.Coefficient(), o.Verdict)
	}
	// The fit given up: the prediction's loss far above the best reached.
	o = c.Outcome(end, 1)
	if !o.FitLost || !strings.Contains(o.Verdict, "giving up the fit") {
		t.Errorf("lost fit: %s", o.Verdict)
	}
}

// A budget whose setpoint lies below the plant's floor, but whose
// tolerance the floor is within, is met without paying more loss than the
// met guard allows: once the smoothed NFE is within (1+Tolerance) of the
// budget, the coefficient stops rising when the smoothed loss exceeds
// MetGuard times its best. With the met guard as loose as the loss guard
// the same run drives the coefficient on, to ten times the loss, for no
// NFE.
func TestBudgetMetGuard(t *testing.T) {
	const n = 1500
	run := func(metGuard float64) (*BudgetOutcome, float64) {
		p := newPlant(500, 0.1, 0.3, 30, 320, 0.02, 9)
		c, err := NewBudgetController(Budget{NFE: 300, Deadline: 0.5, MetGuard: metGuard}, errorReg(0.1), n)
		if err != nil {
			t.Fatal(err)
		}
		end := drive(t, c, p, n)
		return c.Outcome(end, p.step(c.Coefficient()).Loss), c.Coefficient()
	}
	o, coef := run(0)
	if !o.Met || !o.LossGuarded || o.FitLost || o.PredictLoss > 1.6*o.BestLoss || o.PredictNFE > 1.1*300 {
		t.Errorf("met guard %v: met %v, guarded %v, fit lost %v, loss %.3g (best %.3g), NFE %.1f, coefficient %.3g: %s",
			DefaultBudgetMetGuard, o.Met, o.LossGuarded, o.FitLost, o.PredictLoss, o.BestLoss, o.PredictNFE, coef, o.Verdict)
	}
	loose, looseCoef := run(DefaultBudgetLossGuard)
	t.Logf("met guard %v: NFE %.1f, loss %.3g, coefficient %.3g; at %v: NFE %.1f, loss %.3g, coefficient %.3g",
		DefaultBudgetMetGuard, o.PredictNFE, o.PredictLoss, coef, DefaultBudgetLossGuard, loose.PredictNFE, loose.PredictLoss, looseCoef)
	if looseCoef < 5*coef || loose.PredictLoss < 3*o.PredictLoss || loose.PredictNFE < 319 {
		t.Errorf("met guard at the loss guard: coefficient %.3g (guarded %.3g), loss %.3g (guarded %.3g), NFE %.1f",
			looseCoef, coef, loose.PredictLoss, o.PredictLoss, loose.PredictNFE)
	}
}

// The controller reads Metrics.BudgetNFE and BudgetLoss when a task sets
// them (a count other than NFE, such as the SDE's drift evaluations; a
// positive loss in place of a log-likelihood), NFE and Loss otherwise.
func TestBudgetReadsBudgetNFEAndLoss(t *testing.T) {
	for _, tc := range []struct {
		nfe, budgetNFE, wantNFE    int
		loss, budgetLoss, wantLoss float64
	}{{400, 200, 200, -3, 0.5, 0.5}, {400, 0, 400, 2, 0, 2}} {
		c, err := NewBudgetController(Budget{NFE: 100}, errorReg(0.1), 10)
		if err != nil {
			t.Fatal(err)
		}
		m := Metrics{NFE: tc.nfe, BudgetNFE: tc.budgetNFE, Loss: tc.loss, BudgetLoss: tc.budgetLoss}
		c.Observe(&m)
		if m.Budget.SmoothedNFE != float64(tc.wantNFE) || c.emaLoss != tc.wantLoss {
			t.Errorf("%+v: the controller averaged NFE %v and loss %v", tc, m.Budget.SmoothedNFE, c.emaLoss)
		}
	}
}

func TestBudgetValidation(t *testing.T) {
	bad := []struct {
		b    Budget
		want string
	}{
		{Budget{NFE: -5}, "at least 1"},
		{Budget{NFE: math.NaN()}, "at least 1"},
		{Budget{NFE: math.Inf(1)}, "finite"},
		{Budget{NFE: 0.5}, "at least 1"},
		{Budget{PredictTime: -time.Millisecond}, "must be positive"},
		{Budget{NFE: 300, PredictTime: time.Millisecond}, "give one of them"},
		{Budget{NFE: 300, Regularizer: "steer"}, `unknown regularizer "steer"`},
		{Budget{NFE: 300, Gain: -1}, "gain"},
		{Budget{NFE: 300, Margin: 1}, "margin"},
		{Budget{NFE: 300, Warmup: 0.7, Deadline: 0.5}, "after the warm-up"},
		{Budget{NFE: 300, Deadline: 1.5}, "deadline"},
		{Budget{NFE: 300, MetGuard: 1}, "met guard"},
		{Budget{NFE: 300, MetGuard: 20}, "not exceed the loss guard"},
	}
	for _, c := range bad {
		err := c.b.Validate()
		if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want ErrBudget containing %q", c.b, err, c.want)
		}
		if _, err := NewBudgetController(c.b, errorReg(0.1), 10); err == nil {
			t.Errorf("%+v: NewBudgetController accepted it", c.b)
		}
	}
	if err := (Budget{}).Validate(); err != nil {
		t.Errorf("no budget: %v", err)
	}
	b := Budget{NFE: 300}
	if err := b.CheckMethods([]Method{{}}); !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "vanilla does not use") {
		t.Errorf("budget with vanilla: %v", err)
	}
	if err := b.CheckMethods([]Method{{}, {Stiffness: true}, {Error: true}}); err != nil {
		t.Errorf("budget with vanilla, stiffness and error: %v", err)
	}
	if err := (Budget{NFE: 300, Regularizer: "stiffness"}).CheckMethods([]Method{{Error: true}}); err == nil {
		t.Error("a stiffness budget accepted a method without stiffness")
	}
	// An inactive controller (vanilla) keeps the regularization's schedule.
	reg := errorReg(0.1)
	reg.Method = Method{}
	c, err := NewBudgetController(b, reg, 10)
	if err != nil || c.Active() || c.Outcome(300, 1) != nil {
		t.Fatalf("vanilla controller: %v, active %v", err, c.Active())
	}
	l := &Loop{Step: func(context.Context, int, *rand.Rand) (Metrics, error) { return Metrics{}, nil }}
	c.Attach(l)
	if len(l.State) != 0 {
		t.Error("an inactive controller added a checkpoint section")
	}
	if _, err := NewBudgetController(b, Regularization{Method: Method{Error: true}}, 10); err == nil || !strings.Contains(err.Error(), "starting error coefficient") {
		t.Errorf("zero starting coefficient: %v", err)
	}
}

// A stiffness budget sets the stiffness coefficient and leaves the error
// schedule alone; an error budget replaces the error annealing.
func TestBudgetRegularization(t *testing.T) {
	reg := Regularization{Method: Method{Error: true, Stiffness: true}, ErrorCoef: 1, ErrorCoefFinal: 0.01, StiffnessCoef: 0.5}
	c, err := NewBudgetController(Budget{NFE: 100, Regularizer: "stiffness"}, reg, 11)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.At(10, 11); r.Stiffness != 0.5 || math.Abs(r.Error-0.01) > 1e-15 {
		t.Errorf("stiffness budget: %+v", r)
	}
	c, _ = NewBudgetController(Budget{NFE: 100}, reg, 11)
	if r := c.At(10, 11); r.Error != 1 || r.Stiffness != 0.5 {
		t.Errorf("error budget: %+v", r)
	}
	// TayNODE's coefficient, and RNODE's two in proportion.
	tay := Regularization{Method: Method{TayNODE: true}, TayNODECoef: 1e-3, TayNODEOrder: 2}
	c, _ = NewBudgetController(Budget{NFE: 100, Regularizer: "taynode"}, tay, 11)
	c.coef = 2e-3
	if r := c.Regularization(); r.TayNODECoef != 2e-3 || tay.TayNODECoef != 1e-3 {
		t.Errorf("taynode budget: %v", r.TayNODECoef)
	}
	rn := Regularization{Method: Method{RNODE: true}, RNODEKineticCoef: 1, RNODEJacobianCoef: 3}
	c, _ = NewBudgetController(Budget{NFE: 100, Regularizer: "rnode"}, rn, 11)
	c.coef = 0.5
	if r := c.Regularization(); r.RNODEKineticCoef != 0.5 || r.RNODEJacobianCoef != 1.5 {
		t.Errorf("rnode budget: %v, %v", r.RNODEKineticCoef, r.RNODEJacobianCoef)
	}
	rn.RNODEKineticCoef = 0
	c, _ = NewBudgetController(Budget{NFE: 100, Regularizer: "rnode"}, rn, 11)
	c.coef = 6
	if r := c.Regularization(); r.RNODEKineticCoef != 0 || r.RNODEJacobianCoef != 6 {
		t.Errorf("rnode budget on the Jacobian alone: %v, %v", r.RNODEKineticCoef, r.RNODEJacobianCoef)
	}
}

// A prediction-time budget becomes an NFE budget through the time per NFE.
func TestBudgetPredictTime(t *testing.T) {
	c, err := NewBudgetController(Budget{PredictTime: 3 * time.Millisecond}, errorReg(0.1), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NeedsTimePerNFE() {
		t.Fatal("a prediction-time budget does not ask for the time per NFE")
	}
	calls := 0
	d, err := MeasureTimePerNFE(context.Background(), 3, func(context.Context) (int, error) {
		calls++
		time.Sleep(time.Millisecond)
		return 100, nil
	})
	if err != nil || calls != 3 || d < 10*time.Microsecond {
		t.Fatalf("MeasureTimePerNFE: %v after %d calls, err %v", d, calls, err)
	}
	if err := c.SetTimePerNFE(10 * time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if c.NeedsTimePerNFE() || c.Target() != 300 {
		t.Errorf("target %v, want 300", c.Target())
	}
	if err := c.SetTimePerNFE(0); err == nil {
		t.Error("a zero time per NFE was accepted")
	}
	if _, err := MeasureTimePerNFE(context.Background(), 1, func(context.Context) (int, error) { return 0, nil }); err == nil {
		t.Error("a prediction without evaluations was accepted")
	}
}

// quadStep is a training run whose "solver" NFE grows with the size of its
// parameters and whose gradient steps carry noise from the iteration's
// generator: the budget's coefficient weighs a penalty on the parameters.
type quadStep struct {
	x      []float64
	budget *BudgetController
	n      int
}

func (q *quadStep) Step(_ context.Context, it int, rng *rand.Rand) (Metrics, error) {
	coef := q.budget.At(it, q.n).Error
	norm := 0.0
	for i := range q.x {
		norm += q.x[i] * q.x[i]
	}
	loss := 0.0
	for i := range q.x {
		d := q.x[i] - 3
		loss += d * d
		q.x[i] -= 0.05 * (2*d + 2*coef*q.x[i] + 0.3*rng.NormFloat64())
	}
	return Metrics{Loss: loss, NFE: 20 + int(10*norm), Coefficients: map[string]float64{"error": coef}}, nil
}

type floats struct{ x *[]float64 }

func (f floats) MarshalBinary() ([]byte, error) {
	var b []byte
	for _, v := range *f.x {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

func (f floats) UnmarshalBinary(b []byte) error {
	for i := range *f.x {
		(*f.x)[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return nil
}

func newQuad(t *testing.T, n int, path string) (*quadStep, *Loop) {
	t.Helper()
	c, err := NewBudgetController(Budget{NFE: 150, Smoothing: 5}, errorReg(0.01), n)
	if err != nil {
		t.Fatal(err)
	}
	q := &quadStep{x: []float64{0.1, -0.2, 0.3}, budget: c, n: n}
	l := &Loop{Name: "quad", Iterations: n, Seed: 5, Fingerprint: "quad", Step: q.Step,
		State: []Section{{"x", floats{&q.x}}}, CheckpointPath: path}
	c.Attach(l)
	return q, l
}

// A budgeted run interrupted and resumed ends bit-identically to an
// uninterrupted one: parameters, controller state and outcome.
func TestBudgetResumeIsBitIdentical(t *testing.T) {
	const n = 300
	ctx := context.Background()
	whole, l := newQuad(t, n, "")
	if _, err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "quad.ckpt")
	first, l := newQuad(t, n, path)
	stop, cancel := context.WithCancel(ctx)
	l.Recorders = []Recorder{cancelAt{n / 2, cancel}}
	if _, err := l.Run(stop); err == nil {
		t.Fatal("the interrupted run did not stop")
	}
	if len(first.budget.Coefficients()) != n/2 {
		t.Fatalf("interrupted after %d iterations, want %d", len(first.budget.Coefficients()), n/2)
	}
	resumed, l := newQuad(t, n, "")
	if err := l.Restore(path); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range whole.x {
		if math.Float64bits(whole.x[i]) != math.Float64bits(resumed.x[i]) {
			t.Fatalf("parameter %d: %v uninterrupted, %v resumed", i, whole.x[i], resumed.x[i])
		}
	}
	a, _ := whole.budget.MarshalBinary()
	b, _ := resumed.budget.MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatal("controller states differ after resume")
	}
	oa, ob := whole.budget.Outcome(150, 1), resumed.budget.Outcome(150, 1)
	if oa.Verdict != ob.Verdict || oa.CoefEnd != ob.CoefEnd || len(oa.Coefficients) != len(ob.Coefficients) {
		t.Errorf("outcomes differ: %+v vs %+v", oa, ob)
	}
	// The coefficient moved: the budget did something.
	if cs := whole.budget.Coefficients(); cs[0] == cs[n-1] {
		t.Errorf("the coefficient stayed at %v", cs[0])
	}
	// A truncated or foreign budget section is refused.
	for _, bad := range [][]byte{a[:10], a[:len(a)-8], append([]byte{9, 0, 0, 0}, a[4:]...)} {
		c, _ := NewBudgetController(Budget{NFE: 150}, errorReg(0.01), n)
		if err := c.UnmarshalBinary(bad); !errors.Is(err, ErrBudget) {
			t.Errorf("bad section of %d bytes: %v", len(bad), err)
		}
	}
}

type cancelAt struct {
	n      int
	cancel context.CancelFunc
}

func (c cancelAt) Begin(Info) {}
func (c cancelAt) Record(m Metrics) {
	if m.Iteration == c.n {
		c.cancel()
	}
}
func (c cancelAt) End(Result, error) {}

// A prediction-time budget is converted on the initial model and again on
// the fitted one at the end of the warm-up, before that iteration's step.
func TestBudgetRetimesAfterWarmup(t *testing.T) {
	const n = 20
	c, err := NewBudgetController(Budget{PredictTime: 40 * time.Millisecond}, errorReg(0.1), n)
	if err != nil {
		t.Fatal(err)
	}
	nfe := 10 // the "model" makes 10 evaluations, then 40 once fitted
	predict := func(context.Context) (int, error) {
		time.Sleep(5 * time.Millisecond)
		return nfe, nil
	}
	if err := c.TimePredictions(context.Background(), 1, predict); err != nil {
		t.Fatal(err)
	}
	first := c.Target()
	if first <= 0 || first > 80 {
		t.Fatalf("initial conversion: %v NFE for 40 ms at >= 0.5 ms per NFE", first)
	}
	var at []float64
	l := &Loop{Iterations: n, Step: func(_ context.Context, it int, _ *rand.Rand) (Metrics, error) {
		at = append(at, c.Target())
		nfe = 40
		return Metrics{NFE: 50, Loss: 1}, nil
	}}
	c.Attach(l)
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if at[1] != first || at[2] <= 1.5*first {
		t.Errorf("targets %v: want %v until the warm-up ends (2 iterations), then about 4 times more", at[:4], first)
	}
	b, _ := c.MarshalBinary()
	d, _ := NewBudgetController(Budget{PredictTime: 40 * time.Millisecond}, errorReg(0.1), n)
	if err := d.UnmarshalBinary(b); err != nil || d.Target() != c.Target() || !d.retimed {
		t.Errorf("restored target %v, retimed %v (%v)", d.Target(), d.retimed, err)
	}
}

// Run applies the options before it converts a prediction-time budget: a
// fresh run times the prediction, a run resumed from a checkpoint takes the
// conversion the checkpoint holds and does not time it again.
func TestBudgetRunConvertsUnlessResumed(t *testing.T) {
	const n = 20
	calls := 0
	predict := func(context.Context) (int, error) {
		calls++
		time.Sleep(time.Millisecond)
		return 10, nil
	}
	newLoop := func() (*BudgetController, *Loop) {
		c, err := NewBudgetController(Budget{PredictTime: 20 * time.Millisecond}, errorReg(0.1), n)
		if err != nil {
			t.Fatal(err)
		}
		l := &Loop{Name: "run", Iterations: n, Seed: 1, Fingerprint: "run", Step: func(context.Context, int, *rand.Rand) (Metrics, error) {
			return Metrics{NFE: 30, Loss: 1}, nil
		}}
		c.Attach(l)
		return c, l
	}
	path := filepath.Join(t.TempDir(), "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	first, l := newLoop()
	if _, err := first.Run(ctx, l, RunOptions{Checkpoint: path, Recorders: []Recorder{cancelAt{n / 2, cancel}}}, 1, predict); err == nil {
		t.Fatal("the interrupted run did not stop")
	}
	if calls == 0 || first.NeedsTimePerNFE() {
		t.Fatalf("a fresh run timed the prediction %d times; converted: %v", calls, !first.NeedsTimePerNFE())
	}
	calls = 0
	resumed, l := newLoop()
	if _, err := resumed.Run(context.Background(), l, RunOptions{Resume: path}, 1, predict); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("the resumed run timed the prediction %d times; the checkpoint holds the conversion", calls)
	}
	if resumed.Target() != first.Target() {
		t.Errorf("resumed target %v, want the checkpoint's %v", resumed.Target(), first.Target())
	}
	if _, err := resumed.Run(context.Background(), l, RunOptions{Resume: filepath.Join(t.TempDir(), "missing")}, 1, predict); err == nil {
		t.Error("a missing checkpoint was accepted")
	}
}

// A missed budget is infeasible only when the training could go no
// further towards it; a met one never is.
func TestBudgetOutcomeInfeasible(t *testing.T) {
	for _, c := range []struct {
		o    BudgetOutcome
		want bool
	}{
		{BudgetOutcome{}, false}, // missed: the training ended first
		{BudgetOutcome{LossGuarded: true}, true},
		{BudgetOutcome{FitLost: true}, true},
		{BudgetOutcome{AtUpperBound: true}, true},
		{BudgetOutcome{Met: true, FitLost: true}, false},
	} {
		if got := c.o.Infeasible(); got != c.want {
			t.Errorf("%+v: Infeasible %v, want %v", c.o, got, c.want)
		}
	}
}

// A budget met with room to spare after the coefficient fell says whether
// the NFE was rising back when the run ended, and a ratio next to a bound
// is printed with the digits that keep it on its side of the bound.
func TestBudgetVerdictRisingBack(t *testing.T) {
	o := &BudgetOutcome{Regularizer: "error", NFE: 139.5, Tolerance: 0.1, PredictNFE: 111, PredictLoss: 0.00685,
		Met: true, Slack: true, CoefStart: 200, CoefEnd: 6.51, ClosestNFE: 59, EndNFE: 110}
	v := o.verdict()
	for _, want := range []string{"met with room to spare", "(0.796x the budget)", "rising back towards the budget", "from 59 to 110"} {
		if !strings.Contains(v, want) {
			t.Errorf("verdict %q lacks %q", v, want)
		}
	}
	o.EndNFE = 62
	if v := o.verdict(); !strings.Contains(v, "did not rise back") {
		t.Errorf("flat end: %q", v)
	}
}
