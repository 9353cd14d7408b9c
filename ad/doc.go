// Package ad is Whitebox's define-by-run automatic differentiation: reverse
// mode (vector-Jacobian products) and forward mode (Jacobian-vector products)
// over dense float64 matrices.
//
// # Why our own
//
// The solvers differentiate through an adaptive loop whose number of steps
// depends on the data, so the graph must be recorded as the code runs. No
// maintained Go library fits: Gorgonia builds static graphs and has had no
// release since 2023, spago is paused, and GoMLX has no reverse mode through
// data-dependent loops. This package is small, allocation-free in steady
// state, and built on package tensor's BLAS-backed kernels.
//
// # Model
//
// A Tape records operations as they run. Values are Vars (handles into the
// tape); trainable tensors are Params, bound per recording with Tape.Param.
// Backward propagates cotangents and adds parameter gradients into
// Param.Grad. Reset recycles every buffer, so recording the same computation
// again allocates nothing (asserted by the tests); the solvers reset a tape
// once per step.
//
// Forward mode is JVP: set tangents on leaves with SetTangent, then JVP
// propagates them through the nodes recorded after a mark. Each op's tangent
// rule is written with the same ops, so the tangents are ordinary recorded
// values: Backward can differentiate through a JVP (reverse over forward), and
// a JVP of a JVP gives higher derivatives, which is what Taylor-mode
// regularizers (TayNODE) need. The solvers use JVP to verify the gradients of
// their error and stiffness regularizers, whose finite differences are too
// inaccurate (about 1e-4) to test against.
//
// # Solver hooks
//
// The following are hooks for the ODE and SDE solvers' discrete adjoints,
// not for writing dynamics or losses: code that records a computation and
// calls Backward or JVP never needs them. Each one's doc ends with "Solver
// hook". They let a solver that re-records a step in its reverse sweep keep
// some values of the first recording instead of computing them again:
//
//   - [Tape.CaptureProducts] keeps the outputs of the matrix products
//     (MatMul, Dense) in a [Products]; [Tape.CaptureCombinations] also those
//     of LinComb, RMS, RMSDiff and ErrorNorm.
//   - [Tape.ReuseProducts] makes a later recording of the same computation
//     take them in order (a recording that diverges panics);
//     [Tape.StopProducts] ends capturing or reusing.
//   - [Tape.ProvideCombinations] hands the combination nodes values the
//     caller computed itself (the solvers compute a step's combinations and
//     norms in one fused pass, with the same bits); [Tape.StopProviding]
//     ends it.
//   - [Products] (Len, Floats, Append, Release) holds the captured values.
//   - [Tape.Buffer] and [Tape.Recycle] lend pool memory that outlives Reset;
//     [GetTape] and [PutTape] keep tapes with their buffers between solves,
//     and [DrainTapePool] frees them at once when a program has finished
//     solving. The memory is bounded without it: Reset drops the buffers
//     of a length the tape has not drawn for 64 Resets, and GetTape drops
//     a pooled tape that waited 256 calls, so a program that moves on to
//     other shapes (another task) sheds the old ones.
//
// LinComb's VJP does not scatter its cotangent into each input at once: it
// records the terms, and an input gathers all of its terms in one
// multi-source pass when its own cotangent is needed. A Runge-Kutta stage
// derivative used by every later stage thus costs one pass, not one per
// stage.
//
// Every op's gradient is tested against central finite differences (relative
// error <= 1e-6) and its JVP against its VJP (<u, Jv> = <J^T u, v> to 1e-12).
//
// Shapes follow package tensor: batch x features, row-major. Shape
// mismatches panic naming both shapes.
package ad
