package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// errParams are the tolerances the error-norm kernels are checked with:
// typical ones, a pure absolute tolerance, and a pure relative one, under
// which u0[i] = u1[i] = 0 gives a zero scale and infinite or NaN terms.
var errParams = []struct{ atol, rtol float64 }{{1e-6, 1e-3}, {0.5, 0}, {0, 1e-2}}

// errData returns x, u0 and u1 of length n at the given offset (u0 and u1 at
// other offsets). u1 is u0 moved by a small step, as in a solver, except for
// about one element in three, which gets an exact zero in x, u0 and/or u1,
// a tie |u0| = |u1| (same or opposite signs, or +0 against -0), or an
// unrelated u1.
func errData(rng *rand.Rand, n, off int) (x, u0, u1 []float64) {
	x = randSlice(rng, n, off)
	u0 = randSlice(rng, n, (off+1)%4)
	u1 = randSlice(rng, n, (off+2)%4)
	for i := range u1 {
		u1[i] = u0[i] + 1e-3*u0[i]*rng.NormFloat64()
		switch rng.IntN(24) {
		case 0:
			x[i] = 0
		case 1:
			u0[i] = 0
		case 2:
			u1[i] = 0
		case 3:
			u0[i], u1[i] = 0, 0
		case 4:
			u1[i] = u0[i]
		case 5:
			u1[i] = -u0[i]
		case 6:
			u0[i], u1[i] = math.Copysign(0, -1), 0
		case 7:
			u0[i] = -u1[i]
		case 8:
			u1[i] = rng.NormFloat64() * math.Exp2(float64(rng.IntN(21)-10))
		}
	}
	return x, u0, u1
}

// sameFloat reports whether a and b have the same bits or are both NaN
// (payloads are not part of the kernels' contract).
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// equalNaN reports the first index where a and b differ in the sense of
// sameFloat, or -1.
func equalNaN(a, b []float64) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if !sameFloat(a[i], b[i]) {
			return i
		}
	}
	return -1
}

// refScale is the documented scale, written independently of errScale:
// math.Max, like the kernels, gives NaN when either argument is NaN.
func refScale(u0, u1, atol, rtol float64) float64 {
	return math.FMA(rtol, math.Max(math.Abs(u0), math.Abs(u1)), atol)
}

// refErrorNormSum evaluates the documented order: the quotients x/scale,
// then the summation order of SumSquares (refSumSquares).
func refErrorNormSum(x, u0, u1 []float64, atol, rtol float64) float64 {
	r := make([]float64, len(x))
	for i := range r {
		r[i] = x[i] / refScale(u0[i], u1[i], atol, rtol)
	}
	return refSumSquares(r)
}

// exactErrorNormSum returns the sum of (x/(atol + rtol*max(|u0|,|u1|)))²
// with every step in big arithmetic (exactSum), rounded once at the end. The
// quotients round at 2200 bits; all terms are positive, so the error of the
// sum is negligible.
func exactErrorNormSum(x, u0, u1 []float64, atol, rtol float64) float64 {
	sc := new(big.Float).SetPrec(2200)
	bt := new(big.Float).SetFloat64(rtol)
	ba := new(big.Float).SetFloat64(atol)
	return exactSum(len(x), func(i int, t *big.Float) {
		sc.SetFloat64(max(math.Abs(u0[i]), math.Abs(u1[i])))
		sc.Mul(sc, bt).Add(sc, ba)
		t.SetFloat64(x[i]).Quo(t, sc)
	})
}

func TestErrorNormSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range testLens {
		for pi, p := range errParams {
			x, u0, u1 := errData(rng, n, (n+pi)%4)
			want := refErrorNormSum(x, u0, u1, p.atol, p.rtol)
			exact := math.NaN()
			if !math.IsNaN(want) && !math.IsInf(want, 0) {
				exact = exactErrorNormSum(x, u0, u1, p.atol, p.rtol)
			}
			for path := range 2 {
				if path == 1 && !hasAVX2 {
					continue
				}
				saved := useAVX2
				useAVX2 = path == 1
				got := ErrorNormSum(x, u0, u1, p.atol, p.rtol)
				for off := 1; off < 4; off++ {
					x2 := append(make([]float64, off), x...)[off:]
					a2 := append(make([]float64, 4-off), u0...)[4-off:]
					b2 := append(make([]float64, (off+2)%4), u1...)[(off+2)%4:]
					if g2 := ErrorNormSum(x2, a2, b2, p.atol, p.rtol); !sameFloat(g2, got) {
						t.Fatalf("n=%d params %d path %d: offset %d gives %v, offset 0 %v", n, pi, path, off, g2, got)
					}
				}
				useAVX2 = saved
				if !sameFloat(got, want) {
					t.Fatalf("n=%d params %d path %d: ErrorNormSum = %v, documented order gives %v", n, pi, path, got, want)
				}
				if math.IsNaN(exact) {
					continue
				}
				if exact == 0 {
					if got != 0 {
						t.Fatalf("n=%d params %d path %d: ErrorNormSum = %v, want 0", n, pi, path, got)
					}
					continue
				}
				if rel := math.Abs(got-exact) / exact; rel > 1e-14 {
					t.Fatalf("n=%d params %d path %d: ErrorNormSum = %v, exact %v, relative error %.3g", n, pi, path, got, exact, rel)
				}
			}
		}
	}
}

// TestErrorNormSumValue checks sums worked out by hand.
func TestErrorNormSumValue(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, n := range []int{1, 4, 16, 21, 1040} {
			x, u0, u1 := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range x {
				// scale = 1 + 0.5*max(|u0|, |u1|) = 1 + 0.5*6 = 4, r = ±2.
				x[i], u0[i], u1[i] = 8, -6, 2
				if i%3 == 1 {
					x[i], u0[i], u1[i] = -8, 2, 6
				}
				if i%3 == 2 {
					x[i], u0[i], u1[i] = 8, 6, -6
				}
			}
			if got, want := ErrorNormSum(x, u0, u1, 1, 0.5), 4*float64(n); got != want {
				t.Fatalf("n=%d: ErrorNormSum = %v, want %v", n, got, want)
			}
		}
		if got := ErrorNormSum(nil, nil, nil, 1, 1); got != 0 {
			t.Fatalf("empty: ErrorNormSum = %v, want 0", got)
		}
	})
}

// TestErrorNormSumSpecial puts NaN and Inf into one element of x, u0 or u1
// at several positions, in both slots of the max.
func TestErrorNormSumSpecial(t *testing.T) {
	nan, negNaN := math.NaN(), math.Float64frombits(0xfff8000000000001)
	inf := math.Inf(1)
	cases := []struct {
		name       string
		x, u0, u1  float64
		atol, rtol float64
		want       float64 // NaN: want NaN; Inf: want +Inf; else the sum is finite
	}{
		{"x=NaN", nan, 1, 1, 1e-3, 1e-3, nan},
		{"u0=NaN", 1, nan, 1e300, 1e-3, 1e-3, nan},
		{"u1=NaN", 1, 1e300, nan, 1e-3, 1e-3, nan},
		{"u0=-NaN", 1, negNaN, 5, 1e-3, 1e-3, nan},
		{"u1=-NaN", 1, 5, negNaN, 1e-3, 1e-3, nan},
		{"u0=NaN,u1=Inf", 1, nan, inf, 1e-3, 1e-3, nan},
		{"u0=Inf,u1=NaN", 1, -inf, nan, 1e-3, 1e-3, nan},
		{"both NaN", 1, nan, negNaN, 1e-3, 1e-3, nan},
		{"atol=NaN", 1, 1, 1, nan, 1e-3, nan},
		{"rtol=NaN", 1, 1, 1, 1e-3, nan, nan},
		{"x=-Inf", -inf, 1, 1, 1e-3, 1e-3, inf},
		{"zero scale", 1, 0, 0, 0, 1e-3, inf},
		{"0/0", 0, 0, math.Copysign(0, -1), 0, 1e-3, nan},
		{"rtol=0,u=Inf", 1, inf, 1, 1e-3, 0, nan}, // 0*Inf in the scale
		{"u0=Inf", 1, inf, 1, 1e-3, 1e-3, 0},
		{"u1=-Inf", 1, 1, -inf, 1e-3, 1e-3, 0},
	}
	for _, n := range []int{1, 4, 16, 20, 1040} {
		for _, pos := range []int{0, n / 2, n - 1} {
			for _, c := range cases {
				x, u0, u1 := make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range x {
					x[i], u0[i], u1[i] = 1, 1, 1
				}
				x[pos], u0[pos], u1[pos] = c.x, c.u0, c.u1
				goRes, asmRes := bothPaths(func() []float64 {
					return []float64{ErrorNormSum(x, u0, u1, c.atol, c.rtol)}
				})
				for p, res := range [][]float64{goRes, asmRes} {
					if res == nil {
						continue
					}
					got := res[0]
					ok := false
					switch {
					case math.IsNaN(c.want):
						ok = math.IsNaN(got)
					case math.IsInf(c.want, 1):
						ok = math.IsInf(got, 1)
					default:
						ok = !math.IsNaN(got) && !math.IsInf(got, 0)
					}
					if !ok {
						t.Fatalf("n=%d pos %d %s path %d: ErrorNormSum = %v, want %v", n, pos, c.name, p, got, c.want)
					}
				}
			}
		}
	}
}

