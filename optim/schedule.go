package optim

import (
	"fmt"
	"math"
)

// Schedule gives a value, such as a learning rate or a regularization
// coefficient, as a function of a counter n: the optimizer's step number
// (1 for the first step) or a training loop's epoch.
type Schedule interface {
	At(n int) float64
}

// Constant returns the schedule that is v at every n.
func Constant(v float64) Schedule { return constant(v) }

type constant float64

func (c constant) At(int) float64 { return float64(c) }
func (c constant) String() string { return fmt.Sprintf("Constant(%g)", float64(c)) }

// InverseDecay returns lr0 / (1 + gamma*n), Flux's InvDecay applied to a
// learning rate lr0; the paper trains with gamma = 1e-5 per iteration.
func InverseDecay(lr0, gamma float64) Schedule { return inverseDecay{lr0, gamma} }

type inverseDecay struct{ lr0, gamma float64 }

func (s inverseDecay) At(n int) float64 { return s.lr0 / (1 + s.gamma*float64(n)) }
func (s inverseDecay) String() string   { return fmt.Sprintf("InverseDecay(%g, %g)", s.lr0, s.gamma) }

// ExpAnneal returns the exponential annealing from `from` at n = 0 to `to` at
// n = over: from * exp(-k n) with k = ln(from/to)/over, continuing the same
// curve beyond over. The paper anneals its error-regularization coefficient
// 100 -> 10 over the training epochs this way. It panics unless from and to
// are positive and over >= 1.
func ExpAnneal(from, to float64, over int) Schedule {
	if !(from > 0) || !(to > 0) || over < 1 {
		panic(fmt.Sprintf("optim: ExpAnneal(%g, %g, %d): want from > 0, to > 0 and over >= 1", from, to, over))
	}
	return expAnneal{from, to, over, math.Log(from/to) / float64(over)}
}

type expAnneal struct {
	from, to float64
	over     int
	k        float64
}

func (s expAnneal) At(n int) float64 { return s.from * math.Exp(-s.k*float64(n)) }
func (s expAnneal) String() string {
	return fmt.Sprintf("ExpAnneal(%g, %g, %d)", s.from, s.to, s.over)
}

// Func adapts a function to a Schedule, e.g. the latent ODE's KL weight
// max(0, 1 - 0.99^(epoch-10)).
type Func func(n int) float64

// At returns f(n).
func (f Func) At(n int) float64 { return f(n) }

// Product returns the schedule whose value is the product of the given ones,
// e.g. Product(ExpAnneal(1, 0.1, 75), InverseDecay(0.1, 1e-5)).
func Product(ss ...Schedule) Schedule { return product(ss) }

type product []Schedule

func (p product) At(n int) float64 {
	v := 1.0
	for _, s := range p {
		v *= s.At(n)
	}
	return v
}
