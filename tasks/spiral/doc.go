// Package spiral is the spiral ODE task of Pal et al. (ICML 2021, Figure 2):
// fit a neural ODE to a trajectory of the cubic spiral and measure how the
// error- and stiffness-estimate regularizers change the cost of solving it.
//
// # Data
//
// The true system is du/dt = (u.^3) A with A = [[-0.1, 2.0], [-2.0, -0.1]]
// (u a row vector), u(0) = (2, 0), on t in [0, 1.5], observed at 30 equally
// spaced times including 0. TrueData solves it with Tsit5 at
// rtol = atol = 1e-10; the state is a 1 x 2 batch.
//
// # Model, loss and training
//
// The dynamics are x -> x^3 -> Dense(2,50,tanh) -> Dense(50,2) (package nn,
// Glorot-uniform weights drawn from the run's seed). One iteration solves the
// model from u(0) with Tsit5 at the configured tolerance, saving at the
// observation times; the loss is the mean squared error over all saved
// states and both components (the state at t = 0 is the initial condition
// and contributes 0). The gradient of loss + lambda*R_E + mu*R_S comes from
// the discrete adjoint (ode.Solution.Backward) and Adam takes one step, its
// learning rate decaying exponentially from Config.LR to Config.LRFinal over
// the run. Every iteration uses the whole trajectory, so an iteration is an
// epoch and the error coefficient is annealed per iteration.
//
// The zero Config is the protocol of `whitebox reproduce spiral` (4000
// iterations, learning rate 0.1 -> 0.003, tolerance 1e-6, error coefficient
// 0.1 -> 1e-4, stiffness coefficient 1e-6, STEER b = 0.5); Full is the
// paper-sized one (tolerance 1.4e-8, 10000 iterations, error coefficient
// 0.1 -> 1e-6). The paper does not publish its spiral protocol; README.md
// records how these were chosen.
//
// # The task
//
// The package registers the "spiral" task (package tasks) for the command
// line: its flags over Config, its paper numbers (Paper), its acceptance
// check (Checks: error or error+stiffness at most 0.7x vanilla's NFE, 1.5x
// its loss and 1x its training time) and its figures (fitted trajectories,
// NFE and loss over training), all computed from the runs' records, which
// hold each run's fitted curve (CurvePoints points) and per-iteration NFE
// and loss.
//
// STEER draws the end time T' ~ U(T-b, T+b) each iteration from the
// iteration's generator. With observations at fixed times, the iteration
// integrates to min(T', T) and compares only the saves at or before it: past
// T there is nothing to compare, so integrating further would only add
// work. (Rescaling the time axis to T' is the other option; it asks an
// autonomous model to run at a different speed every iteration.)
//
// # Higher-order baselines
//
// The methods taynode (Kelly et al. 2020) and rnode (Finlay et al. 2020)
// train the same model with the same solver, but solve the state augmented
// with the integrals of their regularizers (train.Regularization.Augment):
// R_K, the integral of the mean of (d^K z/dt^K)^2, or the integrals of
// ||f||^2 and ||(df/dz) eps||^2 with eps ~ N(0, I) drawn per iteration from
// the iteration's generator. The integrals stay out of the solver's norms
// by default (--augmented-in-norm puts them in), so an augmented solve
// takes the steps of the model's state alone. The loss adds the
// coefficient times the integral at the end of the span (with STEER, the
// drawn end time is saved too). Prediction solves the plain model, so the
// NFE compare with every other method's. The spiral is not among Kelly et
// al.'s tasks; its default TayNODE protocol (TayNODEDefaultOrder,
// TayNODEDefaultCoef) and RNODE coefficients were chosen by the
// exploration that README.md records.
//
// # Prediction
//
// Prediction is one solve of the trained model over [0, 1.5] at the
// training tolerance without gradients (no adjoint checkpoints). It reports
// the final loss (MSE against the data), the NFE of that solve, and its wall
// time: the median over Config.PredictRepeats repetitions of the same solve,
// because one solve takes well under a millisecond.
package spiral
