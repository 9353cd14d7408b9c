package vec

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// testLens are the lengths every kernel is checked at: around the vector
// width (4), the unrolled block (16), the Go fallback's block (256), the
// summation block (1024) and the 512x784 state of the MNIST neural ODE.
var testLens = []int{0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 255, 256, 257, 1000, 1023, 1024, 1025, 2063, 512 * 784}

// paths runs f once with the Go fallbacks and, when the CPU allows, once
// with the assembly, restoring the switch afterwards.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	useAVX2 = false
	t.Run("go", f)
	if hasAVX2 {
		useAVX2 = true
		t.Run("avx2", f)
	} else {
		t.Log("no AVX2+FMA on this CPU: assembly path not tested")
	}
}

// bothPaths returns the results of run with the Go fallback and, if
// available, with the assembly (nil otherwise).
func bothPaths(run func() []float64) (goRes, asmRes []float64) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	useAVX2 = false
	goRes = run()
	if hasAVX2 {
		useAVX2 = true
		asmRes = run()
	}
	return goRes, asmRes
}

// randSlice returns n values off an offset into a larger buffer, so that
// the slice starts at every alignment mod 32 bytes in turn. The values mix
// magnitudes over several decades and both signs.
func randSlice(rng *rand.Rand, n, off int) []float64 {
	buf := make([]float64, n+off)
	x := buf[off:]
	for i := range x {
		x[i] = rng.NormFloat64() * math.Exp2(float64(rng.IntN(21)-10))
	}
	return x
}

func randCoefs(rng *rand.Rand, m int) []float64 {
	c := make([]float64, m)
	for j := range c {
		c[j] = rng.NormFloat64()
	}
	return c
}

// equalBits reports the first index where a and b differ bitwise, or -1.
func equalBits(a, b []float64) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

func cloneAll(xs [][]float64) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = append([]float64(nil), x...)
	}
	return out
}

// refLinComb is the documented order of LinComb, element by element.
func refLinComb(d0 []float64, acc bool, c []float64, src [][]float64) []float64 {
	out := make([]float64, len(d0))
	for i := range out {
		var s float64
		j := 0
		if acc {
			s = d0[i]
		} else if len(src) > 0 {
			s = c[0] * src[0][i]
			j = 1
		}
		for ; j < len(src); j++ {
			s = math.FMA(c[j], src[j][i], s)
		}
		out[i] = s
	}
	return out
}

func TestLinComb(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range testLens {
		for _, m := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 11} {
			if n > 5000 && m == 11 {
				continue
			}
			for _, acc := range []bool{false, true} {
				off := (n + m) % 4
				src := make([][]float64, m)
				for j := range src {
					src[j] = randSlice(rng, n, (off+j)%4)
				}
				c := randCoefs(rng, m)
				d0 := randSlice(rng, n, off)
				want := refLinComb(d0, acc, c, src)
				srcCopy := cloneAll(src)
				name := fmt.Sprintf("n=%d/m=%d/acc=%v", n, m, acc)
				goRes, asmRes := bothPaths(func() []float64 {
					d := append([]float64(nil), d0...)
					LinComb(d, acc, c, src)
					return d
				})
				if i := equalBits(goRes, want); i >= 0 {
					t.Fatalf("%s: Go path differs from reference at %d: %v, want %v", name, i, goRes[i], want[i])
				}
				if asmRes != nil {
					if i := equalBits(asmRes, want); i >= 0 {
						t.Fatalf("%s: assembly differs from reference at %d: %v, want %v", name, i, asmRes[i], want[i])
					}
				}
				for j := range src {
					if equalBits(src[j], srcCopy[j]) >= 0 {
						t.Fatalf("%s: source %d was modified", name, j)
					}
				}
			}
		}
	}
}

