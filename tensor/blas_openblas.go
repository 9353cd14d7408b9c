//go:build openblas && cgo

package tensor

// The openblas build tag routes every gonum blas64 call (and so every matrix
// product in this module) to OpenBLAS through the cgo bindings in
// gonum.org/v1/netlib/blas/netlib. Those bindings declare no linker flags of
// their own, so the flag is given here; on Debian it needs libopenblas-dev.

/*
#cgo LDFLAGS: -lopenblas
extern void openblas_set_num_threads(int);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLASBackend names what computes the matrix products in this build:
// "openblas" when built with -tags openblas, "pure-go" otherwise.
const BLASBackend = "openblas"

// splitGemm makes MatMul split large products across the par workers.
// OpenBLAS runs single-threaded under it: its own threads spin-wait between
// calls and would compete for the cores with the parallel elementwise
// kernels that run between matrix products (measured in BENCHMARKS.md).
const splitGemm = true

func init() {
	C.openblas_set_num_threads(1)
	blas64.Use(netlib.Implementation{})
}
