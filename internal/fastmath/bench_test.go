package fastmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// benchSizes are the slice lengths the benchmarks run at: one that fits in
// L1 cache and the 512x784 batch of the MNIST neural ODE.
var benchSizes = []int{4096, 512 * 784}

// benchInput returns n normally distributed values with standard deviation
// scale, a stand-in for pre-activations, from a fixed seed.
func benchInput(n int, scale float64) []float64 {
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = scale * rng.NormFloat64()
	}
	return xs
}

// benchSlice runs f over a slice of each size and reports ns/element.
func benchSlice(b *testing.B, scale float64, f func(dst, src []float64)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			src := benchInput(n, scale)
			dst := make([]float64, n)
			b.ReportAllocs()
			b.SetBytes(int64(16 * n))
			for b.Loop() {
				f(dst, src)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/element")
		})
	}
}

func mathTanhSlice(dst, src []float64) {
	for i, x := range src {
		dst[i] = math.Tanh(x)
	}
}

func mathExpSlice(dst, src []float64) {
	for i, x := range src {
		dst[i] = math.Exp(x)
	}
}

func mathSigmoidSlice(dst, src []float64) {
	for i, x := range src {
		dst[i] = 1 / (1 + math.Exp(-x))
	}
}

// BenchmarkTanhSlice measures TanhSlice as dispatched on this machine (on
// amd64 with AVX-512, tanhAVX512); the Scalar and AVX2 variants force the
// other paths, for comparison in the same run.
func BenchmarkTanhSlice(b *testing.B) { benchSlice(b, 2, TanhSlice) }

func BenchmarkTanhSliceScalar(b *testing.B) {
	tanhPath{name: "scalar"}.use(b)
	benchSlice(b, 2, TanhSlice)
}

func BenchmarkTanhSliceAVX2(b *testing.B) {
	if !haveAVX2FMA {
		b.Skip("no AVX2 and FMA")
	}
	tanhPath{name: "avx2", avx2: true}.use(b)
	benchSlice(b, 2, TanhSlice)
}

func BenchmarkMathTanhSlice(b *testing.B)    { benchSlice(b, 2, mathTanhSlice) }
func BenchmarkExpSlice(b *testing.B)         { benchSlice(b, 20, ExpSlice) }
func BenchmarkMathExpSlice(b *testing.B)     { benchSlice(b, 20, mathExpSlice) }
func BenchmarkSigmoidSlice(b *testing.B)     { benchSlice(b, 2, SigmoidSlice) }
func BenchmarkMathSigmoidSlice(b *testing.B) { benchSlice(b, 2, mathSigmoidSlice) }
