package optim

import (
	"encoding"
	"fmt"
	"math"
	"slices"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/par"
)

// Optimizer updates parameters from their gradients.
//
// Step reads each Param's Grad and updates its Value in place; it does not
// zero the gradients (Backward adds into them, so zero them before the next
// recording, e.g. with nn.ZeroGrad). StepFlat does the same on one flat
// vector x with gradient g. The first call fixes the sizes of the parameters
// the optimizer's state (moments) belongs to; later calls must pass
// parameters of the same sizes in the same order, or they panic.
//
// Steps counts the steps taken; step number t (1 for the first) uses the
// learning rate LR.At(t). MarshalBinary saves the step count, the moments and
// the hyperparameters (not the learning-rate schedule, which is
// configuration); UnmarshalBinary restores them into an optimizer of the same
// kind and hyperparameters, after which training continues bit-identically.
type Optimizer interface {
	Step(params []*ad.Param)
	StepFlat(x, g []float64)
	Steps() int
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

var (
	_ Optimizer = (*Momentum)(nil)
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*AdaBelief)(nil)
	_ Optimizer = (*Adamax)(nil)
)

// rule is one optimizer's update: prepare computes the per-step scalars for
// step t, segment selects the parameter values x, gradient g and moments
// bufs[k][off:off+len(x)] to update, and kernel updates the elements [lo, hi)
// of that segment (elements are independent, so splitting the loop over
// cores does not change a bit).
type rule interface {
	kernel() par.Kernel
	kind() string
	hyper() []hyperParam
	nbufs() int
	prepare(t int)
	segment(x, g []float64, bufs [][]float64, off int)
}

// seg holds the segment being updated.
type seg struct {
	x, g, a, b []float64
}

func (s *seg) set(x, g []float64, bufs [][]float64, off int) {
	n := len(x)
	s.x, s.g = x, g[:n]
	s.a = bufs[0][off : off+n : off+n]
	if len(bufs) > 1 {
		s.b = bufs[1][off : off+n : off+n]
	}
}

// update runs r over a segment on all cores.
func update(r rule, x, g []float64, bufs [][]float64, off int) {
	r.segment(x, g, bufs, off)
	par.For(len(x), r.kernel())
}

// lrAt returns the learning rate of step t.
func lrAt(lr Schedule, t int, kind string) float64 {
	if lr == nil {
		panic("optim: " + kind + " has no learning rate: set LR to a Schedule such as Constant(0.01)")
	}
	return lr.At(t)
}

type hyperParam struct {
	name string
	v    float64
}

// state is what every optimizer keeps between steps.
type state struct {
	t       int
	sizes   []int // sizes of the parameter segments the moments belong to
	bufs    [][]float64
	scratch []int
}

// bind allocates the moments on the first step and checks later steps'
// segment sizes (in s.scratch) against them.
func (s *state) bind(r rule, who string) {
	if s.sizes == nil {
		s.sizes = append([]int{}, s.scratch...)
		n := 0
		for _, k := range s.sizes {
			n += k
		}
		s.bufs = make([][]float64, r.nbufs())
		for i := range s.bufs {
			s.bufs[i] = make([]float64, n)
		}
		return
	}
	if !slices.Equal(s.sizes, s.scratch) {
		panic(fmt.Sprintf("optim: %s.%s: parameters of sizes %v but the optimizer's state belongs to parameters of sizes %v; use one optimizer per parameter list",
			r.kind(), who, s.scratch, s.sizes))
	}
}

func step(r rule, s *state, params []*ad.Param) {
	s.scratch = s.scratch[:0]
	for _, p := range params {
		if p.Grad == nil || len(p.Grad.Data) != len(p.Value.Data) {
			panic(fmt.Sprintf("optim: %s.Step: parameter %q (%s) has no gradient of its shape", r.kind(), p.Name, p.Value.Shape()))
		}
		s.scratch = append(s.scratch, len(p.Value.Data))
	}
	s.bind(r, "Step")
	s.t++
	r.prepare(s.t)
	off := 0
	for _, p := range params {
		update(r, p.Value.Data, p.Grad.Data, s.bufs, off)
		off += len(p.Value.Data)
	}
}

func stepFlat(r rule, s *state, x, g []float64) {
	if len(x) != len(g) {
		panic(fmt.Sprintf("optim: %s.StepFlat: %d values but %d gradients", r.kind(), len(x), len(g)))
	}
	s.scratch = append(s.scratch[:0], len(x))
	s.bind(r, "StepFlat")
	s.t++
	r.prepare(s.t)
	update(r, x, g, s.bufs, 0)
}

// Momentum is stochastic gradient descent with momentum in the form of the
// paper's code (Flux's Momentum):
//
//	v = Rho*v + lr*g
//	θ = θ - v
//
// With Rho = 0 it is plain gradient descent.
type Momentum struct {
	LR  Schedule
	Rho float64

	st  state
	seg seg
	lr  float64
}

