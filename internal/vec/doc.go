// Package vec provides single-threaded float64 slice kernels for the
// memory-bound parts of explicit Runge-Kutta solves and their reverse pass:
//
//   - LinComb: dst = [dst +] sum_j c[j]*src[j], a stage combination such as
//     g = u + h*sum_j a_ij k_j, in one pass over memory for any number of
//     sources;
//   - TanhBackward: the cotangent g*(1-y²) of tanh given its output y;
//   - SumSquares and SumSquaresDiff: sum x² and sum (a-b)², for norms;
//   - ErrorNormSum: sum r² with r = x/(atol + rtol*max(|u0|, |u1|)), the
//     error estimate of an embedded Runge-Kutta pair, and ErrorNormBackward,
//     its cotangent with respect to x, u0 and u1;
//   - RMSDiffBackward: the cotangent of SumSquaresDiff, ga += c*(a-b) and
//     gb -= c*(a-b).
//
// Callers split long ranges across cores themselves and call these kernels
// on the pieces. No kernel allocates. Lengths that do not match make a
// kernel panic with a message giving them.
//
// # Numerics
//
// Every multiply-add is fused (one rounding, as math.FMA), in a fixed order
// given in each function's documentation: LinComb adds its sources in
// order, starting from dst (acc) or from the rounded product c[0]*src[0];
// TanhBackward computes 1-y² as math.FMA(-y, y, 1), which stays accurate
// where y² is close to 1; the error-norm kernels round the scale
// rtol*max(|u0|, |u1|) + atol once. The assembly and the Go fallback evaluate exactly
// the same operations, so a result has the same bits whichever ran (NaN
// payloads aside): a solve does not change when it moves to a machine
// without AVX2. Zero coefficients are not skipped, so 0*Inf gives NaN as
// the formula says; callers that want to drop zero terms drop them first.
//
// SumSquares and SumSquaresDiff do not add in index order. The first
// len&^15 elements go to 16 lanes, lane l taking the elements i with
// i mod 16 = l. Each block of 1024 elements (64 per lane; the last block may
// be shorter) is summed per lane from zero, x² fused into the lane's block
// sum in index order, and the block sum is then added to the lane's total.
// The 16 totals are added pairwise (lane l+8 into lane l, then l+4, l+2,
// l+1) and the last len%16 elements are fused into the result one at a
// time. The result thus depends on the values and the length only: not on
// the alignment of the slice, nor on which path ran. SumSquaresDiff uses the
// same order on the rounded differences a[i]-b[i], and ErrorNormSum on the
// rounded quotients x[i]/scale[i] (a true division, not a product with a
// reciprocal). Every term goes through
// at most 64 + ceil(len/1024) + 4 + 15 roundings, a relative error bound of
// about 5e-14 at 401,408 elements; the tests check the sums against an
// exact big.Float sum to 1e-14.
//
// The max in the error scale is NaN when |u0[i]| or |u1[i]| is, so that a
// NaN state gives a NaN error estimate and NaN cotangents. ErrorNormBackward
// sends the u-cotangent to u0 where |u0| >= |u1| and to u1 otherwise (also
// when either is NaN), times sign(u) with sign(±0) = 0; its documentation
// gives the exact order of operations.
//
// # Aliasing
//
// LinComb's dst may be the very same slice (same start and length) as any
// of its sources, TanhBackward's dst the same as g or y, and a destination
// of ErrorNormBackward or RMSDiffBackward the same as an input or as
// another destination: each kernel reads
// everything it needs at index i before it writes index i (see each function
// for what that means). Slices that overlap only in part give unspecified
// results.
//
// # Implementation
//
// On amd64 CPUs with AVX2 and FMA (detected with golang.org/x/sys/cpu) the
// kernels run in assembly with 256-bit vectors, 16 elements per iteration
// and unaligned loads. LinComb loops over the sources inside each block of
// 16 elements, loading each slice's base pointer and broadcasting its
// coefficient, so one kernel serves any number of sources. The
// wider AVX-512 registers of the same CPUs would not help a loop that waits
// on memory, and are not used. The remainder of fewer than 4 elements (16
// for the sums) is done in Go.
//
// ErrorNormSum's max(|u0|, |u1|) compares the bit patterns as integers (VPCMPGTQ and a
// blend): with the sign bits cleared their order is that of the values and
// every NaN lies above +Inf, so a NaN in either operand comes through,
// which VMAXPD does not guarantee (it returns its second operand when either
// is NaN). ErrorNormBackward handles 4 elements per iteration without
// branches on the data: masks select the destination and the sign, and the
// destination not chosen gets -0 added, which leaves every value as it is.
//
// Elsewhere, on CPUs without AVX2 and FMA, and with the build tag purego,
// the Go fallbacks run: LinComb works through blocks of 256
// elements staged in a stack buffer, up to four sources per pass. They use
// math.FMA, which is a single instruction on arm64 and on amd64 CPUs with
// FMA but is computed in software (slowly) on CPUs without it. The fallback
// of ErrorNormBackward makes its choices on bit patterns, which the
// compiler turns into conditional moves: |u0| >= |u1| and the signs are
// coin flips on a solver's states, and branching on them costs about as
// much as the rest of the loop.
//
// # Performance
//
// Measured on the development machine (AMD EPYC Zen 4, one core busy, the
// other idle) with
//
//	go test -run XXX -bench . -benchtime 1s -count 5 ./internal/vec
//
// on arrays of 401,408 float64 (3.2 MB each; a 512x784 batch), medians of
// 5 runs. GB/s counts each array read or written once per call; ns/elem is
// per index i. "loop" is plain Go in the style of the loops these kernels
// replace (no FMA; LinComb four sources per pass over dst), "go" the
// fallback, "avx2" the assembly. (The table was measured when the package
// also had AxpyMulti and TanhBackwardAdd, since removed as unused.)
//
//	kernel                     loop            go              avx2            avx2 vs loop
//	LinComb, 4 sources         1.61 ns  25 GB/s   2.76 ns  15 GB/s   0.74 ns  54 GB/s   2.2x
//	LinComb, 7 sources         3.04 ns  21 GB/s   4.42 ns  15 GB/s   1.52 ns  42 GB/s   2.0x
//	TanhBackward               0.80 ns  30 GB/s   0.90 ns  27 GB/s   0.30 ns  81 GB/s   2.7x
//	SumSquares                 0.34 ns  23 GB/s   0.74 ns  11 GB/s   0.09 ns  90 GB/s   3.8x
//	SumSquaresDiff             0.87 ns  19 GB/s   1.04 ns  15 GB/s   0.18 ns  91 GB/s   4.9x
//	ErrorNormSum               2.79 ns   9 GB/s   3.25 ns   7 GB/s   0.35 ns  69 GB/s   8.0x
//	ErrorNormBackward         14.6 ns    5 GB/s   8.18 ns   9 GB/s   1.31 ns  55 GB/s  11x
//	RMSDiffBackward            1.16 ns  42 GB/s   1.73 ns  28 GB/s   0.45 ns 106 GB/s   2.6x
//
// The last three rows are medians of 10 runs, from running
//
//	go test -run XXX -bench 'ErrorNorm|RMSDiffBackward' -benchtime 1s -count 5 ./internal/vec
//
// twice; their "loop" columns are copies of the loops in tensor/norms.go.
// ErrorNormBackward updates all three destinations, and its data has u1 a
// small step from u0, so the loop's branches on |u0| >= |u1| and on the
// signs go either way at random. On a busy machine the runs spread more
// than above: 1.07 to 1.53 ns for the assembly of ErrorNormBackward, 6.9 to
// 11.2 ns for its fallback.
//
// Run-to-run spread was up to about 20% (the machine is a shared virtual
// one). The arrays of the larger kernels together exceed L2 and partly L3,
// so the assembly is bound by memory bandwidth there; with both cores
// streaming halves of the arrays the gain shrinks: in a separate trial with
// two goroutines, LinComb with 7 sources took 1.7 ns per element with the
// plain loops and 1.1 ns with the assembly.
// The Go fallback is slower than the plain loops on this machine because
// math.FMA checks for FMA support on every call when the build targets
// GOAMD64=v1.
package vec
