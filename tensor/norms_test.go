package tensor

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// exactSum returns sum(f(i)) in 256-bit arithmetic, rounded once.
func exactSum(n int, f func(i int) float64) float64 {
	s := new(big.Float).SetPrec(256)
	for i := range n {
		s.Add(s, new(big.Float).SetPrec(256).SetFloat64(f(i)))
	}
	v, _ := s.Float64()
	return v
}

// TestNormsMatchExactSums: the block-parallel reductions behind the solvers'
// error and stiffness estimates agree with sums of the same terms in 256-bit
// arithmetic to 1e-14 relative, at lengths around the block size and the
// parallel threshold, and give the same bits on every call.
func TestNormsMatchExactSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const atol, rtol = 1e-6, 1e-3
	for _, n := range []int{1, 7, normBlock - 1, normBlock, normBlock + 1, 3*normBlock + 5, 512 * 784} {
		x, a, b := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		scaled := func(i int) float64 {
			r := x[i] / (atol + rtol*math.Max(math.Abs(a[i]), math.Abs(b[i])))
			return r * r
		}
		for name, c := range map[string]struct{ got, want float64 }{
			"SumSq":     {SumSq(x), exactSum(n, func(i int) float64 { return x[i] * x[i] })},
			"RMSDiff":   {RMSDiff(x, a), math.Sqrt(exactSum(n, func(i int) float64 { return (x[i] - a[i]) * (x[i] - a[i]) }) / float64(n))},
			"ErrorNorm": {ErrorNorm(x, a, b, atol, rtol), math.Sqrt(exactSum(n, scaled) / float64(n))},
		} {
			if e := math.Abs(c.got-c.want) / c.want; e > 1e-14 {
				t.Errorf("%s, n=%d: %v vs exact %v (relative error %.2g)", name, n, c.got, c.want, e)
			}
		}
		if SumSq(x) != SumSq(x) || ErrorNorm(x, a, b, atol, rtol) != ErrorNorm(x, a, b, atol, rtol) {
			t.Errorf("n=%d: repeated reductions differ", n)
		}
	}
}

// TestNormBackwardKernels: the parallel cotangent kernels of RMSDiff and
// ErrorNorm equal the per-element formulas, with any destination omitted.
func TestNormBackwardKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	const atol, rtol, c = 1e-6, 1e-3, 0.37
	n := 512*784 + 3
	x, a, b := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	a[5], b[5] = 0.25, -0.25 // a tie goes to u0
	init := randSlice(rng, n)
	fresh := func() []float64 { return append([]float64(nil), init...) }

	ga, gb := fresh(), fresh()
	RMSDiffBackward(ga, gb, x, a, c)
	for i := range x {
		d := c * (x[i] - a[i])
		if ga[i] != init[i]+d || gb[i] != init[i]-d {
			t.Fatalf("RMSDiffBackward at %d", i)
		}
	}
	gOnly := fresh()
	RMSDiffBackward(nil, gOnly, x, a, c)
	if gOnly[9] != gb[9] {
		t.Fatal("RMSDiffBackward with one destination differs")
	}

	gx, g0, g1 := fresh(), fresh(), fresh()
	ErrorNormBackward(gx, g0, g1, x, a, b, atol, rtol, c)
	for i := range x {
		a0, a1 := math.Abs(a[i]), math.Abs(b[i])
		inv := 1 / (atol + rtol*math.Max(a0, a1))
		r := x[i] * inv
		ds := -c * r * r * inv * rtol
		w0, w1 := init[i], init[i]
		if a0 >= a1 {
			w0 += ds * sign(a[i])
		} else {
			w1 += ds * sign(b[i])
		}
		if gx[i] != init[i]+c*r*inv || g0[i] != w0 || g1[i] != w1 {
			t.Fatalf("ErrorNormBackward at %d", i)
		}
	}
	gx2 := fresh()
	ErrorNormBackward(gx2, nil, nil, x, a, b, atol, rtol, c)
	if gx2[17] != gx[17] {
		t.Fatal("ErrorNormBackward with one destination differs")
	}
}