// refErrBack is ErrorNormBackward in its documented order, element by
// element, with ds written as in the loop it replaces.
func refErrBack(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64) {
	sign := func(u float64) float64 {
		if u > 0 {
			return 1
		}
		if u < 0 {
			return -1
		}
		return 0
	}
	for i := range x {
		a0, a1 := math.Abs(u0[i]), math.Abs(u1[i])
		inv := 1 / refScale(u0[i], u1[i], atol, rtol)
		r := x[i] * inv
		if gx != nil {
			gx[i] = math.FMA(c*r, inv, gx[i])
		}
		ds := -c * r * r * inv * rtol
		if a0 >= a1 {
			if g0 != nil {
				g0[i] += ds * sign(u0[i])
			}
		} else if g1 != nil {
			g1[i] += ds * sign(u1[i])
		}
	}
}

// maskDst returns the three destinations with the ones whose bit in mask is
// clear replaced by nil.
func maskDst(mask int, g [][]float64) [][]float64 {
	out := make([][]float64, len(g))
	for j := range g {
		if mask&(1<<j) != 0 {
			out[j] = g[j]
		}
	}
	return out
}

func TestErrorNormBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range testLens {
		for pi, p := range errParams {
			off := (n + pi) % 4
			x, u0, u1 := errData(rng, n, off)
			in := cloneAll([][]float64{x, u0, u1})
			g := [][]float64{randSlice(rng, n, (off+3)%4), randSlice(rng, n, off), randSlice(rng, n, (off+1)%4)}
			for i := range g[1] {
				if i%7 == 3 {
					g[1][i], g[2][i] = math.Copysign(0, -1), math.Copysign(0, -1)
				}
			}
			c := rng.NormFloat64()
			for mask := range 8 {
				if n > 5000 && mask != 7 && mask != 1 && mask != 6 {
					continue
				}
				want := maskDst(mask, cloneAll(g))
				refErrBack(want[0], want[1], want[2], x, u0, u1, p.atol, p.rtol, c)
				goRes, asmRes := bothPaths(func() []float64 {
					d := maskDst(mask, cloneAll(g))
					ErrorNormBackward(d[0], d[1], d[2], x, u0, u1, p.atol, p.rtol, c)
					var flat []float64
					for j := range d {
						if d[j] == nil {
							d[j] = g[j] // untouched
						}
						flat = append(flat, d[j]...)
					}
					return flat
				})
				var flatWant []float64
				for j := range want {
					if want[j] == nil {
						want[j] = g[j]
					}
					flatWant = append(flatWant, want[j]...)
				}
				for path, got := range [][]float64{goRes, asmRes} {
					if got == nil {
						continue
					}
					if i := equalNaN(got, flatWant); i >= 0 {
						j, k := i/max(n, 1), i%max(n, 1)
						t.Fatalf("n=%d params %d mask %03b path %d: g%d[%d] = %v, want %v (x=%v u0=%v u1=%v)",
							n, pi, mask, path, j, k, got[i], flatWant[i], x[k], u0[k], u1[k])
					}
				}
			}
			for j, v := range [][]float64{x, u0, u1} {
				if equalBits(v, in[j]) >= 0 {
					t.Fatalf("n=%d: input %d was modified", n, j)
				}
			}
		}
	}
}

