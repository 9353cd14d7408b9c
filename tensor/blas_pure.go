//go:build !openblas

package tensor

// BLASBackend names the BLAS implementation that gonum's blas64 uses in this
// build: "gonum" (pure Go) by default, "openblas" when built with
// -tags openblas.
const BLASBackend = "gonum"

// splitGemm is false: gonum's Dgemm parallelises large products itself.
const splitGemm = false
