// Package train is Whitebox's training-loop infrastructure: a loop over
// iterations around a Step callback, cancellable with a context, that reports
// progress and per-iteration metrics through Recorders, writes checkpoints
// atomically every N iterations and on interrupt, and resumes from a
// checkpoint bit-identically to a run that was never stopped. It also holds
// the composable regularization recipes of the paper (Method,
// Regularization).
//
// # The loop
//
// A Loop runs Step(ctx, it, rng) for it = 0, 1, ..., Iterations-1. Step does
// one iteration (forward solve, loss, adjoint, optimizer step) and returns
// its Metrics: the data loss, the objective, each regularizer's value, the
// forward and backward NFE. The loop adds the iteration number and the wall
// time, and hands the metrics to every Recorder. Training time (Metrics.Elapsed,
// Result.Elapsed) is the sum of the Step calls' wall times: checkpoint and
// recorder I/O are not part of it.
//
// The context is checked before every iteration and Step should pass it on to
// the solver. When it is cancelled (Ctrl-C: the command line wraps its
// context with signal.NotifyContext), the loop writes a checkpoint of the last
// completed iteration and returns an *InterruptedError, which matches
// context.Canceled with errors.Is. Step must therefore leave the training
// state unchanged when it returns an error: compute the gradient first and
// step the optimizer last.
//
// # Randomness and bit-identical resume
//
// Every random draw of iteration it comes from IterationRNG(seed, it), a PCG
// generator seeded from (seed, it) alone. No generator state survives from
// one iteration to the next, so a checkpoint needs only the iteration count,
// the model parameters (nn.Marshal, through ModuleState) and the optimizer
// state (its MarshalBinary); a resumed run then repeats exactly the
// computation of an uninterrupted one, and a test checks that 2N iterations
// and N + resume + N iterations give the same parameter bits. Anything else a
// task must carry across a resume (a history of metrics for figures) is one
// more Section.
//
// # Checkpoints
//
// A checkpoint file is: the magic "\x89WBC\r\n\x1a\n", a little-endian
// uint32 format version (1), a uint32 length H, a JSON header of H bytes
// (run name, seed, fingerprint, iteration, total, training time, and the
// name and length of each section), the sections' bytes in order, and the
// SHA-256 of everything before it. It is written to a temporary file and
// renamed over the target, so a crash leaves the previous checkpoint intact.
// Restore refuses a checkpoint whose seed, fingerprint (an opaque string such
// as the task's configuration) or sections differ from the loop's, with an
// error saying which.
//
// # Recorders
//
// Progress draws a progress bar (iteration, loss, NFE, ETA) on a terminal
// and prints plain log lines otherwise (IsTerminal tells which); JSONL writes
// one JSON object per iteration. The library never prints on its own.
//
// # Regularization
//
// In this package Method names a regularization recipe (in packages ode and
// sde it names a solver tableau): any combination of the error-estimate
// regularizer R_E, the stiffness regularizer R_S and STEER, written as in
// the paper's tables ("vanilla", "error", "stiffness", "error+stiffness",
// "steer", "steer+error", ...), for neural ODEs and SDEs alike.
// Regularization adds the coefficients (ErrorCoef, annealed exponentially to
// ErrorCoefFinal over the run when that is set, optim.ExpAnneal;
// StiffnessCoef), the aggregations (sum, mean, max) and STEER's half-width
// SteerB, and turns them into the ode.Regularization of iteration it and the
// end time T' ~ U(T-b, T+b) of that iteration. Adding a part (a further
// regularizer) is a field of Method, a row of its parts table and the
// part's coefficients in Regularization.
//
// # Run options
//
// RunOptions is the one value every task's training function takes for a
// run's name, recorders, checkpoint path and interval, and the checkpoint to
// resume from; RunOptions.Apply sets them on a Loop.
package train
