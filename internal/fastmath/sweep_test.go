package fastmath

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// Point sets for the accuracy sweeps. Each returns a fresh slice; the random
// ones draw from a PCG generator with the given seed.

// dense returns n points evenly spaced on [lo, hi].
func dense(lo, hi float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return xs
}

// uniform returns n points drawn uniformly from [lo, hi).
func uniform(seed uint64, lo, hi float64, n int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*rng.Float64()
	}
	return xs
}

// logUniform returns n points of random sign whose magnitudes are spread
// evenly in log scale over [2^minExp, 2^maxExp).
func logUniform(seed uint64, minExp, maxExp float64, n int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	xs := make([]float64, n)
	for i := range xs {
		x := math.Exp2(minExp + (maxExp-minExp)*rng.Float64())
		if rng.IntN(2) == 1 {
			x = -x
		}
		xs[i] = x
	}
	return xs
}

// around returns, for each center c, the float64 values within k ulps of c.
func around(k int, centers ...float64) []float64 {
	var xs []float64
	for _, c := range centers {
		x := c
		for range k {
			x = math.Nextafter(x, math.Inf(-1))
		}
		for range 2*k + 1 {
			xs = append(xs, x)
			x = math.Nextafter(x, math.Inf(1))
		}
	}
	return xs
}

// errStats accumulates the error of got against want over a sweep.
type errStats struct {
	n             int
	same          int     // bitwise equal results
	maxRel, atRel float64 // largest |got-want|/|want| and where
	maxULP, atULP float64 // largest |got-want| in ulps of want and where
}

func (s *errStats) add(x, got, want float64) {
	s.n++
	if got == want || (got != got && want != want) {
		s.same++
		return
	}
	if r := relErr(got, want); !(r <= s.maxRel) {
		s.maxRel, s.atRel = r, x
	}
	if u := math.Abs(got-want) / ulpOf(want); !(u <= s.maxULP) {
		s.maxULP, s.atULP = u, x
	}
}

func (s *errStats) String() string {
	return fmt.Sprintf("%d points, %.2f%% identical, max rel %.3g at x=%v, max %.3f ulp at x=%v",
		s.n, 100*float64(s.same)/float64(s.n), s.maxRel, s.atRel, s.maxULP, s.atULP)
}

// sweepVs runs fslice over xs in chunks and compares each result with want.
func sweepVs(fslice func(dst, src []float64), want func(float64) float64, xs []float64) *errStats {
	var s errStats
	got := make([]float64, 4096)
	for chunk := range slices.Chunk(xs, len(got)) {
		g := got[:len(chunk)]
		fslice(g, chunk)
		for i, x := range chunk {
			s.add(x, g[i], want(x))
		}
	}
	return &s
}

// refULP returns the largest error of f on xs against a refPrec-bit
// reference, in ulps of the correctly rounded result, and where it occurs.
func refULP(f func(float64) float64, ref func(*big.Float) *big.Float, xs []float64) (worst, at float64) {
	for _, x := range xs {
		if u := ulpErr(f(x), ref(bf(x))); !(u <= worst) {
			worst, at = u, x
		}
	}
	return worst, at
}

// checkSliceMatches checks that fslice agrees bitwise with f on xs (any NaN
// matching any NaN), also when
// dst and src are the same slice, and that it panics on a length mismatch.
func checkSliceMatches(t *testing.T, name string, f func(float64) float64, fslice func(dst, src []float64), xs []float64) {
	t.Helper()
	dst := make([]float64, len(xs))
	fslice(dst, xs)
	for i, x := range xs {
		if w := f(x); !sameBits(dst[i], w) {
			t.Errorf("%sSlice: element %d (x=%v) = %v, scalar gives %v", name, i, x, dst[i], w)
		}
	}
	inPlace := slices.Clone(xs)
	fslice(inPlace, inPlace)
	for i := range xs {
		if !sameBits(inPlace[i], dst[i]) {
			t.Errorf("%sSlice in place: element %d = %v, want %v", name, i, inPlace[i], dst[i])
		}
	}
	func() {
		defer func() {
			msg, _ := recover().(string)
			want := fmt.Sprintf("fastmath: %sSlice: len(dst) = 2 but len(src) = 3; pass slices of equal length", name)
			if msg != want {
				t.Errorf("%sSlice with lengths 2 and 3: recovered %q, want panic %q", name, msg, want)
			}
		}()
		fslice(make([]float64, 2), make([]float64, 3))
	}()
}

// sameBits reports whether got and want have the same bits or are both NaN.
func sameBits(got, want float64) bool {
	return math.Float64bits(got) == math.Float64bits(want) || (got != got && want != want)
}

// sameFloat reports whether got and want are the same value, treating all
// NaNs as equal and distinguishing +0 from -0.
func sameFloat(got, want float64) bool {
	if want != want {
		return got != got
	}
	return got == want && math.Signbit(got) == math.Signbit(want)
}
