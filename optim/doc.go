// Package optim holds the optimizers of the paper's experiments and the
// schedules that drive their learning rates and the regularization
// coefficients.
//
// # Optimizers
//
// Momentum (v = rho*v + lr*g; θ -= v, as Flux's Momentum and the paper's
// "Momentum"), Adam, AdaBelief and Adamax each implement Optimizer: Step
// updates a list of ad.Params in place from their gradients, StepFlat does
// the same on one flat vector. Each update rule is written out in its type's
// documentation and tested over three steps against values worked out by
// hand from the published rule. Steps allocate nothing.
//
// An optimizer's state (step count and moments) is saved with MarshalBinary
// and restored with UnmarshalBinary into an optimizer with the same
// hyperparameters; training then continues bit for bit as if it had never
// stopped. The encoding is versioned and checksummed, and corrupt input gives
// an error wrapping ErrState, never a panic (a fuzz target checks this).
//
// # Schedules
//
// A Schedule maps a counter to a value: Constant, InverseDecay(lr0, gamma)
// (lr0/(1+gamma*n), the paper's "inverse decay 1e-5 per iteration"),
// ExpAnneal(from, to, over) (from*exp(-k n), k = ln(from/to)/over, the
// paper's annealed error-regularization coefficient), Func for anything
// else and Product to combine them. An optimizer's LR is a Schedule of its
// step number, 1 for the first step as in Flux's InvDecay:
//
//	opt := optim.NewMomentum(optim.InverseDecay(0.1, 1e-5), 0.9)
//	lambda := optim.ExpAnneal(100, 10, epochs) // lambda.At(epoch)
package optim