// NewMomentum returns Momentum with learning-rate schedule lr and momentum
// rho (the paper: InverseDecay(0.1, 1e-5) and 0.9).
func NewMomentum(lr Schedule, rho float64) *Momentum { return &Momentum{LR: lr, Rho: rho} }

func (o *Momentum) kind() string        { return "Momentum" }
func (o *Momentum) hyper() []hyperParam { return []hyperParam{{"rho", o.Rho}} }
func (o *Momentum) nbufs() int          { return 1 }
func (o *Momentum) prepare(t int)       { o.lr = lrAt(o.LR, t, o.kind()) }
func (o *Momentum) segment(x, g []float64, bufs [][]float64, off int) {
	o.seg.set(x, g, bufs, off)
}

type momentumKernel Momentum

func (o *Momentum) kernel() par.Kernel { return (*momentumKernel)(o) }

// Run updates elements [lo, hi) of the current segment.
func (o *momentumKernel) Run(lo, hi int) {
	x, g, v := o.seg.x[lo:hi], o.seg.g[lo:hi], o.seg.a[lo:hi]
	rho, lr := o.Rho, o.lr
	for i, gi := range g {
		v[i] = rho*v[i] + lr*gi
		x[i] -= v[i]
	}
}

// Step updates params from their gradients.
func (o *Momentum) Step(params []*ad.Param) { step(o, &o.st, params) }

// StepFlat updates x from its gradient g.
func (o *Momentum) StepFlat(x, g []float64) { stepFlat(o, &o.st, x, g) }

// Steps is the number of steps taken.
func (o *Momentum) Steps() int { return o.st.t }

// Adam is the method of Kingma and Ba (2015), Algorithm 1:
//
//	m = β1 m + (1-β1) g
//	v = β2 v + (1-β2) g²
//	θ = θ - lr * m̂ / (sqrt(v̂) + ε),   m̂ = m/(1-β1^t), v̂ = v/(1-β2^t)
//
// computed in the paper's equivalent "efficient" order (Section 2):
// θ -= α_t m / (sqrt(v) + ε̂) with α_t = lr sqrt(1-β2^t)/(1-β1^t) and
// ε̂ = ε sqrt(1-β2^t), one square root and one division per element.
type Adam struct {
	LR                Schedule
	Beta1, Beta2, Eps float64

	st          state
	seg         seg
	alpha, epsT float64
}

// NewAdam returns Adam with schedule lr and the published defaults
// β1 = 0.9, β2 = 0.999, ε = 1e-8; change the fields before the first step.
func NewAdam(lr Schedule) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// biasCorrected returns α_t = lr sqrt(1-β2^t)/(1-β1^t) and ε sqrt(1-β2^t).
func biasCorrected(lr, b1, b2, eps float64, t int) (alpha, epsT float64) {
	c1 := 1 - math.Pow(b1, float64(t))
	r2 := math.Sqrt(1 - math.Pow(b2, float64(t)))
	return lr * r2 / c1, eps * r2
}

func (o *Adam) kind() string { return "Adam" }
func (o *Adam) hyper() []hyperParam {
	return []hyperParam{{"beta1", o.Beta1}, {"beta2", o.Beta2}, {"eps", o.Eps}}
}
func (o *Adam) nbufs() int { return 2 }
func (o *Adam) prepare(t int) {
	o.alpha, o.epsT = biasCorrected(lrAt(o.LR, t, o.kind()), o.Beta1, o.Beta2, o.Eps, t)
}
func (o *Adam) segment(x, g []float64, bufs [][]float64, off int) { o.seg.set(x, g, bufs, off) }

type adamKernel Adam

func (o *Adam) kernel() par.Kernel { return (*adamKernel)(o) }

// Run updates elements [lo, hi) of the current segment.
func (o *adamKernel) Run(lo, hi int) {
	x, g, m, v := o.seg.x[lo:hi], o.seg.g[lo:hi], o.seg.a[lo:hi], o.seg.b[lo:hi]
	b1, b2, alpha, eps := o.Beta1, o.Beta2, o.alpha, o.epsT
	for i, gi := range g {
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		x[i] -= alpha * m[i] / (math.Sqrt(v[i]) + eps)
	}
}

// Step updates params from their gradients.
func (o *Adam) Step(params []*ad.Param) { step(o, &o.st, params) }

// StepFlat updates x from its gradient g.
func (o *Adam) StepFlat(x, g []float64) { stepFlat(o, &o.st, x, g) }

// Steps is the number of steps taken.
func (o *Adam) Steps() int { return o.st.t }

// AdaBelief is the method of Zhuang et al. (NeurIPS 2020), Algorithm 2: Adam
// with the second moment of the gradient replaced by the "belief" s, the
// variance of g around its running mean:
//
//	m = β1 m + (1-β1) g
//	s = β2 s + (1-β2) (g-m)² + ε
//	θ = θ - lr * m̂ / (sqrt(ŝ) + ε),   m̂ = m/(1-β1^t), ŝ = s/(1-β2^t)
//
// computed in Adam's efficient order (see Adam).
type AdaBelief struct {
	LR                Schedule
	Beta1, Beta2, Eps float64

	st          state
	seg         seg
	alpha, epsT float64
}

