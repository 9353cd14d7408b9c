package vec

import (
	"fmt"
	"math"
)

// blockLen is the number of elements the Go fallback of LinComb stages in a
// stack buffer: small enough to stay in L1 cache, large
// enough that the per-source loop overhead is negligible.
const blockLen = 256

// sumBlock is the number of elements in one block of the two-level
// summation used by SumSquares and SumSquaresDiff (64 per lane).
const sumBlock = 1024

// LinComb sets dst[i] = d + c[0]*src[0][i] + ... + c[m-1]*src[m-1][i] for
// every i, where m = len(src) and d is dst[i] when acc is set and 0
// otherwise. It reads every source and dst once and writes dst once per
// element, whatever m is.
//
// The terms are combined in source order with a fused multiply-add each:
//
//	s = dst[i]                                         (acc)
//	s = c[0]*src[0][i],  then start the loop at j = 1  (!acc)
//	s = math.FMA(c[j], src[j][i], s)                   for the remaining j
//
// With no sources dst is left as it is (acc) or zeroed (!acc). dst may be
// the very same slice as any source (same start and length): element i of
// every source is read before dst[i] is written. Partially overlapping
// slices give unspecified results.
//
// LinComb panics if len(c) != len(src) or a source's length differs from
// len(dst).
func LinComb(dst []float64, acc bool, c []float64, src [][]float64) {
	if len(c) != len(src) {
		panic(fmt.Sprintf("vec: LinComb: %d coefficients for %d sources", len(c), len(src)))
	}
	for j, s := range src {
		if len(s) != len(dst) {
			panic(fmt.Sprintf("vec: LinComb: len(src[%d]) = %d, len(dst) = %d", j, len(s), len(dst)))
		}
	}
	if len(src) == 0 {
		if !acc {
			clear(dst)
		}
		return
	}
	if useAVX2 {
		linCombAVX2(dst, acc, c, src)
		linCombScalar(dst, acc, c, src, len(dst)&^3)
		return
	}
	for lo := 0; lo < len(dst); lo += blockLen {
		linCombBlock(dst[lo:min(lo+blockLen, len(dst))], acc, c, src, lo)
	}
}

// linCombBlock computes LinComb on the len(d) <= blockLen elements
// d = dst[lo:lo+len(d)], up to four sources per pass over a stack buffer, so
// that dst is written only after every source has been read.
func linCombBlock(d []float64, acc bool, c []float64, src [][]float64, lo int) {
	var buf [blockLen]float64
	b := buf[:len(d)]
	j := 0
	if acc {
		copy(b, d)
	} else {
		c0, s := c[0], src[0][lo:lo+len(b)]
		for i := range b {
			b[i] = c0 * s[i]
		}
		j = 1
	}
	// Four sources per pass over the buffer, then two, then one.
	for ; j+4 <= len(src); j += 4 {
		c0, c1, c2, c3 := c[j], c[j+1], c[j+2], c[j+3]
		s0 := src[j][lo : lo+len(b)]
		s1 := src[j+1][lo : lo+len(b)]
		s2 := src[j+2][lo : lo+len(b)]
		s3 := src[j+3][lo : lo+len(b)]
		for i := range b {
			t := math.FMA(c0, s0[i], b[i])
			t = math.FMA(c1, s1[i], t)
			t = math.FMA(c2, s2[i], t)
			b[i] = math.FMA(c3, s3[i], t)
		}
	}
	if j+2 <= len(src) {
		c0, c1 := c[j], c[j+1]
		s0 := src[j][lo : lo+len(b)]
		s1 := src[j+1][lo : lo+len(b)]
		for i := range b {
			b[i] = math.FMA(c1, s1[i], math.FMA(c0, s0[i], b[i]))
		}
		j += 2
	}
	if j < len(src) {
		cj, s := c[j], src[j][lo:lo+len(b)]
		for i := range b {
			b[i] = math.FMA(cj, s[i], b[i])
		}
	}
	copy(d, b)
}

// linCombScalar computes LinComb for the elements from lo on, one element
// at a time.
func linCombScalar(dst []float64, acc bool, c []float64, src [][]float64, lo int) {
	for i := lo; i < len(dst); i++ {
		j := 0
		var s float64
		if acc {
			s = dst[i]
		} else {
			s = c[0] * src[0][i]
			j = 1
		}
		for ; j < len(src); j++ {
			s = math.FMA(c[j], src[j][i], s)
		}
		dst[i] = s
	}
}

