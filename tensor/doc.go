// Package tensor provides dense float64 matrices and the fused, parallel
// kernels that Whitebox's autodiff and solvers are built on.
//
// # Layout
//
// A Dense is row-major with one sample per row: batch x features. This is the
// layout of gonum's blas64.General, and it is byte-for-byte the layout of the
// paper's Julia code (column-major features x batch), so a dense layer is
// y = x*W + b with W stored as (in x out) and every sample contiguous in
// memory. The solvers treat the whole matrix as one state vector: norms are
// the RMS over all elements.
//
// # BLAS
//
// Large matrix products of the default (pure-Go) build go to package
// internal/gemm, a packed, blocked product with an AVX2/FMA micro-kernel on
// amd64: gonum's pure-Go Dgemm, which the package used before, runs the
// products of a dense layer at 11-14 GFLOP/s on two cores and the weight
// gradient A^T*B at 2.5-3, internal/gemm at 35-75 (BenchmarkGemm there,
// BenchmarkDGEMM here). Building with the tag openblas (and cgo, with
// Debian's libopenblas-dev installed) routes them to OpenBLAS through
// gonum's blas64 instead. BLASBackend names the one compiled in. Small or
// narrow products (the spiral's Dense(50,2)) use plain loops in either
// build.
//
// # Kernels
//
// Elementwise functions (Tanh, LinComb, ...) take destination first, never
// allocate, and split loops longer than par.MinParallel over the machine's
// cores. Shape mismatches are programmer errors and panic with a message
// naming both shapes. Norms are sums over fixed blocks added in block order,
// so their bits do not depend on the number of cores; FusedSums computes a
// linear combination and several such sums (of further combinations) in one
// blocked pass with the same bits as the separate calls.
package tensor