// NewAdaBelief returns AdaBelief with schedule lr and β1 = 0.9, β2 = 0.999,
// ε = 1e-16 (the authors' recommended ε, also Optimisers.jl's).
func NewAdaBelief(lr Schedule) *AdaBelief {
	return &AdaBelief{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-16}
}

func (o *AdaBelief) kind() string { return "AdaBelief" }
func (o *AdaBelief) hyper() []hyperParam {
	return []hyperParam{{"beta1", o.Beta1}, {"beta2", o.Beta2}, {"eps", o.Eps}}
}
func (o *AdaBelief) nbufs() int { return 2 }
func (o *AdaBelief) prepare(t int) {
	o.alpha, o.epsT = biasCorrected(lrAt(o.LR, t, o.kind()), o.Beta1, o.Beta2, o.Eps, t)
}
func (o *AdaBelief) segment(x, g []float64, bufs [][]float64, off int) { o.seg.set(x, g, bufs, off) }

type adaBeliefKernel AdaBelief

func (o *AdaBelief) kernel() par.Kernel { return (*adaBeliefKernel)(o) }

// Run updates elements [lo, hi) of the current segment.
func (o *adaBeliefKernel) Run(lo, hi int) {
	x, g, m, s := o.seg.x[lo:hi], o.seg.g[lo:hi], o.seg.a[lo:hi], o.seg.b[lo:hi]
	b1, b2, eps, alpha, epsT := o.Beta1, o.Beta2, o.Eps, o.alpha, o.epsT
	for i, gi := range g {
		m[i] = b1*m[i] + (1-b1)*gi
		d := gi - m[i]
		s[i] = b2*s[i] + (1-b2)*d*d + eps
		x[i] -= alpha * m[i] / (math.Sqrt(s[i]) + epsT)
	}
}

// Step updates params from their gradients.
func (o *AdaBelief) Step(params []*ad.Param) { step(o, &o.st, params) }

// StepFlat updates x from its gradient g.
func (o *AdaBelief) StepFlat(x, g []float64) { stepFlat(o, &o.st, x, g) }

// Steps is the number of steps taken.
func (o *AdaBelief) Steps() int { return o.st.t }

// Adamax is the infinity-norm variant of Adam (Kingma and Ba, 2015,
// Algorithm 2), with Flux's ε added to the denominator so that a parameter
// whose gradients have all been zero is not divided by zero:
//
//	m = β1 m + (1-β1) g
//	u = max(β2 u, |g|)
//	θ = θ - (lr/(1-β1^t)) * m / (u + ε)
type Adamax struct {
	LR                Schedule
	Beta1, Beta2, Eps float64

	st    state
	seg   seg
	alpha float64
}

// NewAdamax returns Adamax with schedule lr and β1 = 0.9, β2 = 0.999,
// ε = 1e-8 (the latent-ODE experiment uses InverseDecay(0.01, 1e-5)).
func NewAdamax(lr Schedule) *Adamax { return &Adamax{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

func (o *Adamax) kind() string { return "Adamax" }
func (o *Adamax) hyper() []hyperParam {
	return []hyperParam{{"beta1", o.Beta1}, {"beta2", o.Beta2}, {"eps", o.Eps}}
}
func (o *Adamax) nbufs() int { return 2 }
func (o *Adamax) prepare(t int) {
	o.alpha = lrAt(o.LR, t, o.kind()) / (1 - math.Pow(o.Beta1, float64(t)))
}
func (o *Adamax) segment(x, g []float64, bufs [][]float64, off int) {
	o.seg.set(x, g, bufs, off)
}

type adamaxKernel Adamax

func (o *Adamax) kernel() par.Kernel { return (*adamaxKernel)(o) }

// Run updates elements [lo, hi) of the current segment.
func (o *adamaxKernel) Run(lo, hi int) {
	x, g, m, u := o.seg.x[lo:hi], o.seg.g[lo:hi], o.seg.a[lo:hi], o.seg.b[lo:hi]
	b1, b2, eps, alpha := o.Beta1, o.Beta2, o.Eps, o.alpha
	for i, gi := range g {
		m[i] = b1*m[i] + (1-b1)*gi
		u[i] = max(b2*u[i], math.Abs(gi))
		x[i] -= alpha * m[i] / (u[i] + eps)
	}
}

// Step updates params from their gradients.
func (o *Adamax) Step(params []*ad.Param) { step(o, &o.st, params) }

// StepFlat updates x from its gradient g.
func (o *Adamax) StepFlat(x, g []float64) { stepFlat(o, &o.st, x, g) }

// Steps is the number of steps taken.
func (o *Adamax) Steps() int { return o.st.t }
