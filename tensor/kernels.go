package tensor

import (
	"fmt"
	"math"
	"sync"

	"github.com/whitebox-de/whitebox/internal/fastmath"
	"github.com/whitebox-de/whitebox/internal/par"
	"github.com/whitebox-de/whitebox/internal/vec"
)

// ew is one elementwise job: fn applied to aligned subranges of dst, a and
// b. Jobs are pooled so that parallel dispatch allocates nothing in steady
// state; short loops call fn directly.
type ew struct {
	fn   func(dst, a, b []float64, s float64)
	dst  []float64
	a, b []float64
	s    float64
}

func sub(x []float64, lo, hi int) []float64 {
	if x == nil {
		return nil
	}
	return x[lo:hi]
}

func (k *ew) Run(lo, hi int) { k.fn(k.dst[lo:hi], sub(k.a, lo, hi), sub(k.b, lo, hi), k.s) }

var ewPool = sync.Pool{New: func() any { return new(ew) }}

func run(fn func(dst, a, b []float64, s float64), dst, a, b []float64, s float64) {
	if len(dst) < par.MinParallel {
		fn(dst, a, b, s)
		return
	}
	k := ewPool.Get().(*ew)
	*k = ew{fn: fn, dst: dst, a: a, b: b, s: s}
	par.For(len(dst), k)
	*k = ew{}
	ewPool.Put(k)
}

func checkLen(op string, dst []float64, srcs ...[]float64) {
	for _, s := range srcs {
		if len(s) != len(dst) {
			panic(fmt.Sprintf("tensor: %s: length mismatch %d vs %d", op, len(dst), len(s)))
		}
	}
}

// Tanh sets dst = tanh(src) elementwise (dst may alias src).
func Tanh(dst, src []float64) {
	checkLen("Tanh", dst, src)
	run(tanhK, dst, src, nil, 0)
}

func tanhK(d, a, _ []float64, _ float64) { fastmath.TanhSlice(d, a) }

// Sigmoid sets dst = 1/(1+exp(-src)) elementwise.
func Sigmoid(dst, src []float64) {
	checkLen("Sigmoid", dst, src)
	run(sigmoidK, dst, src, nil, 0)
}

func sigmoidK(d, a, _ []float64, _ float64) { fastmath.SigmoidSlice(d, a) }

// Exp sets dst = exp(src) elementwise.
func Exp(dst, src []float64) {
	checkLen("Exp", dst, src)
	run(expK, dst, src, nil, 0)
}

func expK(d, a, _ []float64, _ float64) { fastmath.ExpSlice(d, a) }

// Add sets dst = a + b.
func Add(dst, a, b []float64) {
	checkLen("Add", dst, a, b)
	run(addK, dst, a, b, 0)
}

func addK(d, a, b []float64, _ float64) {
	for i := range d {
		d[i] = a[i] + b[i]
	}
}

// Sub sets dst = a - b.
func Sub(dst, a, b []float64) {
	checkLen("Sub", dst, a, b)
	run(subK, dst, a, b, 0)
}

func subK(d, a, b []float64, _ float64) {
	for i := range d {
		d[i] = a[i] - b[i]
	}
}

// Mul sets dst = a .* b.
func Mul(dst, a, b []float64) {
	checkLen("Mul", dst, a, b)
	run(mulK, dst, a, b, 0)
}

func mulK(d, a, b []float64, _ float64) {
	for i := range d {
		d[i] = a[i] * b[i]
	}
}

// AddMul sets dst += a .* b.
func AddMul(dst, a, b []float64) {
	checkLen("AddMul", dst, a, b)
	run(addMulK, dst, a, b, 0)
}

func addMulK(d, a, b []float64, _ float64) {
	for i := range d {
		d[i] += a[i] * b[i]
	}
}

// Scale sets dst = s*a.
func Scale(dst []float64, s float64, a []float64) {
	checkLen("Scale", dst, a)
	run(scaleK, dst, a, nil, s)
}

func scaleK(d, a, _ []float64, s float64) {
	for i := range d {
		d[i] = s * a[i]
	}
}

// AddScaled sets dst = a + s*b.
func AddScaled(dst, a []float64, s float64, b []float64) {
	checkLen("AddScaled", dst, a, b)
	run(addScaledK, dst, a, b, s)
}

func addScaledK(d, a, b []float64, s float64) {
	for i := range d {
		d[i] = a[i] + s*b[i]
	}
}

// LinComb sets dst = sum_i coef[i]*srcs[i]; terms with a zero coefficient are
// skipped. It is the fused Runge-Kutta stage combination. dst must not alias
// a source.
//
// The terms are accumulated in order, one fused multiply-add each (the
// first a product), whatever the length and the number of sources: a base
// term placed last with coefficient 1 is added once to the rounded sum of
// the others. A Runge-Kutta step forms u + h*sum_i b_i k_i that way, the
// increment first, so that a component of u much larger than the increment
// is rounded once rather than once per term.
func LinComb(dst []float64, coef []float64, srcs [][]float64) {
	linCombJob("LinComb", dst, coef, srcs, false)
}

// LinCombAdd adds sum_i coef[i]*srcs[i] to dst (the gathered cotangent of a
// value used by several linear combinations). dst must not alias a source.
func LinCombAdd(dst []float64, coef []float64, srcs [][]float64) {
	linCombJob("LinCombAdd", dst, coef, srcs, true)
}

