// Package latentode is the PhysioNet latent ODE experiment of Pal et al.,
// "Opening the Blackbox: Accelerating Neural Differential Equations by
// Regularizing Internal Solver Heuristics" (ICML 2021, Table 2), registered
// as the task "physionet" of `whitebox reproduce`, `whitebox train` and
// `whitebox eval`.
//
// The model is the latent ODE of Rubanova et al. (2019) as the authors'
// RegNeuralDE.jl builds it (experiments/latent_ode.jl): a GRU-type encoder
// (LatentGRU(37, 40, 50): update and reset gates and the new state are
// two-layer networks of [mean; logvar; x; mask; dt]) run backward in time
// over the 49 hourly observations, a map to the mean and log-variance of a
// 20-dimensional z0, the reparameterization z0 = mu + exp(logvar/2) eps, the
// dynamics tanh(z) then 4 x [Dense(20,50,tanh), Dense(50,20,tanh)] solved
// with Tsit5 at rtol = atol = 1.4e-8 saving at the 49 times, and the decoder
// Dense(20,37). The loss is the masked Gaussian negative log-likelihood
// (sigma 0.01, per record divided by its observed count) plus the annealed
// KL divergence of z0; the error regularizer is the mean of E_j |h_j|, the
// stiffness regularizer the maximum of S_j, both with the authors' entry at
// t0; STEER jitters every save time. Everything is float64, and the
// gradient of every part (encoder, reparameterization, solve, decoder,
// regularizers) is exact for the arithmetic performed (discrete adjoint),
// checked against central finite differences in the tests.
//
// The data come from package physionet: the committed set-a archive, split
// 80:20 with a fixed seed, min/max-normalized with the training split's
// statistics, which a saved model carries so that `whitebox eval physionet`
// normalizes any other records alike.
package latentode
