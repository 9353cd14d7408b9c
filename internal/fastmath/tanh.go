package fastmath

import "math"

// Tanh is evaluated piecewise: |x| is split into tanhRows intervals and each
// has its own polynomial in d = |x| - center, stored in tanhTab (generated,
// see gen_test.go).
//
// The interval of |x| is found from the float64 bits of u = |x| + 1/2: its
// top 12 bits (exponent) and next tanhMantBits bits (leading mantissa) give
// the row. So rows have width 2^-6 on [0, 1/2), 2^-5 on [1/2, 3/2), 2^-4 on
// [3/2, 7/2), ... and 1/2 from 15.5 on; the width grows where tanh flattens out.
// The last row ends at |x| = 20.5; tanh(x) rounds to ±1 for |x| >= 19.06.
const (
	tanhDeg      = 7   // degree of the polynomial q(d) is tanhDeg-1
	tanhMantBits = 5   // rows per octave of u = 2^tanhMantBits
	tanhShift    = 0.5 // u = |x| + tanhShift
	tanhBase     = 0x3fe << tanhMantBits
	tanhRows     = 5<<tanhMantBits + 10 // u in the octaves [1/2,1) ... [8,16), then 10 rows to u = 21
)

// tanhRow holds the polynomial for one interval, in one of two forms:
//
//	tanh(|x|) ~ tanh(c) + d*q(d)     (hi = c0hi,  mask = 0)
//	tanh(|x|) ~ |x| + R(d)           (hi = |x|,   mask = ^signBit, c0hi = 0)
//
// evaluated as hi + (c0lo + d*q(d)) with q(d) = c[0] + c[1]*d + ... + c[6]*d^6.
// In the first form c0hi + c0lo is tanh(center) in double-double; in the
// second c0lo + d*q(d) = R(d) = tanh(|x|) - |x|. Either way hi is exact and the
// rounded part is small next to the result, which keeps the error near half
// an ulp. The generator picks the form with the smaller rounded part: the
// second one on [0, ~0.45).
type tanhRow struct {
	center float64
	hiBits uint64 // Float64bits(c0hi)
	mask   uint64 // hi = Float64frombits(Float64bits(x)&mask | hiBits)
	c0lo   float64
	c      [tanhDeg]float64
}

// Tanh returns the hyperbolic tangent of x.
//
// Special cases: Tanh(±0) = ±0, Tanh(±Inf) = ±1, Tanh(NaN) = NaN. For finite
// x the result is within about 0.6 ulp of the exact value; see the package
// documentation for the measured error.
func Tanh(x float64) float64 {
	xb := math.Float64bits(x)
	ab := xb &^ signBit
	a := math.Float64frombits(ab)
	i := uint(math.Float64bits(a+tanhShift)>>(52-tanhMantBits)) - tanhBase
	if i >= tanhRows {
		return tanhSpecial(x)
	}
	r := &tanhTab[i]
	d := a - r.center
	d2 := d * d
	d4 := d2 * d2
	q := (r.c[0] + r.c[1]*d) + d2*(r.c[2]+r.c[3]*d) + d4*((r.c[4]+r.c[5]*d)+d2*r.c[6])
	hi := math.Float64frombits(xb&r.mask | r.hiBits)
	t := hi + (r.c0lo + d*q)
	return math.Float64frombits(math.Float64bits(t) | xb&signBit)
}

// tanhSpecial handles |x| >= 20.5, ±Inf and NaN.
func tanhSpecial(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 0:
		return 1
	default:
		return -1
	}
}

// TanhSlice sets dst[i] = tanh(src[i]) for every i. dst and src may be the
// same slice. It panics if their lengths differ.
//
// On amd64 CPUs with AVX2 and FMA, TanhSlice uses the vector algorithm of
// tanhvec.go (with AVX-512 where available, same results), whose error is at
// most about 0.51 ulp (TestTanhVecAgainstReference), so its results can differ from Tanh's in the last bit.
// They do not depend on the length of the slices or the position of an
// element in them. Elsewhere it computes exactly Tanh: the loop body repeats
// Tanh by hand (the compiler does not inline it), and the tests check that
// both give bitwise identical results.
func TanhSlice(dst, src []float64) {
	if len(dst) != len(src) {
		panic(lengthMismatch("TanhSlice", dst, src))
	}
	if tanhSliceVec(dst, src) {
		return
	}
	dst = dst[:len(src)]
	for j, x := range src {
		xb := math.Float64bits(x)
		ab := xb &^ signBit
		a := math.Float64frombits(ab)
		i := uint(math.Float64bits(a+tanhShift)>>(52-tanhMantBits)) - tanhBase
		if i >= tanhRows {
			dst[j] = tanhSpecial(x)
			continue
		}
		r := &tanhTab[i]
		d := a - r.center
		d2 := d * d
		d4 := d2 * d2
		q := (r.c[0] + r.c[1]*d) + d2*(r.c[2]+r.c[3]*d) + d4*((r.c[4]+r.c[5]*d)+d2*r.c[6])
		hi := math.Float64frombits(xb&r.mask | r.hiBits)
		t := hi + (r.c0lo + d*q)
		dst[j] = math.Float64frombits(math.Float64bits(t) | xb&signBit)
	}
}
