package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// mat is a row-major matrix with a stride that may exceed its width.
type mat struct {
	r, c, ld int
	d        []float64
}

func randMat(rng *rand.Rand, r, c, pad int) mat {
	m := mat{r: r, c: c, ld: c + pad, d: make([]float64, max(r*(c+pad), 1))}
	for i := range m.d {
		m.d[i] = 2*rng.Float64() - 1
	}
	return m
}

// reference computes alpha*op(A)*op(B) + beta*C element by element, with
// the sum taken in the order the package documents, in plain float64
// arithmetic with math.FMA: what Dgemm must reproduce to the bit.
func reference(transA, transB bool, m, n, k int, alpha float64, a, b mat, beta float64, c mat) []float64 {
	out := slices.Clone(c.d)
	for i := range m {
		for j := range n {
			s := 0.0
			for p := range k {
				var av, bv float64
				if transA {
					av = a.d[p*a.ld+i]
				} else {
					av = a.d[i*a.ld+p]
				}
				if transB {
					bv = b.d[j*b.ld+p]
				} else {
					bv = b.d[p*b.ld+j]
				}
				s = math.FMA(av, bv, s)
			}
			cv := 0.0
			switch beta {
			case 0:
			case 1:
				cv = c.d[i*c.ld+j]
			default:
				cv = beta * c.d[i*c.ld+j]
			}
			out[i*c.ld+j] = math.FMA(alpha, s, cv)
		}
	}
	return out
}

// TestDgemmMatchesReference: for every transpose combination, shapes that
// are and are not multiples of the tile and of the packing blocks, padded
// strides, and alpha/beta in {0, 1, other}, Dgemm gives the reference's
// bits, with the assembly micro-kernel and with the Go one.
func TestDgemmMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{1, 1, 1}, {6, 8, 1}, {7, 9, 3}, {5, 3, 17}, {13, 29, 40}, {97, 17, 33}, {128, 100, 785}, {101, 784, 128}, {785, 100, 128}, {12, 1600, 20}, {3, 2, 0}}
	kernels := []bool{false}
	if hasAVX2 {
		kernels = append(kernels, true)
	}
	defer func(v bool) { useAVX2 = v }(useAVX2)
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-0.75, 0.5}, {0, 2}} {
					alpha, beta := ab[0], ab[1]
					var a, b mat
					if tA {
						a = randMat(rng, k, m, 2)
					} else {
						a = randMat(rng, m, k, 1)
					}
					if tB {
						b = randMat(rng, n, k, 3)
					} else {
						b = randMat(rng, k, n, 0)
					}
					c := randMat(rng, m, n, 5)
					if beta == 0 {
						for i := range c.d {
							c.d[i] = math.NaN() // not read when beta is 0
						}
						for i := range m {
							for j := n; j < c.ld && i*c.ld+j < len(c.d); j++ {
								c.d[i*c.ld+j] = 1 // the padding must stay as it was
							}
						}
					}
					want := reference(tA, tB, m, n, k, alpha, a, b, beta, c)
					for _, asm := range kernels {
						useAVX2 = asm
						got := slices.Clone(c.d)
						Dgemm(tA, tB, m, n, k, alpha, a.d, a.ld, b.d, b.ld, beta, got, c.ld)
						for i := range got {
							if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
								t.Fatalf("m=%d n=%d k=%d transA=%v transB=%v alpha=%g beta=%g assembly=%v: element %d (row %d, column %d) = %v, want %v",
									m, n, k, tA, tB, alpha, beta, asm, i, i/c.ld, i%c.ld, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestDgemmAgreesWithGonum: on the MNIST layer shapes, Dgemm and gonum's
// Dgemm agree to rounding (their summation orders differ).
func TestDgemmAgreesWithGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sh := range [][3]int{{128, 100, 785}, {128, 784, 101}, {785, 100, 128}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b := randMat(rng, k, m, 0), randMat(rng, k, n, 0)
		c := randMat(rng, m, n, 0)
		want := slices.Clone(c.d)
		gonum.Implementation{}.Dgemm(blas.Trans, blas.NoTrans, m, n, k, 1.5, a.d, a.ld, b.d, b.ld, 0.5, want, n)
		Dgemm(true, false, m, n, k, 1.5, a.d, a.ld, b.d, b.ld, 0.5, c.d, n)
		for i := range want {
			if d := math.Abs(c.d[i] - want[i]); d > 1e-12*float64(k) {
				t.Fatalf("%v: element %d = %v, gonum %v", sh, i, c.d[i], want[i])
			}
		}
	}
}

func TestDgemmChecksShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short A", func() {
			Dgemm(false, false, 2, 2, 2, 1, make([]float64, 3), 2, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		}},
		{"stride below width", func() {
			Dgemm(false, false, 2, 2, 2, 1, make([]float64, 4), 1, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		}},
		{"short C", func() {
			Dgemm(false, true, 2, 2, 2, 1, make([]float64, 4), 2, make([]float64, 4), 2, 0, make([]float64, 3), 2)
		}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// BenchmarkGemm compares Dgemm with gonum's pure-Go Dgemm on the products
// of one MNIST-NODE layer at batch 128 (forward A*B, input gradient A*B^T,
// weight gradient A^T*B), counting 2mnk operations.
//
//	go test -run XXX -bench Gemm ./internal/gemm
func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct {
		m, n, k        int
		transA, transB bool
	}{
		{128, 100, 785, false, false},
		{128, 784, 101, false, false},
		{128, 785, 100, false, true},
		{785, 100, 128, true, false},
		{512, 100, 785, false, false},
		{2048, 2048, 2048, false, false},
	} {
		rng := rand.New(rand.NewPCG(1, 2))
		var a, bm mat
		if s.transA {
			a = randMat(rng, s.k, s.m, 0)
		} else {
			a = randMat(rng, s.m, s.k, 0)
		}
		if s.transB {
			bm = randMat(rng, s.n, s.k, 0)
		} else {
			bm = randMat(rng, s.k, s.n, 0)
		}
		c := randMat(rng, s.m, s.n, 0)
		name := fmt.Sprintf("%dx%dx%d/%c%c", s.m, s.n, s.k, "NT"[btoi(s.transA)], "NT"[btoi(s.transB)])
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		b.Run("whitebox/"+name, func(b *testing.B) {
			for b.Loop() {
				Dgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a.d, a.ld, bm.d, bm.ld, 0, c.d, c.ld)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("gonum/"+name, func(b *testing.B) {
			ta, tb := blas.NoTrans, blas.NoTrans
			if s.transA {
				ta = blas.Trans
			}
			if s.transB {
				tb = blas.Trans
			}
			for b.Loop() {
				gonum.Implementation{}.Dgemm(ta, tb, s.m, s.n, s.k, 1, a.d, a.ld, bm.d, bm.ld, 0, c.d, c.ld)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
