package fastmath

import "math"

// The vector tanh (tanhAVX2 and tanhAVX512 in tanh_amd64.s, used by TanhSlice)
// avoids the table of Tanh, whose per-element lookups vector code cannot do
// cheaply, and uses tanh(a) = N/(N+2) with N = e^(2a) - 1 for a = |x|. No
// branch and no blend: the same instructions serve every a, small or large.
//
// Reduction. a is clamped to tvClamp (NaN stays NaN). With n = round(32a/ln2)
// = 16m + j, 0 <= j < 16,
//
//	2a = n*ln2/16 + rh + rl,   e^(2a) = 2^m * 2^(j/16) * e^(rh+rl),
//
// where rh = 2a - n*tvLn2Hi16 is exact (tvLn2Hi16 has 43 bits and n < 2^10),
// rl = -n*tvLn2Lo16 is tiny and |rh| <= ln2/32 (plus rounding).
//
// e^r - 1 for r = rh + rl is carried as qh + ql: qh = rh + rh^2*p(rh), with
// p(r) = 1/2 + r*(c1 + ... + c5*r^4) a Chebyshev fit (tvPoly), rounded once;
// ql collects the rounding error of that sum (an FMA gives it exactly) and
// rl*(1 + qh), the first-order effect of rl. Near 0, qh + ql is e^(2a) - 1 to
// full relative precision: nothing cancels.
//
// Scaling. 2^(j/16) = hi + lo comes from a 16-entry table (tvExp2Tab; a
// two-register permute with AVX-512, a gather with AVX2) and 2^m is added to
// the exponent bits (tvScaleBits), so sh = 2^m*hi and sl = 2^m*lo exactly.
// Then
//
//	N = e^(2a) - 1 = (sh - 1) + sh*qh + sh*ql + sl*(1 + qh) = nh + nl,
//
// where sh - 1 is exact, nh = (sh - 1) + sh*qh is rounded once and nl
// gathers the rounding error of nh (again exact through an FMA) and the
// small terms. D = N + 2 = dh + dl follows by an exact two-sum of nh and 2.
//
// Division. With r = 1/dh rounded, y0 = nh*r and the residual
// e = (nh - y0*dh) + (nl - y0*dl), which the FMAs give almost exactly, the
// result is y0 + e*r rounded once. The correction removes the rounding of the
// quotient and the errors of nh and dh, so the result is within about half
// an ulp plus the small errors of qh + ql: 0.51 ulp measured (TestTanhVecAgainstReference). Finally the
// sign of x is copied onto it, which gives tanh(-0) = -0, tanh(±Inf) = ±1
// (through the clamp) and NaN for NaN.
//
// Every step is a single IEEE operation or FMA, so the result is fixed
// bit for bit by the input; tanhVecModel in the tests is the same algorithm
// in Go and must agree with the assembly exactly.
const (
	tvClamp         = 20.0     // |x| is clamped here; tanh(20) rounds to 1
	tvShift         = 0x1.8p52 // adding it rounds to an integer, kept in the low mantissa bits
	tvLn2HiZeroBits = 10       // tvLn2Hi16 ends in this many zero bits, so n*tvLn2Hi16 is exact
)

// tvScaleBits returns the bits of the hi and lo parts of 2^(j/16) with
// j<<48 subtracted. Adding n<<48 to them, for n = 16m + j, gives the bits of
// 2^m*hi and 2^m*lo: j cancels and m lands in the exponent field. (For j = 0,
// lo is 0 and the sum is 2^(m-1023) instead of 0, far too small to matter.)
func tvScaleBits(j int) (hi, lo uint64) {
	e := tvExp2Tab[j]
	return math.Float64bits(e[0]) - uint64(j)<<48, math.Float64bits(e[1]) - uint64(j)<<48
}
