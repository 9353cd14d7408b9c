package tensor

import (
	"fmt"
	"sync"

	"github.com/whitebox-de/whitebox/internal/par"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// smallGemm is the m*n*k below which a plain triple loop beats the BLAS call
// overhead; products with a narrow inner or output dimension (the spiral
// models' Dense(50,2) and its gradients) use the loops up to 2^20
// multiply-adds (measured with BenchmarkMatMulSmall).
const smallGemm = 8192

func general(d *Dense) blas64.General {
	return blas64.General{Rows: d.Rows, Cols: d.Cols, Stride: max(d.Cols, 1), Data: d.Data}
}

// MatMulRow computes dst = a*b + row, with the 1 x n row added to every row
// (a dense layer's bias): dst is filled with the row and the product
// accumulated onto it, by each core on its own block when the product is
// split, so BLAS does not zero dst first. dst must not alias a or b.
func MatMulRow(dst *Dense, a, b *Dense, row []float64) {
	if len(row) != dst.Cols {
		panic(fmt.Sprintf("tensor: MatMulRow: row of length %d for a %s result", len(row), dst.Shape()))
	}
	matMul(dst, 1, a, false, b, false, 1, row)
}

// MatMul computes dst = alpha*op(a)*op(b) + beta*dst, where op transposes
// when the matching flag is set. dst must not alias a or b. With beta = 0,
// dst is not read (NaNs in it do not propagate), as in BLAS.
func MatMul(dst *Dense, alpha float64, a *Dense, transA bool, b *Dense, transB bool, beta float64) {
	matMul(dst, alpha, a, transA, b, transB, beta, nil)
}

// matMul is MatMul that first fills dst with row (if not nil) in each block.
func matMul(dst *Dense, alpha float64, a *Dense, transA bool, b *Dense, transB bool, beta float64, row []float64) {
	m, k := a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || dst.Rows != m || dst.Cols != n {
		panic(fmt.Sprintf("tensor: MatMul: shape mismatch op(a) %dx%d * op(b) %dx%d into %dx%d",
			m, k, kb, n, dst.Rows, dst.Cols))
	}
	if m == 0 || n == 0 {
		return
	}
	split := splitGemm && m*n*k >= minSplitGemm && par.Workers() > 1
	if row != nil && !split {
		dst.FillRows(row)
	}
	if k == 0 {
		if beta == 0 {
			clear(dst.Data) // dst is not read when beta is 0, as in BLAS
		} else {
			Scale(dst.Data, beta, dst.Data)
		}
		return
	}
	if m*n*k <= smallGemm || (min(n, k) <= 8 && m*n*k <= 1<<20) {
		smallMatMul(dst, alpha, a, transA, b, transB, beta, m, n, k)
		return
	}
	if split {
		j := gemmPool.Get().(*gemmJob)
		*j = gemmJob{alpha: alpha, beta: beta, a: a, b: b, c: dst, transA: transA, transB: transB, row: row}
		// Split the longer of C's dimensions into blocks of whole rows or
		// columns; each block is an independent product on a strided view.
		if m >= n {
			par.ForGrain(m, max(8, m/par.Workers()), j)
		} else {
			j.byCols = true
			par.ForGrain(n, max(8, n/par.Workers()), j)
		}
		*j = gemmJob{}
		gemmPool.Put(j)
		return
	}
	gemm(alpha, general(a), transA, general(b), transB, beta, general(dst))
}

// minSplitGemm is the m*n*k from which products are split across workers.
const minSplitGemm = 1 << 18

func gemm(alpha float64, a blas64.General, transA bool, b blas64.General, transB bool, beta float64, c blas64.General) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	blas64.Gemm(ta, tb, alpha, a, b, beta, c)
}

type gemmJob struct {
	alpha, beta    float64
	a, b, c        *Dense
	transA, transB bool
	byCols         bool
	row            []float64 // filled into the block first, when not nil
}

