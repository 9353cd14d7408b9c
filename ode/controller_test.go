package ode

import (
	"context"
	"math"
	"testing"

	"github.com/whitebox-de/whitebox/tensor"
)

func ctlClose(got, want float64) bool {
	return math.Abs(got-want) <= 1e-12*math.Abs(want)
}

func TestControllerDefaults(t *testing.T) {
	c := DefaultPI(5)
	if c.Beta1 != 0.14 || c.Beta2 != 0.08 || c.Gamma != 0.9 || c.Qmin != 0.2 || c.Qmax != 10 || c.QoldInit != 1e-4 {
		t.Errorf("DefaultPI(5) = %+v", *c)
	}
	c3 := DefaultPI(3)
	if !ctlClose(c3.Beta1, 7.0/30) || !ctlClose(c3.Beta2, 2.0/15) {
		t.Errorf("DefaultPI(3) betas %g %g", c3.Beta1, c3.Beta2)
	}
	// Zero fields mean the defaults for the order (5 if Order is zero).
	if d := (&PIController{}).WithDefaults(); d != *DefaultPI(5) {
		t.Errorf("zero value with defaults %+v, want %+v", d, *DefaultPI(5))
	}
	if d := (&PIController{Order: 3, Qmax: 2}).WithDefaults(); d.Beta1 != c3.Beta1 || d.Beta2 != c3.Beta2 || d.Qmax != 2 || d.Gamma != 0.9 {
		t.Errorf("partial config with defaults %+v", d)
	}
}

// A partly filled controller takes the defaults of the method it serves:
// with BS3 (order 3) the betas 7/30 and 2/15, not order 5's 0.14 and 0.08.
func TestControllerDefaultsFor(t *testing.T) {
	c3 := DefaultPI(3)
	d := (&PIController{Gamma: 0.8}).WithDefaultsFor(BS3().Order)
	if d.Beta1 != c3.Beta1 || d.Beta2 != c3.Beta2 || d.Order != 3 || d.Gamma != 0.8 || d.Qmax != 10 || d.Qmin != 0.2 || d.QoldInit != 1e-4 {
		t.Errorf("{Gamma: 0.8} for BS3: %+v, want the betas of %+v", d, *c3)
	}
	// An explicit Order wins over the method's.
	if d := (&PIController{Order: 5}).WithDefaultsFor(3); d.Beta1 != 0.14 || d.Beta2 != 0.08 || d.Order != 5 {
		t.Errorf("{Order: 5} for order 3: %+v", d)
	}
	// Set betas stay.
	if d := (&PIController{Beta1: 0.2}).WithDefaultsFor(3); d.Beta1 != 0.2 || d.Beta2 != c3.Beta2 {
		t.Errorf("{Beta1: 0.2} for order 3: %+v", d)
	}
	// Defaults from another controller (the SDE solver's have Qmax 9/8 and
	// the betas of order 1.5).
	s := &PIController{Beta1: 7.0 / 15, Beta2: 4.0 / 15, Gamma: 0.9, Qmin: 0.2, Qmax: 9.0 / 8, QoldInit: 1e-4, Order: 1.5}
	if d := (&PIController{Gamma: 0.8}).WithDefaultsFrom(s); d.Beta1 != s.Beta1 || d.Beta2 != s.Beta2 || d.Qmax != 9.0/8 || d.Gamma != 0.8 || d.Order != 1.5 {
		t.Errorf("{Gamma: 0.8} from the SDE defaults: %+v", d)
	}
	// WithDefaults keeps its meaning: order 5.
	if d := (&PIController{Gamma: 0.8}).WithDefaults(); d.Beta1 != 0.14 || d.Beta2 != 0.08 || d.Order != 5 {
		t.Errorf("WithDefaults: %+v", d)
	}
	// Filling is idempotent: a filled controller is unchanged.
	if d2 := d.WithDefaultsFor(5); d2 != d {
		t.Errorf("refilled %+v, was %+v", d2, d)
	}
}

// The solver fills a partly set controller for its method's order: a BS3
// solve with {Gamma: 0.8} steps exactly as one with BS3's betas set.
func TestPartialControllerTakesMethodOrder(t *testing.T) {
	f := Plain(func(t float64, z, dz []float64) { dz[0], dz[1] = z[1], -z[0] })
	p := Problem{F: f, Z0: tensor.FromSlice(1, 2, []float64{1, 0}), T0: 0, T1: 10}
	solve := func(c *PIController) *Solution {
		sol, err := Solve(context.Background(), p, &Options{Method: BS3(), RTol: 1e-8, ATol: 1e-8, Controller: c})
		if err != nil {
			t.Fatal(err)
		}
		return sol
	}
	c3 := DefaultPI(3)
	partial := solve(&PIController{Gamma: 0.8})
	full := solve(&PIController{Gamma: 0.8, Beta1: c3.Beta1, Beta2: c3.Beta2})
	order5 := solve(&PIController{Gamma: 0.8, Order: 5})
	if partial.NFE != full.NFE || len(partial.Steps) != len(full.Steps) {
		t.Errorf("{Gamma: 0.8} with BS3: NFE %d, steps %d; with BS3's betas: NFE %d, steps %d",
			partial.NFE, len(partial.Steps), full.NFE, len(full.Steps))
	}
	if order5.NFE == full.NFE {
		t.Errorf("order 5 and order 3 betas give the same NFE %d: the test cannot tell them apart", full.NFE)
	}
}

