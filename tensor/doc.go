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
// Matrix products go through gonum's blas64. The default (pure-Go) build
// installs there gonum's pure-Go BLAS with its Dgemm replaced by package
// internal/gemm's, a packed, blocked product with an AVX2/FMA micro-kernel
// on amd64: gonum's own Dgemm runs the products of a dense layer at 8-13
// GFLOP/s on two cores and the weight gradient A^T*B at 2.6-3.0,
// internal/gemm at 29-77 (BenchmarkGemm there, BenchmarkDGEMM here; the
// run of 2026-12-06 is in benchmarks/). Building with the tag openblas
// (and cgo, with Debian's libopenblas-dev installed) installs OpenBLAS
// instead. BLASBackend names the one compiled in. Small or narrow products
// (the spiral's Dense(50,2)) use plain loops in either build.
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
