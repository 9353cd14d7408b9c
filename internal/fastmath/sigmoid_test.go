package fastmath

import (
	"math"
	"slices"
	"testing"
)

func TestSigmoidSpecialValues(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{0, 0.5},
		{math.Copysign(0, -1), 0.5},
		{math.Inf(1), 1},
		{math.Inf(-1), 0},
		{math.NaN(), math.NaN()},
		{40, 1}, // 1 - sigmoid(40) = 4.2e-18 is below half the spacing 2^-53 under 1
		{710, 1},
		{-740, math.Exp(-740)}, // e^x/(1+e^x) = e^x in float64 here, subnormal
		{-746, 0},
		{1e-300, 0.5},
	}
	for _, c := range cases {
		if got := Sigmoid(c.x); !sameFloat(got, c.want) {
			t.Errorf("Sigmoid(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// TestSigmoidAgainstReference measures the error of Sigmoid against
// 1/(1+e^{-x}) computed in 160-bit arithmetic, in ulps of the correctly
// rounded result, for both signs including the far negative tail whose
// results are tiny (but normal). Three roundings (e^{-|x|}, 1+e, the
// division) of up to half an ulp each, the first two relative to numbers up
// to twice the result, bound the error by about 2.5 ulp.
func TestSigmoidAgainstReference(t *testing.T) {
	const bar = 2.5 // ulp
	xs := slices.Concat(
		uniform(21, -40, 40, 1<<14),
		uniform(22, -3, 3, 1<<14),
		uniform(23, -708, -40, 1<<11),
		logUniform(24, -40, 9.46, 1<<13),
		expBoundaries(2),
		[]float64{-40, -100, -700, -708},
	)
	worst, at := refULP(Sigmoid, refSigmoid, xs)
	t.Logf("%d points: max error %.3f ulp at x=%v", len(xs), worst, at)
	if worst > bar {
		t.Errorf("Sigmoid error %.3f ulp at x=%v exceeds %v ulp", worst, at, bar)
	}
}

// TestSigmoidAgainstFormula compares with 1/(1+math.Exp(-x)) in float64, the
// definition, over [-700, 700]. Both have errors of up to 2 to 3 ulp (the
// formula: math.Exp, the sum, the division), hence the looser bar.
func TestSigmoidAgainstFormula(t *testing.T) {
	const bar = 8e-16
	formula := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for _, set := range []struct {
		name string
		xs   []float64
	}{
		{"dense [-700,700]", dense(-700, 700, 1<<22)},
		{"uniform [-20,20]", uniform(25, -20, 20, 1<<21)},
	} {
		s := sweepVs(SigmoidSlice, formula, set.xs)
		t.Logf("%s: %v", set.name, s)
		if s.maxRel > bar {
			t.Errorf("%s: max relative difference from 1/(1+math.Exp(-x)) %.3g at x=%v exceeds %.1g", set.name, s.maxRel, s.atRel, bar)
		}
	}
}

func TestSigmoidSlice(t *testing.T) {
	xs := slices.Concat(
		[]float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 708, -708, 709.7, -740, -1000},
		uniform(26, -720, 720, 5000),
		logUniform(27, -60, 9.5, 5000),
		expBoundaries(1),
	)
	checkSliceMatches(t, "Sigmoid", Sigmoid, SigmoidSlice, xs)
}
