package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/internal/par"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	return x
}

func naiveMatMul(a *Dense, ta bool, b *Dense, tb bool) *Dense {
	at := func(i, j int) float64 {
		if ta {
			return a.At(j, i)
		}
		return a.At(i, j)
	}
	bt := func(i, j int) float64 {
		if tb {
			return b.At(j, i)
		}
		return b.At(i, j)
	}
	m, k := a.Rows, a.Cols
	if ta {
		m, k = k, m
	}
	n := b.Cols
	if tb {
		n = b.Rows
	}
	c := New(m, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			c.Set(i, j, s)
		}
	}
	return c
}

// TestMatMulAgainstNaive covers every transpose combination, with sizes
// below and above the BLAS threshold, and (101x130x70, 33x70x50) above
// minTransposeGemm, where the pure-Go build copies a transposed A out.
func TestMatMulAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sz := range [][3]int{{1, 2, 50}, {3, 4, 5}, {40, 50, 60}, {7, 1, 9}, {101, 130, 70}, {33, 70, 50}} {
		m, k, n := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a := FromSlice(m, k, randSlice(rng, m*k))
				if ta {
					a = FromSlice(k, m, randSlice(rng, m*k))
				}
				b := FromSlice(k, n, randSlice(rng, k*n))
				if tb {
					b = FromSlice(n, k, randSlice(rng, k*n))
				}
				want := naiveMatMul(a, ta, b, tb)
				c := FromSlice(m, n, randSlice(rng, m*n))
				c0 := c.Clone()
				MatMul(c, 2, a, ta, b, tb, 0.5)
				for i := range c.Data {
					w := 2*want.Data[i] + 0.5*c0.Data[i]
					if math.Abs(c.Data[i]-w) > 1e-12 {
						t.Fatalf("%v ta=%v tb=%v: element %d = %v, want %v", sz, ta, tb, i, c.Data[i], w)
					}
				}
			}
		}
	}
}

func TestKernelsAgainstScalarLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{5, par.MinParallel*3 + 7} {
		a, b := randSlice(rng, n), randSlice(rng, n)
		d := make([]float64, n)
		check := func(name string, f func(i int) float64) {
			t.Helper()
			for i := range d {
				if w := f(i); math.Abs(d[i]-w) > 1e-15*math.Max(1, math.Abs(w)) {
					t.Fatalf("%s n=%d: element %d = %v, want %v", name, n, i, d[i], w)
				}
			}
		}
		Tanh(d, a)
		check("Tanh", func(i int) float64 { return math.Tanh(a[i]) })
		Sigmoid(d, a)
		check("Sigmoid", func(i int) float64 { return 1 / (1 + math.Exp(-a[i])) })
		Exp(d, a)
		check("Exp", func(i int) float64 { return math.Exp(a[i]) })
		Add(d, a, b)
		check("Add", func(i int) float64 { return a[i] + b[i] })
		Sub(d, a, b)
		check("Sub", func(i int) float64 { return a[i] - b[i] })
		Mul(d, a, b)
		check("Mul", func(i int) float64 { return a[i] * b[i] })
		Scale(d, 3, a)
		check("Scale", func(i int) float64 { return 3 * a[i] })
		AddScaled(d, a, -2, b)
		check("AddScaled", func(i int) float64 { return a[i] - 2*b[i] })
		copy(d, a)
		AddMul(d, a, b)
		check("AddMul", func(i int) float64 { return a[i] + a[i]*b[i] })
		TanhBackward(d, a, b)
		check("TanhBackward", func(i int) float64 { return a[i] * (1 - b[i]*b[i]) })
		srcs := [][]float64{a, b, a, b, a, b}
		coef := []float64{1, 0, -2, 0.5, 0.25, 3}
		LinComb(d, coef, srcs)
		check("LinComb", func(i int) float64 { return a[i] - 2*a[i] + 0.5*b[i] + 0.25*a[i] + 3*b[i] })
		LinComb(d, []float64{0, 0}, [][]float64{a, b})
		check("LinCombZero", func(i int) float64 { return 0 })
		cols := 7
		m := n - n%cols
		row := randSlice(rng, cols)
		dd := d[:m]
		AddRow(dd, a[:m], row, cols)
		Tanh(dd, dd)
		for i := range dd {
			if w := math.Tanh(a[i] + row[i%cols]); math.Abs(dd[i]-w) > 1e-15 {
				t.Fatalf("AddRow then Tanh n=%d: element %d = %v, want %v", n, i, dd[i], w)
			}
		}
	}
}

func TestKernelsAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	n := 512 * 784
	a, b, d := randSlice(rng, n), randSlice(rng, n), make([]float64, n)
	srcs := [][]float64{a, b, a}
	coef := []float64{1, 2, 3}
	row := randSlice(rng, 784)
	allocs := testing.AllocsPerRun(10, func() {
		Tanh(d, a)
		LinComb(d, coef, srcs)
		AddRow(d, a, row, 784)
		AddScaled(d, a, 2, b)
		ErrorNorm(a, b, d, 1e-6, 1e-6)
		RMSDiff(a, b)
		ErrorNormBackward(d, d, nil, a, b, a, 1e-6, 1e-6, 0.5)
		RMSDiffBackward(d, nil, a, b, 0.5)
	})
	if allocs != 0 {
		t.Fatalf("kernels allocated %v times per run", allocs)
	}
}

func TestShapeMismatchPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("MatMul with mismatched shapes did not panic")
		}
	}()
	MatMul(New(2, 2), 1, New(2, 3), false, New(2, 3), false, 0)
}

func BenchmarkTanhKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := randSlice(rng, 512*784)
	d := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		Tanh(d, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
}

// BenchmarkMatMulSmall times the products of the spiral models (batch 1 and
// 100; Dense(2,50) and Dense(50,2) forward and both backward products).
func BenchmarkMatMulSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range []struct {
		m, k, n int
		ta, tb  bool
	}{
		{1, 2, 50, false, false}, {1, 50, 2, false, false},
		{100, 2, 50, false, false}, {100, 50, 2, false, false},
		{50, 100, 2, true, false}, {100, 2, 50, false, true},
		{2, 100, 50, true, false}, {100, 50, 2, false, true},
	} {
		b.Run(fmt.Sprintf("%dx%dx%d-tA%v-tB%v", c.m, c.k, c.n, c.ta, c.tb), func(b *testing.B) {
			a := FromSlice(c.m, c.k, randSlice(rng, c.m*c.k))
			if c.ta {
				a = FromSlice(c.k, c.m, a.Data)
			}
			bm := FromSlice(c.k, c.n, randSlice(rng, c.k*c.n))
			if c.tb {
				bm = FromSlice(c.n, c.k, bm.Data)
			}
			dst := New(c.m, c.n)
			b.ReportAllocs()
			for b.Loop() {
				MatMul(dst, 1, a, c.ta, bm, c.tb, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*c.m*c.n*c.k), "ns/madd")
		})
	}
}

// BenchmarkLinComb times a Tsit5-like stage combination of 8 sources over a
// 512 x 784 state.
func BenchmarkLinComb(b *testing.B) {
	rng := rand.New(rand.NewPCG(6, 6))
	n := 512 * 784
	srcs := make([][]float64, 8)
	coef := make([]float64, 8)
	for i := range srcs {
		srcs[i] = randSlice(rng, n)
		coef[i] = rng.Float64()
	}
	d := make([]float64, n)
	b.ReportAllocs()
	for b.Loop() {
		LinComb(d, coef, srcs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
}

// TestMatMulBetaZeroIgnoresDst: with beta = 0 the old contents of dst, even
// NaN, do not reach the result, on every path (empty inner dimension, small
// loops, BLAS, split BLAS).
func TestMatMulBetaZeroIgnoresDst(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for _, s := range [][3]int{{3, 0, 4}, {3, 5, 4}, {40, 30, 20}, {512, 101, 784}} {
		m, k, n := s[0], s[1], s[2]
		a, b := New(m, k), New(k, n)
		copy(a.Data, randSlice(rng, m*k))
		copy(b.Data, randSlice(rng, k*n))
		want := naiveMatMul(a, false, b, false)
		dst := New(m, n)
		dst.Fill(math.NaN())
		MatMul(dst, 1, a, false, b, false, 0)
		for i, v := range dst.Data {
			if math.IsNaN(v) || math.Abs(v-want.Data[i]) > 1e-12*(1+math.Abs(want.Data[i])) {
				t.Fatalf("%dx%dx%d: element %d = %v, want %v", m, k, n, i, v, want.Data[i])
			}
		}
	}
}

// TestMatMulRow: a*b + row broadcast, on the small, BLAS and split paths,
// whatever dst held before.
func TestMatMulRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, s := range [][3]int{{3, 0, 4}, {3, 5, 4}, {40, 30, 20}, {512, 101, 784}, {784, 300, 512}} {
		m, k, n := s[0], s[1], s[2]
		a, b := New(m, k), New(k, n)
		copy(a.Data, randSlice(rng, m*k))
		copy(b.Data, randSlice(rng, k*n))
		row := randSlice(rng, n)
		want := naiveMatMul(a, false, b, false)
		dst := New(m, n)
		dst.Fill(math.NaN())
		MatMulRow(dst, a, b, row)
		for i, v := range dst.Data {
			w := want.Data[i] + row[i%n]
			if math.Abs(v-w) > 1e-12*(1+math.Abs(w)) {
				t.Fatalf("%dx%dx%d: element %d = %v, want %v", m, k, n, i, v, w)
			}
		}
	}
}
