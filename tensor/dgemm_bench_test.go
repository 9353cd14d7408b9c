package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/whitebox-de/whitebox/tensor"
)

// randGeneral returns an r×c row-major matrix with entries uniform in [-1, 1).
func randGeneral(rnd *rand.Rand, r, c int) blas64.General {
	m := blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
	for i := range m.Data {
		m.Data[i] = 2*rnd.Float64() - 1
	}
	return m
}

// TestBLASBackend checks that the implementation installed in blas64 is the
// one BLASBackend names, so benchmark output labelled with it is truthful.
func TestBLASBackend(t *testing.T) {
	want := map[string]string{
		"pure-go":  "tensor.pureGo",
		"openblas": "netlib.Implementation",
	}[tensor.BLASBackend]
	if want == "" {
		t.Fatalf("unknown BLASBackend %q", tensor.BLASBackend)
	}
	if got := fmt.Sprintf("%T", blas64.Implementation()); got != want {
		t.Fatalf("BLASBackend = %q but blas64 uses %s, want %s", tensor.BLASBackend, got, want)
	}
}

// TestDGEMMMatchesPureGo compares MatMul (whichever backend this build
// compiled in) with gonum's pure-Go DGEMM on the MNIST layer shapes, for every
// transpose combination the package uses, with nonzero alpha and beta.
// Each entry must agree to 1e-12 relative to sum_k |alpha*a_ik*b_kj| + |beta*c_ij|.
func TestDGEMMMatchesPureGo(t *testing.T) {
	const alpha, beta = 0.75, -0.5
	rnd := rand.New(rand.NewPCG(1, 2))
	ref := gonum.Implementation{}
	for _, tc := range []struct {
		m, k, n int
		tA, tB  blas.Transpose
	}{
		{512, 785, 100, blas.NoTrans, blas.NoTrans},
		{512, 101, 784, blas.NoTrans, blas.NoTrans},
		{785, 512, 100, blas.Trans, blas.NoTrans},
		{512, 100, 785, blas.NoTrans, blas.Trans},
		{37, 19, 53, blas.Trans, blas.Trans},
	} {
		name := fmt.Sprintf("%dx%dx%d/%c%c", tc.m, tc.k, tc.n, tc.tA, tc.tB)
		t.Run(name, func(t *testing.T) {
			a := randGeneral(rnd, tc.m, tc.k)
			if tc.tA == blas.Trans {
				a = randGeneral(rnd, tc.k, tc.m)
			}
			b := randGeneral(rnd, tc.k, tc.n)
			if tc.tB == blas.Trans {
				b = randGeneral(rnd, tc.n, tc.k)
			}
			c0 := randGeneral(rnd, tc.m, tc.n)

			got := blas64.General{Rows: tc.m, Cols: tc.n, Stride: tc.n, Data: append([]float64(nil), c0.Data...)}
			tensor.MatMul(tensor.FromSlice(tc.m, tc.n, got.Data), alpha, tensor.FromSlice(a.Rows, a.Cols, a.Data), tc.tA == blas.Trans,
				tensor.FromSlice(b.Rows, b.Cols, b.Data), tc.tB == blas.Trans, beta)
			want := append([]float64(nil), c0.Data...)
			ref.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, alpha, a.Data, a.Stride, b.Data, b.Stride, beta, want, tc.n)

			at := func(i, l int) float64 {
				if tc.tA == blas.Trans {
					return a.Data[l*a.Stride+i]
				}
				return a.Data[i*a.Stride+l]
			}
			bt := func(l, j int) float64 {
				if tc.tB == blas.Trans {
					return b.Data[j*b.Stride+l]
				}
				return b.Data[l*b.Stride+j]
			}
			var worst, worstAbs float64
			for i := range tc.m {
				for j := range tc.n {
					scale := math.Abs(beta * c0.Data[i*tc.n+j])
					for l := range tc.k {
						scale += math.Abs(alpha * at(i, l) * bt(l, j))
					}
					d := math.Abs(got.Data[i*tc.n+j] - want[i*tc.n+j])
					if d > 1e-12*scale {
						t.Fatalf("C[%d,%d]: %s backend gives %v, gonum %v (|diff| %g > 1e-12*%g)",
							i, j, tensor.BLASBackend, got.Data[i*tc.n+j], want[i*tc.n+j], d, scale)
					}
					worst = max(worst, d/scale)
					worstAbs = max(worstAbs, d)
				}
			}
			t.Logf("%s vs gonum: largest difference %g absolute, %g relative", tensor.BLASBackend, worstAbs, worst)
		})
	}
}

