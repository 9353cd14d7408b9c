package taylor

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
)

// The linear rules: a linear map acts on each coefficient, and a constant
// term (a bias) enters coefficient 0 only.

// MatMul returns x*w for a matrix w constant in time (a weight): (x w)_k =
// x_k w.
func MatMul(x *Series, w ad.Var) *Series {
	if w.Tape() != x.ev.tp {
		panic("taylor: MatMul: the weight is on another tape than the series")
	}
	if x.cols != w.Rows() {
		panic(fmt.Sprintf("taylor: MatMul: shape mismatch %dx%d * %dx%d", x.rows, x.cols, w.Rows(), w.Cols()))
	}
	return x.ev.make(x.rows, w.Cols(), func(k int) ad.Var {
		if !x.c[k].Valid() {
			return ad.Var{}
		}
		return ad.MatMul(x.c[k], w)
	})
}

// AddRow returns x + b with the constant 1 x cols row b (a bias) added to
// every row: only coefficient 0 changes.
func AddRow(x *Series, b ad.Var) *Series {
	if b.Tape() != x.ev.tp {
		panic("taylor: AddRow: the bias is on another tape than the series")
	}
	if b.Rows() != 1 || b.Cols() != x.cols {
		panic(fmt.Sprintf("taylor: AddRow: row %dx%d does not broadcast over %dx%d", b.Rows(), b.Cols(), x.rows, x.cols))
	}
	return x.ev.make(x.rows, x.cols, func(k int) ad.Var {
		if k == 0 {
			return ad.AddRow(x.ev.dense(x.c[0], x.rows, x.cols), b)
		}
		return x.c[k]
	})
}

// Add returns a + b.
func Add(a, b *Series) *Series {
	same("Add", a, b)
	return a.ev.make(a.rows, a.cols, func(k int) ad.Var { return add(a.c[k], b.c[k]) })
}

// Sub returns a - b.
func Sub(a, b *Series) *Series {
	same("Sub", a, b)
	return a.ev.make(a.rows, a.cols, func(k int) ad.Var {
		switch {
		case !b.c[k].Valid():
			return a.c[k]
		case !a.c[k].Valid():
			return ad.Neg(b.c[k])
		}
		return ad.Sub(a.c[k], b.c[k])
	})
}

// Scale returns s*x for a constant s.
func Scale(x *Series, s float64) *Series {
	return x.ev.make(x.rows, x.cols, func(k int) ad.Var {
		if !x.c[k].Valid() {
			return ad.Var{}
		}
		return ad.Scale(x.c[k], s)
	})
}

// Neg returns -x.
func Neg(x *Series) *Series {
	return x.ev.make(x.rows, x.cols, func(k int) ad.Var {
		if !x.c[k].Valid() {
			return ad.Var{}
		}
		return ad.Neg(x.c[k])
	})
}

// ConcatCols returns [a b], joining along features.
func ConcatCols(a, b *Series) *Series {
	if a.ev != b.ev {
		panic("taylor: ConcatCols: series from different evaluations")
	}
	if a.rows != b.rows {
		panic(fmt.Sprintf("taylor: ConcatCols: row mismatch %dx%d vs %dx%d", a.rows, a.cols, b.rows, b.cols))
	}
	return a.ev.make(a.rows, a.cols+b.cols, func(k int) ad.Var {
		if !a.c[k].Valid() && !b.c[k].Valid() {
			return ad.Var{}
		}
		return ad.ConcatCols(a.ev.dense(a.c[k], a.rows, a.cols), a.ev.dense(b.c[k], b.rows, b.cols))
	})
}

// SliceCols returns columns [lo, hi) of x.
func SliceCols(x *Series, lo, hi int) *Series {
	if lo < 0 || hi > x.cols || lo > hi {
		panic(fmt.Sprintf("taylor: SliceCols: columns [%d,%d) out of range for %dx%d", lo, hi, x.rows, x.cols))
	}
	return x.ev.make(x.rows, hi-lo, func(k int) ad.Var {
		if !x.c[k].Valid() {
			return ad.Var{}
		}
		return ad.SliceCols(x.c[k], lo, hi)
	})
}

