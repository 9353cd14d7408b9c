package ode

import "math"

// StepGuard is the accept/reject logic shared by the ODE and SDE solvers
// around a PIController: it turns a step's error estimate into a decision,
// treats non-finite values as a rejection with the largest shrink, and tells
// the solver when to give up. The zero value is ready to use.
type StepGuard struct {
	nonFinite int
	// LastNonFinite reports whether the last decided step produced
	// non-finite values (a solver that then hits step-size underflow should
	// report ErrNonFinite, not ErrStepSizeUnderflow).
	LastNonFinite bool
}

// MaxNonFinite is the number of consecutive non-finite steps after which an
// adaptive solve gives up.
const MaxNonFinite = 5

// Decide returns whether a step of size h with error estimate eest is
// accepted and the next step size. finite reports whether the step's new
// state is finite; fixedDt > 0 marks a fixed-step method, whose steps are
// always accepted at that size. giveUp is set when the step is non-finite and
// shrinking cannot help (a fixed-step method, or MaxNonFinite in a row).
func (g *StepGuard) Decide(c *PIController, h, eest float64, finite bool, fixedDt float64) (accept bool, hNew float64, giveUp bool) {
	finite = finite && !math.IsNaN(eest) && !math.IsInf(eest, 0)
	g.LastNonFinite = !finite
	switch {
	case !finite:
		g.nonFinite++
		if fixedDt > 0 || g.nonFinite > MaxNonFinite {
			return false, h, true
		}
		return false, h * c.WithDefaults().Qmin, false
	case fixedDt > 0:
		accept, hNew = true, fixedDt
	default:
		accept, hNew = c.Decide(h, eest)
	}
	if accept {
		g.nonFinite = 0
	}
	return accept, hNew, false
}