// BenchmarkDGEMM measures tensor.MatMul (the product every layer uses: with
// OpenBLAS it splits the product over the cores, each running
// single-threaded OpenBLAS; in the pure-Go build internal/gemm) and, for
// reference, one direct call of the BLAS it replaces (gonum's pure-Go
// Dgemm in the default build, "gonum-direct"; one single-threaded
// OpenBLAS call in the openblas build, "openblas-direct"),
// on row-major float64 matrices, C = A*B with A m×k and B k×n, counting
// 2*m*n*k floating-point operations per call. The sub-benchmark names start
// with the BLAS backend of the build.
// 512x785x100 and 512x101x784 are the two products of one MNIST-NODE layer
// at batch 512; 2048x2048x2048 is a large square product for comparison with
// the backend's peak rate.
func BenchmarkDGEMM(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{
		{512, 785, 100},
		{512, 101, 784},
		{2048, 2048, 2048},
	} {
		b.Run(fmt.Sprintf("%s/%dx%dx%d", tensor.BLASBackend, s.m, s.k, s.n), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(3, 4))
			a := randGeneral(rnd, s.m, s.k)
			bm := randGeneral(rnd, s.k, s.n)
			c := blas64.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: make([]float64, s.m*s.n)}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			ta := tensor.FromSlice(s.m, s.k, a.Data)
			tb := tensor.FromSlice(s.k, s.n, bm.Data)
			tc := tensor.FromSlice(s.m, s.n, c.Data)
			b.ReportAllocs()
			for b.Loop() {
				tensor.MatMul(tc, 1, ta, false, tb, false, 0)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%s-direct/%dx%dx%d", directName(), s.m, s.k, s.n), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(3, 4))
			a := randGeneral(rnd, s.m, s.k)
			bm := randGeneral(rnd, s.k, s.n)
			c := blas64.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: make([]float64, s.m*s.n)}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			b.ReportAllocs()
			for b.Loop() {
				directGemm(blas.NoTrans, blas.NoTrans, a, bm, c)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDGEMMTransA measures tensor.MatMul for C = A^T*B, the weight
// gradient of a dense layer (A the layer's input, B the output's
// cotangent), at the MNIST-NODE layer shapes at batch 128, beside A*B of
// the same size and a direct call of A^T*B (directGemm: gonum's Dgemm in the
// default build, whose transposed-A loop is not blocked).
func BenchmarkDGEMMTransA(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{
		{785, 128, 100},
		{101, 128, 784},
	} {
		rnd := rand.New(rand.NewPCG(3, 4))
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		at := randGeneral(rnd, s.k, s.m)
		a := randGeneral(rnd, s.m, s.k)
		bm := randGeneral(rnd, s.k, s.n)
		c := blas64.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: make([]float64, s.m*s.n)}
		for _, v := range []struct {
			name string
			run  func()
		}{
			{tensor.BLASBackend + "/AtB", func() {
				tensor.MatMul(tensor.FromSlice(s.m, s.n, c.Data), 1, tensor.FromSlice(s.k, s.m, at.Data), true, tensor.FromSlice(s.k, s.n, bm.Data), false, 0)
			}},
			{directName() + "-direct/AtB", func() { directGemm(blas.Trans, blas.NoTrans, at, bm, c) }},
			{tensor.BLASBackend + "/AB", func() {
				tensor.MatMul(tensor.FromSlice(s.m, s.n, c.Data), 1, tensor.FromSlice(s.m, s.k, a.Data), false, tensor.FromSlice(s.k, s.n, bm.Data), false, 0)
			}},
		} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", v.name, s.m, s.k, s.n), func(b *testing.B) {
				for b.Loop() {
					v.run()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// directName labels directGemm's calls by the implementation they reach.
func directName() string {
	if tensor.BLASBackend == "openblas" {
		return "openblas"
	}
	return "gonum"
}

// directGemm computes C = op(A)*op(B) with the BLAS the build's products
// are compared with: OpenBLAS through blas64 in the openblas build,
// gonum's pure-Go Dgemm (which blas64 no longer reaches) in the default
// build.
func directGemm(tA, tB blas.Transpose, a, b, c blas64.General) {
	if tensor.BLASBackend == "openblas" {
		blas64.Gemm(tA, tB, 1, a, b, 0, c)
		return
	}
	k := a.Cols
	if tA != blas.NoTrans {
		k = a.Rows
	}
	gonum.Implementation{}.Dgemm(tA, tB, c.Rows, c.Cols, k, 1, a.Data, a.Stride, b.Data, b.Stride, 0, c.Data, c.Stride)
}