// ulps returns the distance of a and b in units in the last place of the
// larger magnitude.
func ulps(a, b float64) float64 {
	if a == b {
		return 0
	}
	m := max(math.Abs(a), math.Abs(b))
	return math.Abs(a-b) / (math.Nextafter(m, math.Inf(1)) - m)
}

// TestErrorNormBackwardLoop compares the increments (from zero
// destinations) with the plain loop of package tensor. They differ only
// through the scale, rounded once here and twice there (up to about 1.5 ulp
// apart); gx's increment goes as 1/scale² and ds as 1/scale³, on top of
// their own 2 and 4 roundings in each version, so a dozen ulp is the bound
// to expect, not 1. The destination not chosen must keep its -0 bit for
// bit.
func TestErrorNormBackwardLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	n := 20011
	x, u0, u1 := errData(rng, n, 1)
	const atol, rtol, c = 1e-6, 1e-3, 0.75
	neg := math.Copysign(0, -1)
	fill := func() [][]float64 {
		g := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
		for _, v := range g {
			for i := range v {
				v[i] = neg
			}
		}
		return g
	}
	want := fill()
	loopErrBack(want[0], want[1], want[2], x, u0, u1, atol, rtol, c)
	paths(t, func(t *testing.T) {
		got := fill()
		ErrorNormBackward(got[0], got[1], got[2], x, u0, u1, atol, rtol, c)
		var worst [3]float64
		for j := range got {
			for i := range got[j] {
				if math.Signbit(want[j][i]) && want[j][i] == 0 {
					if math.Float64bits(got[j][i]) != math.Float64bits(neg) {
						t.Fatalf("g%d[%d] = %v, want -0 (u0=%v u1=%v)", j, i, got[j][i], u0[i], u1[i])
					}
					continue
				}
				worst[j] = max(worst[j], ulps(got[j][i], want[j][i]))
			}
		}
		t.Logf("largest differences from the unfused loop (gx, g0, g1): %v ulp", worst)
		if max(worst[0], worst[1], worst[2]) > 16 {
			t.Fatalf("differences from the unfused loop (gx, g0, g1) %v ulp, want <= 16", worst)
		}
	})
}

// TestErrorNormBackwardValue checks increments worked out by hand, with
// exact binary values: atol = rtol = 1 and c = 2.
func TestErrorNormBackwardValue(t *testing.T) {
	neg := math.Copysign(0, -1)
	cases := []struct {
		x, u0, u1      float64
		gx, g0, g1     float64
		name           string
		wantZeroSign01 [2]bool // whether g0, g1 must stay -0
	}{
		// scale 4, inv 1/4, r 1/2: gx += 2*(1/2)/4 = 1/4; ds = -2*(1/4)/4 = -1/8.
		{2, -3, 1, 0.25, 0.125, neg, "u0 larger, negative", [2]bool{false, true}},
		{2, 1, 3, 0.25, neg, -0.125, "u1 larger", [2]bool{true, false}},
		{2, 3, -3, 0.25, -0.125, neg, "tie goes to u0", [2]bool{false, true}},
		{-2, -3, 3, -0.25, 0.125, neg, "tie, u0 negative", [2]bool{false, true}},
		// scale 1, r = x: gx += 2x; ds = -2x², times sign 0.
		{0.5, 0, neg, 1, neg, neg, "both zero", [2]bool{true, true}},
		{0.5, neg, 0, 1, neg, neg, "both zero, u0 = -0", [2]bool{true, true}},
	}
	for _, n := range []int{1, 4, 5, 16, 19} {
		for _, tc := range cases {
			paths(t, func(t *testing.T) {
				x, u0, u1 := make([]float64, n), make([]float64, n), make([]float64, n)
				gx, g0, g1 := make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range x {
					x[i], u0[i], u1[i] = tc.x, tc.u0, tc.u1
					g0[i], g1[i] = neg, neg
				}
				ErrorNormBackward(gx, g0, g1, x, u0, u1, 1, 1, 2)
				for i := range x {
					if gx[i] != tc.gx || g0[i] != tc.g0 || g1[i] != tc.g1 {
						t.Fatalf("n=%d %s: element %d: (%v, %v, %v), want (%v, %v, %v)", n, tc.name, i, gx[i], g0[i], g1[i], tc.gx, tc.g0, tc.g1)
					}
					for j, g := range []float64{g0[i], g1[i]} {
						if tc.wantZeroSign01[j] && !math.Signbit(g) {
							t.Fatalf("n=%d %s: g%d[%d] = +0, want -0 (untouched)", n, tc.name, j, i)
						}
					}
				}
			})
		}
	}
}

