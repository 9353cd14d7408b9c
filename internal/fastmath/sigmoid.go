package fastmath

import "math"

// Sigmoid returns the logistic function 1/(1+e^{-x}).
//
// With e = e^{-|x|}, which never overflows, it returns 1/(1+e) for x >= 0 and
// e/(1+e) for x < 0, picking the numerator without a branch. Results for
// negative x thus keep full relative accuracy into the far tail, where the
// textbook formula 1/(1+math.Exp(-x)) first loses it to the overflow of
// e^{-x} and then returns 0: Sigmoid(-740) is about 4e-322. The error is at
// most about 2 ulp (e, the sum 1+e and the division each round once); see the
// package documentation for the measured error.
//
// Special cases: Sigmoid(±0) = 0.5, Sigmoid(+Inf) = 1, Sigmoid(-Inf) = 0,
// Sigmoid(NaN) = NaN.
func Sigmoid(x float64) float64 {
	xb := math.Float64bits(x)
	na := -math.Float64frombits(xb &^ signBit)
	if !(na >= -expMax) {
		return sigmoidSpecial(x)
	}
	e := expKernel(na)
	neg := uint64(int64(xb) >> 63) // all ones when the sign bit of x is set
	n := math.Float64frombits(math.Float64bits(e)&neg | math.Float64bits(1)&^neg)
	return n / (1 + e)
}

// sigmoidSpecial handles |x| > expMax and NaN. There e^{-|x|} < 2^-1021, so
// 1+e rounds to 1: the result is 1 for x > 0 and e^x (possibly subnormal or
// zero) for x < 0.
func sigmoidSpecial(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 0:
		return 1
	default:
		return math.Exp(x)
	}
}

// SigmoidSlice sets dst[i] = Sigmoid(src[i]) for every i. dst and src may be
// the same slice. It panics if their lengths differ.
//
// The loop body repeats Sigmoid and expKernel by hand (the compiler does not
// inline them); the tests check that both give bitwise identical results.
func SigmoidSlice(dst, src []float64) {
	if len(dst) != len(src) {
		panic(lengthMismatch("SigmoidSlice", dst, src))
	}
	dst = dst[:len(src)]
	for j, x := range src {
		xb := math.Float64bits(x)
		na := -math.Float64frombits(xb &^ signBit)
		if !(na >= -expMax) {
			dst[j] = sigmoidSpecial(x)
			continue
		}
		kd := na*expInvLn2N + expShift
		ki := math.Float64bits(kd)
		kd -= expShift
		r := na - kd*expLn2HiN - kd*expLn2LoN
		t := &expTab[ki%expN]
		s := math.Float64frombits(t.bits + ki<<(52-expBits))
		r2 := r * r
		p := t.tail + r + r2*(expC2+r*expC3) + r2*r2*(expC4+r*expC5)
		e := s + s*p
		neg := uint64(int64(xb) >> 63)
		n := math.Float64frombits(math.Float64bits(e)&neg | math.Float64bits(1)&^neg)
		dst[j] = n / (1 + e)
	}
}
