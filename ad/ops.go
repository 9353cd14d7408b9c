package ad

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/tensor"
)

type opKind uint8

const (
	opLeaf opKind = iota
	opMatMul
	opAddRow
	opAddCol
	opAdd
	opSub
	opMul
	opDiv
	opScale
	opScaleBy
	opAddScalar
	opNeg
	opTanh
	opSigmoid
	opSoftplus
	opRelu
	opExp
	opLog
	opSquare
	opCube
	opPow
	opAbs
	opMax
	opConcatCols
	opSliceCols
	opSliceRows
	opSum
	opMean
	opRowSums
	opRMS
	opLogSumExp
	opLogSoftmax
	opLinComb
	opDense
	opRMSDiff
	opErrorNorm
)

// Activations for Dense.
const (
	ActIdentity = 0
	ActTanh     = 1
)

func (tp *Tape) sameShape(op string, a, b Var) {
	tp.check(a, b)
	va, vb := tp.val(a), tp.val(b)
	if va.Rows != vb.Rows || va.Cols != vb.Cols {
		panic(fmt.Sprintf("ad: %s: shape mismatch %s vs %s", op, va.Shape(), vb.Shape()))
	}
}

// MatMul returns a*b.
func MatMul(a, b Var) Var {
	tp := a.tp
	tp.check(a, b)
	va, vb := tp.val(a), tp.val(b)
	if va.Cols != vb.Rows {
		panic(fmt.Sprintf("ad: MatMul: shape mismatch %s * %s", va.Shape(), vb.Shape()))
	}
	out, d, reused := tp.pushProduct(opMatMul, a.id, b.id, va.Rows, vb.Cols)
	if !reused {
		tensor.MatMul(d, 1, va, false, vb, false, 0)
	}
	return out
}

// AddRow returns x + r with the 1 x cols row r added to every row of x
// (bias broadcast).
func AddRow(x, r Var) Var {
	tp := x.tp
	tp.check(x, r)
	vx, vr := tp.val(x), tp.val(r)
	if vr.Rows != 1 || vr.Cols != vx.Cols {
		panic(fmt.Sprintf("ad: AddRow: row %s does not broadcast over %s", vr.Shape(), vx.Shape()))
	}
	out, d := tp.push(opAddRow, x.id, r.id, vx.Rows, vx.Cols)
	tensor.AddRow(d.Data, vx.Data, vr.Data, vx.Cols)
	return out
}

// AddCol returns x + c with the rows x 1 column c added to every column of x.
func AddCol(x, c Var) Var {
	tp := x.tp
	tp.check(x, c)
	vx, vc := tp.val(x), tp.val(c)
	if vc.Cols != 1 || vc.Rows != vx.Rows {
		panic(fmt.Sprintf("ad: AddCol: column %s does not broadcast over %s", vc.Shape(), vx.Shape()))
	}
	out, d := tp.push(opAddCol, x.id, c.id, vx.Rows, vx.Cols)
	for i := 0; i < vx.Rows; i++ {
		ci := vc.Data[i]
		xr, dr := vx.Row(i), d.Row(i)
		for j := range dr {
			dr[j] = xr[j] + ci
		}
	}
	return out
}

// Dense returns act(x*W + b) for a 1 x out bias b, fused into one node; act is
// ActIdentity or ActTanh.
func Dense(x, w, b Var, act int) Var {
	tp := x.tp
	tp.check(x, w, b)
	vx, vw, vb := tp.val(x), tp.val(w), tp.val(b)
	if vx.Cols != vw.Rows || vb.Rows != 1 || vb.Cols != vw.Cols {
		panic(fmt.Sprintf("ad: Dense: shape mismatch x %s, W %s, b %s", vx.Shape(), vw.Shape(), vb.Shape()))
	}
	if act != ActIdentity && act != ActTanh {
		panic(fmt.Sprintf("ad: Dense: unknown activation %d", act))
	}
	out, d, reused := tp.pushProduct(opDense, x.id, w.id, vx.Rows, vw.Cols)
	n := &tp.nodes[out.id]
	n.c = b.id
	n.i0 = act
	n.needs = n.needs || tp.nodes[b.id].needs
	if !reused {
		tensor.MatMulRow(d, vx, vw, vb.Data)
		if act == ActTanh {
			tensor.Tanh(d.Data, d.Data)
		}
	}
	return out
}

func binary(op opKind, name string, a, b Var) (Var, *tensor.Dense, *tensor.Dense, *tensor.Dense) {
	tp := a.tp
	tp.sameShape(name, a, b)
	va, vb := tp.val(a), tp.val(b)
	out, d := tp.push(op, a.id, b.id, va.Rows, va.Cols)
	return out, d, va, vb
}

