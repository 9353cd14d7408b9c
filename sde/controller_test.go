package sde

import (
	"math"
	"testing"
)

// TestDefaultPI: StochasticDiffEq's defaults for SOSRI, and the decisions
// they give, computed by hand from the formulas in ode.PIController's doc.
func TestDefaultPI(t *testing.T) {
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-12*math.Abs(want) }
	c := DefaultPI()
	if !near(c.Beta1, 7.0/15) || !near(c.Beta2, 4.0/15) || c.Gamma != 0.9 || c.Qmin != 0.2 || c.Qmax != 1.125 || c.QoldInit != 1e-4 || c.Order != 1.5 {
		t.Errorf("DefaultPI() = %+v", *c)
	}
	steps := []struct {
		h, eest float64
		accept  bool
		hNew    float64
	}{
		// 0.5^(7/15) / 1e-4^(4/15) / 0.9 = 9.374 > 5: shrink by qmin.
		{0.2, 0.5, true, 0.04},
		// qold = 0.5: 0.01^(7/15) / 0.5^(4/15) / 0.9 = 0.1558 < 8/9: grow by 9/8.
		{0.2, 0.01, true, 0.225},
		// qold = 0.01: 0.5^(7/15) / 0.01^(4/15) / 0.9 = 2.745428636.
		{0.2, 0.5, true, 0.07284836960465822},
		// Reject: 2^(7/15) / 0.9 = 1.535458755.
		{0.2, 2, false, 0.13025423136963404},
	}
	for i, s := range steps {
		acc, hNew := c.Decide(s.h, s.eest)
		if acc != s.accept || !near(hNew, s.hNew) {
			t.Errorf("step %d: %v %.17g, want %v %.17g", i, acc, hNew, s.accept, s.hNew)
		}
	}
}
