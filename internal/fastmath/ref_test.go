package fastmath

import (
	"math"
	"math/big"
)

// High-precision reference arithmetic for the tests and for the table generator
// (gen_test.go). Everything here works in big.Float with refPrec bits, far more
// than the 53 bits of a float64, so a reference value rounded to float64 is the
// correctly rounded result for all practical purposes.

const refPrec = 160

// refInv[n] = 1/n rounded to refPrec bits, for the Taylor series.
var refInv = func() []*big.Float {
	inv := make([]*big.Float, 64)
	for n := 1; n < len(inv); n++ {
		inv[n] = bz().Quo(bf(1), bf(float64(n)))
	}
	return inv
}()

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }
func bz() *big.Float          { return new(big.Float).SetPrec(refPrec) }

// refExpm1 returns e^x - 1 with full relative accuracy, also for tiny x. It
// halves x until |x| < 2^-8, sums the Taylor series of expm1 and undoes the
// halving with expm1(2y) = expm1(y)*(expm1(y)+2), which has no cancellation.
func refExpm1(x *big.Float) *big.Float {
	if x.Sign() == 0 {
		return bz()
	}
	y := bz().Set(x)
	halvings := 0
	for y.MantExp(nil) > -8 {
		y.SetMantExp(y, -1)
		halvings++
	}
	sum := bz()
	term := bf(1)
	for n := 1; n < len(refInv); n++ {
		term.Mul(term, y)
		term.Mul(term, refInv[n])
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil) < sum.MantExp(nil)-refPrec-8 {
			break
		}
	}
	two := bf(2)
	for ; halvings > 0; halvings-- {
		sum.Mul(sum, bz().Add(sum, two))
	}
	return sum
}

// refExp returns e^x. For x < 0 it returns 1/e^{-x}: 1 + expm1(x) would
// cancel once e^x is below 2^-refPrec. For the test range |x| <= 750 the
// halving loop in refExpm1 keeps the work small (at most 18 doublings).
func refExp(x *big.Float) *big.Float {
	if x.Sign() < 0 {
		return bz().Quo(bf(1), refExp(bz().Neg(x)))
	}
	return bz().Add(refExpm1(x), bf(1))
}

// refTanh returns tanh(x) = expm1(2x)/(expm1(2x)+2) with full relative
// accuracy for every finite x.
func refTanh(x *big.Float) *big.Float {
	if x.Sign() == 0 {
		return bz()
	}
	a := bz().Abs(x)
	if a.Cmp(bf(200)) > 0 {
		// tanh(a) = 1 - 2e^{-2a} + ..., and 2e^{-400} is far below refPrec.
		r := bf(1)
		if x.Sign() < 0 {
			r.Neg(r)
		}
		return r
	}
	em := refExpm1(bz().Mul(a, bf(2)))
	r := bz().Quo(em, bz().Add(em, bf(2)))
	if x.Sign() < 0 {
		r.Neg(r)
	}
	return r
}

// refSigmoid returns 1/(1+e^{-x}), written as e^x/(1+e^x) for x < 0 so that
// neither form overflows.
func refSigmoid(x *big.Float) *big.Float {
	if x.Sign() < 0 {
		e := refExp(x)
		return bz().Quo(e, bz().Add(e, bf(1)))
	}
	e := refExp(bz().Neg(x))
	return bz().Quo(bf(1), bz().Add(e, bf(1)))
}

// ulpErr returns |got - ref| in units in the last place of the float64
// nearest to ref (for subnormal results, the subnormal spacing 2^-1074).
// Infinite or NaN got values give +Inf.
func ulpErr(got float64, ref *big.Float) float64 {
	if math.IsNaN(got) || math.IsInf(got, 0) {
		return math.Inf(1)
	}
	r, _ := ref.Float64()
	if math.IsInf(r, 0) {
		return math.Inf(1)
	}
	ulp := ulpOf(r)
	diff := bz().Sub(bf(got), ref)
	d, _ := diff.Float64()
	return math.Abs(d) / ulp
}

// ulpOf returns the spacing of float64 values at |r|: 2^(e-52) for
// 2^e <= |r| < 2^(e+1), and 2^-1074 for subnormal or zero r.
func ulpOf(r float64) float64 {
	r = math.Abs(r)
	if r < 0x1p-1022 {
		return 0x1p-1074
	}
	_, e := math.Frexp(r) // r = f * 2^e, f in [0.5, 1)
	return math.Ldexp(1, e-53)
}

// relErr returns |got - ref| / |ref|, with relErr(0, 0) = 0.
func relErr(got, ref float64) float64 {
	if got == ref {
		return 0
	}
	return math.Abs(got-ref) / math.Abs(ref)
}
