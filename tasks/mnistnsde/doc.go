// Package mnistnsde is the MNIST neural-SDE experiment of Pal et al.,
// "Opening the Blackbox" (ICML 2021), Table 4: classify MNIST digits with a
// neural SDE trained with and without regularizing the solver's error or
// stiffness estimate, and compare accuracy, training time, prediction time
// and NFE.
//
// # Model
//
// As in the authors' RegNeuralDE.jl (experiments/mnist_nsde.jl): an image
// (784 pixels in [0, 1]) is mapped by Dense(784,32) to the initial state of
// the SDE
//
//	dz = f(z) dt + g(z) .* dW,  t in [0, 1],
//
// with drift f = Dense(32,64,tanh) -> Dense(64,32) and diagonal diffusion
// g = Dense(32,32), and Dense(32,10) maps the state at t = 1 to logits
// (Glorot-uniform weights, zero biases). A batch of images is one batched
// SDE (one row per trajectory) solved adaptively at rtol = atol = 0.14 with
// SOSRI, or SOSRI2 for the methods with stiffness (the authors' code uses
// SOSRI2 inside AutoSOSRI2, which can switch to an implicit method; here it
// never switches).
//
// # Training
//
// Each iteration takes a batch of 512 training images with one trajectory
// each, solves forward with the noise seeded by (Seed, iteration) alone,
// and back-propagates the logit cross-entropy plus the regularizer through
// head, solver (package sde's discrete adjoint) and embedding: error
// adds 10 * mean_j E_j |h_j|, stiffness 0.1 * mean_j S_j (S_j scaled by
// 1/10.6), both means over the accepted steps, constant coefficients. Adam
// with learning rate 0.01/(1 + 1e-5 n). (The authors' code applies Flux's
// InvDecay to the gradient before Adam, which Adam's scale invariance all
// but cancels; here it decays the learning rate, by 5% over the paper's
// 4720 iterations.) Run trains through a train.Loop, so runs checkpoint and
// resume bit-identically: the batch order depends on (Seed, epoch) and the
// Brownian seed on (Seed, iteration).
//
// # Measurements
//
// Evaluation uses 10 trajectories per image and classifies by their mean
// logits. The prediction NFE and time are those of one solve of the first
// 512 training images in storage order (5120 trajectories), as in the
// authors' code; drift and diffusion NFE are counted separately (SOSRI and
// SOSRI2 evaluate each four times per attempted step, so they are equal).
// The test accuracy is measured over the first TestSubset test images, one
// solve per 512 images. Evaluations are made every EvalEvery iterations
// during training (for the figures) and are excluded from the training
// time, which sums the iterations' wall times.
//
// # Training to a prediction budget
//
// With Config.Budget (the command line's --nfe-budget N or
// --predict-time-budget D, and --budget-regularizer, --budget-gain,
// --budget-smoothing) the coefficient of the error regularizer (or, on
// request, the stiffness one) is set at every iteration by a
// train.BudgetController instead of held constant, starting from the
// method's coefficient. The budget is on the drift NFE of the prediction
// (the table's NFE: the first 512 training images, 10 trajectories each),
// and the controller reads the drift NFE of each training solve
// (train.Metrics.BudgetNFE; batch 512, one trajectory per image, fresh
// noise every iteration), a noisy sample of it that the controller's moving
// average smooths. A prediction-time budget is converted by the time per
// drift evaluation of that prediction. The controller is the checkpoint
// section "budget", so a budgeted run resumes bit-identically, and
// Result.Budget (the results JSON's "budget" of the run) says whether the
// budget was met, judged on the final prediction's drift NFE and the
// training loss the table reports (the mean of the last 50 iterations).
//
// # The task
//
// The package registers the "mnist-nsde" task (package tasks): `whitebox
// reproduce mnist-nsde` trains vanilla, stiffness and error from every seed
// and reports them beside the paper's Table 4 with the acceptance checks of
// Checks; `whitebox train mnist-nsde --save M` saves a model that `whitebox
// eval mnist-nsde --model M [--data DIR]` evaluates (the task implements
// tasks.Evaluator and refuses other tasks' models). The zero Config is the
// default scale (a shortened protocol, see the README); Full is the paper's
// 40 epochs.
package mnistnsde
