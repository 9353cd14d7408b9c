package check

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/tensor"
)

// InitialValue checks an initial state and time span: a non-empty, finite
// state and a finite span with t1 > t0, or with backward set (a solver that
// integrates backward in time) any t1 != t0.
func InitialValue(z0 *tensor.Dense, t0, t1 float64, backward bool) error {
	if z0 == nil || z0.Len() == 0 {
		return fmt.Errorf("Problem.Z0 is empty; give the initial state as a batch x features matrix")
	}
	if !tensor.AllFinite(z0.Data) {
		return fmt.Errorf("Problem.Z0 has NaN or infinite entries")
	}
	if math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0) {
		return fmt.Errorf("time span [%v, %v] must be finite", t0, t1)
	}
	if t1 == t0 {
		return fmt.Errorf("time span [%v, %v] is empty; T1 must differ from T0", t0, t1)
	}
	if !backward && t1 < t0 {
		return fmt.Errorf("time span [%v, %v] is reversed; T1 must be greater than T0", t0, t1)
	}
	return nil
}

// Times checks that ts lies inside the span from t0 to t1 (excluding t0
// when openT0 is set) and is strictly monotone in the direction of
// integration: ascending when t1 > t0, descending when t1 < t0. name names
// the option in messages.
func Times(name string, ts []float64, t0, t1 float64, openT0 bool) error {
	lo, hi := min(t0, t1), max(t0, t1)
	order, back := "ascending", t1 < t0
	if back {
		order = "descending"
	}
	for i, t := range ts {
		if math.IsNaN(t) || t < lo || t > hi || (openT0 && t == t0) {
			return fmt.Errorf("%s[%d] = %v lies outside the span from %v to %v", name, i, t, t0, t1)
		}
		if i > 0 && (t == ts[i-1] || (t < ts[i-1]) != back) {
			return fmt.Errorf("%s must be strictly %s from T0 to T1: %s[%d] = %v follows %v", name, order, name, i, t, ts[i-1])
		}
	}
	return nil
}

// Tolerances resolves a solver's relative and absolute tolerances: both 0
// means def for each; otherwise each is taken as given, so rtol = 0 with
// atol > 0 is a pure absolute tolerance. Both must be finite and
// non-negative, and atol positive (a pure relative tolerance is undefined
// where the state is zero).
func Tolerances(rtol, atol, def float64) (float64, float64, error) {
	for _, c := range []struct {
		name string
		v    float64
	}{{"RTol", rtol}, {"ATol", atol}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return 0, 0, fmt.Errorf("tolerance Options.%s = %v; tolerances must be non-negative and finite (leave both 0 for the default %v)", c.name, c.v, def)
		}
	}
	if rtol == 0 && atol == 0 {
		return def, def, nil
	}
	if atol == 0 {
		return 0, 0, fmt.Errorf("Options.ATol = 0 with RTol = %v: a pure relative tolerance is undefined where the state is zero; set ATol > 0 too (RTol = 0 with ATol > 0 is a pure absolute tolerance), or leave both 0 for the default %v", rtol, def)
	}
	return rtol, atol, nil
}

// StepSizes checks a solver's step-size options against the length span
// (> 0) of the time span and returns DtMax resolved (0 means span). Each
// must be finite and non-negative (0 means the default); dt, the first or
// the fixed step's magnitude, must not exceed span, and dtmin not dtmax.
func StepSizes(dt, dtmin, dtmax, span float64) (float64, error) {
	for _, c := range []struct {
		name string
		v    float64
	}{{"Dt", dt}, {"DtMin", dtmin}, {"DtMax", dtmax}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return 0, fmt.Errorf("step size Options.%s = %v must be positive and finite (a magnitude: the sign follows the span), or 0 for the default", c.name, c.v)
		}
	}
	if dt > span {
		return 0, fmt.Errorf("Options.Dt = %v is longer than the time span (%v); give a step inside the span", dt, span)
	}
	if dtmax == 0 {
		dtmax = span
	}
	if dtmin > dtmax {
		return 0, fmt.Errorf("Options.DtMin = %v exceeds DtMax = %v", dtmin, dtmax)
	}
	return dtmax, nil
}
