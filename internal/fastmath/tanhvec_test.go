package fastmath

import (
	"math"
	"slices"
	"testing"
)

// tanhVecModel is the vector tanh of tanhvec.go written out in Go for one
// element, operation by operation as in tanh_amd64.s. Each math.FMA is one
// fused instruction there and every other operation rounds once, so the two
// give the same bits (NaN payloads aside); TestTanhVecMatchesModel checks it.
func tanhVecModel(x float64) float64 {
	c := &tvPoly
	a := min(math.Abs(x), tvClamp)
	t := math.FMA(a, tvInvLn2x32, tvShift)
	nf := t - tvShift
	rh := math.FMA(-nf, tvLn2Hi16, a+a)
	rl := float64(nf * -tvLn2Lo16) // float64(): no fusing with what follows
	r2 := float64(rh * rh)
	p01 := math.FMA(c[0], rh, 0.5)
	p23 := math.FMA(c[2], rh, c[1])
	p45 := math.FMA(c[4], rh, c[3])
	p := math.FMA(r2, math.FMA(r2, p45, p23), p01)
	qh := math.FMA(r2, p, rh)
	ql := math.FMA(r2, p, rh-qh) + math.FMA(qh, rl, rl)
	tb := math.Float64bits(t)
	hb, lb := tvScaleBits(int(tb & 15))
	sh := math.Float64frombits(hb + tb<<48)
	sl := math.Float64frombits(lb + tb<<48)
	sm1 := sh - 1
	nh := math.FMA(sh, qh, sm1)
	nl := math.FMA(sh, ql, math.FMA(sh, qh, sm1-nh)+math.FMA(sl, qh, sl))
	dh := nh + 2
	dl := ((max(nh, 2) - dh) + min(nh, 2)) + nl
	r := 1 / dh
	y0 := float64(nh * r)
	e := math.FMA(-y0, dh, nh) + math.FMA(-y0, dl, nl)
	y := math.FMA(e, r, y0)
	return math.Float64frombits(math.Float64bits(y) | math.Float64bits(x)&signBit)
}

// tanhVecSlice runs the vector tanh over a slice: TanhSlice with the given
// path where the machine has it, the model otherwise (then the tests still
// check the algorithm, if not the assembly).
func tanhVecSlice(t testing.TB, p tanhPath) func(dst, src []float64) {
	if p.vector() {
		return func(dst, src []float64) {
			p.use(t)
			TanhSlice(dst, src)
		}
	}
	return func(dst, src []float64) {
		for i, x := range src {
			dst[i] = tanhVecModel(x)
		}
	}
}

// vecPathsOrModel returns the vector paths of this machine, or a single
// model-only path if it has none.
func vecPathsOrModel() []tanhPath {
	var ps []tanhPath
	for _, p := range tanhPaths() {
		if p.vector() {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		ps = append(ps, tanhPath{name: "model"})
	}
	return ps
}

// tvBoundaries returns the points within k ulps of the places where the
// reduction switches n: |x| = (n+1/2)*ln2/32 for every n up to the clamp, both
// signs; the last of them, near 20, also bracket the clamp.
func tvBoundaries(k int) []float64 {
	var centers []float64
	for n := 0; float64(n)*math.Ln2/32 < tvClamp+0.1; n++ {
		c := (float64(n) + 0.5) * math.Ln2 / 32
		centers = append(centers, c, -c)
	}
	centers = append(centers, tvClamp, -tvClamp, 19.06, -19.06)
	return around(k, centers...)
}

func TestTanhVecSpecialValues(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{0, 0},
		{math.Copysign(0, -1), math.Copysign(0, -1)},
		{math.Inf(1), 1},
		{math.Inf(-1), -1},
		{math.NaN(), math.NaN()},
		{5e-324, 5e-324},
		{-5e-324, -5e-324},
		{0x1p-1022, 0x1p-1022},
		{1e-300, 1e-300},
		{-0x1p-27, -0x1p-27},
		{0x1p-40, 0x1p-40},
		{19.1, 1},
		{-20.5, -1},
		{tvClamp, 1},
		{40, 1},
		{1e300, 1},
		{-math.MaxFloat64, -1},
	}
	xs := make([]float64, len(cases))
	for i, c := range cases {
		xs[i] = c.x
	}
	for _, p := range vecPathsOrModel() {
		got := make([]float64, len(xs))
		tanhVecSlice(t, p)(got, xs)
		for i, c := range cases {
			if !sameFloat(got[i], c.want) {
				t.Errorf("%s: tanh(%v) = %v, want %v", p.name, c.x, got[i], c.want)
			}
		}
	}
}