// Add returns a + b.
func Add(a, b Var) Var {
	out, d, va, vb := binary(opAdd, "Add", a, b)
	tensor.Add(d.Data, va.Data, vb.Data)
	return out
}

// Sub returns a - b.
func Sub(a, b Var) Var {
	out, d, va, vb := binary(opSub, "Sub", a, b)
	tensor.Sub(d.Data, va.Data, vb.Data)
	return out
}

// Mul returns a .* b.
func Mul(a, b Var) Var {
	out, d, va, vb := binary(opMul, "Mul", a, b)
	tensor.Mul(d.Data, va.Data, vb.Data)
	return out
}

// Div returns a ./ b.
func Div(a, b Var) Var {
	out, d, va, vb := binary(opDiv, "Div", a, b)
	for i := range d.Data {
		d.Data[i] = va.Data[i] / vb.Data[i]
	}
	return out
}

// Max returns the elementwise maximum of a and b; where they tie the
// gradient goes to a.
func Max(a, b Var) Var {
	out, d, va, vb := binary(opMax, "Max", a, b)
	for i := range d.Data {
		d.Data[i] = math.Max(va.Data[i], vb.Data[i])
	}
	return out
}

func unary(op opKind, x Var) (Var, *tensor.Dense, *tensor.Dense) {
	tp := x.tp
	tp.check(x)
	vx := tp.val(x)
	out, d := tp.push(op, x.id, -1, vx.Rows, vx.Cols)
	return out, d, vx
}

// Scale returns s*x for a constant s.
func Scale(x Var, s float64) Var {
	out, d, vx := unary(opScale, x)
	tp := x.tp
	tp.nodes[out.id].s = s
	tensor.Scale(d.Data, s, vx.Data)
	return out
}

// ScaleBy returns s*x for a 1x1 Var s.
func ScaleBy(x, s Var) Var {
	tp := x.tp
	tp.check(x, s)
	vs := tp.val(s)
	if vs.Rows != 1 || vs.Cols != 1 {
		panic(fmt.Sprintf("ad: ScaleBy: scale must be 1x1, got %s", vs.Shape()))
	}
	vx := tp.val(x)
	out, d := tp.push(opScaleBy, x.id, s.id, vx.Rows, vx.Cols)
	tensor.Scale(d.Data, vs.Data[0], vx.Data)
	return out
}

// AddScalar returns x + s for a constant s.
func AddScalar(x Var, s float64) Var {
	out, d, vx := unary(opAddScalar, x)
	x.tp.nodes[out.id].s = s
	for i, v := range vx.Data {
		d.Data[i] = v + s
	}
	return out
}

// Neg returns -x.
func Neg(x Var) Var {
	out, d, vx := unary(opNeg, x)
	for i, v := range vx.Data {
		d.Data[i] = -v
	}
	return out
}

// Tanh returns tanh(x).
func Tanh(x Var) Var {
	out, d, vx := unary(opTanh, x)
	tensor.Tanh(d.Data, vx.Data)
	return out
}

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x Var) Var {
	out, d, vx := unary(opSigmoid, x)
	tensor.Sigmoid(d.Data, vx.Data)
	return out
}

// Softplus returns log(1+exp(x)), computed without overflow.
func Softplus(x Var) Var {
	out, d, vx := unary(opSoftplus, x)
	for i, v := range vx.Data {
		d.Data[i] = softplus(v)
	}
	return out
}

func softplus(v float64) float64 {
	if v > 0 {
		return v + math.Log1p(math.Exp(-v))
	}
	return math.Log1p(math.Exp(v))
}

// Relu returns max(x, 0); its derivative at 0 is taken as 0.
func Relu(x Var) Var {
	out, d, vx := unary(opRelu, x)
	for i, v := range vx.Data {
		d.Data[i] = math.Max(v, 0)
	}
	return out
}

// Exp returns exp(x).
func Exp(x Var) Var {
	out, d, vx := unary(opExp, x)
	tensor.Exp(d.Data, vx.Data)
	return out
}

// Log returns the natural logarithm of x.
func Log(x Var) Var {
	out, d, vx := unary(opLog, x)
	for i, v := range vx.Data {
		d.Data[i] = math.Log(v)
	}
	return out
}

// Square returns x.^2.
func Square(x Var) Var {
	out, d, vx := unary(opSquare, x)
	tensor.Mul(d.Data, vx.Data, vx.Data)
	return out
}

// Cube returns x.^3.
func Cube(x Var) Var {
	out, d, vx := unary(opCube, x)
	for i, v := range vx.Data {
		d.Data[i] = v * v * v
	}
	return out
}

