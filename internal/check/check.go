package check

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/tensor"
)

// InitialValue checks an initial state and time span: a non-empty, finite
// state and a finite span with t1 > t0.
func InitialValue(z0 *tensor.Dense, t0, t1 float64) error {
	if z0 == nil || z0.Len() == 0 {
		return fmt.Errorf("Problem.Z0 is empty; give the initial state as a batch x features matrix")
	}
	if !tensor.AllFinite(z0.Data) {
		return fmt.Errorf("Problem.Z0 has NaN or infinite entries")
	}
	if math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0) {
		return fmt.Errorf("time span [%v, %v] must be finite", t0, t1)
	}
	if !(t1 > t0) {
		return fmt.Errorf("time span [%v, %v] is empty or reversed; T1 must be greater than T0", t0, t1)
	}
	return nil
}

// Times checks that ts is strictly ascending inside [lo, hi] (inside
// (lo, hi] when openLo is set). name names the option in messages.
func Times(name string, ts []float64, lo, hi float64, openLo bool) error {
	for i, t := range ts {
		if math.IsNaN(t) || t < lo || t > hi || (openLo && t == lo) {
			return fmt.Errorf("%s[%d] = %v lies outside the span [%v, %v]", name, i, t, lo, hi)
		}
		if i > 0 && t <= ts[i-1] {
			return fmt.Errorf("%s must be strictly ascending: %s[%d] = %v follows %v", name, name, i, t, ts[i-1])
		}
	}
	return nil
}