// TestTanhVecMatchesModel checks that the assembly computes exactly
// tanhVecModel, for every length of slice (the last group of elements goes
// through masked loads and stores) and every position of an element in it, in
// place and not.
func TestTanhVecMatchesModel(t *testing.T) {
	var ps []tanhPath
	for _, p := range tanhPaths() {
		if p.vector() {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		t.Skip("no vector TanhSlice on this machine")
	}
	xs := slices.Concat(
		[]float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(), 5e-324, -0x1p-1022, 19.06, -20, 1e300},
		uniform(21, -22, 22, 20000),
		logUniform(22, -1074, 1024, 20000),
		tvBoundaries(3),
	)
	want := make([]float64, len(xs))
	for i, x := range xs {
		want[i] = tanhVecModel(x)
	}
	check := func(name string, got, want, xs []float64) {
		t.Helper()
		bad := 0
		for i := range got {
			if !sameBits(got[i], want[i]) {
				if bad < 5 {
					t.Errorf("%s: x=%v: got %v (%#x), model %v (%#x)", name, xs[i], got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
				}
				bad++
			}
		}
	}
	for _, p := range ps {
		p.use(t)
		got := make([]float64, len(xs))
		TanhSlice(got, xs)
		check(p.name, got, want, xs)

		inPlace := slices.Clone(xs)
		TanhSlice(inPlace, inPlace)
		check(p.name+" in place", inPlace, want, xs)

		// Every length up to 3 full blocks, at every offset modulo 8, so that
		// each element lands in every lane, in the main loops and in the tail.
		seg := xs[:3*128+9]
		full := make([]float64, len(seg))
		TanhSlice(full, seg)
		for off := 0; off < 9; off++ {
			for n := 0; off+n <= len(seg); n += 1 + n/16 {
				part := make([]float64, n)
				TanhSlice(part, seg[off:off+n])
				for i := range part {
					if !sameBits(part[i], full[off+i]) {
						t.Fatalf("%s: x=%v: %v at offset %d of a slice of %d, %v in the whole slice",
							p.name, seg[off+i], part[i], off, n, full[off+i])
					}
				}
			}
		}
	}
}

// TestTanhVecAgainstReference measures the error of the vector tanh against
// tanh computed in 160-bit arithmetic, in ulps of the correctly rounded
// result.
func TestTanhVecAgainstReference(t *testing.T) {
	const bar = 0.6 // ulp
	xs := slices.Concat(
		uniform(23, -21, 21, 1<<15),
		uniform(24, -1, 1, 1<<15),
		uniform(25, -0.1, 0.1, 1<<13),
		logUniform(26, -30, 4.4, 1<<15),
		logUniform(27, -1074, 1024, 1<<12),
		uniform(28, 17, 20.5, 1<<12),
		tvBoundaries(2),
		tanhBoundaries(1),
	)
	for _, p := range vecPathsOrModel() {
		got := make([]float64, len(xs))
		tanhVecSlice(t, p)(got, xs)
		worst, at := 0.0, 0.0
		for i, x := range xs {
			if u := ulpErr(got[i], refTanh(bf(x))); !(u <= worst) {
				worst, at = u, x
			}
		}
		t.Logf("%s: %d points: max error %.3f ulp at x=%v", p.name, len(xs), worst, at)
		if worst > bar {
			t.Errorf("%s: error %.3f ulp at x=%v exceeds %v ulp", p.name, worst, at, bar)
		}
		if p.vector() {
			break // the kernels agree bit for bit (TestTanhVecMatchesModel)
		}
	}
}

// TestTanhVecPolyFit checks the approximation error of tvPoly alone,
// evaluated exactly: r + r^2*p(r) against e^r - 1 on |r| <= ln2/32 (and a
// little beyond, for the rounding of the reduction), relative to e^r - 1.
func TestTanhVecPolyFit(t *testing.T) {
	const pts = 400
	h := math.Ln2/32 + 0x1p-30
	worst, worstAt := 0.0, 0.0
	for k := 0; k <= pts; k++ {
		r := -h + 2*h*float64(k)/pts
		if r == 0 {
			continue
		}
		br := bf(r)
		p := bf(tvPoly[len(tvPoly)-1])
		for i := len(tvPoly) - 2; i >= 0; i-- {
			p.Mul(p, br).Add(p, bf(tvPoly[i]))
		}
		p.Mul(p, br).Add(p, bf(0.5))
		q := bz().Mul(bz().Mul(br, br), p)
		q.Add(q, br)
		ref := refExpm1(br)
		if e := math.Abs(f64(bz().Quo(bz().Sub(q, ref), ref))); e > worst {
			worst, worstAt = e, r
		}
	}
	t.Logf("tvPoly: max relative error of r + r^2*p(r) %.3g (2^%.1f) at r=%v", worst, math.Log2(worst), worstAt)
	// 2^-57 is a sixteenth of the rounding unit 2^-53: small next to the
	// half ulp of the final rounding.
	if worst > 0x1p-57 {
		t.Errorf("tvPoly approximation error %.3g at r=%v exceeds 2^-57", worst, worstAt)
	}
}