// TestErrorNormGradient checks ErrorNormBackward with c = 2 against central
// differences of ErrorNormSum, which ties the two kernels' formulas.
func TestErrorNormGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	const n, atol, rtol = 21, 1e-3, 1e-2
	x, u0, u1 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64() * 1e-3
		u0[i] = (1 + rng.Float64()) * float64(1-2*(i%2))
		f := 0.02 + 0.05*rng.Float64() // |u0| and |u1| at least 2% apart
		if i%3 == 0 {
			f = -f
		}
		u1[i] = u0[i] * (1 + f)
		if i%5 == 0 {
			u1[i] = -u1[i]
		}
	}
	paths(t, func(t *testing.T) {
		gx, g0, g1 := make([]float64, n), make([]float64, n), make([]float64, n)
		ErrorNormBackward(gx, g0, g1, x, u0, u1, atol, rtol, 2)
		for j, v := range [][]float64{x, u0, u1} {
			grad := [][]float64{gx, g0, g1}[j]
			for i := range v {
				old := v[i]
				h := 1e-5 * max(math.Abs(old), 1e-3)
				v[i] = old + h
				fp := ErrorNormSum(x, u0, u1, atol, rtol)
				v[i] = old - h
				fm := ErrorNormSum(x, u0, u1, atol, rtol)
				v[i] = old
				fd := (fp - fm) / (2 * h)
				if d := math.Abs(fd - grad[i]); d > 1e-6*math.Abs(fd)+1e-9 {
					t.Fatalf("d/d%s[%d]: kernel %v, central difference %v", []string{"x", "u0", "u1"}[j], i, grad[i], fd)
				}
			}
		}
	})
}

// TestErrorNormBackwardAlias runs the kernel with gx = x, with gx = u0 and
// g1 = u1 (and g0 another slice), and with g0 = g1, against the reference
// on copies of the inputs.
func TestErrorNormBackwardAlias(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	for _, n := range []int{1, 5, 16, 23, 1001} {
		x, u0, u1 := errData(rng, n, n%4)
		g := randSlice(rng, n, 0)
		paths(t, func(t *testing.T) {
			wx := append([]float64(nil), x...)
			refErrBack(wx, nil, nil, append([]float64(nil), x...), u0, u1, 1e-6, 1e-3, 0.5)
			gx := append([]float64(nil), x...)
			ErrorNormBackward(gx, nil, nil, gx, u0, u1, 1e-6, 1e-3, 0.5)
			if i := equalNaN(gx, wx); i >= 0 {
				t.Fatalf("n=%d: gx = x: element %d = %v, want %v", n, i, gx[i], wx[i])
			}
			w0, w1, wm := append([]float64(nil), u0...), append([]float64(nil), u1...), append([]float64(nil), g...)
			refErrBack(w0, wm, w1, x, append([]float64(nil), u0...), append([]float64(nil), u1...), 1e-6, 1e-3, 0.5)
			v0, v1, vm := append([]float64(nil), u0...), append([]float64(nil), u1...), append([]float64(nil), g...)
			ErrorNormBackward(v0, vm, v1, x, v0, v1, 1e-6, 1e-3, 0.5)
			if i := equalNaN(vm, wm); i >= 0 {
				t.Fatalf("n=%d: gx = u0: g0[%d] = %v, want %v", n, i, vm[i], wm[i])
			}
			if i := equalNaN(v0, w0); i >= 0 {
				t.Fatalf("n=%d: gx = u0: element %d = %v, want %v", n, i, v0[i], w0[i])
			}
			if i := equalNaN(v1, w1); i >= 0 {
				t.Fatalf("n=%d: g1 = u1: element %d = %v, want %v", n, i, v1[i], w1[i])
			}
			wg := append([]float64(nil), g...)
			refErrBack(nil, wg, wg, x, u0, u1, 1e-6, 1e-3, 0.5)
			gg := append([]float64(nil), g...)
			ErrorNormBackward(nil, gg, gg, x, u0, u1, 1e-6, 1e-3, 0.5)
			if i := equalNaN(gg, wg); i >= 0 {
				t.Fatalf("n=%d: g0 = g1: element %d = %v, want %v", n, i, gg[i], wg[i])
			}
		})
	}
}

