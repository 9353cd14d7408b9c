package fastmath

import (
	"math"
	"slices"
	"testing"
)

func TestExpSpecialValues(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{0, 1},
		{math.Copysign(0, -1), 1},
		{1e-300, 1},
		{-1e-20, 1},
		{math.Inf(1), math.Inf(1)},
		{math.Inf(-1), 0},
		{math.NaN(), math.NaN()},
		{709.7, math.Exp(709.7)}, // largest results come from math.Exp
		{709.79, math.Inf(1)},    // overflow
		{1000, math.Inf(1)},
		{-740, math.Exp(-740)}, // subnormal
		{-745.2, 0},            // underflow
		{-1e300, 0},
	}
	for _, c := range cases {
		if got := Exp(c.x); !sameFloat(got, c.want) {
			t.Errorf("Exp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// A few well-known values, to within one ulp of the correctly rounded
	// constants (Exp may round the other way where e^x is near a midpoint).
	for _, c := range []struct{ x, want float64 }{{1, math.E}, {-1, 1 / math.E}, {2, math.E * math.E}} {
		if got := Exp(c.x); math.Abs(got-c.want) > ulpOf(c.want) {
			t.Errorf("Exp(%v) = %v, want %v within one ulp", c.x, got, c.want)
		}
	}
}

// TestExpAgainstMath holds Exp to the same bar as Tanh: 4e-16 relative to
// math.Exp over [-700, 700].
func TestExpAgainstMath(t *testing.T) {
	const bar = 4e-16
	sets := []struct {
		name string
		xs   []float64
	}{
		{"dense [-700,700]", dense(-700, 700, 1<<23)},
		{"uniform [-700,700]", uniform(11, -700, 700, 1<<21)},
		{"uniform [-2,2]", uniform(12, -2, 2, 1<<20)},
		{"log-uniform |x| in [2^-60, 2^9.45]", logUniform(13, -60, 9.45, 1<<20)},
	}
	for _, set := range sets {
		s := sweepVs(ExpSlice, math.Exp, set.xs)
		t.Logf("%s: %v", set.name, s)
		if s.maxRel > bar {
			t.Errorf("%s: max relative error vs math.Exp %.3g at x=%v exceeds %.1g", set.name, s.maxRel, s.atRel, bar)
		}
	}
}

// expBoundaries returns points next to the midpoints (k+1/2)*ln2/expN where
// the rounding of k*ln2/expN switches table entry.
func expBoundaries(k int) []float64 {
	var centers []float64
	for _, m := range []float64{0.5, 1.5, 63.5, 127.5, 1000.5, 40000.5, 130000.5} {
		c := m * math.Ln2 / expN
		centers = append(centers, c, -c)
	}
	return around(k, centers...)
}

// TestExpAgainstReference measures the error of Exp against e^x computed in
// 160-bit arithmetic, in ulps of the correctly rounded result.
func TestExpAgainstReference(t *testing.T) {
	const bar = 0.53 // ulp
	xs := slices.Concat(
		uniform(14, -708, 708, 1<<13),
		uniform(15, -1, 1, 1<<13),
		logUniform(16, -60, 9.46, 1<<13),
		expBoundaries(4),
	)
	worst, at := refULP(Exp, refExp, xs)
	t.Logf("%d points: max error %.3f ulp at x=%v", len(xs), worst, at)
	if worst > bar {
		t.Errorf("Exp error %.3f ulp at x=%v exceeds %v ulp", worst, at, bar)
	}
}

func TestExpSlice(t *testing.T) {
	xs := slices.Concat(
		[]float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 708, -708, 709.7, -740, 1000},
		uniform(17, -720, 720, 5000),
		logUniform(18, -60, 9.5, 5000),
		expBoundaries(1),
	)
	checkSliceMatches(t, "Exp", Exp, ExpSlice, xs)
}
