package tensor

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/internal/vec"
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
// ErrorNorm give the bits of the serial vec kernels over the whole arrays,
// with any destination omitted, and agree with the textbook formulas to
// 1e-12 relative (the kernels fuse multiply-adds).
func TestNormBackwardKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	const atol, rtol, c = 1e-6, 1e-3, 0.37
	n := 512*784 + 3
	x, a, b := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	a[5], b[5] = 0.25, -0.25 // a tie goes to u0
	init := randSlice(rng, n)
	fresh := func() []float64 { return append([]float64(nil), init...) }
	same := func(name string, got, want []float64) {
		t.Helper()
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s: element %d = %v, serial kernel %v", name, i, got[i], want[i])
			}
		}
	}
	near := func(name string, got []float64, want func(i int) float64) {
		t.Helper()
		for i := range got {
			if w := want(i); math.Abs(got[i]-w) > 1e-12*math.Max(1, math.Abs(w)) {
				t.Fatalf("%s: element %d = %v, formula %v", name, i, got[i], w)
			}
		}
	}

	ga, gb := fresh(), fresh()
	RMSDiffBackward(ga, gb, x, a, c)
	wa, wb := fresh(), fresh()
	vec.RMSDiffBackward(wa, wb, x, a, c)
	same("RMSDiffBackward ga", ga, wa)
	same("RMSDiffBackward gb", gb, wb)
	near("RMSDiffBackward ga", ga, func(i int) float64 { return init[i] + c*(x[i]-a[i]) })
	gOnly := fresh()
	RMSDiffBackward(nil, gOnly, x, a, c)
	same("RMSDiffBackward one destination", gOnly, gb)

	gx, g0, g1 := fresh(), fresh(), fresh()
	ErrorNormBackward(gx, g0, g1, x, a, b, atol, rtol, c)
	wx, w0, w1 := fresh(), fresh(), fresh()
	vec.ErrorNormBackward(wx, w0, w1, x, a, b, atol, rtol, c)
	same("ErrorNormBackward gx", gx, wx)
	same("ErrorNormBackward g0", g0, w0)
	same("ErrorNormBackward g1", g1, w1)
	formula := func(i int) (dx, d0, d1 float64) {
		a0, a1 := math.Abs(a[i]), math.Abs(b[i])
		sc := atol + rtol*math.Max(a0, a1)
		r := x[i] / sc
		ds := -c * r * r / sc * rtol
		if a0 >= a1 {
			d0 = ds * math.Copysign(1, a[i])
		} else {
			d1 = ds * math.Copysign(1, b[i])
		}
		return c * r / sc, d0, d1
	}
	scale := func(i int) float64 { // the size of the terms, for the tolerance
		a0, a1 := math.Abs(a[i]), math.Abs(b[i])
		sc := atol + rtol*math.Max(a0, a1)
		return math.Max(1, c*math.Abs(x[i])/sc/sc*(1+rtol*math.Abs(x[i])/sc))
	}
	for i := range x {
		dx, d0, d1 := formula(i)
		for k, v := range [][2]float64{{gx[i], init[i] + dx}, {g0[i], init[i] + d0}, {g1[i], init[i] + d1}} {
			if math.Abs(v[0]-v[1]) > 1e-12*scale(i) {
				t.Fatalf("ErrorNormBackward destination %d, element %d: %v, formula %v", k, i, v[0], v[1])
			}
		}
	}
	gx2 := fresh()
	ErrorNormBackward(gx2, nil, nil, x, a, b, atol, rtol, c)
	same("ErrorNormBackward one destination", gx2, gx)
}