// TestErrorNormBackwardNaN checks that a NaN in x, u0 or u1 reaches gx and
// the destination the documentation names, and nothing else.
func TestErrorNormBackwardNaN(t *testing.T) {
	nan := math.NaN()
	for _, n := range []int{1, 4, 16, 21} {
		for _, pos := range []int{0, n / 2, n - 1} {
			for k, tc := range []struct {
				x, u0, u1 float64
				dst       int // the one of g0 (1), g1 (2) that must be NaN
			}{{nan, 2, 1, 1}, {nan, 1, 2, 2}, {1, nan, 2, 2}, {1, 2, nan, 2}, {1, nan, 0, 2}} {
				paths(t, func(t *testing.T) {
					x, u0, u1 := make([]float64, n), make([]float64, n), make([]float64, n)
					for i := range x {
						x[i], u0[i], u1[i] = 1, 1, 0.5
					}
					x[pos], u0[pos], u1[pos] = tc.x, tc.u0, tc.u1
					g := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
					ErrorNormBackward(g[0], g[1], g[2], x, u0, u1, 1e-3, 1e-3, 1)
					for j := range g {
						for i, v := range g[j] {
							wantNaN := i == pos && (j == 0 || j == tc.dst)
							if math.IsNaN(v) != wantNaN {
								t.Fatalf("n=%d pos %d case %d: g%d[%d] = %v", n, pos, k, j, i, v)
							}
						}
					}
				})
			}
		}
	}
}

// refRMSDiffBack is RMSDiffBackward's documented order.
func refRMSDiffBack(ga, gb, a, b []float64, c float64) {
	for i := range a {
		d := a[i] - b[i]
		if ga != nil {
			ga[i] = math.FMA(c, d, ga[i])
		}
		if gb != nil {
			gb[i] = math.FMA(-c, d, gb[i])
		}
	}
}

func TestRMSDiffBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, n := range testLens {
		off := n % 4
		a, b := randSlice(rng, n, off), randSlice(rng, n, (off+1)%4)
		for i := range b {
			if i%9 == 4 {
				b[i] = a[i]
			}
		}
		g := [][]float64{randSlice(rng, n, (off+2)%4), randSlice(rng, n, (off+3)%4)}
		c := rng.NormFloat64()
		for mask := range 4 {
			want := maskDst(mask, cloneAll(g))
			refRMSDiffBack(want[0], want[1], a, b, c)
			for path := range 2 {
				if path == 1 && !hasAVX2 {
					continue
				}
				saved := useAVX2
				useAVX2 = path == 1
				d := maskDst(mask, cloneAll(g))
				RMSDiffBackward(d[0], d[1], a, b, c)
				useAVX2 = saved
				for j := range d {
					if d[j] == nil {
						continue
					}
					if i := equalBits(d[j], want[j]); i >= 0 {
						t.Fatalf("n=%d mask %02b path %d: g%d[%d] = %v, want %v", n, mask, path, j, i, d[j][i], want[j][i])
					}
				}
			}
		}
		// From zero destinations the fused update is the plain loop's
		// c*(a-b), bit for bit.
		paths(t, func(t *testing.T) {
			ga, gb := make([]float64, n), make([]float64, n)
			RMSDiffBackward(ga, gb, a, b, c)
			for i := range a {
				d := c * (a[i] - b[i])
				if ga[i] != d || gb[i] != -d {
					t.Fatalf("n=%d: element %d: (%v, %v), want (%v, %v)", n, i, ga[i], gb[i], d, -d)
				}
			}
		})
	}
}

