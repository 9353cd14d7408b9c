package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// smallGemm is the m*n*k below which a plain triple loop beats the BLAS call
// overhead (measured with BenchmarkMatMulSmall).
const smallGemm = 8192

func general(d *Dense) blas64.General {
	return blas64.General{Rows: d.Rows, Cols: d.Cols, Stride: max(d.Cols, 1), Data: d.Data}
}

// MatMul computes dst = alpha*op(a)*op(b) + beta*dst, where op transposes
// when the matching flag is set. dst must not alias a or b.
func MatMul(dst *Dense, alpha float64, a *Dense, transA bool, b *Dense, transB bool, beta float64) {
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
	if k == 0 {
		Scale(dst.Data, beta, dst.Data)
		return
	}
	if m*n*k <= smallGemm {
		smallMatMul(dst, alpha, a, transA, b, transB, beta, m, n, k)
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	blas64.Gemm(ta, tb, alpha, general(a), general(b), beta, general(dst))
}

func smallMatMul(dst *Dense, alpha float64, a *Dense, transA bool, b *Dense, transB bool, beta float64, m, n, k int) {
	ad, bd, cd := a.Data, b.Data, dst.Data
	as, bs := a.Cols, b.Cols
	for i := 0; i < m; i++ {
		crow := cd[i*n : (i+1)*n]
		if beta == 0 {
			clear(crow)
		} else if beta != 1 {
			for j := range crow {
				crow[j] *= beta
			}
		}
		for p := 0; p < k; p++ {
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
			if !transB {
				brow := bd[p*bs : p*bs+n]
				for j, bv := range brow {
					crow[j] += aip * bv
				}
			} else {
				for j := 0; j < n; j++ {
					crow[j] += aip * bd[j*bs+p]
				}
			}
		}
	}
}
