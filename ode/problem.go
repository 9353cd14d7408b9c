package ode

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/check"
	"github.com/whitebox-de/whitebox/tensor"
)

// Func is the dynamics dz/dt = f(t, z). It records its computation on z's
// tape with the ops of package ad, binding its parameters with
// z.Tape().Param, and returns a value of z's shape. A Func written this way
// gets exact gradients from the discrete adjoint; Plain wraps a plain Go
// function for forward-only solves.
type Func func(t float64, z ad.Var) ad.Var

// Plain adapts a plain Go function f(t, z, dz) (writing dz/dt into dz) to a
// Func for forward-only solves: no gradient flows through it.
func Plain(f func(t float64, z, dz []float64)) Func {
	return func(t float64, z ad.Var) ad.Var {
		return ad.Apply(z, z.Rows(), z.Cols(), func(dst, src *tensor.Dense) { f(t, src.Data, dst.Data) })
	}
}

// Problem is an initial value problem from T0 to T1 with a batched state: Z0
// is batch x features and one adaptive solve covers the whole batch (norms are
// RMS over all elements). T1 < T0 integrates backward in time, as
// torchdiffeq and diffrax allow: the steps are negative, the save times and
// stops descend, and Backward differentiates the solve as it does a forward
// one; T1 = T0 is rejected.
type Problem struct {
	F      Func
	Z0     *tensor.Dense
	T0, T1 float64
	// Input, when not nil, declares that F reads the state only through the
	// product z*W with the matrix W = Input(tp) (features x p, recorded on
	// tp, typically the state rows of the first dense layer's weights): F
	// then receives that batch x p product instead of the state and still
	// returns the batch x features derivative. The solver uses the linearity
	// of the product: it forms each stage's input as u*W + h*sum_j a_ij*(k_j*W)
	// on batch x p arrays instead of forming the batch x features stage state
	// and multiplying it by W, with the same number of matrix products. For
	// a wide state and a narrow first layer (784 -> 100 for the MNIST
	// dynamics) that removes most of a Runge-Kutta step's passes over
	// state-sized arrays. With an FSAL method, the product u*W carries over
	// from the previous step's last stage input. The arithmetic differs from
	// the unprojected solve only by rounding; the discrete adjoint
	// differentiates the arithmetic performed. nn.Chain.InputForm splits a
	// chain of layers into Input and F.
	Input func(tp *ad.Tape) ad.Var
}

// State returns a rows x cols state (batch x features) holding a copy of
// values, row by row: a Problem.Z0 from a plain slice. It panics if
// len(values) != rows*cols.
func State(rows, cols int, values []float64) *tensor.Dense {
	if rows < 0 || cols < 0 || len(values) != rows*cols {
		panic(fmt.Sprintf("ode: State: %d values cannot form a %dx%d state", len(values), rows, cols))
	}
	return tensor.FromSlice(rows, cols, slices.Clone(values))
}

