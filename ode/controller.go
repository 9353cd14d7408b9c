package ode

import "math"

// PIController is the proportional-integral step-size controller of
// OrdinaryDiffEq.jl (paper eq. 6: h_new = eta * q_{n-1}^alpha * q_n^beta * h).
// Given the error estimate EEst of an attempted step of size h it decides
// whether to accept the step and proposes the next step size. With
// q = h/h_new:
//
//	if EEst == 0: q = 1/Qmax
//	else:         q11 = EEst^Beta1; q = clamp(q11 / qold^Beta2 / Gamma, 1/Qmax, 1/Qmin)
//	accept (EEst <= 1): qold = max(EEst, QoldInit); h_new = h / q
//	reject (EEst > 1):  h_new = h / min(1/Qmin, q11/Gamma)
//
// so Qmin*|h| <= |h_new| <= Qmax*|h|, and h_new has the sign of h. qold
// starts at QoldInit and changes only on accepted steps. A NaN or negative
// EEst (the step produced non-finite values) is rejected with the largest
// allowed shrink, h_new = Qmin*h; OrdinaryDiffEq would propagate the NaN.
// The decision is a constant for differentiation: it carries no gradient.
//
// A zero field means its default for the method the controller serves: the
// solvers fill a partly set controller with WithDefaultsFor(method order)
// (ODE) or WithDefaultsFrom(sde.DefaultPI()) (SDE), so &PIController{Gamma:
// 0.8} with BS3 gets BS3's betas. Used directly (Decide without a solver), a
// zero field means its default for Order, or for order 5 if Order is zero.
// DefaultPI fills every field explicitly. Because zero means "default",
// Beta2 = 0 (a pure integral controller) cannot be expressed; use a
// negligible value such as 1e-12 instead. The controller holds per-solve
// state (qold): use one value per solve, or call Reset between solves. It is
// not safe for concurrent use.
//
// # Compared with torchdiffeq
//
// torchdiffeq's adaptive Runge-Kutta solvers (dopri5, bosh3, and the tsit5
// of its early releases) use an integral controller
// (torchdiffeq/_impl/misc.py, _optimal_step_size, called from
// rk_common.py with the solver's order, 5 for dopri5): with the RMS error
// ratio err (the same norm as EEst here), a step is accepted if err <= 1 and
//
//	h_new = h * min(ifactor, max(safety / err^(1/order), dfactor))
//
// with safety = 0.9, ifactor = 10, dfactor = 0.2, and dfactor = 1 after an
// accepted step (it never shrinks an accepted step). Its exponent is
// 1/order, not the 1/(order+1) of Hairer, Norsett and Wanner (I, II.4),
// so it grows steps more boldly than OrdinaryDiffEq's 0.14 = 0.7/order. The
// closest setting of this controller is
//
//	&PIController{Beta1: 1/order, Beta2: 1e-12, Gamma: 0.9, Qmin: 0.2, Qmax: 10}
//
// (Beta1 = 0.2 for Tsit5 and DP5); it differs from torchdiffeq only in
// shrinking an accepted step whose err is within a factor 0.9^order of 1.
// At the same tolerance the default controller takes more steps than this
// one and is the more accurate; at matched error it needs fewer. On the 25
// DETEST problems with Tsit5 at rtol = atol = 1e-5 ... 1e-10
// (TestDETESTControllers) it takes 1.14 to 1.28 times the evaluations,
// with errors 4 to 7 times smaller, and at matched error 5 to 11% fewer
// evaluations. On the paper's MNIST model it took about 1.7 times
// torchdiffeq's NFE at the same tolerance.
type PIController struct {
	// Beta1 is the exponent of the current error estimate.
	// Default 7/(10*Order) (0.14 for order 5, 7/30 for order 3).
	Beta1 float64
	// Beta2 is the exponent of the previous accepted error estimate.
	// Default 2/(5*Order) (0.08 for order 5).
	Beta2 float64
	// Gamma is the safety factor. Default 0.9.
	Gamma float64
	// Qmin is the largest shrink per step: |h_new| >= Qmin*|h|, on
	// accepted and rejected steps. Default 1/5.
	Qmin float64
	// Qmax is the largest growth per step: |h_new| <= Qmax*|h|. Default 10.
	Qmax float64
	// QoldInit is the initial qold and its floor after accepted steps.
	// Default 1e-4. The tiny initial value makes the first accepted step
	// cautious (q11/QoldInit^Beta2 is large).
	QoldInit float64
	// Order is the order of the method whose error is controlled (the
	// order of its propagated solution), used only to derive the defaults
	// of Beta1 and Beta2. Default: the solver's method's order
	// (Tableau.Order; 1.5 for the SDE methods); 5 when used directly.
	Order float64

	qold    float64
	started bool
}

