// Package taylor is Taylor-mode automatic differentiation on top of package
// ad: the propagation of truncated Taylor series (jets) through a
// computation, giving the higher time derivatives d^K z/dt^K of the solution
// of a neural ODE, and the regularizers built on them and on
// Jacobian-vector products: TayNODE (Kelly et al. 2020) and RNODE (Finlay
// et al. 2020), as dynamics augmented with the regularizers' integrands.
//
// # Why our own
//
// We know of no maintained Go library for Taylor-mode differentiation;
// the reference implementations are JAX's jax.experimental.jet (Bettencourt,
// Johnson and Duvenaud 2019, "Taylor-mode automatic differentiation for
// higher-order derivatives in JAX"), which the TayNODE authors' code
// (jacobjinkelly/easy-neural-ode) uses, and the classical theory in
// Griewank and Walther, "Evaluating Derivatives", 2nd ed. 2008, chapter 13.
// Nesting the forward mode of package ad K times would cost exponentially
// in K; Taylor arithmetic costs O(K^2) elementwise work and K matrix
// products per weight.
//
// # Model
//
// A Series holds the normalized coefficients x_k = x^(k)/k! of a batch x
// features matrix, each an ad.Var, so the Taylor arithmetic is recorded on
// the tape like any computation: Backward differentiates through it (the
// TayNODE gradient) and JVP pushes tangents through it (the gradient checks).
// The rules:
//
//	MatMul, AddRow, Add, Sub, Scale, Neg, ConcatCols, SliceCols, RepeatRows, AppendTime
//	                 linear: coefficientwise; constants enter coefficient 0 only
//	Mul, Square      Cauchy products (a b)_k = sum_j a_j b_{k-j}
//	Cube, PowInt     repeated Cauchy products (integer powers >= 0)
//	Tanh, Sigmoid, Exp, Softplus
//	                 y_k = (1/k) sum_{j=1..k} j x_j s_{k-j} with s the series
//	                 of the derivative: 1 - y^2, y - y^2, y, sigmoid(x)
//
// Dynamics are a Func, f(t, z) written with these functions on the series
// of the time (t, 1, 0, ...) and of the state; FromLayer turns the layers
// of package nn (Dense, TimeDense, Map, Chain with the activations identity,
// tanh, sigmoid, softplus, square, cube) into one, so the MNIST, spiral and
// PhysioNet dynamics need no rewriting. Anything without a rule (relu, a
// custom layer) is an error wrapping ErrNoRule that names the layer and the
// function, never a wrong value; a custom layer gets a rule by implementing
// Layer.
//
// Push is the higher-order JVP: the coefficients of f along a given path.
// Coefficients and Derivative give those of the ODE solution by the
// recurrence z_1 = f(t, z), z_{m+1} = [f(t, z_0 + ... + z_m h^m)]_m/(m+1).
//
// # Design
//
// Why a Series API rather than Taylor rules for the recorded ad ops (a tape
// walk like ad's JVP): an ode.Func receives the time as a float64, so on
// the tape the time enters only as a constant (TimeDense records b +
// t*W[in] with t a number). A tape walk could not see that dependence and
// would silently drop the df/dt terms of every derivative; a Func receives
// the time as a series and cannot.
//
// Why lazy, coefficient-by-coefficient evaluation: the series of one
// evaluation are kept in the order they were made (a topological order),
// and each pass asks every series for one more coefficient, reusing the
// lower ones. The ODE recurrence then costs K products per weight for
// d^K z/dt^K, where re-evaluating the whole jet for each m (the JAX
// reference's loop) costs K(K+1)/2. A coefficient that is exactly zero (the
// time beyond order 1, a bias beyond order 0) is an invalid ad.Var that the
// rules skip.
//
// # Regularizers
//
// TayNODE and RNODE wrap a Func into an ode.Func on the augmented state
// [z | r] whose extra columns integrate, per example, the TayNODE integrand
// rho = mean over features of (d^K z/dt^K)^2, or RNODE's kinetic energy
// ||f||^2 and Hutchinson estimate ||(df/dz) eps||^2 of the Jacobian's
// squared Frobenius norm (eps from GaussianProbe, one per solve). Package
// ad has no double backward (its Backward is not recorded), so the
// Jacobian term uses the forward-mode product J eps, the first Taylor
// coefficient of f along z + h eps, which the outer reverse pass
// differentiates. The solver's discrete adjoint then differentiates the
// augmented solve, where Kelly et al. and Finlay et al. use a continuous
// adjoint.
//
// Whether the extra columns enter the solver's error norm is
// ode.Options.NormColumns: set to the width of z, the augmented solve takes
// exactly the steps of z alone and the integrals ride along; 0 lets them
// shape the steps too. Training code rarely calls these augmenters itself:
// package train's Regularization.Augment builds the augmented problem for
// the methods taynode and rnode, keeps the integrals out of the norm by
// default (and says why), and reads the regularization term off the final
// state for the loss. The augmented dynamics read the whole state, so
// ode.Problem.Input must be nil.
//
// Every rule is checked against nested forward mode of package ad (to
// rounding), the flow derivatives against nested forward mode along the
// solution (relative error <= 1e-10), and the gradients against central
// finite differences and forward mode.
package taylor