func linCombJob(name string, dst []float64, coef []float64, srcs [][]float64, acc bool) {
	if len(coef) != len(srcs) {
		panic(fmt.Sprintf("tensor: %s: %d coefficients for %d sources", name, len(coef), len(srcs)))
	}
	checkLen(name, dst, srcs...)
	k := lcPool.Get().(*lcJob)
	fc, fs := nonzero(k.fc[:0], k.fs[:0], coef, srcs)
	*k = lcJob{dst: dst, fc: fc, fs: fs, acc: acc}
	if len(dst) < par.MinParallel {
		k.Run(0, len(dst))
	} else {
		par.For(len(dst), k)
	}
	clear(fs)
	*k = lcJob{fc: fc[:0], fs: fs[:0]}
	lcPool.Put(k)
}

type lcJob struct {
	dst []float64
	fc  []float64   // nonzero coefficients
	fs  [][]float64 // their sources
	acc bool
}

// lcChunk is the number of sources combined per pass; more sources take
// further passes accumulating into dst.
const lcChunk = 16

func (k *lcJob) Run(lo, hi int) {
	combineRange(k.dst[lo:hi], k.acc, k.fc, k.fs, lo, hi)
}

// combineRange sets d (or adds to it, with acc) sum_i c[i]*src[i][lo:hi],
// lcChunk sources per pass.
func combineRange(d []float64, acc bool, c []float64, src [][]float64, lo, hi int) {
	if len(c) == 0 && !acc {
		clear(d)
		return
	}
	var ss [lcChunk][]float64
	for j := 0; j < len(c); j += lcChunk {
		m := min(lcChunk, len(c)-j)
		for i := range m {
			ss[i] = src[j+i][lo:hi]
		}
		vec.LinComb(d, acc, c[j:j+m], ss[:m])
		acc = true
	}
}

// nonzero appends the terms with a nonzero coefficient: linear
// combinations drop the others (0*Inf would give NaN).
func nonzero(fc []float64, fs [][]float64, c []float64, s [][]float64) ([]float64, [][]float64) {
	for i, v := range c {
		if v != 0 {
			fc = append(fc, v)
			fs = append(fs, s[i])
		}
	}
	return fc, fs
}

var lcPool = sync.Pool{New: func() any { return new(lcJob) }}

// AddRow sets dst = src + row where row (length cols) is added to every row
// of src (bias broadcast). dst may alias src.
func AddRow(dst, src, row []float64, cols int) {
	checkLen("AddRow", dst, src)
	if cols <= 0 || len(row) != cols || len(dst)%cols != 0 {
		panic(fmt.Sprintf("tensor: AddRow: row of length %d does not broadcast over %d values with %d columns", len(row), len(dst), cols))
	}
	rows := len(dst) / cols
	if len(dst) < par.MinParallel {
		addRow(dst, src, row, cols, 0, rows)
		return
	}
	k := arPool.Get().(*arJob)
	*k = arJob{dst: dst, src: src, row: row, cols: cols}
	par.ForGrain(rows, max(1, par.MinParallel/cols), k)
	*k = arJob{}
	arPool.Put(k)
}

type arJob struct {
	dst, src, row []float64
	cols          int
}

func (k *arJob) Run(lo, hi int) { addRow(k.dst, k.src, k.row, k.cols, lo, hi) }

var arPool = sync.Pool{New: func() any { return new(arJob) }}

func addRow(dst, src, row []float64, c int, lo, hi int) {
	for r := lo; r < hi; r++ {
		d, s := dst[r*c:(r+1)*c], src[r*c:(r+1)*c]
		for j := range d {
			d[j] = s[j] + row[j]
		}
	}
}

// TanhBackward sets dst = g .* (1 - y.^2), the cotangent of tanh's input
// given its output y and output cotangent g.
func TanhBackward(dst, g, y []float64) {
	checkLen("TanhBackward", dst, g, y)
	run(tanhBackK, dst, g, y, 0)
}

func tanhBackK(d, g, y []float64, _ float64) { vec.TanhBackward(d, g, y) }

// ColSumsAdd sets dst[j] += sum_i m[i, j] for an r x len(dst) matrix m
// (the bias gradient of a dense layer).
func ColSumsAdd(dst, m []float64) {
	c := len(dst)
	if c == 0 || len(m)%c != 0 {
		panic(fmt.Sprintf("tensor: ColSumsAdd: %d values do not form rows of %d", len(m), c))
	}
	if len(m) < par.MinParallel || c < 64 {
		colSumsAdd(dst, m, 0, c)
		return
	}
	k := csPool.Get().(*csJob)
	*k = csJob{dst: dst, m: m}
	par.ForGrain(c, 32, k)
	*k = csJob{}
	csPool.Put(k)
}

type csJob struct{ dst, m []float64 }

func (k *csJob) Run(lo, hi int) { colSumsAdd(k.dst, k.m, lo, hi) }

var csPool = sync.Pool{New: func() any { return new(csJob) }}

func colSumsAdd(dst, m []float64, lo, hi int) {
	c := len(dst)
	d := dst[lo:hi]
	for r := 0; r+c <= len(m); r += c {
		row := m[r+lo : r+hi]
		for j, v := range row {
			d[j] += v
		}
	}
}

// AllFinite reports whether no element is NaN or infinite.
func AllFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