// Pow returns x.^p for a constant p.
func Pow(x Var, p float64) Var {
	out, d, vx := unary(opPow, x)
	x.tp.nodes[out.id].s = p
	for i, v := range vx.Data {
		d.Data[i] = math.Pow(v, p)
	}
	return out
}

// Abs returns |x|; its derivative at 0 is taken as 0.
func Abs(x Var) Var {
	out, d, vx := unary(opAbs, x)
	for i, v := range vx.Data {
		d.Data[i] = math.Abs(v)
	}
	return out
}

// ConcatCols returns [a b], joining along features (columns).
func ConcatCols(a, b Var) Var {
	tp := a.tp
	tp.check(a, b)
	va, vb := tp.val(a), tp.val(b)
	if va.Rows != vb.Rows {
		panic(fmt.Sprintf("ad: ConcatCols: row mismatch %s vs %s", va.Shape(), vb.Shape()))
	}
	out, d := tp.push(opConcatCols, a.id, b.id, va.Rows, va.Cols+vb.Cols)
	for i := 0; i < va.Rows; i++ {
		r := d.Row(i)
		copy(r, va.Row(i))
		copy(r[va.Cols:], vb.Row(i))
	}
	return out
}

// SliceCols returns columns [lo, hi) of x.
func SliceCols(x Var, lo, hi int) Var {
	tp := x.tp
	tp.check(x)
	vx := tp.val(x)
	if lo < 0 || hi > vx.Cols || lo > hi {
		panic(fmt.Sprintf("ad: SliceCols: columns [%d,%d) out of range for %s", lo, hi, vx.Shape()))
	}
	out, d := tp.push(opSliceCols, x.id, -1, vx.Rows, hi-lo)
	tp.nodes[out.id].i0 = lo
	for i := 0; i < vx.Rows; i++ {
		copy(d.Row(i), vx.Row(i)[lo:hi])
	}
	return out
}

// SliceRows returns rows [lo, hi) of x, for example the time row of a
// time-concatenating layer's weight matrix. The result shares x's memory.
func SliceRows(x Var, lo, hi int) Var {
	tp := x.tp
	tp.check(x)
	vx := tp.val(x)
	if lo < 0 || hi > vx.Rows || lo > hi {
		panic(fmt.Sprintf("ad: SliceRows: rows [%d,%d) out of range for %s", lo, hi, vx.Shape()))
	}
	// Rows of a row-major matrix are contiguous: the result is a view.
	needs := tp.nodes[x.id].needs
	view := tp.view()
	view.Rows, view.Cols, view.Data = hi-lo, vx.Cols, vx.Data[lo*vx.Cols:hi*vx.Cols]
	tp.nodes = append(tp.nodes, node{op: opSliceRows, a: x.id, b: -1, c: -1, i0: lo, val: view, needs: needs, isView: true})
	return Var{tp, int32(len(tp.nodes) - 1)}
}

func reduce(op opKind, x Var, r, c int) (Var, *tensor.Dense, *tensor.Dense) {
	tp := x.tp
	tp.check(x)
	vx := tp.val(x)
	out, d := tp.push(op, x.id, -1, r, c)
	return out, d, vx
}

// Sum returns the 1x1 sum of all elements.
func Sum(x Var) Var {
	out, d, vx := reduce(opSum, x, 1, 1)
	s := 0.0
	for _, v := range vx.Data {
		s += v
	}
	d.Data[0] = s
	return out
}

// Mean returns the 1x1 mean of all elements.
func Mean(x Var) Var {
	out, d, vx := reduce(opMean, x, 1, 1)
	s := 0.0
	for _, v := range vx.Data {
		s += v
	}
	d.Data[0] = s / float64(len(vx.Data))
	return out
}

// RowSums returns the rows x 1 sums of each row.
func RowSums(x Var) Var {
	out, d, vx := reduce(opRowSums, x, x.Rows(), 1)
	for i := 0; i < vx.Rows; i++ {
		s := 0.0
		for _, v := range vx.Row(i) {
			s += v
		}
		d.Data[i] = s
	}
	return out
}

// RMS returns the 1x1 root mean square sqrt(sum(x^2)/len(x)), the norm the
// solvers use for error and stiffness estimates. Its gradient at 0 is 0.
func RMS(x Var) Var {
	tp := x.tp
	tp.check(x)
	vx := tp.val(x)
	out, d, reused := tp.pushCombination(opRMS, x.id, -1, 1, 1)
	if !reused {
		d.Data[0] = tensor.RMS(vx.Data)
	}
	return out
}

