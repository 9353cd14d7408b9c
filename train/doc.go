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
// regularizer R_E, the stiffness regularizer R_S, STEER and one of the
// higher-order baselines TayNODE and RNODE, written as in the paper's
// tables ("vanilla", "error", "stiffness", "error+stiffness", "steer",
// "steer+error", "taynode", "rnode", ...), for neural ODEs and SDEs alike
// (taynode and rnode for ODEs only).
// Regularization adds the coefficients (ErrorCoef, annealed exponentially to
// ErrorCoefFinal over the run when that is set, optim.ExpAnneal;
// StiffnessCoef), the aggregations (sum, mean, max) and STEER's half-width
// SteerB, and turns them into the ode.Regularization of iteration it and the
// end time T' ~ U(T-b, T+b) of that iteration. Adding a part (a further
// regularizer) is a field of Method, a row of its parts table and the
// part's coefficients in Regularization.
//
// # TayNODE and RNODE: one entry point for every task
//
// The higher-order baselines regularize quantities the solver does not
// record: TayNODE (Kelly et al. 2020, "Learning Differential Equations
// that are Easy to Solve") the integral of rho = mean over the features of
// (d^K z/dt^K)^2, RNODE (Finlay et al. 2020, "How to train your neural
// ODE") the integrals of the kinetic energy ||f||^2 and of a Hutchinson
// estimate of the Jacobian's squared Frobenius norm. Both are integrated as
// extra columns of the state (package taylor computes the integrands in
// Taylor mode), and the loss adds TayNODECoef times the batch mean of R_K,
// or RNODEKineticCoef and RNODEJacobianCoef times those of the two RNODE
// integrals. Regularization.Augment (or AugmentLayer, for a model of
// package nn) is the one entry point a task calls, once per solve, when
// Regularization.Augments:
//
//	aug, err := cfg.Reg.AugmentLayer(model, z0, rng.Uint64()) // rng: the iteration's generator
//	sol, err := ode.Solve(ctx, aug.Problem(t0, t1), &ode.Options{SaveAt: aug.SaveAt(ts, t1), NormColumns: aug.NormColumns, Adjoint: true})
//	loss := func(tp *ad.Tape, y []ad.Var) ad.Var {
//		return ad.Add(taskLoss(tp, y, aug.State), aug.Term(y[len(y)-1]))
//	}
//	objective, _, err := sol.BackwardLoss(ctx, loss, cfg.Reg.At(it, n))
//	metrics.Regularizers = aug.Values(sol.Z[len(sol.Z)-1])
//
// Term is the weighted regularization read off the state at the end of
// the solve as a 1x1 ad value; its gradient flows through the discrete
// adjoint of the augmented solve (ode.Solution.BackwardLoss) into the
// model's weights. State and StateValue give the model's columns of a
// saved state; the task's loss reads only those.
//
// The augmented dynamics read the whole state, so the augmented solve has
// no ode.Problem.Input. A task that solves its plain dynamics in the Input
// form (nn.Chain.InputForm: the solver multiplies the state by the first
// layer's weights itself) solves taynode and rnode in the state form, with
// the whole chain given to AugmentLayer; since a Taylor-mode evaluation
// costs several plain ones (K products per weight for TayNODE, two for
// RNODE), the Input form's saving on the state-sized arrays matters less
// there.
//
// By default the integrals stay out of the solver's norms
// (Augmented.NormColumns = the model's width, ode.Options.NormColumns):
// the steps are those the model's state alone would take, bit for bit, so
// the NFE and training times compare with the other methods' on the same
// footing, and the regularizer is integrated on those steps (it is a
// penalty, not a quantity whose accuracy the task needs). Kelly et al.'s
// MNIST code (jacobjinkelly/easy-neural-ode) integrates the regularizer
// outside the error control the same way; their latent ODE and Finlay et
// al.'s code, which trains with a fixed-step RK4, do not make that choice
// (the former puts the integral in the norm, the latter has no norm in
// training). AugmentedInNorm (--augmented-in-norm) puts the integrals in
// the norm instead.
//
// # Run options
//
// RunOptions is the one value every task's training function takes for a
// run's name, recorders, checkpoint path and interval, and the checkpoint to
// resume from; RunOptions.Apply sets them on a Loop.
package train
