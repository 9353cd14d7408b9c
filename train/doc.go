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
// part's coefficients in Regularization (and, for budgets, a row of the
// budget's parts table).
//
// # Training to a prediction budget
//
// The regularizers' coefficient trades loss for NFE, and the right value
// differs by task and is not known in advance (the paper tunes it by hand
// and names this a limitation). A Budget states the trade-off from the
// other end: "predict within N function evaluations" (or within a
// prediction time, converted to NFE by the measured time per NFE of the
// task's prediction solve). A BudgetController then sets the coefficient
// of one regularizer (error by default, stiffness, taynode or rnode; a
// further part is one row of a table) at every iteration from the solver's
// own counts.
// Attach wraps the loop's Step, so any task that builds its per-iteration
// ode.Regularization with BudgetController.At and its loop with Attach gets
// budgets, checkpointed (section "budget") and resumed bit-identically.
//
// The signal is the forward NFE of each training solve. It costs nothing
// and, where the training solve is the prediction solve (the spiral: the
// same span, save times and tolerance; recording for the adjoint does not
// change the steps), it is the prediction NFE of the current parameters,
// one update late. Where training solves vary (fresh Brownian paths or
// minibatches, against fixed paths or a fixed batch in prediction, or
// STEER's random end time) it is a noisy sample of the expected prediction
// NFE, unbiased when the training batches have the prediction's size and
// distribution (the step size is controlled by the error norm over the
// whole batch, so a prediction on another batch size needs a budget in its
// own terms). An exponential moving average with time constant T
// (Smoothing) reduces the noise; measuring the prediction NFE every so
// often instead would cost extra solves and give fewer, staler samples.
//
// The control law is a PI law on u = ln(coefficient) in velocity form,
//
//	e_k = ln(NFEavg_k / r_k)
//	u_{k+1} = u_k + clip(kI e_k + kP (e_k - e_{k-1}), ±0.05),   kI = Gain, kP = Gain*T,
//
// clamped to [c0/1e4, c0*1e4] around the starting coefficient c0. It is
// dual ascent on the constraint NFE <= N with the coefficient as the
// Lagrange multiplier (the integral term raises it while the constraint
// is violated and lowers it while there is slack, towards the smallest
// coefficient, the smallest loss cost, that meets the budget), in log
// space so that the multiplier stays positive and the gain does not depend
// on its scale, with a proportional term for damping, as in the PID
// Lagrangian methods of Stooke, Achiam and Abbeel (ICML 2020). Why it is
// stable: model the training's response of ln NFE to u as a lag
// K/(tau s + 1), with K < 0 the sensitivity (about -0.03 to -0.3 on the
// spiral: a tenfold coefficient moves the NFE by a few to 50 percent) and
// tau the iterations the optimizer needs to reshape the dynamics (tens to
// hundreds); the average adds 1/(T s + 1). The PI law kI (1 + T s)/s has
// its zero at the average's pole, so the loop is kI |K| / (s (tau s + 1)),
// a second-order loop that is stable for every positive gain, with damping
// ratio 1/(2 sqrt(kI |K| tau)) (about 0.3 to 2 for the default gain over
// that range of K and tau); the loop runs once per iteration, so this holds
// while its crossover sqrt(kI |K| / tau) stays well below one per
// iteration (below 0.03 here). The rate
// limit bounds the move under a large error, and clamping is the
// integrator's anti-windup: in velocity form the state is the coefficient
// itself, so there is no hidden integral to wind up.
//
// Four refinements come from the spiral. (1) Warm-up (the first Warmup of
// the run): the coefficient is not raised. The NFE of a model that has not
// fit the data yet says nothing about the trained model's: the spiral's
// NFE rises from 63 to about 500 in its first 50 iterations, and
// reacting to that drove the coefficient up until the fit was lost. The
// coefficient holds until the average first reaches the setpoint or has
// seen three time constants, and may fall after, so that a loose budget
// does not keep the starting coefficient (whose early smoothing lasts: on
// the spiral the NFE stayed near 330 when the coefficient fell to its
// bound afterwards, against vanilla's 500). (2) Setpoint ramp: the budget concerns the trained model, and
// under a constant coefficient the NFE keeps falling over training, so the
// setpoint comes down geometrically from the average at the end of the
// warm-up to its final value (1-Margin)*N by Deadline (0.9 of the run):
// holding the final setpoint from 0.3 or 0.5 of the run cost several times
// the loss. (3) Loss guard (override control with a min selector, as in
// Astrom and Hagglund, Advanced PID Control, 2006): while the smoothed loss
// is above LossGuard (10) times its best, the coefficient may not rise and
// falls in proportion to the excess; the smaller of the two changes is
// applied, which the velocity form makes bumpless. Without it a budget
// near the edge of what the data allow drove the coefficient past the
// point where the fit collapses. (4) Met guard: once the smoothed NFE is
// within the tolerance the outcome is judged by ((1+Tolerance)*N, where
// the budget counts as met), the coefficient may not rise while the
// smoothed loss is above MetGuard (1.5) times its best; it may still
// fall. Near the knee of the loss-NFE front the last few percent of NFE
// cost a factor of ten in loss, and late in training, at a small learning
// rate, raising the coefficient moves the loss far more than the NFE: on
// the spiral's tightest budget the NFE stayed within 262-270 while the
// coefficient rose tenfold and the loss with it. The guard holds instead
// (it does not lower the coefficient, which would oscillate about the
// band's edge).
//
// BudgetController.Outcome judges the run from its trained model's
// prediction: met (NFE at most (1+Tolerance)*N), or not met with the
// closest smoothed NFE the training reached and its loss, and why: the
// coefficient at its upper bound (infeasible for this regularizer), the
// loss guard holding it back (below what the data can be fit with), or
// neither (train longer); BudgetOutcome.Infeasible reports the first two
// (and a fit given up).
// Metrics.Budget records the average, the setpoint and the coefficient of
// every iteration. ExampleBudgetController trains a model of one's own to
// a budget.
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
// resume from; RunOptions.Apply sets them on a Loop. A task whose runs take
// budgets runs its loop with BudgetController.Run, which applies the options
// first (a resumed checkpoint restores the controller) and then converts a
// prediction-time budget the checkpoint did not hold.
package train
