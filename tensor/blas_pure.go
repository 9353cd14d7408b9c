//go:build !openblas

package tensor

// BLASBackend names what computes the matrix products in this build:
// "pure-go" by default (package internal/gemm: a packed, blocked product
// with an AVX2/FMA micro-kernel on amd64 and the same arithmetic in Go
// elsewhere), "openblas" when built with -tags openblas.
const BLASBackend = "pure-go"

// splitGemm is false: internal/gemm parallelises large products itself.
const splitGemm = false

// ownGemm routes the products to internal/gemm instead of gonum's blas64.
const ownGemm = true