// TestLinCombValue checks LinComb against values worked out by hand, so
// that the reference above is not the only judge.
func TestLinCombValue(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, n := range []int{1, 5, 16, 21} {
			a, b, d := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range a {
				a[i], b[i], d[i] = float64(i), float64(2*i+1), 100
			}
			LinComb(d, true, []float64{2, -0.5}, [][]float64{a, b})
			for i := range d {
				if want := 100 + 2*float64(i) - 0.5*float64(2*i+1); d[i] != want {
					t.Fatalf("n=%d: acc: d[%d] = %v, want %v", n, i, d[i], want)
				}
			}
			LinComb(d, false, []float64{0.25, 1, 3}, [][]float64{b, a, a})
			for i := range d {
				if want := 0.25*float64(2*i+1) + 4*float64(i); d[i] != want {
					t.Fatalf("n=%d: d[%d] = %v, want %v", n, i, d[i], want)
				}
			}
			LinComb(d, false, nil, nil)
			for i := range d {
				if d[i] != 0 {
					t.Fatalf("n=%d: no sources: d[%d] = %v, want 0", n, i, d[i])
				}
			}
		}
	})
}

// TestLinCombFused checks that the terms are fused: c*x + s with one
// rounding differs from the twice-rounded form for these values.
func TestLinCombFused(t *testing.T) {
	x := 1 + 0x1p-30
	// x*x = 1 + 2^-29 + 2^-60; minus (1 + 2^-29) leaves exactly 2^-60 when
	// fused and 0 when the product is rounded first.
	paths(t, func(t *testing.T) {
		for _, n := range []int{1, 4, 16, 19} {
			s, a, d := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range s {
				s[i], a[i] = -(1 + 0x1p-29), x
			}
			LinComb(d, false, []float64{1, x}, [][]float64{s, a})
			for i := range d {
				if d[i] != 0x1p-60 {
					t.Fatalf("n=%d: d[%d] = %v, want 2^-60", n, i, d[i])
				}
			}
		}
	})
}