// Options configure a solve. The zero value (or a nil *Options) means Tsit5
// at rtol = atol = 1e-6 saving only the final state.
type Options struct {
	// Method is the Runge-Kutta tableau. Default Tsit5.
	Method *Tableau
	// RTol and ATol are the relative and absolute tolerances: a step is
	// accepted when RMS(utilde/(ATol + max(|u_n|, |u_{n+1}|)*RTol)) <= 1.
	// Both 0 (the zero value) means 1e-6 each. Otherwise both are taken as
	// given: RTol = 0 with ATol > 0 is a pure absolute tolerance, and ATol
	// must be positive (ATol = 0 is rejected: a pure relative tolerance is
	// undefined where the state is zero). Neither may be negative or
	// non-finite.
	RTol, ATol float64
	// SaveAt are the times, inside the span and strictly monotone from T0
	// to T1 (ascending, or descending when integrating backward in time),
	// at which the solution is returned, computed by dense output without
	// forcing steps onto them (for a method without dense output they are
	// stepped on). Empty: only the final state at T1.
	SaveAt []float64
	// TStops are times the solver must step on exactly, inside the span
	// but not T0, strictly monotone from T0 to T1 as SaveAt.
	TStops []float64
	// Dt is the initial step size, or the step size of a fixed-step method
	// (required there). Default for adaptive methods: Hairer's algorithm.
	// Dt, DtMin and DtMax are magnitudes: each must be finite and
	// non-negative (0 means the default), Dt at most the span's length and
	// DtMin at most DtMax; anything else is rejected before any work.
	Dt float64
	// DtMin is the smallest step size allowed before failing with
	// ErrStepSizeUnderflow. Default: 1e-14 * max(1, |t|).
	DtMin float64
	// DtMax bounds the step size. Default: the span's length.
	DtMax float64
	// MaxSteps bounds attempted steps (accepted plus rejected). Default 100000.
	MaxSteps int
	// Controller is the step-size controller. Default DefaultPI(Method.Order).
	Controller *PIController
	// Adjoint keeps the per-step checkpoints that Solution.Backward needs
	// (see Checkpointing for what they hold).
	Adjoint bool
	// Checkpointing chooses what the checkpoints hold. Default KeepProducts.
	Checkpointing Checkpointing
	// NormColumns, when positive, makes the solver's norms read only the
	// first NormColumns columns of the state: the error estimate that
	// accepts or rejects steps (and enters R_E), the stiffness estimate
	// (R_S) and the norms of the initial step heuristic. The other columns
	// are integrated with the same steps but never constrain them. 0 (the
	// default) means every column, as does Z0's width. It is meant for a
	// state augmented with quadrature columns, such as the regularizers'
	// integrals of taylor.TayNODE and taylor.RNODE, whose accuracy need not
	// choose the step sizes; see package taylor for the trade-off. A
	// restricted norm ends each step with the recorded ops instead of the
	// fused pass (see the package doc), with the same values, at the cost
	// of a few more passes over the state per step.
	NormColumns int
}

// Checkpointing chooses what a solve with Options.Adjoint keeps of each
// accepted step for the discrete adjoint, trading memory for recomputation.
// Both keep the state at the start of the step and, for FSAL methods, the
// derivative there (the previous step's last stage, which Backward then
// takes as an input instead of evaluating it again), so memory grows with
// accepted steps x state size either way; neither keeps the recorded
// intermediates of the stages.
type Checkpointing int

const (
	// KeepProducts also keeps the values of the matrix products (ad.MatMul,
	// ad.Dense) of every stage evaluation. Backward re-records each step
	// taking those values instead of computing them, so it recomputes only
	// the cheap elementwise work (stage combinations, bias, error norms) and
	// no product. Memory per accepted step: 2 states plus the products'
	// outputs of its evaluations (for the MNIST dynamics, whose last product
	// is the state-sized derivative, about 2 + 6*(1+100/784) = 8.8 states).
	KeepProducts Checkpointing = iota
	// KeepStates keeps only the 2 states per accepted step; Backward
	// re-evaluates the dynamics of every stage but the first. It costs
	// about one more forward evaluation per stage than KeepProducts.
	KeepStates
	// KeepStages keeps, besides the products, the values of the step's own
	// arithmetic: the stage states, the error estimate's combination and the
	// norms. Backward then recomputes only the elementwise ops inside the
	// dynamics (for the MNIST dynamics, none of size state). Memory per
	// accepted step: about 2 + 6*(1+100/784) + 7 = 15.8 states for the MNIST
	// dynamics with Tsit5.
	KeepStages
)

func (c Checkpointing) String() string {
	switch c {
	case KeepProducts:
		return "keep-products"
	case KeepStates:
		return "keep-states"
	case KeepStages:
		return "keep-stages"
	}
	return fmt.Sprintf("Checkpointing(%d)", int(c))
}

// Solution is the result of a solve: the saved states and the white-box
// record of every step (see Trajectory).
type Solution struct {
	Trajectory

	prob Problem
	opts Options
}