// LogSumExp returns the rows x 1 values log(sum_j exp(x_ij)), computed stably.
func LogSumExp(x Var) Var {
	out, d, vx := reduce(opLogSumExp, x, x.Rows(), 1)
	for i := 0; i < vx.Rows; i++ {
		d.Data[i] = logSumExp(vx.Row(i))
	}
	return out
}

func logSumExp(r []float64) float64 {
	m := math.Inf(-1)
	for _, v := range r {
		m = math.Max(m, v)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, v := range r {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// LogSoftmax returns x_ij - log(sum_k exp(x_ik)) row by row.
func LogSoftmax(x Var) Var {
	out, d, vx := unary(opLogSoftmax, x)
	for i := 0; i < vx.Rows; i++ {
		l := logSumExp(vx.Row(i))
		dr := d.Row(i)
		for j, v := range vx.Row(i) {
			dr[j] = v - l
		}
	}
	return out
}

// LinComb returns sum_i coef[i]*xs[i] for same-shaped xs: the fused
// Runge-Kutta stage combination. coef is copied.
func LinComb(coef []float64, xs []Var) Var {
	if len(coef) != len(xs) || len(xs) == 0 {
		panic(fmt.Sprintf("ad: LinComb: %d coefficients for %d values", len(coef), len(xs)))
	}
	tp := xs[0].tp
	for _, x := range xs[1:] {
		tp.sameShape("LinComb", xs[0], x)
	}
	v0 := tp.val(xs[0])
	start := len(tp.ints)
	needs := false
	for _, x := range xs {
		tp.ints = append(tp.ints, x.id)
		needs = needs || tp.nodes[x.id].needs
	}
	fstart := len(tp.floats)
	tp.floats = append(tp.floats, coef...)
	out, d, reused := tp.pushCombination(opLinComb, -1, -1, v0.Rows, v0.Cols)
	n := &tp.nodes[out.id]
	n.args = tp.ints[start:len(tp.ints):len(tp.ints)]
	n.coef = tp.floats[fstart:len(tp.floats):len(tp.floats)]
	n.needs = needs
	if !reused {
		tensor.LinComb(d.Data, n.coef, tp.srcs(n.args))
	}
	return out
}

// srcs returns the data slices of the given nodes in a reused buffer.
func (tp *Tape) srcs(ids []int32) [][]float64 {
	tp.scratch = tp.scratch[:0]
	for _, id := range ids {
		tp.scratch = append(tp.scratch, tp.nodes[id].val.Data)
	}
	return tp.scratch
}

// Apply records dst = f(x) computed by plain Go code, for dynamics written
// without ad ops. The result is a constant: no gradient or tangent flows
// through it, so it serves forward-only solves. f must fill all of dst
// (r x c) and must not keep either argument.
func Apply(x Var, r, c int, f func(dst, src *tensor.Dense)) Var {
	tp := x.tp
	tp.check(x)
	out, d := tp.push(opLeaf, -1, -1, r, c)
	f(d, tp.val(x))
	return out
}

// RMSDiff returns the 1x1 RMS(a - b) without materialising a - b: the
// numerator and denominator of the stiffness estimate. Its gradient at 0 is 0.
func RMSDiff(a, b Var) Var {
	tp := a.tp
	tp.sameShape("RMSDiff", a, b)
	va, vb := tp.val(a), tp.val(b)
	out, d, reused := tp.pushCombination(opRMSDiff, a.id, b.id, 1, 1)
	if !reused {
		d.Data[0] = tensor.RMSDiff(va.Data, vb.Data)
	}
	return out
}

// ErrorNorm returns the 1x1 error estimate of an embedded Runge-Kutta pair,
// RMS(x ./ (atol + rtol*max(|u0|, |u1|))), fused into one pass. x is the
// error estimate utilde, u0 and u1 the states at the start and end of the
// step. Where |u0| and |u1| tie, the gradient goes to u0.
func ErrorNorm(x, u0, u1 Var, atol, rtol float64) Var {
	tp := x.tp
	tp.sameShape("ErrorNorm", x, u0)
	tp.sameShape("ErrorNorm", x, u1)
	out, d, reused := tp.pushCombination(opErrorNorm, x.id, u0.id, 1, 1)
	n := &tp.nodes[out.id]
	n.c = u1.id
	n.s = atol
	n.coef = tp.floats[len(tp.floats):]
	tp.floats = append(tp.floats, rtol)
	n.coef = tp.floats[len(tp.floats)-1 : len(tp.floats) : len(tp.floats)]
	n.needs = n.needs || tp.nodes[u1.id].needs
	if !reused {
		d.Data[0] = tensor.ErrorNorm(tp.val(x).Data, tp.val(u0).Data, tp.val(u1).Data, atol, rtol)
	}
	return out
}
