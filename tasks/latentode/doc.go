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
//
// # Training to a prediction budget
//
// With Config.Budget (the command line's --nfe-budget N or
// --predict-time-budget D, and --budget-regularizer, --budget-gain,
// --budget-smoothing) the coefficient of one regularizer (error by default;
// stiffness, taynode or rnode on request) is set online by a
// train.BudgetController from the forward NFE of every training solve
// (batch --batch), instead of following the per-epoch annealing
// ErrorCoef*exp(-k e): it starts at the method's coefficient (--error-coef;
// --error-coef-final is refused with a budget on error) and moves only by
// the controller's steps; the KL weight keeps its schedule. The budget is
// on the NFE of the prediction solve, the forward pass of the first --batch
// training records with the prediction noise whose NFE and loss are the
// table's. The controller's loss guards read each training batch's masked
// squared error, given as train.Metrics.BudgetLoss (the negative
// log-likelihood less its constant, times 2 sigma^2; the NLL itself can be
// negative), while the metrics keep the NLL as the loss. A prediction-time budget is converted to NFE by the
// measured time per NFE of that forward pass (not training time). The
// controller's state is the checkpoint section "budget" and the budget is
// part of the checkpoint's fingerprint, so a budgeted run resumes
// bit-identically and only with its budget; Result.Budget (the results
// JSON's "budget" of the run) judges the outcome on the prediction's NFE
// and loss. Methods without the budgeted regularizer (vanilla, steer) train
// exactly as without a budget.
package latentode