func TestLinCombAlias(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 4, 17, 300, 1025} {
		for _, m := range []int{1, 2, 7, 8} {
			for k := range m {
				for _, acc := range []bool{false, true} {
					src := make([][]float64, m)
					for j := range src {
						src[j] = randSlice(rng, n, j%3)
					}
					c := randCoefs(rng, m)
					want := refLinComb(src[k], acc, c, src)
					goRes, asmRes := bothPaths(func() []float64 {
						s := cloneAll(src)
						LinComb(s[k], acc, c, s)
						return s[k]
					})
					for p, got := range [][]float64{goRes, asmRes} {
						if got == nil {
							continue
						}
						if i := equalBits(got, want); i >= 0 {
							t.Fatalf("n=%d m=%d dst=src[%d] acc=%v path %d: element %d = %v, want %v", n, m, k, acc, p, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestTanhBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range testLens {
		g := randSlice(rng, n, n%4)
		y := randSlice(rng, n, (n+1)%4)
		for i := range y {
			y[i] = math.Tanh(y[i])
		}
		d0 := randSlice(rng, n, (n+2)%4)
		want := make([]float64, n)
		for i := range want {
			want[i] = g[i] * math.FMA(-y[i], y[i], 1)
		}
		for p := range 2 {
			if p == 1 && !hasAVX2 {
				continue
			}
			saved := useAVX2
			useAVX2 = p == 1
			d := append([]float64(nil), d0...)
			TanhBackward(d, g, y)
			if i := equalBits(d, want); i >= 0 {
				t.Fatalf("n=%d path %d: TanhBackward[%d] = %v, want %v", n, p, i, d[i], want[i])
			}
			// In place over g and over y.
			gg := append([]float64(nil), g...)
			TanhBackward(gg, gg, y)
			yy := append([]float64(nil), y...)
			TanhBackward(yy, g, yy)
			if equalBits(gg, want) >= 0 || equalBits(yy, want) >= 0 {
				t.Fatalf("n=%d path %d: TanhBackward in place differs", n, p)
			}
			useAVX2 = saved
		}
	}
}

// TestTanhBackwardSaturated checks the fused 1-y² where y is within an ulp
// or so of 1, where the unfused form loses all but a few bits.
func TestTanhBackwardSaturated(t *testing.T) {
	paths(t, func(t *testing.T) {
		y := []float64{1 - 0x1p-53, 1 - 0x1p-40, -(1 - 0x1p-30), 1, 0.5, 0, math.Nextafter(1, 0)}
		g := []float64{1, 1, 2, 1, 1, 1, 1}
		d := make([]float64, len(y))
		TanhBackward(d, g, y)
		for i := range y {
			// 1-y² = (1-y)(1+y) exactly in big arithmetic.
			yb := new(big.Float).SetPrec(200).SetFloat64(y[i])
			one := new(big.Float).SetPrec(200).SetInt64(1)
			a := new(big.Float).SetPrec(200).Sub(one, yb)
			b := new(big.Float).SetPrec(200).Add(one, yb)
			a.Mul(a, b).Mul(a, new(big.Float).SetFloat64(g[i]))
			want, _ := a.Float64()
			if d[i] != want {
				t.Errorf("y = %v: got %v, want %v", y[i], d[i], want)
			}
		}
	})
}

// refSumSquares evaluates the documented summation order directly from its
// description: lane l takes the elements i = l mod 16 below len&^15, in
// blocks of 1024 elements summed from zero and then added to the lane's
// total; the lanes are added pairwise (l and l+8, l and l+4, ...), and the
// last len%16 elements are then fused in one at a time.
func refSumSquares(x []float64) float64 {
	n := len(x) &^ 15
	var total [16]float64
	for lo := 0; lo < n; lo += 1024 {
		var part [16]float64
		for i := lo; i < min(lo+1024, n); i++ {
			part[i%16] = math.FMA(x[i], x[i], part[i%16])
		}
		for l := range total {
			total[l] += part[l]
		}
	}
	for w := 8; w > 0; w /= 2 {
		for l := 0; l < w; l++ {
			total[l] += total[l+w]
		}
	}
	s := total[0]
	for _, v := range x[n:] {
		s = math.FMA(v, v, s)
	}
	return s
}

// exactSum returns sum_i term(i)² over i < n in 2200-bit arithmetic,
// rounded once at the end: term sets t to the i-th base (squares of
// float64 values are exact there, so is their sum).
func exactSum(n int, term func(i int, t *big.Float)) float64 {
	const prec = 2200
	s := new(big.Float).SetPrec(prec)
	t := new(big.Float).SetPrec(prec)
	for i := range n {
		term(i, t)
		t.Mul(t, t)
		s.Add(s, t)
	}
	f, _ := s.Float64()
	return f
}

// exactSumSquares returns sum x[i]² rounded once.
func exactSumSquares(x []float64) float64 {
	return exactSum(len(x), func(i int, t *big.Float) { t.SetFloat64(x[i]) })
}

func TestSumSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range testLens {
		x := randSlice(rng, n, n%4)
		b := randSlice(rng, n, (n+1)%4)
		diff := make([]float64, n)
		for i := range diff {
			diff[i] = x[i] - b[i]
		}
		exact, exactDiff := exactSumSquares(x), exactSumSquares(diff)
		order, orderDiff := refSumSquares(x), refSumSquares(diff)
		for p := range 2 {
			if p == 1 && !hasAVX2 {
				continue
			}
			saved := useAVX2
			useAVX2 = p == 1
			got, gotDiff := SumSquares(x), SumSquaresDiff(x, b)
			// The same values at every other alignment give the same bits.
			for off := 1; off < 4; off++ {
				x2 := append(make([]float64, off), x...)[off:]
				b2 := append(make([]float64, 4-off), b...)[4-off:]
				if g2 := SumSquares(x2); math.Float64bits(g2) != math.Float64bits(got) {
					t.Fatalf("n=%d path %d: offset %d: SumSquares %v, at offset 0 %v", n, p, off, g2, got)
				}
				if g2 := SumSquaresDiff(x2, b2); math.Float64bits(g2) != math.Float64bits(gotDiff) {
					t.Fatalf("n=%d path %d: offset %d: SumSquaresDiff %v, at offset 0 %v", n, p, off, g2, gotDiff)
				}
			}
			useAVX2 = saved
			if math.Float64bits(got) != math.Float64bits(order) {
				t.Fatalf("n=%d path %d: SumSquares = %v, documented order gives %v", n, p, got, order)
			}
			if math.Float64bits(gotDiff) != math.Float64bits(orderDiff) {
				t.Fatalf("n=%d path %d: SumSquaresDiff = %v, documented order gives %v", n, p, gotDiff, orderDiff)
			}
			for _, c := range []struct {
				name       string
				got, exact float64
			}{{"SumSquares", got, exact}, {"SumSquaresDiff", gotDiff, exactDiff}} {
				if c.exact == 0 {
					if c.got != 0 {
						t.Fatalf("n=%d path %d: %s = %v, want 0", n, p, c.name, c.got)
					}
					continue
				}
				if rel := math.Abs(c.got-c.exact) / c.exact; rel > 1e-14 {
					t.Fatalf("n=%d path %d: %s = %v, exact %v, relative error %.3g", n, p, c.name, c.got, c.exact, rel)
				}
			}
		}
	}
}

// TestSumSquaresHard sums values spread over 60 binades, where the small
// terms only count if the partial sums stay small.
func TestSumSquaresHard(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 100003
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64() * math.Exp2(float64(rng.IntN(60)-30))
	}
	exact := exactSumSquares(x)
	paths(t, func(t *testing.T) {
		got := SumSquares(x)
		if rel := math.Abs(got-exact) / exact; rel > 1e-14 {
			t.Fatalf("SumSquares = %v, exact %v, relative error %.3g", got, exact, rel)
		}
	})
}

func TestSpecialValues(t *testing.T) {
	for _, n := range []int{1, 4, 16, 20, 1040} {
		for _, pos := range []int{0, n / 2, n - 1} {
			paths(t, func(t *testing.T) {
				x := make([]float64, n)
				for i := range x {
					x[i] = 1
				}
				x[pos] = math.NaN()
				if s := SumSquares(x); !math.IsNaN(s) {
					t.Fatalf("n=%d NaN at %d: SumSquares = %v", n, pos, s)
				}
				if s := SumSquaresDiff(x, x); !math.IsNaN(s) {
					t.Fatalf("n=%d NaN at %d: SumSquaresDiff = %v", n, pos, s)
				}
				x[pos] = math.Inf(-1)
				if s := SumSquares(x); !math.IsInf(s, 1) {
					t.Fatalf("n=%d -Inf at %d: SumSquares = %v", n, pos, s)
				}
				d := make([]float64, n)
				LinComb(d, false, []float64{0, 1}, [][]float64{x, x})
				if !math.IsNaN(d[pos]) {
					t.Fatalf("n=%d: 0*Inf in LinComb gave %v, want NaN", n, d[pos])
				}
				y := make([]float64, n)
				LinComb(y, true, []float64{2}, [][]float64{x})
				if !math.IsInf(y[pos], -1) {
					t.Fatalf("n=%d: LinComb adding -Inf gave %v", n, y[pos])
				}
			})
		}
	}
}

func TestPanics(t *testing.T) {
	a, b := make([]float64, 5), make([]float64, 6)
	cases := []struct {
		name, msg string
		f         func()
	}{
		{"LinCombCoefs", "2 coefficients for 1 sources", func() { LinComb(a, false, []float64{1, 2}, [][]float64{a}) }},
		{"LinCombLen", "len(src[1]) = 6, len(dst) = 5", func() { LinComb(a, true, []float64{1, 2}, [][]float64{a, b}) }},
		{"TanhBackward", "len(dst) = 5, len(g) = 6, len(y) = 5", func() { TanhBackward(a, b, a) }},
		{"SumSquaresDiff", "len(a) = 6, len(b) = 5", func() { SumSquaresDiff(b, a) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.Contains(s, c.msg) {
					t.Fatalf("panic %v, want one containing %q", r, c.msg)
				}
			}()
			c.f()
		})
	}
}

func TestNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 3001
	src := [][]float64{randSlice(rng, n, 0), randSlice(rng, n, 1), randSlice(rng, n, 2)}
	c := []float64{1, 2, 3}
	d := make([]float64, n)
	paths(t, func(t *testing.T) {
		allocs := testing.AllocsPerRun(20, func() {
			LinComb(d, false, c, src)
			LinComb(d, true, c, src)
			TanhBackward(d, src[0], src[1])
			_ = SumSquares(d)
			_ = SumSquaresDiff(d, src[2])
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per run, want 0", allocs)
		}
	})
}
