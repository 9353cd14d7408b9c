package vec

import (
	"fmt"
	"math"
)

// errScale returns the error scale math.FMA(rtol, max(|u0|, |u1|), atol) of
// ErrorNormSum and ErrorNormBackward. Go's max gives NaN when either
// argument is NaN.
func errScale(u0, u1, atol, rtol float64) float64 {
	return math.FMA(rtol, max(math.Abs(u0), math.Abs(u1)), atol)
}

// ErrorNormSum returns the sum of r[i]² for the scaled errors
//
//	r[i] = x[i] / math.FMA(rtol, max(|u0[i]|, |u1[i]|), atol)
//
// of an embedded Runge-Kutta pair: x is the difference of the two
// solutions, u0 and u1 the states at the start and end of the step. The
// caller takes sqrt(sum/n), over all its pieces, as the error norm.
//
// The scale rtol*max+atol is rounded once and r[i] is a correctly rounded
// quotient (no reciprocal). The terms r[i]² are added in the order of
// SumSquares (see the package documentation), each fused into its lane sum,
// so the result depends only on the values and the length, not on
// alignment or on which path ran.
//
// max propagates NaN: a NaN in x, u0 or u1 (or in atol or rtol) makes the
// result NaN, as a NaN state must give a NaN error estimate. An infinite
// |u| with rtol > 0 gives an infinite scale and a zero term; a zero scale
// (atol = 0 and u0[i] = u1[i] = 0) gives an infinite term, or NaN if x[i]
// is 0 too.
//
// ErrorNormSum panics if the lengths of x, u0 and u1 differ.
func ErrorNormSum(x, u0, u1 []float64, atol, rtol float64) float64 {
	if len(u0) != len(x) || len(u1) != len(x) {
		panic(fmt.Sprintf("vec: ErrorNormSum: len(x) = %d, len(u0) = %d, len(u1) = %d", len(x), len(u0), len(u1)))
	}
	var lanes [16]float64
	n := len(x) &^ 15
	if useAVX2 {
		errNormSumAVX2(x, u0, u1, atol, rtol, &lanes)
	} else {
		errNormSumGo(x[:n], u0[:n], u1[:n], atol, rtol, &lanes)
	}
	s := reduceLanes(&lanes)
	u0, u1 = u0[:len(x)], u1[:len(x)]
	for i := n; i < len(x); i++ {
		r := x[i] / errScale(u0[i], u1[i], atol, rtol)
		s = math.FMA(r, r, s)
	}
	return s
}

// errNormSumGo is the Go form of errNormSumAVX2; len(x) must be a multiple
// of 16 and equal len(u0) and len(u1).
func errNormSumGo(x, u0, u1 []float64, atol, rtol float64, lanes *[16]float64) {
	for lo := 0; lo < len(x); lo += sumBlock {
		var p [16]float64
		hi := min(lo+sumBlock, len(x))
		bx, b0, b1 := x[lo:hi], u0[lo:hi], u1[lo:hi]
		b0, b1 = b0[:len(bx)], b1[:len(bx)]
		for k := 0; k+16 <= len(bx); k += 16 {
			gx, g0, g1 := bx[k:k+16], b0[k:k+16], b1[k:k+16]
			for l := range p {
				r := gx[l] / errScale(g0[l], g1[l], atol, rtol)
				p[l] = math.FMA(r, r, p[l])
			}
		}
		for l := range lanes {
			lanes[l] += p[l]
		}
	}
}

// ErrorNormBackward adds the cotangent of ErrorNormSum, scaled by c, into gx,
// g0 and g1; any of them may be nil and is then skipped. For the error norm
// e = sqrt(ErrorNormSum/n), c = dL/de / (n*e); for the plain sum, c = 2*dL/ds.
//
// For every i, with a0 = |u0[i]| and a1 = |u1[i]|, it evaluates
//
//	inv = 1 / math.FMA(rtol, max(a0, a1), atol)
//	r   = x[i] * inv
//	cr  = c * r
//	gx[i] = math.FMA(cr, inv, gx[i])
//	ds  = cr * r * inv * -rtol              (left to right, each rounded)
//	g0[i] += ds * sign(u0[i])                if a0 >= a1
//	g1[i] += ds * sign(u1[i])                otherwise
//
// with sign(u) = 1, -1 or 0 for u > 0, u < 0 and u = ±0 or NaN. Ties go to
// u0; the destination not chosen keeps its value bit for bit (both paths
// add -0 to it, which leaves every value as it is). ds*sign(u) is exact, so the last
// addition rounds once whether or not it is fused. Apart from the fused
// scale and the fused update of gx, this is the arithmetic of the plain
// loop it replaces: ds equals -c*r*r*inv*rtol evaluated left to right bit
// for bit. The quotient r here is x*inv, not the x/scale of ErrorNormSum,
// so the two may differ in the last bit.
//
// An exact zero u0[i] (or u1[i]) gets the increment ds*0, which is ±0 when
// ds is finite. When ds is not (a zero scale, or NaN anywhere), NaN*0 = NaN
// reaches the chosen destination; a NaN in u0[i] or u1[i] makes a0 >= a1
// false, so then g1 gets it.
//
// All inputs at index i are read before any destination is written at i,
// and the destinations are updated in the order gx, g0, g1. So a
// destination may be the very same slice as an input, and g0 may be the
// same slice as g1 or gx; partially overlapping slices give unspecified
// results.
//
// ErrorNormBackward panics if the lengths of x, u0 and u1 differ or a
// destination that is not nil has another length.
func ErrorNormBackward(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64) {
	if len(u0) != len(x) || len(u1) != len(x) {
		panic(fmt.Sprintf("vec: ErrorNormBackward: len(x) = %d, len(u0) = %d, len(u1) = %d", len(x), len(u0), len(u1)))
	}
	checkDst("ErrorNormBackward", "gx", gx, len(x))
	checkDst("ErrorNormBackward", "g0", g0, len(x))
	checkDst("ErrorNormBackward", "g1", g1, len(x))
	if gx == nil && g0 == nil && g1 == nil {
		return
	}
	from := 0
	if useAVX2 {
		errNormBackAVX2(gx, g0, g1, x, u0, u1, atol, rtol, c)
		from = len(x) &^ 3
	}
	errNormBackGo(gx, g0, g1, x, u0, u1, atol, rtol, c, from)
}

