// Package brownian supplies reproducible Brownian noise to adaptive
// stochastic Runge-Kutta solvers with diagonal noise, such as SOSRI.
//
// A Process holds n independent components. Over a step [t, t+h] it hands
// out, for every component, the Brownian increment dW = W(t+h) - W(t) and a
// second normal variable dZ, independent of dW with variance h, so that
//
//	chi2 = (dW + dZ/sqrt(3))/2 = (1/h) * integral_t^{t+h} (W(s) - W(t)) ds
//
// is the iterated integral I_(1,0)/h that the SRI methods of Roessler (2010)
// need. dZ is 2*sqrt(3) times the space-time Levy area
// H = (1/h) * integral (W(s)-W(t)) ds - dW/2 of the step (Foster 2020),
// which is N(0, h/12) and independent of dW.
//
// # Rejected steps: rejection sampling with memory, made exact for dZ
//
// An adaptive solver proposes [t, t+h], may reject it, and proposes the
// shorter [t, t+h'] from the same start. Drawing fresh noise for the second
// proposal biases the path, because the rejection depended on the first draw.
// This package follows rejection sampling with memory (RSwM, Rackauckas and
// Nie 2017) in its exact form (as in RSwM3, nothing revealed is thrown away):
// the Process keeps, in time order, the stretch of the future that earlier
// proposals have already revealed, as a list of intervals with their
// increments. A request over h walks that list from the current time: whole
// intervals are taken as they are, the interval that contains t+h is split
// in two by sampling the path at t+h from its Brownian bridge (conditional on
// the interval's two ends; the pair (W(t), integral_0^t W) is a Markov
// process, so that is conditional on everything revealed), and beyond the
// list fresh independent noise is drawn and stored. So every value the solver ever sees belongs to one Brownian
// path, whatever the sequence of requests and whatever the solver decided
// from earlier values; Accept merely drops the intervals that the accepted
// step covers.
//
// Where RSwM as described by Rackauckas and Nie (2017) and implemented in
// DiffEqNoiseProcess.jl treats Z as a second Brownian motion bridged with
// the same formula as W, this package
// carries the pair (W, H) of each stored interval and splits it with the exact
// joint Gaussian bridge of a Brownian motion and its time integral: for an
// interval of length L with increment W and Levy area H, split at a = qL
// (r = 1-q), the first part has
//
//	W_a = q W + 6 q r H + s11 N1,     s11^2 = L q r (1 - 3 q r)
//	H_a = q^2 H + s21 N1 + s22 N2,    s21 = -L q^3 r / (2 s11),
//	                                  s22^2 = L q r^3 / (12 (1 - 3 q r))
//
// with N1, N2 independent standard normals, derived by conditioning the
// Gaussian vector (W_a, H_a, W, H). This is the interpolation rule of Foster
// (2020, Thm 6.1.4) that diffrax's VirtualBrownianTree uses for space-time
// Levy area; for q = 1/2 it is its midpoint rule. The second
// part follows exactly from W_b = W - W_a and
// integral_0^L W = integral_0^a W + b W_a + integral_a^L (W - W_a).
// The shorter of the two parts is always the one sampled (via time reversal,
// under which H is unchanged and W changes sign), so that no rounding is
// amplified. Intervals are joined with the same identity. The effect: every
// chi2 the solver sees is the true time integral of the one path W, even for
// a step stitched from pieces that earlier rejections revealed; an
// independent bridged Z would give each step the right marginal law but an
// I_(1,0) that is not the integral of the path whose values decided the
// rejections. The price is that dZ over a union of steps is not the sum of
// the steps' dZ; nothing in an SRI solver needs that.
//
// A virtual Brownian tree (torchsde, diffrax) was the alternative. It buys
// queries at arbitrary earlier times, which a forward adaptive solve never
// makes: the backward pass of a discrete adjoint replays the accepted steps,
// whose increments the solver records (Tape), and a tree costs a logarithmic
// number of bridge samples per query where the list costs one.
//
// # Reproducibility and cost
//
// The noise comes from a PCG generator (math/rand/v2) seeded by the caller;
// the same seed and the same sequence of requests give the same bits. The
// list of future intervals is kept in slices that are reused, so a solve
// allocates only while the list grows to its largest length; a steady run of
// Increment and Accept allocates nothing.
package brownian