var gemmPool = sync.Pool{New: func() any { return new(gemmJob) }}

// rows returns rows [lo, hi) of d as a view.
func rows(d blas64.General, lo, hi int) blas64.General {
	return blas64.General{Rows: hi - lo, Cols: d.Cols, Stride: d.Stride, Data: d.Data[lo*d.Stride : (hi-1)*d.Stride+d.Cols]}
}

// cols returns columns [lo, hi) of d as a view.
func cols(d blas64.General, lo, hi int) blas64.General {
	return blas64.General{Rows: d.Rows, Cols: hi - lo, Stride: d.Stride, Data: d.Data[lo : (d.Rows-1)*d.Stride+hi]}
}

func (j *gemmJob) Run(lo, hi int) {
	a, b, c := general(j.a), general(j.b), general(j.c)
	if j.row != nil {
		if j.byCols {
			for i := range c.Rows {
				copy(c.Data[i*c.Stride+lo:i*c.Stride+hi], j.row[lo:hi])
			}
		} else {
			for i := lo; i < hi; i++ {
				copy(c.Data[i*c.Stride:i*c.Stride+c.Cols], j.row)
			}
		}
	}
	if !j.byCols {
		// C[lo:hi, :] = op(A)[lo:hi, :] * op(B).
		if j.transA {
			a = cols(a, lo, hi)
		} else {
			a = rows(a, lo, hi)
		}
		gemm(j.alpha, a, j.transA, b, j.transB, j.beta, rows(c, lo, hi))
		return
	}
	// C[:, lo:hi] = op(A) * op(B)[:, lo:hi].
	if j.transB {
		b = rows(b, lo, hi)
	} else {
		b = cols(b, lo, hi)
	}
	gemm(j.alpha, a, j.transA, b, j.transB, j.beta, cols(c, lo, hi))
}

func smallMatMul(dst *Dense, alpha float64, a *Dense, transA bool, b *Dense, transB bool, beta float64, m, n, k int) {
	ad, bd, cd := a.Data, b.Data, dst.Data
	as, bs := a.Cols, b.Cols
	if beta == 0 {
		clear(cd)
	} else if beta != 1 {
		for j := range cd {
			cd[j] *= beta
		}
	}
	switch {
	case !transA && (transB || n < 8):
		// Dot products of rows of A with columns of op(B): contiguous for
		// transposed B, short strides for narrow B.
		for i := 0; i < m; i++ {
			arow := ad[i*as : i*as+k]
			crow := cd[i*n : (i+1)*n]
			if transB && k == 2 {
				a0, a1 := alpha*arow[0], alpha*arow[1]
				for j := range crow {
					crow[j] += a0*bd[j*bs] + a1*bd[j*bs+1]
				}
				continue
			}
			for j := range crow {
				s := 0.0
				if transB {
					brow := bd[j*bs : j*bs+k]
					for p, av := range arow {
						s += av * brow[p]
					}
				} else {
					for p, av := range arow {
						s += av * bd[p*bs+j]
					}
				}
				crow[j] += alpha * s
			}
		}
	case !transB:
		// Rank-1 updates row by row of B: contiguous over B's and C's rows.
		for p := 0; p < k; p++ {
			brow := bd[p*bs : p*bs+n]
			for i := 0; i < m; i++ {
				var aip float64
				if transA {
					aip = ad[p*as+i]
				} else {
					aip = ad[i*as+p]
				}
				aip *= alpha
				if aip == 0 {
					continue
				}
				crow := cd[i*n : (i+1)*n]
				if n == 2 {
					crow[0] += aip * brow[0]
					crow[1] += aip * brow[1]
					continue
				}
				for j, bv := range brow {
					crow[j] += aip * bv
				}
			}
		}
	default:
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for p := 0; p < k; p++ {
					s += ad[p*as+i] * bd[j*bs+p]
				}
				cd[i*n+j] += alpha * s
			}
		}
	}
}
