package ad

import (
	"github.com/whitebox-de/whitebox/tensor"
)

func (tp *Tape) tan(id int32) (Var, bool) {
	if id < 0 || int(id) >= len(tp.tangents) || tp.tangents[id] < 0 {
		return Var{}, false
	}
	return Var{tp, tp.tangents[id]}, true
}

// sumTan adds optional terms; ok is false when both are absent.
func sumTan(a Var, okA bool, b Var, okB bool) (Var, bool) {
	switch {
	case okA && okB:
		return Add(a, b), true
	case okA:
		return a, true
	case okB:
		return b, true
	}
	return Var{}, false
}

// mask records a constant with m(x) elementwise.
func (tp *Tape) mask(x Var, m func(v float64) float64) Var {
	vx := tp.val(x)
	out, d := tp.push(opLeaf, -1, -1, vx.Rows, vx.Cols)
	vx = tp.val(x)
	for k, v := range vx.Data {
		d.Data[k] = m(v)
	}
	return out
}

// jvp records the tangent of node i from its inputs' tangents (a
// Jacobian-vector product written with ordinary ops, so it is itself
// differentiable).
func (tp *Tape) jvp(i int32) (Var, bool) {
	n := tp.nodes[i]
	y := Var{tp, i}
	a, b := Var{tp, n.a}, Var{tp, n.b}
	ta, okA := tp.tan(n.a)
	tb, okB := tp.tan(n.b)
	if !okA && !okB && n.op != opLinComb && n.op != opDense && n.op != opErrorNorm {
		return Var{}, false
	}
	switch n.op {
	case opMatMul:
		var l, r Var
		if okA {
			l = MatMul(ta, b)
		}
		if okB {
			r = MatMul(a, tb)
		}
		return sumTan(l, okA, r, okB)
	case opDense:
		c := Var{tp, n.c}
		tc, okC := tp.tan(n.c)
		var l, r Var
		if okA {
			l = MatMul(ta, b)
		}
		if okB {
			r = MatMul(a, tb)
		}
		tz, ok := sumTan(l, okA, r, okB)
		if okC {
			if !ok {
				tz = tp.Fill(tp.val(y).Rows, tp.val(y).Cols, 0)
			}
			tz, ok = AddRow(tz, tc), true
		}
		if !ok {
			return Var{}, false
		}
		_ = c
		if n.i0 == ActTanh {
			tz = Mul(tz, oneMinusSq(y))
		}
		return tz, true
	case opAddRow:
		if !okA {
			ta = tp.Fill(tp.val(y).Rows, tp.val(y).Cols, 0)
		}
		if okB {
			return AddRow(ta, tb), true
		}
		return ta, true
	case opAddCol:
		if !okA {
			ta = tp.Fill(tp.val(y).Rows, tp.val(y).Cols, 0)
		}
		if okB {
			return AddCol(ta, tb), true
		}
		return ta, true
	case opAdd:
		return sumTan(ta, okA, tb, okB)
	case opSub:
		if okB {
			tb = Neg(tb)
		}
		return sumTan(ta, okA, tb, okB)
	case opMul:
		var l, r Var
		if okA {
			l = Mul(ta, b)
		}
		if okB {
			r = Mul(a, tb)
		}
		return sumTan(l, okA, r, okB)
	case opDiv:
		// d(a/b) = da/b - y*db/b
		var l, r Var
		if okA {
			l = Div(ta, b)
		}
		if okB {
			r = Neg(Div(Mul(y, tb), b))
		}
		return sumTan(l, okA, r, okB)
	case opMax:
		var l, r Var
		if okA {
			l = Mul(ta, tp.maskPair(a, b, true))
		}
		if okB {
			r = Mul(tb, tp.maskPair(a, b, false))
		}
		return sumTan(l, okA, r, okB)
	case opScale:
		return Scale(ta, n.s), true
	case opScaleBy:
		var l, r Var
		if okA {
			l = ScaleBy(ta, b)
		}
		if okB {
			r = ScaleBy(a, tb)
		}
		return sumTan(l, okA, r, okB)
	case opAddScalar:
		return ta, true
	case opNeg:
		return Neg(ta), true
	case opTanh:
		return Mul(ta, oneMinusSq(y)), true
	case opSigmoid:
		return Mul(ta, Mul(y, AddScalar(Neg(y), 1))), true
	case opSoftplus:
		return Mul(ta, Sigmoid(a)), true
	case opRelu:
		return Mul(ta, tp.mask(a, func(v float64) float64 {
			if v > 0 {
				return 1
			}
			return 0
		})), true
	case opExp:
		return Mul(ta, y), true
	case opLog:
		return Div(ta, a), true
	case opSquare:
		return Scale(Mul(a, ta), 2), true
	case opCube:
		return Scale(Mul(Square(a), ta), 3), true
	case opPow:
		return Mul(ta, Scale(Pow(a, n.s-1), n.s)), true
	case opAbs:
		return Mul(ta, tp.mask(a, func(v float64) float64 {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return 0
		})), true
	case opConcatCols:
		if !okA {
			ta = tp.Fill(tp.val(a).Rows, tp.val(a).Cols, 0)
		}
		if !okB {
			tb = tp.Fill(tp.val(b).Rows, tp.val(b).Cols, 0)
		}
		return ConcatCols(ta, tb), true
	case opSliceCols:
		return SliceCols(ta, n.i0, n.i0+tp.val(y).Cols), true
	case opSliceRows:
		return SliceRows(ta, n.i0, n.i0+tp.val(y).Rows), true
	case opSum:
		return Sum(ta), true
	case opMean:
		return Mean(ta), true
	case opRowSums:
		return RowSums(ta), true
	case opRMS:
		// d sqrt(mean(x^2)) = mean(x*dx)/y; 0 where y = 0.
		if tp.val(y).Data[0] == 0 {
			return Scale(Sum(ta), 0), true
		}
		return Div(Mean(Mul(a, ta)), y), true
	case opLogSumExp:
		// d lse = sum_j softmax_ij dx_ij
		sm := Exp(AddCol(a, Neg(y)))
		return RowSums(Mul(sm, ta)), true
	case opLogSoftmax:
		sm := Exp(y)
		return AddCol(ta, Neg(RowSums(Mul(sm, ta)))), true
	case opRMSDiff:
		if tp.val(y).Data[0] == 0 {
			return Scale(y, 0), true
		}
		var td Var
		switch {
		case okA && okB:
			td = Sub(ta, tb)
		case okA:
			td = ta
		default:
			td = Neg(tb)
		}
		return Div(Mean(Mul(Sub(a, b), td)), y), true
	case opErrorNorm:
		// y = RMS(r), r = x/s, s = atol + rtol*max(|u0|,|u1|):
		// y' = mean(r*r')/y with r' = (x' - r*s')/s.
		c := Var{tp, n.c}
		tc, okC := tp.tan(n.c)
		if !okA && !okB && !okC {
			return Var{}, false
		}
		if tp.val(y).Data[0] == 0 {
			return Scale(y, 0), true
		}
		atol, rtol := n.s, n.coef[0]
		sc := AddScalar(Scale(Max(Abs(b), Abs(c)), rtol), atol)
		r := Div(a, sc)
		var ts Var
		okS := false
		if okB {
			m := tp.maskPair(Abs(b), Abs(c), true)
			ts, okS = Mul(tb, Mul(m, tp.mask(b, sign))), true
		}
		if okC {
			m := tp.maskPair(Abs(b), Abs(c), false)
			t1 := Mul(tc, Mul(m, tp.mask(c, sign)))
			ts, okS = sumTan(ts, okS, t1, true)
		}
		var tr Var
		switch {
		case okA && okS:
			tr = Sub(ta, Mul(r, Scale(ts, rtol)))
		case okA:
			tr = ta
		default:
			tr = Neg(Mul(r, Scale(ts, rtol)))
		}
		return Div(Mean(Mul(r, Div(tr, sc))), y), true
	case opLinComb:
		var coef []float64
		var ts []Var
		for k, id := range n.args {
			if t, ok := tp.tan(id); ok && n.coef[k] != 0 {
				coef = append(coef, n.coef[k])
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 {
			return Var{}, false
		}
		return LinComb(coef, ts), true
	}
	panic("ad: jvp: unknown op")
}

func oneMinusSq(y Var) Var { return AddScalar(Neg(Square(y)), 1) }

// maskPair records the constant 1 where a wins Max(a, b) (first) or where b
// wins (!first).
func (tp *Tape) maskPair(a, b Var, first bool) Var {
	va := tp.val(a)
	out, d := tp.push(opLeaf, -1, -1, va.Rows, va.Cols)
	va, vb := tp.val(a), tp.val(b)
	for k := range d.Data {
		win := va.Data[k] >= vb.Data[k]
		if win == first {
			d.Data[k] = 1
		} else {
			d.Data[k] = 0
		}
	}
	return out
}

var _ = tensor.New