func (o *Options) withDefaults(p *Problem) (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Method == nil {
		r.Method = Tsit5()
	}
	var err error
	if r.RTol, r.ATol, err = check.Tolerances(r.RTol, r.ATol, 1e-6); err != nil {
		return r, invalid("%v", err)
	}
	if r.MaxSteps == 0 {
		r.MaxSteps = 100000
	}
	if r.Checkpointing < KeepProducts || r.Checkpointing > KeepStages {
		return r, invalid("Checkpointing = %d is not KeepProducts, KeepStates or KeepStages", int(r.Checkpointing))
	}
	if r.MaxSteps < 0 {
		return r, invalid("MaxSteps = %d must be positive", r.MaxSteps)
	}
	if r.NormColumns < 0 || r.NormColumns > p.Z0.Cols {
		return r, invalid("NormColumns = %d for a state of %d columns; give 1 to %d, or 0 for every column", r.NormColumns, p.Z0.Cols, p.Z0.Cols)
	}
	if r.NormColumns == p.Z0.Cols {
		r.NormColumns = 0
	}
	if r.DtMax, err = check.StepSizes(r.Dt, r.DtMin, r.DtMax, math.Abs(p.T1-p.T0)); err != nil {
		return r, invalid("%v", err)
	}
	if !r.Method.HasErrorEstimate() && r.Dt == 0 {
		return r, invalid("method %s has no error estimate: set Options.Dt to its fixed step size", r.Method.Name)
	}
	if r.Controller == nil {
		r.Controller = DefaultPI(r.Method.Order)
	} else {
		c := r.Controller.WithDefaultsFor(r.Method.Order)
		r.Controller = &c
	}
	r.Controller.Reset()
	return r, nil
}

func (p *Problem) validate() error {
	if p.F == nil {
		return invalid("Problem.F is nil")
	}
	if err := check.InitialValue(p.Z0, p.T0, p.T1, true); err != nil {
		return invalid("%v", err)
	}
	if p.Input != nil {
		tp := ad.GetTape()
		defer ad.PutTape(tp)
		w := p.Input(tp)
		if !w.Valid() || w.Rows() != p.Z0.Cols || w.Cols() == 0 {
			shape := "an invalid Var"
			if w.Valid() {
				shape = "a " + w.Value().Shape() + " matrix"
			}
			return invalid("Problem.Input returned %s for a state of %d features; want %d x p with p >= 1", shape, p.Z0.Cols, p.Z0.Cols)
		}
	}
	return nil
}

// dir is the direction of integration: +1 forward in time, -1 backward.
func (p *Problem) dir() float64 {
	if p.T1 < p.T0 {
		return -1
	}
	return 1
}

func checkTimes(name string, ts []float64, lo, hi float64, openLo bool) error {
	if err := check.Times(name, ts, lo, hi, openLo); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// Solve integrates the problem. It checks ctx once per step. Every solve
// records its statistics (Solution.Steps, NFE) at no extra cost.
func Solve(ctx context.Context, p Problem, opts *Options) (*Solution, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	o, err := opts.withDefaults(&p)
	if err != nil {
		return nil, err
	}
	if err := o.Method.Validate(); err != nil {
		return nil, invalid("method: %v", err)
	}
	if err := checkTimes("SaveAt", o.SaveAt, p.T0, p.T1, false); err != nil {
		return nil, err
	}
	if err := checkTimes("TStops", o.TStops, p.T0, p.T1, true); err != nil {
		return nil, err
	}
	s := newSolveStepper(&p, &o)
	defer s.release()
	stops := slices.Clone(o.TStops)
	if !o.Method.HasDenseOutput() {
		stops = mergeSorted(stops, o.SaveAt, p.T0, p.dir())
	}
	fixedDt := 0.0
	if !o.Method.HasErrorEstimate() {
		fixedDt = o.Dt
	}
	err = s.sol.Integrate(ctx, s, &Loop{
		T0: p.T0, T1: p.T1, Z0: p.Z0, SaveAt: o.SaveAt, Stops: stops,
		Dt: o.Dt, FixedDt: fixedDt, DtMin: o.DtMin, DtMax: o.DtMax, MaxSteps: o.MaxSteps,
		Controller: o.Controller, Adjoint: o.Adjoint, Dynamics: "the dynamics",
	})
	return s.sol, err
}

// mergeSorted merges the times of b past t0 into a, ordered in the
// direction dir (+1 ascending, -1 descending), without repeats.
func mergeSorted(a, b []float64, t0, dir float64) []float64 {
	out := slices.Clone(a)
	for _, t := range b {
		if dir*(t-t0) > 0 {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	if dir < 0 {
		slices.Reverse(out)
	}
	return slices.Compact(out)
}
