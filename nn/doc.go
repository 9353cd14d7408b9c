// Package nn holds Whitebox's neural-network building blocks: layers, the
// flat parameter view optimizers and files use, losses, and model files.
//
// # Layers
//
// A Layer maps a batch x features ad.Var to another on the same tape
// (x.Tape()), binding its parameters with Tape.Param as it records:
//
//	Dense       act(x*W + b), W in x out, Glorot-uniform W, zero b
//	TimeDense   act([x t]*W + b) for the dynamics of a neural ODE, without building [x t]
//	Map         an elementwise function, e.g. Cube (x -> x^3) for the spiral models
//	Chain       layers in sequence; Chain.ForwardT passes the time t to TimeLayers
//
// GRU is a recurrent cell (Step(x, h) -> h') for the latent-ODE encoder and
// Group bundles named modules (encoder, dynamics, decoder) into one model.
// Initialisation always draws from an explicit *rand.Rand.
//
// Every module describes itself with a Spec, a small JSON-serialisable value
// such as {"type":"dense","in":2,"out":50,"act":"tanh"}; Build turns a Spec
// back into a module, which is how Load rebuilds a saved architecture.
//
// # Parameters
//
// Module.Params lists the ad.Params in a fixed order. Flatten views them as
// one vector of values and one of gradients (CopyTo, CopyFrom, GradTo,
// ZeroGrad), in that order, each parameter row-major.
//
// # Losses
//
// Losses take ad.Vars and return differentiable 1x1 ad.Vars: LogitCrossEntropy,
// MSE, MaskedMSE, GaussianLogLikelihood (masked, fixed sigma) and
// KLStdNormal. Their gradients are checked against finite differences.
// Accuracy and Correct score logits against labels without a tape.
//
// # Model files
//
// Save writes a module's Spec and parameters to a versioned binary file
// (magic, version, JSON architecture, float64 parameters little endian,
// SHA-256), atomically through a temporary file and a rename. Load rebuilds
// the module; LoadInto fills an existing one after checking the
// architecture. A truncated, corrupted, foreign or mismatched file gives a
// *FileError saying what is wrong (errors.Is matches ErrTruncated,
// ErrCorrupt, ErrNotModel, ErrVersion or ErrMismatch); the decoder never
// panics, which a fuzz target checks. Marshal and Unmarshal do the same in
// memory, for checkpoints that embed a model.
//
// # A training step
//
//	tp := ad.NewTape()
//	ps := model.Params()
//	for ... {
//		tp.Reset()
//		loss := nn.LogitCrossEntropy(model.Forward(tp.Const(x)), tp.Const(y))
//		nn.ZeroGrad(ps)
//		tp.Backward(loss)
//		opt.Step(ps) // package optim
//	}
package nn
