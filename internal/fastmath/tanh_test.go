package fastmath

import (
	"math"
	"slices"
	"testing"
)

func TestTanhSpecialValues(t *testing.T) {
	tiny := 0x1p-40
	cases := []struct{ x, want float64 }{
		{0, 0},
		{math.Copysign(0, -1), math.Copysign(0, -1)},
		{math.Inf(1), 1},
		{math.Inf(-1), -1},
		{math.NaN(), math.NaN()},
		{5e-324, 5e-324},     // smallest subnormal
		{-5e-324, -5e-324},   //
		{1e-300, 1e-300},     // tanh(x) = x - x^3/3 rounds to x
		{-0x1p-27, -0x1p-27}, // still rounds to x: x^3/3 < half an ulp of x
		{tiny, tiny},
		{19.1, 1}, // from about 19.06 on, tanh rounds to 1
		{-20.5, -1},
		{20.5, 1},
		{40, 1},
		{1e300, 1},
		{-math.MaxFloat64, -1},
	}
	for _, c := range cases {
		if got := Tanh(c.x); !sameFloat(got, c.want) {
			t.Errorf("Tanh(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// TestTanhAgainstMath is the accuracy bar of the package: over a dense sweep
// of [-40, 40] and millions of random points, TanhSlice must agree with
// math.Tanh to 4e-16 relative, on every path it has (the scalar loop and, on
// amd64, the vector kernels). math.Tanh is itself off by up to about 1.3 ulp
// (just above |x| = 0.625, where it switches formulas), so this bounds the sum
// of both errors; TestTanhAgainstReference and TestTanhVecAgainstReference
// measure ours alone.
func TestTanhAgainstMath(t *testing.T) {
	const bar = 4e-16
	sets := []struct {
		name string
		xs   []float64
	}{
		{"dense [-40,40]", dense(-40, 40, 1<<23)},
		{"uniform [-25,25]", uniform(1, -25, 25, 1<<21)},
		{"log-uniform |x| in [2^-40, 2^5]", logUniform(2, -40, 5, 1<<21)},
		{"row boundaries ±8 ulp", tanhBoundaries(8)},
		{"reduction boundaries ±8 ulp", tvBoundaries(8)},
	}
	for _, p := range tanhPaths() {
		p.use(t)
		for _, set := range sets {
			s := sweepVs(TanhSlice, math.Tanh, set.xs)
			t.Logf("%s, %s: %v", p.name, set.name, s)
			if s.maxRel > bar {
				t.Errorf("%s, %s: max relative error vs math.Tanh %.3g at x=%v exceeds %.1g", p.name, set.name, s.maxRel, s.atRel, bar)
			}
		}
	}
}

// tanhPath is one way TanhSlice can run: the scalar loop or a vector kernel.
type tanhPath struct {
	name         string
	avx2, avx512 bool
}

func (p tanhPath) vector() bool { return p.avx2 }

// use switches TanhSlice to path p until the end of the test.
func (p tanhPath) use(t testing.TB) {
	old2, old512 := useAVX2, useAVX512
	useAVX2, useAVX512 = p.avx2, p.avx512
	t.Cleanup(func() { useAVX2, useAVX512 = old2, old512 })
}

// tanhPaths returns the paths of TanhSlice that this machine can run.
func tanhPaths() []tanhPath {
	ps := []tanhPath{{name: "scalar"}}
	if haveAVX2FMA {
		ps = append(ps, tanhPath{name: "avx2", avx2: true})
	}
	if haveAVX512 {
		ps = append(ps, tanhPath{name: "avx512", avx2: true, avx512: true})
	}
	return ps
}

// tanhBoundaries returns the points within k ulps of the ends of every
// tanhTab row, of both signs.
func tanhBoundaries(k int) []float64 {
	var centers []float64
	for i := 1; i <= tanhRows; i++ {
		lo, _ := tanhInterval(i)
		centers = append(centers, lo, -lo)
	}
	return around(k, centers...)
}

// TestTanhAgainstReference measures the error of Tanh against tanh computed
// in 160-bit arithmetic, in ulps of the correctly rounded result.
func TestTanhAgainstReference(t *testing.T) {
	const bar = 0.7 // ulp
	xs := slices.Concat(
		uniform(3, -21, 21, 1<<13),
		uniform(4, -1, 1, 1<<13),
		logUniform(5, -30, 4.4, 1<<13),
		tanhBoundaries(2),
	)
	worst, at := refULP(Tanh, refTanh, xs)
	t.Logf("%d points: max error %.3f ulp at x=%v", len(xs), worst, at)
	if worst > bar {
		t.Errorf("Tanh error %.3f ulp at x=%v exceeds %v ulp", worst, at, bar)
	}
}

func TestTanhOdd(t *testing.T) {
	for _, x := range slices.Concat(uniform(6, 0, 22, 1<<16), logUniform(7, -60, 5, 1<<16)) {
		x = math.Abs(x)
		if p, n := Tanh(x), Tanh(-x); math.Float64bits(n) != math.Float64bits(-p) {
			t.Fatalf("Tanh(-%v) = %v, but Tanh(%v) = %v", x, n, x, p)
		}
	}
}

// TestTanhSlice checks that TanhSlice computes exactly Tanh on the scalar
// path and exactly the vector algorithm (tanhVecModel) on the vector paths,
// in place too, and that it panics on slices of different lengths.
func TestTanhSlice(t *testing.T) {
	xs := slices.Concat(
		[]float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, 19.5, -20.5, 1e300},
		uniform(8, -25, 25, 5000),
		logUniform(9, -40, 5, 5000),
		tanhBoundaries(1),
	)
	for _, p := range tanhPaths() {
		p.use(t)
		if p.vector() {
			checkSliceMatches(t, "Tanh", tanhVecModel, TanhSlice, xs)
		} else {
			checkSliceMatches(t, "Tanh", Tanh, TanhSlice, xs)
		}
	}
}
