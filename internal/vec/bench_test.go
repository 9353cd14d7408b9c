package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchN is the size of the benchmark arrays: the 512x784 state of the
// MNIST neural ODE, 3.2 MB per array.
const benchN = 512 * 784

// benchImpls are the implementations every benchmark compares: "loop" is a
// plain Go loop in the style of the code the kernels replace (no FMA, one
// pass per group of sources or per destination), "go" is this package's Go
// fallback and "avx2" its assembly.
var benchImpls = []string{"loop", "go", "avx2"}

// benchRun runs f as sub-benchmark impl with the kernel switch set to match,
// reporting bytes as the memory touched per call (each array read or written
// counted once) and the time per element.
func benchRun(b *testing.B, impl string, bytes int64, f func()) {
	b.Run(impl, func(b *testing.B) {
		if impl == "avx2" && !hasAVX2 {
			b.Skip("no AVX2+FMA")
		}
		saved := useAVX2
		defer func() { useAVX2 = saved }()
		useAVX2 = impl == "avx2"
		b.SetBytes(bytes)
		b.ReportAllocs()
		for b.Loop() {
			f()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/elem")
	})
}

func benchArrays(m int) [][]float64 {
	rng := rand.New(rand.NewPCG(21, uint64(m)))
	xs := make([][]float64, m)
	for j := range xs {
		xs[j] = randSlice(rng, benchN, 0)
	}
	return xs
}

// loopLinComb is LinComb as plain Go loops: four sources per pass over dst,
// products rounded before they are added.
func loopLinComb(d []float64, c []float64, src [][]float64) {
	for j := 0; j < len(src); j += 4 {
		k := min(len(src)-j, 4)
		s, cs := src[j:j+k], c[j:j+k]
		switch {
		case k == 4 && j == 0:
			s0, s1, s2, s3 := s[0][:len(d)], s[1][:len(d)], s[2][:len(d)], s[3][:len(d)]
			for i := range d {
				d[i] = cs[0]*s0[i] + cs[1]*s1[i] + cs[2]*s2[i] + cs[3]*s3[i]
			}
		case k == 4:
			s0, s1, s2, s3 := s[0][:len(d)], s[1][:len(d)], s[2][:len(d)], s[3][:len(d)]
			for i := range d {
				d[i] += cs[0]*s0[i] + cs[1]*s1[i] + cs[2]*s2[i] + cs[3]*s3[i]
			}
		case k == 3 && j > 0:
			s0, s1, s2 := s[0][:len(d)], s[1][:len(d)], s[2][:len(d)]
			for i := range d {
				d[i] += cs[0]*s0[i] + cs[1]*s1[i] + cs[2]*s2[i]
			}
		default:
			panic("loopLinComb: unsupported source count")
		}
	}
}

// BenchmarkLinComb combines 7 sources into a fresh dst (Tsit5's last stage:
// u and six stage derivatives) and 4 sources; 8 bytes are counted per
// source and for the write of dst.
func BenchmarkLinComb(b *testing.B) {
	for _, m := range []int{4, 7} {
		src := benchArrays(m + 1)
		d, src := src[m], src[:m]
		c := randCoefs(rand.New(rand.NewPCG(1, 1)), m)
		b.Run(fmt.Sprintf("m=%d", m), func(b *testing.B) {
			for _, impl := range benchImpls {
				f := func() { LinComb(d, false, c, src) }
				if impl == "loop" {
					f = func() { loopLinComb(d, c, src) }
				}
				benchRun(b, impl, int64(8*(m+1)*benchN), f)
			}
		})
	}
}

func BenchmarkTanhBackward(b *testing.B) {
	xs := benchArrays(3)
	d, g, y := xs[0], xs[1], xs[2]
	for _, impl := range benchImpls {
		f := func() { TanhBackward(d, g, y) }
		if impl == "loop" {
			f = func() {
				g, y := g[:len(d)], y[:len(d)]
				for i := range d {
					d[i] = g[i] * (1 - y[i]*y[i])
				}
			}
		}
		benchRun(b, impl, 3*8*benchN, f)
	}
}

var sink float64

func BenchmarkSumSquares(b *testing.B) {
	x := benchArrays(1)[0]
	for _, impl := range benchImpls {
		f := func() { sink = SumSquares(x) }
		if impl == "loop" {
			f = func() {
				var s0, s1, s2, s3 float64
				i := 0
				for ; i+4 <= len(x); i += 4 {
					s0 += x[i] * x[i]
					s1 += x[i+1] * x[i+1]
					s2 += x[i+2] * x[i+2]
					s3 += x[i+3] * x[i+3]
				}
				sink = (s0 + s1) + (s2 + s3)
			}
		}
		benchRun(b, impl, 8*benchN, f)
	}
}

func BenchmarkSumSquaresDiff(b *testing.B) {
	xs := benchArrays(2)
	x, y := xs[0], xs[1]
	for _, impl := range benchImpls {
		f := func() { sink = SumSquaresDiff(x, y) }
		if impl == "loop" {
			f = func() {
				s := 0.0
				for i, v := range x {
					d := v - y[i]
					s += d * d
				}
				sink = s
			}
		}
		benchRun(b, impl, 2*8*benchN, f)
	}
}