// checkDst panics if the destination g is not nil and its length is not n.
func checkDst(op, name string, g []float64, n int) {
	if g != nil && len(g) != n {
		panic(fmt.Sprintf("vec: %s: len(%s) = %d, len(x) = %d", op, name, len(g), n))
	}
}

// errNormBackGo runs ErrorNormBackward on the elements from lo on. Like
// the assembly it avoids branches on the data, which a solver's states make
// unpredictable (|u0| >= |u1| and the signs are coin flips): the choices
// are made on bit patterns, which the compiler turns into conditional
// moves, and the destination not chosen gets -0 added.
func errNormBackGo(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64, lo int) {
	const (
		signBit = 1 << 63
		oneBits = 0x3ff0000000000000 // 1.0
	)
	nrtol := -rtol
	u0, u1 = u0[:len(x)], u1[:len(x)]
	if gx != nil {
		gx = gx[:len(x)]
	}
	if g0 != nil {
		g0 = g0[:len(x)]
	}
	if g1 != nil {
		g1 = g1[:len(x)]
	}
	upd := g0 != nil || g1 != nil
	for i := lo; i < len(x); i++ {
		// u0[i] and u1[i] are read before any destination is written.
		b0, b1 := math.Float64bits(u0[i]), math.Float64bits(u1[i])
		a0, a1 := math.Float64frombits(b0&^signBit), math.Float64frombits(b1&^signBit)
		inv := 1 / math.FMA(rtol, max(a0, a1), atol)
		r := x[i] * inv
		cr := c * r
		if gx != nil {
			gx[i] = math.FMA(cr, inv, gx[i])
		}
		if !upd {
			continue
		}
		ds := cr * r * inv * nrtol
		// u = a0 >= a1 ? u0 : u1, and its sign: ±1, or +0 if u is ±0 or NaN.
		ge := a0 >= a1
		ub := b1
		if ge {
			ub = b0
		}
		sb := ub&signBit | oneBits
		if !(math.Abs(math.Float64frombits(ub)) > 0) { // ±0 or NaN; not <= 0
			sb = 0
		}
		v := math.Float64bits(ds * math.Float64frombits(sb))
		inc0, inc1 := v, uint64(signBit)
		if !ge {
			inc0, inc1 = inc1, inc0
		}
		if g0 != nil {
			g0[i] += math.Float64frombits(inc0)
		}
		if g1 != nil {
			g1[i] += math.Float64frombits(inc1)
		}
	}
}

// RMSDiffBackward adds the cotangent of SumSquaresDiff(a, b), scaled by c,
// into ga and gb: with d = a[i]-b[i] rounded,
//
//	ga[i] = math.FMA(c, d, ga[i])
//	gb[i] = math.FMA(-c, d, gb[i])
//
// so the two updates are exact negatives of each other before rounding. For
// the RMS difference e = sqrt(SumSquaresDiff/n), c = dL/de / (n*e). Either
// destination may be nil and is then skipped.
//
// a[i] and b[i] are read before ga[i] and gb[i] are written, ga before gb:
// so ga and gb may be the very same slices as a or b, or as each other.
// Partially overlapping slices give unspecified results.
//
// RMSDiffBackward panics if len(a) != len(b) or a destination that is not
// nil has another length.
func RMSDiffBackward(ga, gb, a, b []float64, c float64) {
	if len(a) != len(b) {
		panic(fmt.Sprintf("vec: RMSDiffBackward: len(a) = %d, len(b) = %d", len(a), len(b)))
	}
	if ga != nil && len(ga) != len(a) {
		panic(fmt.Sprintf("vec: RMSDiffBackward: len(ga) = %d, len(a) = %d", len(ga), len(a)))
	}
	if gb != nil && len(gb) != len(a) {
		panic(fmt.Sprintf("vec: RMSDiffBackward: len(gb) = %d, len(a) = %d", len(gb), len(a)))
	}
	if ga == nil && gb == nil {
		return
	}
	from := 0
	if useAVX2 {
		rmsDiffBackAVX2(ga, gb, a, b, c)
		from = len(a) &^ 3
	}
	b = b[:len(a)]
	switch {
	case gb == nil:
		ga = ga[:len(a)]
		for i := from; i < len(a); i++ {
			ga[i] = math.FMA(c, a[i]-b[i], ga[i])
		}
	case ga == nil:
		gb = gb[:len(a)]
		for i := from; i < len(a); i++ {
			gb[i] = math.FMA(-c, a[i]-b[i], gb[i])
		}
	default:
		ga, gb = ga[:len(a)], gb[:len(a)]
		for i := from; i < len(a); i++ {
			d := a[i] - b[i]
			ga[i] = math.FMA(c, d, ga[i])
			gb[i] = math.FMA(-c, d, gb[i])
		}
	}
}