// Expected numbers below were computed by hand from the formulas in the PIController doc, e.g.
// 0.5^0.14 = exp(0.14 ln 0.5) = 0.9075191553, (1e-4)^0.08 = 0.4786300923,
// q = 0.9075191553 / 0.4786300923 / 0.9 = 2.1067513999.
func TestControllerSequence(t *testing.T) {
	c := DefaultPI(5)
	if c.Qold() != 1e-4 {
		t.Fatalf("initial qold %g", c.Qold())
	}
	steps := []struct {
		h, eest   float64
		accept    bool
		hNew      float64
		qoldAfter float64
	}{
		// First step, qold = 1e-4: q = 2.1067513999 (cautious), h/q.
		{0.1, 0.5, true, 0.04746644526085287, 0.5},
		// qold = 0.5: q = 0.2^0.14 / 0.5^0.08 / 0.9 = 0.9375276599.
		{0.1, 0.2, true, 0.10666351967315253, 0.2},
		// Reject: q11/gamma = 4^0.14/0.9 = 1.3491054271 < 5; qold unchanged.
		{0.1, 4, false, 0.07412319155408158, 0.2},
		// Reject with a huge error: 1e6^0.14/0.9 = 7.687 > 1/qmin = 5, so h/5.
		{0.1, 1e6, false, 0.02, 0.2},
		// Tiny error: q = 1e-12^0.14 / 0.2^0.08 / 0.9 < 1/qmax, so 10h.
		{0.1, 1e-12, true, 1.0, 1e-4},
		// EEst = 0: q = 1/qmax, qold = max(0, qoldinit).
		{0.3, 0, true, 3, 1e-4},
		// EEst = 1 exactly is accepted: q = 1 / 1e-4^0.08 / 0.9 = 2.3214 .
		{0.1, 1, true, 0.1 / (1 / math.Pow(1e-4, 0.08) / 0.9), 1},
	}
	for i, s := range steps {
		acc, hNew := c.Decide(s.h, s.eest)
		if acc != s.accept || !ctlClose(hNew, s.hNew) || !ctlClose(c.Qold(), s.qoldAfter) {
			t.Errorf("step %d (h=%g, EEst=%g): accept %v hNew %.17g qold %g, want %v %.17g %g",
				i, s.h, s.eest, acc, hNew, c.Qold(), s.accept, s.hNew, s.qoldAfter)
		}
	}
	// The hand value of the third-to-last case's quotient.
	if q := math.Pow(1e-12, 0.14) / math.Pow(0.2, 0.08) / 0.9; q >= 0.1 {
		t.Errorf("case assumption broken: q = %g", q)
	}
}

func TestControllerBackwardAndInvalid(t *testing.T) {
	c := DefaultPI(5)
	acc, hNew := c.Decide(-0.1, 0.5)
	if !acc || !ctlClose(hNew, -0.04746644526085287) {
		t.Errorf("backward step: %v %g", acc, hNew)
	}
	acc, hNew = c.Decide(-0.1, 3)
	if acc || hNew >= 0 || hNew < -0.1 {
		t.Errorf("backward reject: %v %g", acc, hNew)
	}
	for _, e := range []float64{math.NaN(), -1} {
		q := c.Qold()
		acc, hNew = c.Decide(0.1, e)
		if acc || !ctlClose(hNew, 0.02) || c.Qold() != q {
			t.Errorf("EEst %g: %v %g qold %g", e, acc, hNew, c.Qold())
		}
	}
	acc, hNew = c.Decide(0.1, math.Inf(1))
	if acc || !ctlClose(hNew, 0.02) {
		t.Errorf("EEst +Inf: %v %g", acc, hNew)
	}
}

func TestControllerReset(t *testing.T) {
	c := DefaultPI(5)
	c.Decide(0.1, 0.5)
	if c.Qold() != 0.5 {
		t.Fatalf("qold %g", c.Qold())
	}
	c.Reset()
	if c.Qold() != 1e-4 {
		t.Errorf("after Reset qold %g", c.Qold())
	}
	_, h := c.Decide(0.1, 0.5)
	if !ctlClose(h, 0.04746644526085287) {
		t.Errorf("after Reset first step %g", h)
	}
	// A zero-value controller behaves as DefaultPI(5).
	var z PIController
	_, hz := z.Decide(0.1, 0.5)
	if hz != h {
		t.Errorf("zero-value controller %g, DefaultPI(5) %g", hz, h)
	}
}

func TestControllerDecideNoAlloc(t *testing.T) {
	c := DefaultPI(5)
	if n := testing.AllocsPerRun(100, func() { c.Decide(0.1, 0.7) }); n != 0 {
		t.Errorf("Decide allocates %g times", n)
	}
}

func BenchmarkPIControllerDecide(b *testing.B) {
	c := DefaultPI(5)
	b.ReportAllocs()
	for b.Loop() {
		c.Decide(0.1, 0.7)
	}
}
