package fastmath

import "math"

const (
	expBits       = 7
	expN          = 1 << expBits // table entries per octave
	expHiZeroBits = 18           // k*expLn2HiN is exact for |k| < 2^18
	expShift      = 0x1.8p52     // adding it rounds to an integer held in the low mantissa bits
	expMax        = 708.0        // beyond this Exp defers to math.Exp (overflow, subnormals)
	signBit       = 1 << 63
)

// expEntry holds 2^(j/expN) for one j; see expKernel.
type expEntry struct {
	tail float64 // (2^(j/expN) - hi)/hi, hi = 2^(j/expN) rounded to float64
	bits uint64  // Float64bits(hi) - j<<(52-expBits)
}

// Exp returns e^x.
//
// Special cases are those of math.Exp: Exp(+Inf) = +Inf, Exp(-Inf) = 0,
// Exp(NaN) = NaN, overflow gives +Inf and underflow 0. For |x| <= 708 the
// result is within about half an ulp of e^x; beyond that (overflow and
// subnormal results) Exp returns math.Exp(x).
func Exp(x float64) float64 {
	if !(math.Abs(x) <= expMax) {
		return math.Exp(x)
	}
	return expKernel(x)
}

// expKernel returns e^x for |x| <= expMax. With x = k*ln2/expN + r, where k is
// the integer nearest x*expN/ln2, k = expN*m + j and |r| <= ln2/(2*expN),
//
//	e^x = 2^m * 2^(j/expN) * e^r ~ s*(1 + tail)*(1 + r + r^2*P(r)) ~ s + s*(tail + r + r^2*P(r)),
//
// where s is 2^(j/expN) rounded to float64 and scaled by 2^m through its
// exponent bits, and P is a cubic. The product tail*r (below 2^-60) is
// dropped. kd*expLn2HiN is exact and x - kd*expLn2HiN cancels exactly, so r
// carries a rounding error of at most half an ulp of r, i.e. far below the
// final rounding. ExpSlice and SigmoidSlice repeat this body inline.
func expKernel(x float64) float64 {
	kd := x*expInvLn2N + expShift
	ki := math.Float64bits(kd) // k in the low bits, two's complement
	kd -= expShift
	r := x - kd*expLn2HiN - kd*expLn2LoN
	e := &expTab[ki%expN]
	// ki<<(52-expBits) moves m = k>>expBits into the exponent field (the
	// shifter's own bits fall off the top); e.bits has j<<(52-expBits)
	// subtracted to cancel the low bits of k.
	s := math.Float64frombits(e.bits + ki<<(52-expBits))
	r2 := r * r
	p := e.tail + r + r2*(expC2+r*expC3) + r2*r2*(expC4+r*expC5)
	return s + s*p
}

// ExpSlice sets dst[i] = Exp(src[i]) for every i. dst and src may be the same
// slice. It panics if their lengths differ.
//
// The loop body repeats expKernel by hand (the compiler does not inline it);
// the tests check that Exp and ExpSlice give bitwise identical results.
func ExpSlice(dst, src []float64) {
	if len(dst) != len(src) {
		panic(lengthMismatch("ExpSlice", dst, src))
	}
	dst = dst[:len(src)]
	for j, x := range src {
		if !(math.Abs(x) <= expMax) {
			dst[j] = math.Exp(x)
			continue
		}
		kd := x*expInvLn2N + expShift
		ki := math.Float64bits(kd)
		kd -= expShift
		r := x - kd*expLn2HiN - kd*expLn2LoN
		e := &expTab[ki%expN]
		s := math.Float64frombits(e.bits + ki<<(52-expBits))
		r2 := r * r
		p := e.tail + r + r2*(expC2+r*expC3) + r2*r2*(expC4+r*expC5)
		dst[j] = s + s*p
	}
}
