// Package fastmath provides fast float64 versions of tanh, exp and the
// logistic sigmoid for the elementwise hot path of neural-ODE dynamics, where
// tanh runs over 512x784 batches thousands of times per solve. Each function
// has a scalar form (Tanh, Exp, Sigmoid) and a slice form (TanhSlice,
// ExpSlice, SigmoidSlice) that writes dst[i] = f(src[i]), allows dst and src
// to be the same slice, allocates nothing and panics if the lengths differ.
//
// The results are accurate to about half an ulp (Tanh, Exp) or two ulps
// (Sigmoid), close enough to math.Tanh and math.Exp that adaptive solves at
// rtol = 1.4e-8 and finite-difference gradient checks at 1e-8 cannot tell the
// difference.
//
// # Tanh
//
// Tanh is a table of piecewise polynomials, with no division and no branch
// except one, almost never taken, for |x| >= 20.5, ±Inf and NaN. The range
// [0, 20.5) of |x| is cut into 170 intervals; the interval is read off the
// float64 bits of u = |x| + 1/2 (exponent and the top 5 mantissa bits), so
// the widths are 1/64 on [0, 1/2), 1/32 on [1/2, 3/2), and so on doubling to
// 1/2 from 15.5 on: narrow where tanh curves, wide where it flattens towards
// 1. Each interval holds a polynomial in d = |x| - center of degree 7, in one
// of two forms chosen to keep the rounded part small next to the result:
//
//	tanh(c) + d*q(d)   tanh(c) in double-double; used from |x| ~ 0.45 on
//	|x| + R(d)         R = tanh - identity; used below, where tanh(x) ~ x
//
// so the leading term is exact and the final rounding dominates the error.
// The sign of x is copied onto the result, so Tanh is exactly odd and keeps
// the sign of zero; tiny x give x and |x| >= 19.06 gives ±1, as rounding
// demands. The coefficients are Chebyshev interpolants computed in 160-bit
// arithmetic by gen_test.go, which writes tables.go (go test -run
// TestTablesUpToDate -update); the same test fails if tables.go is stale, and
// TestTanhTableFitError checks that every interval's polynomial is within
// 2^-55 relative of tanh (measured: 1.5e-17, at |x| = 3.5).
//
// The usual exp-based formula, tanh(x) = expm1(2x)/(expm1(2x)+2), needs a
// division and a separate polynomial near 0 where it cancels; the division
// alone (throughput about 5 cycles) would use most of the time budget, and
// choosing between the two branches would mispredict on mixed-sign,
// mixed-size activations.
//
// For TanhSlice the balance is different. On amd64 with AVX2 and FMA
// (detected with golang.org/x/sys/cpu) it runs assembly kernels, tanhAVX512
// on CPUs with AVX-512 F and DQ, tanhAVX2 otherwise, on 8 or 4 elements per
// instruction, and there that exp-based formula wins: a 170-row table would
// need a gather per coefficient, while a division costs one instruction per
// vector. The vector algorithm (tanhvec.go) computes N = e^(2|x|) - 1 as a
// double-double from a 16-entry table of 2^(j/16) and a degree-5 polynomial,
// tanh = N/(N+2) with a correction step after the division, and copies the
// sign of x; near 0 nothing cancels, so the same instructions serve every
// input, with no branch and no blend. Its measured error is at most 0.51 ulp, so
// TanhSlice can differ from Tanh in the last bit (it does for 0.2% of the
// points of a dense sweep of [-40, 40]). Both kernels give the same bits as
// each other and as the Go model of the algorithm in the tests, whatever the
// length of the slices and the position of an element in them. Elsewhere,
// or with the build tag purego, TanhSlice is the scalar loop and agrees with
// Tanh bit for bit.
//
// # Exp
//
// Exp is the standard table-driven method: with k the integer nearest
// x*128/ln2, x = k*ln2/128 + r, |r| <= ln2/256, and e^x = 2^(k/128) * e^r,
// where 2^(j/128) for j = k mod 128 comes from a 128-entry table (value and
// rounding tail), the factor 2^(k div 128) is added to the exponent bits, and
// e^r - 1 - r is a cubic in r times r^2. ln2/128 is split Cody-Waite style
// into a 35-bit head, whose product with k is exact, and a tail. For
// |x| > 708 (overflow, subnormal results) and NaN, Exp defers to math.Exp.
//
// # Sigmoid
//
// Sigmoid evaluates e = e^{-|x|} with the Exp kernel, which never overflows,
// and returns 1/(1+e) for x >= 0 and e/(1+e) for x < 0 (the numerator is
// selected with bit masks, not a branch). Negative arguments therefore keep
// full relative accuracy in the tail where 1/(1+math.Exp(-x)) overflows to 0.
//
// # Measured accuracy
//
// Against references computed in 160-bit arithmetic, over 260,000 to 830,000
// random points each (uniform and log-spaced, both signs, and for TanhSlice
// also subnormals, huge values and the points where the vector reduction
// switches), the largest errors found were
//
//	Tanh                0.632 ulp   (test bar 0.7 ulp, TestTanhAgainstReference)
//	TanhSlice, vector   0.513 ulp   (test bar 0.6 ulp, TestTanhVecAgainstReference,
//	                                 on its own 125,000 points; go test -v prints it)
//	Exp                 0.506 ulp   (test bar 0.53 ulp, TestExpAgainstReference)
//	Sigmoid             2.11 ulp    (test bar 2.5 ulp, TestSigmoidAgainstReference)
//
// The tests themselves use 25,000 to 125,000 points, including every Tanh
// table boundary, the Exp table switch points and the vector reduction's
// switch points, a few ulps either side.
//
// Against the standard library over a dense sweep of 8.4 million points
// plus 4 million random ones (TestTanhAgainstMath, TestExpAgainstMath), Tanh
// differs from math.Tanh by at most 2.22e-16 relative (1 ulp; 99.3% of the
// results are bitwise identical) on [-40, 40], the vector TanhSlice also by
// at most 2.22e-16 (99.5% identical), and Exp from math.Exp by at most
// 3.44e-16 relative on [-700, 700] (86% identical; math.Exp itself is off
// by up to 1.6 ulp, math.Tanh by up to 1.3 ulp). All stay under the
// package's bar of 4e-16, which the tests enforce on every TanhSlice path
// the machine has (the vector kernels get the same bar as the scalar code).
//
// The compiler may fuse a*b+c into one FMA instruction (arm64 always,
// amd64 with GOAMD64=v3), which changes some results in the last bit; the
// tests pass with GOAMD64=v1 and v3 and with GOARCH=386. Within one build,
// the scalar and slice forms agree bitwise, except TanhSlice where it runs
// the vector kernels.
//
// # Speed
//
// go test -bench . on the 2-core AMD EPYC (Zen 4) development machine, with
// normally distributed inputs (standard deviation 2 for tanh and sigmoid, 20
// for exp), on 512x784 slices, best of 10 runs:
//
//	TanhSlice      4.0 ns/element   math.Tanh loop            14.8 ns/element   3.7x
//	ExpSlice       3.2 ns/element   math.Exp loop              7.4 ns/element   2.3x
//	SigmoidSlice   6.3 ns/element   1/(1+math.Exp(-x)) loop    8.5 ns/element   1.35x
//
// (TanhSlice here is the scalar loop.) The machine was shared with other jobs
// while these were measured (load average about 3 on its 2 cores), so the
// absolute times are inflated; the ratios are the more reliable part. On
// 4096-element slices the math.Tanh loop looks faster (10.6 ns/element),
// most likely because the branch predictor learns its branches on the same
// short input repeated; ours does not branch on the data. The loops are bound
// by instruction issue: TanhSlice runs about 55 scalar instructions per
// element, SigmoidSlice also waits on a division, and the Go compiler does
// not vectorise.
//
// The vector TanhSlice, measured later on the same (still shared) machine with
//
//	go test -run XXX -bench Tanh -count 10 ./internal/fastmath
//
// best of 15 runs (10 of them with that command, 5 with -bench .), in
// ns/element:
//
//	                                           512x784   4096
//	TanhSlice, AVX-512 (BenchmarkTanhSlice)    1.13      1.12   3.8x the scalar loop
//	TanhSlice, AVX2 (BenchmarkTanhSliceAVX2)   2.87      2.89   1.5x
//	TanhSlice, scalar (...Scalar)              4.33      4.57
//	math.Tanh loop                             14.9      11.3
//
// Per 8 elements the AVX-512 kernel issues about 46 vector arithmetic and
// logic instructions (counted in tanh_amd64.s), 20 of them multiplications
// or FMAs and one a division; Zen 4 runs 512-bit instructions on its 256-bit
// units at half rate. A good part of the instructions (the low-order terms
// of N and D, the correction after the division) is what keeps the error
// near half an ulp. The AVX2 kernel does the same work on 4 lanes and
// fetches the table entries with gathers; it is there for CPUs without
// AVX-512.
package fastmath