func TestRMSDiffBackwardAlias(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, n := range []int{1, 5, 16, 23, 1001} {
		a, b := randSlice(rng, n, 0), randSlice(rng, n, 1)
		paths(t, func(t *testing.T) {
			// ga = a and gb = b.
			wa, wb := append([]float64(nil), a...), append([]float64(nil), b...)
			refRMSDiffBack(wa, wb, append([]float64(nil), a...), append([]float64(nil), b...), 0.3)
			ga, gb := append([]float64(nil), a...), append([]float64(nil), b...)
			RMSDiffBackward(ga, gb, ga, gb, 0.3)
			if equalBits(ga, wa) >= 0 || equalBits(gb, wb) >= 0 {
				t.Fatalf("n=%d: ga = a, gb = b differs from the reference", n)
			}
			// ga = gb.
			w := append([]float64(nil), a...)
			refRMSDiffBack(w, w, a, b, 0.3)
			g := append([]float64(nil), a...)
			RMSDiffBackward(g, g, a, b, 0.3)
			if i := equalBits(g, w); i >= 0 {
				t.Fatalf("n=%d: ga = gb: element %d = %v, want %v", n, i, g[i], w[i])
			}
		})
	}
}

func TestErrorNormPanics(t *testing.T) {
	a, b := make([]float64, 5), make([]float64, 6)
	cases := []struct {
		name, msg string
		f         func()
	}{
		{"ErrorNormSum", "ErrorNormSum: len(x) = 5, len(u0) = 5, len(u1) = 6", func() { ErrorNormSum(a, a, b, 1, 1) }},
		{"ErrorNormBackward", "ErrorNormBackward: len(x) = 5, len(u0) = 6, len(u1) = 5", func() { ErrorNormBackward(a, a, a, a, b, a, 1, 1, 1) }},
		{"ErrorNormBackwardGx", "ErrorNormBackward: len(gx) = 6, len(x) = 5", func() { ErrorNormBackward(b, nil, nil, a, a, a, 1, 1, 1) }},
		{"ErrorNormBackwardG0", "ErrorNormBackward: len(g0) = 6, len(x) = 5", func() { ErrorNormBackward(nil, b, nil, a, a, a, 1, 1, 1) }},
		{"ErrorNormBackwardG1", "ErrorNormBackward: len(g1) = 0, len(x) = 5", func() { ErrorNormBackward(nil, nil, []float64{}, a, a, a, 1, 1, 1) }},
		{"RMSDiffBackward", "RMSDiffBackward: len(a) = 5, len(b) = 6", func() { RMSDiffBackward(nil, nil, a, b, 1) }},
		{"RMSDiffBackwardGa", "RMSDiffBackward: len(ga) = 6, len(a) = 5", func() { RMSDiffBackward(b, a, a, a, 1) }},
		{"RMSDiffBackwardGb", "RMSDiffBackward: len(gb) = 6, len(a) = 5", func() { RMSDiffBackward(a, b, a, a, 1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || s != "vec: "+c.msg {
					t.Fatalf("panic %v, want %q", r, "vec: "+c.msg)
				}
			}()
			c.f()
		})
	}
}

func TestErrorNormNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	n := 3001
	x, u0, u1 := errData(rng, n, 1)
	g := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	paths(t, func(t *testing.T) {
		allocs := testing.AllocsPerRun(20, func() {
			sink = ErrorNormSum(x, u0, u1, 1e-6, 1e-3)
			ErrorNormBackward(g[0], g[1], g[2], x, u0, u1, 1e-6, 1e-3, 1e-9)
			ErrorNormBackward(nil, g[1], nil, x, u0, u1, 1e-6, 1e-3, 1e-9)
			RMSDiffBackward(g[0], g[1], x, u0, 1e-9)
			RMSDiffBackward(nil, g[2], x, u0, 1e-9)
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per run, want 0", allocs)
		}
	})
}

// TestErrorNormPieces checks the documented use: sums over pieces, added
// by the caller, agree with the sum at once up to the summation order.
func TestErrorNormPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	n := 10007
	x, u0, u1 := errData(rng, n, 0)
	whole := ErrorNormSum(x, u0, u1, 1e-6, 1e-3)
	parts := 0.0
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		parts += ErrorNormSum(x[lo:hi], u0[lo:hi], u1[lo:hi], 1e-6, 1e-3)
	}
	if rel := math.Abs(parts-whole) / whole; rel > 1e-14 {
		t.Fatalf("sum of pieces %v, whole %v, relative difference %.3g", parts, whole, rel)
	}
}
