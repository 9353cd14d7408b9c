package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
)

// Module is anything with trainable parameters and a serialisable
// description: every layer, a GRU cell, a Group of modules. Params returns
// the parameters in a fixed order, the order of the model file and of Flat;
// Spec describes the architecture so that Build (and Load) can rebuild it.
type Module interface {
	Params() []*ad.Param
	Spec() Spec
}

// Layer maps a batch (batch x features) to a batch. The tape is x.Tape():
// Forward binds the layer's parameters to it with Tape.Param.
type Layer interface {
	Module
	Forward(x ad.Var) ad.Var
}

// TimeLayer is a layer whose output depends on the time t as well, such as
// TimeDense in the dynamics of a neural ODE. Chain.ForwardT passes t to the
// layers that implement it.
type TimeLayer interface {
	Layer
	ForwardT(x ad.Var, t float64) ad.Var
}

var (
	_ TimeLayer = (*Dense)(nil)
	_ TimeLayer = (*TimeDense)(nil)
	_ TimeLayer = (*Chain)(nil)
	_ TimeLayer = (*Map)(nil)
	_ Module    = (*GRU)(nil)
	_ Module    = (*Group)(nil)
)

// Activation names an elementwise function applied after a dense layer's
// affine map. The empty string means Identity.
type Activation string

// Activations. Identity and Tanh are fused into the dense layer's node
// (ad.Dense); the others are recorded as one extra node.
const (
	Identity Activation = "identity"
	Tanh     Activation = "tanh"
	Relu     Activation = "relu"
	Sigmoid  Activation = "sigmoid"
	Softplus Activation = "softplus"
)

// norm returns the canonical name of a, or false if a is unknown.
func (a Activation) norm() (Activation, bool) {
	switch a {
	case "", Identity:
		return Identity, true
	case Tanh, Relu, Sigmoid, Softplus:
		return a, true
	}
	return a, false
}

func (a Activation) mustNorm() Activation {
	n, ok := a.norm()
	if !ok {
		panic(fmt.Sprintf("nn: unknown activation %q (want identity, tanh, relu, sigmoid or softplus)", string(a)))
	}
	return n
}

// dense records act(x*w + b), fusing identity and tanh into ad.Dense.
func dense(x, w, b ad.Var, act Activation) ad.Var {
	switch act {
	case Tanh:
		return ad.Dense(x, w, b, ad.ActTanh)
	case Identity:
		return ad.Dense(x, w, b, ad.ActIdentity)
	}
	return apply(string(act), ad.Dense(x, w, b, ad.ActIdentity))
}

// apply records the named elementwise function of x.
func apply(fn string, x ad.Var) ad.Var {
	switch fn {
	case string(Identity), "":
		return x
	case string(Tanh):
		return ad.Tanh(x)
	case string(Relu):
		return ad.Relu(x)
	case string(Sigmoid):
		return ad.Sigmoid(x)
	case string(Softplus):
		return ad.Softplus(x)
	case FnCube:
		return ad.Cube(x)
	case FnSquare:
		return ad.Square(x)
	}
	panic(fmt.Sprintf("nn: unknown elementwise function %q", fn))
}

// glorot fills p with Glorot-uniform values (Glorot and Bengio, 2010):
// U(-a, a) with a = sqrt(6/(fanIn+fanOut)), the default of Flux's Dense.
func glorot(p *ad.Param, fanIn, fanOut int, rng *rand.Rand) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range p.Value.Data {
		p.Value.Data[i] = a * (2*rng.Float64() - 1)
	}
}

func mustRNG(rng *rand.Rand, who string) {
	if rng == nil {
		panic("nn: " + who + ": nil *rand.Rand; pass a seeded generator such as rand.New(rand.NewPCG(seed, 0))")
	}
}

func mustPositive(who string, dims ...int) {
	for _, d := range dims {
		if d < 1 || d > MaxDim {
			panic(fmt.Sprintf("nn: %s: dimensions %v, each must lie in 1..%d", who, dims, MaxDim))
		}
	}
}