// TanhBackward sets dst[i] = g[i] * math.FMA(-y[i], y[i], 1), that is
// g*(1-y²) with 1-y² rounded once: the cotangent of the input of tanh, given
// its output y and the output's cotangent g. The fused 1-y² stays accurate
// where tanh saturates and y² is close to 1. dst may be the same slice as g
// or y.
//
// TanhBackward panics if the three lengths differ.
func TanhBackward(dst, g, y []float64) {
	checkTanh("TanhBackward", dst, g, y)
	from := 0
	if useAVX2 {
		tanhBackAVX2(dst, g, y)
		from = len(dst) &^ 3
	}
	g, y = g[:len(dst)], y[:len(dst)]
	for i := from; i < len(dst); i++ {
		dst[i] = g[i] * math.FMA(-y[i], y[i], 1)
	}
}

func checkTanh(op string, dst, g, y []float64) {
	if len(g) != len(dst) || len(y) != len(dst) {
		panic(fmt.Sprintf("vec: %s: len(dst) = %d, len(g) = %d, len(y) = %d", op, len(dst), len(g), len(y)))
	}
}

// SumSquares returns the sum of x[i]², in the order described in the
// package documentation: the result depends only on the values and the
// length of x, not on its alignment or on whether assembly ran.
func SumSquares(x []float64) float64 {
	var lanes [16]float64
	n := len(x) &^ 15
	if useAVX2 {
		sumSqAVX2(x, &lanes)
	} else {
		sumSqGo(x[:n], &lanes)
	}
	s := reduceLanes(&lanes)
	for _, v := range x[n:] {
		s = math.FMA(v, v, s)
	}
	return s
}

// SumSquaresDiff returns the sum of (a[i]-b[i])², in the same order as
// SumSquares applied to the rounded differences a[i]-b[i]. It panics if the
// lengths differ.
func SumSquaresDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("vec: SumSquaresDiff: len(a) = %d, len(b) = %d", len(a), len(b)))
	}
	var lanes [16]float64
	n := len(a) &^ 15
	if useAVX2 {
		sumSqDiffAVX2(a, b, &lanes)
	} else {
		sumSqDiffGo(a[:n], b[:n], &lanes)
	}
	s := reduceLanes(&lanes)
	for i := n; i < len(a); i++ {
		d := a[i] - b[i]
		s = math.FMA(d, d, s)
	}
	return s
}

// sumSqGo is the Go form of sumSqAVX2; len(x) must be a multiple of 16.
func sumSqGo(x []float64, lanes *[16]float64) {
	for lo := 0; lo < len(x); lo += sumBlock {
		var p [16]float64
		blk := x[lo:min(lo+sumBlock, len(x))]
		for k := 0; k+16 <= len(blk); k += 16 {
			g := blk[k : k+16]
			for l := range p {
				p[l] = math.FMA(g[l], g[l], p[l])
			}
		}
		for l := range lanes {
			lanes[l] += p[l]
		}
	}
}

// sumSqDiffGo is the Go form of sumSqDiffAVX2; len(a) must be a multiple of
// 16 and equal len(b).
func sumSqDiffGo(a, b []float64, lanes *[16]float64) {
	for lo := 0; lo < len(a); lo += sumBlock {
		var p [16]float64
		hi := min(lo+sumBlock, len(a))
		ba, bb := a[lo:hi], b[lo:hi]
		bb = bb[:len(ba)]
		for k := 0; k+16 <= len(ba); k += 16 {
			ga, gb := ba[k:k+16], bb[k:k+16]
			for l := range p {
				d := ga[l] - gb[l]
				p[l] = math.FMA(d, d, p[l])
			}
		}
		for l := range lanes {
			lanes[l] += p[l]
		}
	}
}

// reduceLanes adds the 16 lane sums pairwise: lane l and l+8, then l and
// l+4, l and l+2, and the last two.
func reduceLanes(s *[16]float64) float64 {
	for w := 8; w >= 1; w /= 2 {
		for l := range w {
			s[l] += s[l+w]
		}
	}
	return s[0]
}
