// Package sde solves Ito stochastic differential equations with diagonal
// noise,
//
//	dz = f(t, z) dt + g(t, z) .* dW,
//
// on batched states, with adaptive stochastic Runge-Kutta methods whose error
// and stiffness estimates are first-class, differentiable outputs: the SDE
// half of the white box of Pal et al., "Opening the Blackbox" (ICML 2021),
// whose Tables 3 and 4 regularize neural SDEs. (torchsde detaches its error
// estimate, so it cannot regularize it.)
//
// # Methods
//
// SOSRI (the default) and SOSRI2 of Rackauckas and Nie (2020), strong order
// 1.5 SRI methods (SRITableau, checked against Roessler's order conditions),
// adaptive, or on a fixed grid with Options.FixedStep; and the fixed-step
// Euler-Maruyama method. Save times are stepped on exactly: SDE methods have
// no free dense output. The solver reuses package ode's machinery rather
// than forking it: its step is an ode.Stepper, driven by the integration
// loop ode.Trajectory.Integrate that the ODE solver runs too (step limit,
// landing on save times, minimum step, accept/reject, the step record); the
// PIController with StochasticDiffEq's defaults (DefaultPI: beta1 = 7/15,
// beta2 = 4/15, qmax = 9/8); ode.Trajectory for the statistics, the
// regularizers and the adjoint sweep; and ode.SolveError with the sentinels
// ode.ErrMaxSteps, ode.ErrStepSizeUnderflow, ode.ErrNonFinite and
// ode.ErrInvalidInput. The initial step is StochasticDiffEq.jl's heuristic
// (Hairer's, with the diffusion folded in).
//
// # Noise
//
// By default the increments come from a brownian.Process seeded with
// Options.Seed: rejection sampling with memory, so that a rejected step's
// noise is bridged, not redrawn, and the realised path stays Brownian
// whatever the solver rejects. The same seed, problem and options give the
// same path and the same solution bit for bit. Any other Noise can be plugged
// in (the tests read paths fixed on a fine grid to measure strong order).
//
// # White-box statistics
//
// Every attempted step is recorded as an ode.StepStat. The error estimate is
// StochasticDiffEq's
//
//	EEst = RMS((delta*E1 + E2) ./ (atol + max(|z_n|, |z_{n+1}|)*rtol)),
//	E1 = h (k1 + k2 + k3 + k4),  E2 = chi2 .* (beta3.g) + chi3 .* (beta4.g),
//
// with delta = Options.Delta (default 1); as in DiffEqBase.jl's
// calculate_residuals (under @muladd) and package ode, the scale
// atol + max(|z_n|, |z_{n+1}|)*rtol is rounded once (a fused multiply-add),
// and the norm is one fused operation whose gradient is one pass. The
// stiffness estimate is RMS(k4 - k3)/RMS(H0_4 - H0_3), divided by
// Options.StiffnessScale (default 10.6, the authors' code's scale). NFE is counted separately for the drift and
// the diffusion (DriftNFE, DiffusionNFE; Trajectory.NFE is their sum): SOSRI
// evaluates each 4 times per attempted step, plus 2 each for the initial-step
// heuristic when Options.Dt is not given. R_E = agg_j E_j |h_j| and R_S = agg_j S_j over accepted steps
// come from the records (ode.Trajectory.ErrorRegularizer,
// StiffnessRegularizer).
//
// Because E1 is a drift increment rather than the difference of two
// solutions, it does not vanish for smooth deterministic problems: an
// adaptive SOSRI solve takes steps of order tol/|f| wherever the drift
// dominates, and rejects steps mostly when the noise terms (chi2, chi3) of
// E2 spike.
//
// # Discrete adjoint
//
// Drift and diffusion are ode.Funcs written with package ad. Solution.Backward
// is reverse mode through every stage, E and S, with the noise, the step
// sizes and the accept/reject decisions fixed (constants for
// differentiation). With Options.Adjoint the forward solve keeps the state at
// the start of every accepted step and the step's increments (dW, dZ) in a
// brownian.Tape; Backward walks the accepted steps in reverse through
// ode.Trajectory.Sweep, re-records each one from its checkpoint with its own
// increments (bit-identical to the forward step), and back-propagates through
// it. Memory is O(accepted steps x state size); the cost is one more
// evaluation of every accepted step's stages plus their reverse sweep.
// Solution.Replay records the whole frozen solve on one tape, for checking
// Backward against finite differences and forward-mode JVPs.
package sde
