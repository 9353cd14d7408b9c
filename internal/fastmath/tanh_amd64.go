//go:build !purego

package fastmath

import (
	"math"

	"golang.org/x/sys/cpu"
)

// haveAVX2FMA and haveAVX512 report whether the CPU and the operating
// system support the instructions of tanhAVX2 (AVX2, FMA) and tanhAVX512
// (AVX-512 F and DQ).
var (
	haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	haveAVX512  = haveAVX2FMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
)

// useAVX2 and useAVX512 select the TanhSlice kernel: tanhAVX512 if both are
// set, tanhAVX2 if only useAVX2 is, the scalar loop otherwise. They start out
// as haveAVX2FMA and haveAVX512; the tests clear them to run the other paths.
var (
	useAVX2   = haveAVX2FMA
	useAVX512 = haveAVX512
)

// tanhAVX2 and tanhAVX512 set dst[i] = tanh(src[i]) by the algorithm of
// tanhvec.go, 4 and 8 elements at a time; see tanh_amd64.s. They require
// len(dst) == len(src), tab = &tanhVecTab and the CPU features above.
//
//go:noescape
func tanhAVX2(dst, src []float64, tab *[tvRows][4]uint64)

//go:noescape
func tanhAVX512(dst, src []float64, tab *[tvRows][4]uint64)

// tanhSliceVec runs a vector TanhSlice if one is enabled and reports whether
// it did.
func tanhSliceVec(dst, src []float64) bool {
	switch {
	case useAVX2 && useAVX512:
		tanhAVX512(dst, src, &tanhVecTab)
	case useAVX2:
		tanhAVX2(dst, src, &tanhVecTab)
	default:
		return false
	}
	return true
}

// Rows of tanhVecTab. Keep them in step with the #defines in tanh_amd64.s.
const (
	tvAbsMask = iota
	tvSignMask
	tvClampRow
	tvShiftRow
	tvInvRow
	tvHiRow
	tvLoRow
	tvOne
	tvTwo
	tvHalf
	tvPolyRow                           // tvPolyRow+k holds tvPoly[k]
	tvLaneIdx = tvPolyRow + len(tvPoly) // 0, 1, 2, 3
	tvJMask   = tvLaneIdx + 1           // 15 in each lane
	tvTabHi   = tvJMask + 1             // 4 rows: tvScaleBits hi part, j = 0..15
	tvTabLo   = tvTabHi + 4             // 4 rows: lo part
	tvRows    = tvTabLo + 4
)

// tanhVecTab holds the constants of tanhAVX2 and tanhAVX512: rows of four
// 64-bit lanes (the same value in each, so that the assembly can use a row as
// a 256-bit memory operand or broadcast its first lane), and the two halves
// of the 2^(j/16) table as returned by tvScaleBits.
var tanhVecTab = func() (t [tvRows][4]uint64) {
	row := func(i int, b uint64) { t[i] = [4]uint64{b, b, b, b} }
	rowF := func(i int, x float64) { row(i, math.Float64bits(x)) }
	row(tvAbsMask, ^uint64(signBit))
	row(tvSignMask, signBit)
	rowF(tvClampRow, tvClamp)
	rowF(tvShiftRow, tvShift)
	rowF(tvInvRow, tvInvLn2x32)
	rowF(tvHiRow, tvLn2Hi16)
	rowF(tvLoRow, -tvLn2Lo16)
	rowF(tvOne, 1)
	rowF(tvTwo, 2)
	rowF(tvHalf, 0.5)
	for k, c := range tvPoly {
		rowF(tvPolyRow+k, c)
	}
	t[tvLaneIdx] = [4]uint64{0, 1, 2, 3}
	row(tvJMask, 15)
	for j := range 16 {
		hi, lo := tvScaleBits(j)
		t[tvTabHi+j/4][j%4] = hi
		t[tvTabLo+j/4][j%4] = lo
	}
	return t
}()
