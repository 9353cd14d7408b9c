//go:build !openblas

package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	igemm "github.com/whitebox-de/whitebox/internal/gemm"
)

// BLASBackend names what computes the matrix products in this build:
// "pure-go" by default (package internal/gemm: a packed, blocked product
// with an AVX2/FMA micro-kernel on amd64 and the same arithmetic in Go
// elsewhere), "openblas" when built with -tags openblas.
const BLASBackend = "pure-go"

// splitGemm is false: internal/gemm parallelises large products itself.
const splitGemm = false

// pureGo is gonum's pure-Go BLAS with its Dgemm replaced by internal/gemm's;
// the build installs it in blas64, so every blas64.Gemm of the process
// (MatMul's among them) takes the faster product.
type pureGo struct{ gonum.Implementation }

// Dgemm computes C = alpha*op(A)*op(B) + beta*C with internal/gemm.
func (pureGo) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	igemm.Dgemm(transposed(tA), transposed(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func transposed(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic(fmt.Sprintf("tensor: Dgemm: transpose flag %q is not N, T or C", byte(t)))
}

func init() {
	blas64.Use(pureGo{})
}
