package ode

import (
	"math"
	"testing"
)

func TestStepGuard(t *testing.T) {
	c := DefaultPI(5)
	var g StepGuard
	// A finite, small error is accepted and grows the step.
	if acc, hn, give := g.Decide(c, 0.1, 0.5, true, 0); !acc || give || hn <= 0 {
		t.Fatalf("finite step: accept=%v hNew=%v giveUp=%v", acc, hn, give)
	}
	// Non-finite values are rejected with the largest shrink, MaxNonFinite times.
	for i := 0; i < MaxNonFinite; i++ {
		acc, hn, give := g.Decide(c, 0.1, math.NaN(), true, 0)
		if acc || give || hn != 0.1*c.Qmin || !g.LastNonFinite {
			t.Fatalf("non-finite step %d: accept=%v hNew=%v giveUp=%v", i, acc, hn, give)
		}
	}
	if _, _, give := g.Decide(c, 0.1, 0.5, false, 0); !give {
		t.Fatal("no give-up after MaxNonFinite+1 non-finite steps in a row")
	}
	// An accepted step resets the count; a fixed step gives up at once.
	var f StepGuard
	if acc, hn, _ := f.Decide(c, 0.1, 0, true, 0.25); !acc || hn != 0.25 {
		t.Fatalf("fixed step: accept=%v hNew=%v", acc, hn)
	}
	if _, _, give := f.Decide(c, 0.1, 0, false, 0.25); !give {
		t.Fatal("fixed-step method did not give up on a non-finite state")
	}
}