// DefaultPI returns OrdinaryDiffEq's default PI controller for a method of
// the given order (OrdinaryDiffEq.jl 5.50, src/alg_utils.jl:
// beta2_default = 2//(5*alg_order(alg)), beta1_default = 7//(10*alg_order(alg)),
// where alg_order is the order of the propagated solution, 5 for Tsit5):
// Beta1 = 7/(10*order), Beta2 = 2/(5*order), Gamma = 0.9, Qmin = 1/5,
// Qmax = 10, QoldInit = 1e-4.
// OrdinaryDiffEq overrides the betas for its DP5 (Beta1 = 0.17,
// Beta2 = 0.04, as in Hairer's dopri5); DefaultPI does not. It panics if
// order < 1.
func DefaultPI(order int) *PIController {
	if order < 1 {
		panic("ode: DefaultPI needs order >= 1")
	}
	p := float64(order)
	return &PIController{
		Beta1:    7 / (10 * p),
		Beta2:    2 / (5 * p),
		Gamma:    0.9,
		Qmin:     1.0 / 5,
		Qmax:     10,
		QoldInit: 1e-4,
		Order:    p,
	}
}

// WithDefaultsFor returns a copy of the configuration with every zero field
// replaced by its default for a method of the given order, and fresh state:
// the fields of DefaultPI(order), except that zero betas derive from Order
// when Order is set. So &PIController{Gamma: 0.8} used with BS3 (order 3)
// gets BS3's betas 7/30 and 2/15, not order 5's. The ODE solver calls it
// with the method's Tableau.Order. It panics if order < 1.
func (c *PIController) WithDefaultsFor(order int) PIController {
	return c.WithDefaultsFrom(DefaultPI(order))
}

// WithDefaultsFrom returns a copy of the configuration with every zero field
// taken from d, and fresh state, except that zero betas derive from Order
// (Beta1 = 7/(10*Order), Beta2 = 2/(5*Order)) when Order is set. A solver
// passes its method's default controller: DefaultPI(order) for an ODE
// method, sde.DefaultPI() for the SDE methods (whose Qmax is 9/8, not 10).
func (c *PIController) WithDefaultsFrom(d *PIController) PIController {
	r := PIController{
		Beta1: c.Beta1, Beta2: c.Beta2, Gamma: c.Gamma,
		Qmin: c.Qmin, Qmax: c.Qmax, QoldInit: c.QoldInit, Order: c.Order,
	}
	if r.Order == 0 {
		r.Order = d.Order
		if r.Beta1 == 0 {
			r.Beta1 = d.Beta1
		}
		if r.Beta2 == 0 {
			r.Beta2 = d.Beta2
		}
	}
	if r.Order == 0 {
		r.Order = 5
	}
	if r.Beta1 == 0 {
		r.Beta1 = 7 / (10 * r.Order)
	}
	if r.Beta2 == 0 {
		r.Beta2 = 2 / (5 * r.Order)
	}
	if r.Gamma == 0 {
		r.Gamma = d.Gamma
	}
	if r.Qmin == 0 {
		r.Qmin = d.Qmin
	}
	if r.Qmax == 0 {
		r.Qmax = d.Qmax
	}
	if r.QoldInit == 0 {
		r.QoldInit = d.QoldInit
	}
	return r
}

// WithDefaults is WithDefaultsFor(5): the defaults for an order 5 method
// (Tsit5, DP5), whatever method the controller will serve. A solver should
// call WithDefaultsFor with its method's order instead.
func (c *PIController) WithDefaults() PIController {
	return c.WithDefaultsFor(5)
}

// Reset clears the per-solve state: the next Decide starts from
// qold = QoldInit.
func (c *PIController) Reset() {
	c.started = false
	c.qold = 0
}

// Qold returns the current qold: QoldInit before the first accepted step,
// then max(EEst, QoldInit) of the last accepted step.
func (c *PIController) Qold() float64 {
	if !c.started {
		return c.WithDefaults().QoldInit
	}
	return c.qold
}

// Decide takes the step size h of an attempted step (negative when
// integrating backwards) and its error estimate eest >= 0, and returns
// whether to accept the step and the size of the next attempt (after a
// rejection: the size with which to retry). It updates qold on acceptance.
func (c *PIController) Decide(h, eest float64) (accept bool, hNew float64) {
	p := c.WithDefaults()
	if !c.started {
		c.qold = p.QoldInit
		c.started = true
	}
	if math.IsNaN(eest) || eest < 0 {
		return false, h * p.Qmin
	}
	if eest == 0 {
		c.qold = p.QoldInit // max(0, QoldInit)
		return true, h / (1 / p.Qmax)
	}
	q11 := math.Pow(eest, p.Beta1)
	if eest > 1 {
		return false, h / math.Min(1/p.Qmin, q11/p.Gamma)
	}
	q := q11 / math.Pow(c.qold, p.Beta2) / p.Gamma
	q = math.Max(1/p.Qmax, math.Min(1/p.Qmin, q))
	c.qold = math.Max(eest, p.QoldInit)
	return true, h / q
}
