// Package ode solves ordinary differential equations with explicit
// Runge-Kutta methods whose internal heuristics are first-class,
// differentiable outputs: the white box of Pal et al., "Opening the
// Blackbox: Accelerating Neural Differential Equations by Regularizing
// Internal Solver Heuristics" (ICML 2021).
//
// # Methods
//
// A method is a Tableau (coefficients, embedded error weights, dense
// output, the stage pair for the stiffness estimate): Tsit5 (the default),
// DP5, BS3, Verner's Vern7 for tight tolerances, and the fixed-step Euler
// and RK4. Tableaus are checked by their order conditions (rooted trees
// through order 8) and by measured convergence slopes in the tests.
//
// On the 25 DETEST problems (Hull et al. 1972) at rtol = atol = 1e-8, the
// scaled end error max_i |y_i - yref_i| / (atol + rtol |yref_i|) is at most
// 5.12 with Vern7 on 24 of them, at 22165 NFE over all 25 against Tsit5's
// 26919; both exceed 10 on some orbit problems of class D (Tsit5 28.5 on
// D1, Vern7 10.3 on D5), whose phase error grows along the orbit while the
// controller bounds only each step's local error (go test ./ode -run
// 'DETEST$' -v prints the table).
//
// # Step control
//
// A problem with T1 < T0 is integrated backward in time (as torchdiffeq
// and diffrax allow): the steps are negative, Options.SaveAt and TStops
// descend from T0 to T1, and the adjoint differentiates the solve as it
// does a forward one. Step-size options are magnitudes.
//
// The PIController follows OrdinaryDiffEq's defaults; the initial step is
// Hairer's algorithm (InitialStep). Failures are *SolveError values whose
// Kind is ErrMaxSteps, ErrStepSizeUnderflow or ErrNonFinite, carrying the
// time and step size and a hint; bad input is rejected with ErrInvalidInput
// before any evaluation.
//
// Options.NormColumns restricts the solver's norms (the error estimate, the
// stiffness estimate, the initial step heuristic) to the first columns of
// the state: a state augmented with quadrature columns (the integrals of
// package taylor's regularizers) then takes exactly the steps of its
// leading columns alone, and the quadratures ride along uncontrolled
// (TestNormColumnsExcludeQuadrature).
//
// # One integration loop
//
// Trajectory.Integrate is the integration loop, written once for this
// package and package sde, as diffrax's diffeqsolve drives any solver and
// OrdinaryDiffEq's solve! any perform_step!: the saves at T0, the step
// limit, landing on stops and on T1, the minimum step and its underflow,
// accept/reject through the PIController and the StepGuard, the step record,
// the save times inside accepted steps, the checkpoints of the adjoint and
// the maximum step. A method plugs in as a Stepper (attempt a step from the
// current state, save inside it, advance to its end); Loop carries the
// resolved options. The package's files follow the same concepts: problem
// and options (problem.go), step arithmetic (step.go, stepend.go) and
// workspace (stepper.go), the loop (integrate.go), the per-step record with
// its statistics and regularizers (record.go) and the adjoint (adjoint.go).
//
// # White-box statistics
//
// Every solve records each attempted step (StepStat: t, h, accepted, error
// estimate E, stiffness estimate S) and counts NFE OrdinaryDiffEq's way (2 for the
// initial step, 1 for the first FSAL stage, then every stage). R_E = agg of
// E_j*|h_j| and R_S = agg of S_j over accepted steps (agg = Sum, Mean or Max)
// come from these records at no extra evaluations.
//
// # Discrete adjoint
//
// Dynamics are written with package ad (Func), so the solver's arithmetic
// can be differentiated: Solution.Backward is reverse mode through every
// stage, the dense output, E and S, with step sizes and accept/reject
// decisions as constants (the controller and the initial-step heuristic carry
// no gradient). Strategy: the forward solve (Options.Adjoint) keeps a
// checkpoint per accepted step; Backward walks the accepted steps in reverse,
// re-records each one from its checkpoint on a tape that is reset per step,
// and back-propagates through it. A checkpoint holds the state at the start
// of the step and, for FSAL methods, the derivative there: the later step
// takes it as an input and hands its cotangent to the earlier step's last
// stage, so the evaluation the two steps share is reversed once. What else
// it holds is Options.Checkpointing:
//
//   - KeepProducts (default) keeps the values of the matrix products
//     (ad.MatMul, ad.Dense: the costly part of a neural network's
//     evaluation) of every stage; the re-recording takes them instead of
//     computing them (ad.Tape.ReuseProducts), so Backward recomputes only
//     elementwise work and its cost is the reverse sweep: about two products
//     per forward product. Memory per accepted step: the two states plus
//     the products' outputs (for the MNIST dynamics about 8.8 states).
//   - KeepStates keeps the two states only; Backward re-evaluates every
//     stage but the first (about one forward evaluation per stage more).
//   - KeepStages keeps the products and the step's own arithmetic too (stage
//     states, the error estimate's combination, the norms); Backward then
//     recomputes only the elementwise ops inside the dynamics. Memory per
//     accepted step for the MNIST dynamics: about 15.8 states.
//
// Either way memory grows with accepted steps x state size plus one step's
// tape, never with the recorded intermediates of every stage.
//
// The new state u1 = u + h*sum_i b_i k_i (and every stage input and
// dense output likewise) is formed increment first: the terms h*b_i*k_i
// are summed and the sum is added to u once, so a component of u far larger
// than its increment is rounded once, not once per stage
// (TestStepEndRoundsOnce).
//
// The end of a step (the new state u1, the error estimate's combination and
// norm, the stiffness estimate's norms) reads every stage derivative several
// times. The forward solve, whose tape nothing back-propagates through,
// computes it in one blocked pass (tensor.FusedSums: the combinations are
// formed block by block in cache and only u1 is written); Backward's replay
// (KeepProducts, KeepStates) computes the same values in one pass too and
// hands them to the ops it records (ad.Tape.ProvideCombinations). Both have
// the bits of the unfused ops (TestFusedSumsMatchUnfused,
// TestFusedStepEndMatchesRecorded, and TestCheckpointingPolicies, where
// KeepStages takes the kept values instead). Solution.Release
// returns the checkpoints' memory to the pooled tapes once Backward is done,
// so a training loop does not allocate it again at every iteration.
//
// Backward takes the cotangents dL/dZ[i] of a loss of the saved states;
// Solution.BackwardLoss takes the loss itself, written with package ad (a
// Loss, which may bind parameters of its own), differentiates it and runs
// Backward. State builds Problem.Z0 from a plain slice.
//
// Solution.Replay records the whole frozen solve on one tape instead, which
// the tests use to check Backward against forward-mode JVPs (the
// regularizers' finite differences are only about 1e-4 accurate) and
// against finite differences.
//
// The state is a batch x features matrix; one solve covers the whole batch
// and every norm is the RMS over all its elements, as in the paper.
//
// # Dynamics with a linear input layer
//
// Neural network dynamics usually read the state only through their first
// layer's product z*W. Problem.Input declares W; the solver then forms each
// stage's input as u*W + h*sum_j a_ij*(k_j*W), on batch x p arrays, instead
// of forming the batch x features stage state and multiplying it by W. The
// number of matrix products is unchanged (k_j*W replaces the stage state's
// product; with an FSAL method u*W carries over from the previous step's
// last stage input, and the adjoint hands its cotangent back as it does the
// derivative's), and the step's own arithmetic on state-sized arrays shrinks
// to the step's end state, the error estimate's combination and the
// stiffness estimate's stage distance. The results agree with the state form
// to rounding (TestInputMatchesStateForm); for the MNIST dynamics (784 -> 100)
// BenchmarkMNISTInputForward and BenchmarkMNISTInputGradient time the two
// forms alternately in one run.
package ode