// RepeatRows returns the 1-row series x repeated n times (n x cols), for
// example the time broadcast over a batch.
func RepeatRows(x *Series, n int) *Series {
	if x.rows != 1 || n < 1 {
		panic(fmt.Sprintf("taylor: RepeatRows: %d copies of a %dx%d series; want a 1-row series and n >= 1", n, x.rows, x.cols))
	}
	return x.ev.make(n, x.cols, func(k int) ad.Var {
		if !x.c[k].Valid() {
			return ad.Var{}
		}
		return ad.AddRow(x.ev.tp.Fill(n, x.cols, 0), x.c[k])
	})
}

// AppendTime returns [x t]: the 1 x 1 time series t appended to every row of
// x as a last feature, the input of a time-concatenating layer.
func AppendTime(x, t *Series) *Series {
	if t.rows != 1 || t.cols != 1 {
		panic(fmt.Sprintf("taylor: AppendTime: time series is %dx%d, want 1x1", t.rows, t.cols))
	}
	return ConcatCols(x, RepeatRows(t, x.rows))
}

// The product rules (Cauchy products).

// Mul returns the elementwise product a .* b: (a b)_k = sum_{j=0..k} a_j
// b_{k-j}.
func Mul(a, b *Series) *Series {
	same("Mul", a, b)
	return a.ev.make(a.rows, a.cols, func(k int) ad.Var { return cauchy(a.c, b.c, k) })
}

// cauchy returns sum_{j=0..k} a_j b_{k-j}.
func cauchy(a, b []ad.Var, k int) ad.Var {
	var acc ad.Var
	for j := 0; j <= k; j++ {
		acc = add(acc, mul(a[j], b[k-j]))
	}
	return acc
}

// cauchySquare returns sum_{j=0..k} a_j a_{k-j}, using its symmetry: twice
// the products with j < k-j, plus a_{k/2}^2 for even k.
func cauchySquare(a []ad.Var, k int) ad.Var { return scaledSquare(a, k, 1) }

// scaledSquare returns c * sum_{j=0..k} a_j a_{k-j}, folding c into the
// scaling the symmetric sum needs anyway.
func scaledSquare(a []ad.Var, k int, c float64) ad.Var {
	var acc ad.Var
	for j := 0; 2*j < k; j++ {
		acc = add(acc, mul(a[j], a[k-j]))
	}
	if k%2 == 1 {
		return scale(acc, 2*c)
	}
	h := a[k/2]
	if !h.Valid() {
		return scale(acc, 2*c)
	}
	if !acc.Valid() {
		return scale(ad.Square(h), c)
	}
	return scale(ad.Add(ad.Scale(acc, 2), ad.Square(h)), c)
}

// Square returns x.^2.
func Square(x *Series) *Series {
	return x.ev.make(x.rows, x.cols, func(k int) ad.Var { return cauchySquare(x.c, k) })
}

// Cube returns x.^3 = x.^2 .* x.
func Cube(x *Series) *Series { return Mul(Square(x), x) }

// PowInt returns x.^n for an integer n >= 0 by repeated squaring with
// Cauchy products (n = 0 gives the constant 1). Non-integer and negative
// powers, which need a division by x_0, have no rule here.
func PowInt(x *Series, n int) *Series {
	if n < 0 {
		panic(fmt.Sprintf("taylor: PowInt: power %d; only integer powers n >= 0 have a Taylor rule here", n))
	}
	if n == 0 {
		return x.ev.constant(x.rows, x.cols, []ad.Var{x.ev.tp.Fill(x.rows, x.cols, 1)})
	}
	var acc *Series
	for p := x; ; p = Square(p) {
		if n&1 == 1 {
			if acc == nil {
				acc = p
			} else {
				acc = Mul(acc, p)
			}
		}
		n >>= 1
		if n == 0 {
			return acc
		}
	}
}
