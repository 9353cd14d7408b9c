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

// Problem is an initial value problem on [T0, T1] with a batched state: Z0
// is batch x features and one adaptive solve covers the whole batch (norms are
// RMS over all elements).
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

// Options configure a solve. The zero value (or a nil *Options) means Tsit5
// at rtol = atol = 1e-6 saving only the final state.
type Options struct {
	// Method is the Runge-Kutta tableau. Default Tsit5.
	Method *Tableau
	// RTol and ATol are the relative and absolute tolerances. Default 1e-6
	// each; when set they must be positive and finite.
	RTol, ATol float64
	// SaveAt are the times, ascending within [T0, T1], at which the
	// solution is returned, computed by dense output without forcing steps
	// onto them (for a method without dense output they are stepped on).
	// Empty: only the final state at T1.
	SaveAt []float64
	// TStops are times the solver must step on exactly, ascending, inside
	// (T0, T1).
	TStops []float64
	// Dt is the initial step size, or the step size of a fixed-step method
	// (required there). Default for adaptive methods: Hairer's algorithm.
	Dt float64
	// DtMin is the smallest step size allowed before failing with
	// ErrStepSizeUnderflow. Default: 1e-14 * max(1, |t|).
	DtMin float64
	// DtMax bounds the step size. Default: T1 - T0.
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

// StepStat is the white-box record of one attempted step.
type StepStat struct {
	// T is the start of the step and H its size.
	T, H float64
	// Accepted reports whether the controller accepted the step.
	Accepted bool
	// ErrorEstimate is EEst = RMS(utilde/(atol + max(|u_n|,|u_{n+1}|)*rtol))
	// with utilde = h*sum_i btilde_i k_i (0 for methods without an embedded
	// pair).
	ErrorEstimate float64
	// StiffnessEstimate is RMS(k_j - k_i)/RMS(g_j - g_i)/StabilityScale for
	// the tableau's stiffness stage pair (0 without one, or when the
	// denominator is 0).
	StiffnessEstimate float64
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
	for name, v := range map[string]float64{"RTol": r.RTol, "ATol": r.ATol} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return r, invalid("%s = %v; tolerances must be positive and finite (leave 0 for the default 1e-6)", name, v)
		}
	}
	if r.RTol == 0 {
		r.RTol = 1e-6
	}
	if r.ATol == 0 {
		r.ATol = 1e-6
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
	span := p.T1 - p.T0
	if r.DtMax == 0 {
		r.DtMax = span
	}
	if r.Dt < 0 || r.DtMin < 0 || r.DtMax < 0 || math.IsNaN(r.Dt+r.DtMin+r.DtMax) {
		return r, invalid("Dt, DtMin and DtMax must be non-negative (Dt=%v DtMin=%v DtMax=%v)", r.Dt, r.DtMin, r.DtMax)
	}
	if !r.Method.HasErrorEstimate() && r.Dt == 0 {
		return r, invalid("method %s has no error estimate: set Options.Dt to its fixed step size", r.Method.Name)
	}
	if r.Controller == nil {
		r.Controller = DefaultPI(r.Method.Order)
	} else {
		c := r.Controller.WithDefaults()
		r.Controller = &c
	}
	r.Controller.Reset()
	return r, nil
}

func (p *Problem) validate() error {
	if p.F == nil {
		return invalid("Problem.F is nil")
	}
	if err := check.InitialValue(p.Z0, p.T0, p.T1); err != nil {
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
	return s.run(ctx)
}

// release returns the stepper's tape to the pool; nothing may use it after.
func (s *stepper) release() {
	s.stepProds.Release(s.tp)
	s.k1Prods.Release(s.tp)
	for _, d := range []*tensor.Dense{s.u, s.k1, s.uw, s.u1buf, s.utbuf, s.dbuf} {
		if d != nil {
			s.tp.Recycle(d)
		}
	}
	ad.PutTape(s.tp)
	s.tp = nil
}

// fuseStepEnd enables the fused end of a step (fusedEnd, provideEnd); the
// benchmarks turn it off to measure what it saves.
var fuseStepEnd = true

// stepper is the per-solve workspace.
type stepper struct {
	p    *Problem
	o    *Options
	tab  *Tableau
	tp   *ad.Tape
	sol  *Solution
	nfe  *int
	u    *tensor.Dense // current state
	k1   *tensor.Dense // FSAL derivative at (t, u)
	hasK bool
	// uw is u*W with Problem.Input, valid when hasUW (allocated at first
	// use: W's width is known then).
	uw    *tensor.Dense
	hasUW bool
	// k1Fresh: k1 was evaluated at (t, u), not carried over from the last
	// stage of the previous step.
	k1Fresh bool
	// capture: the forward solve keeps product values for the adjoint; the
	// products of the last evaluation of k1 and of the current step.
	capture            bool
	k1Prods, stepProds ad.Products
	dw                 []float64 // dense-output weights
	// fuse: record ends steps with fusedEnd (values only: the forward
	// solve, unless it captures the step's combinations for KeepStages).
	fuse bool
	// provide: record computes the step's end with one pass and provides
	// the values to its ops (Backward's replays, whose tape is reset per
	// step).
	provide bool
	// Buffers of endSums: u1, the error estimate's combination, the
	// stiffness estimate's stage distance; the values provideEnd provides.
	u1buf, utbuf, dbuf *tensor.Dense
	scalars            [3]*tensor.Dense
	endVals            []*tensor.Dense
	// per-step scratch
	coef  []float64
	vars  []ad.Var
	srcs  [][]float64
	terms []tensor.SumTerm
	sums  []float64
	stops []float64
}

// newStepper returns a workspace that records steps of p on tp, counting
// evaluations into *nfe.
func newStepper(p *Problem, o *Options, tp *ad.Tape, nfe *int) *stepper {
	ns := o.Method.Stages
	s := &stepper{p: p, o: o, tab: o.Method, tp: tp, nfe: nfe, dw: make([]float64, ns),
		// The step's combinations: the stages', u1's, and three of endSums.
		coef: make([]float64, 0, 4*ns+1), vars: make([]ad.Var, 0, ns+1), srcs: make([][]float64, 0, 4*ns+1),
		terms: make([]tensor.SumTerm, 0, 3), sums: make([]float64, 0, 3)}
	return s
}

// newSolveStepper returns a workspace for a forward solve, with a pooled
// tape (give it back with release) and the solution it fills.
func newSolveStepper(p *Problem, o *Options) *stepper {
	s := newStepper(p, o, ad.GetTape(), nil)
	s.sol = &Solution{prob: *p, opts: *o}
	s.nfe = &s.sol.NFE
	s.u = s.tp.Buffer(p.Z0.Rows, p.Z0.Cols)
	s.u.CopyFrom(p.Z0)
	s.k1 = s.tp.Buffer(p.Z0.Rows, p.Z0.Cols)
	s.stops = append(s.stops, o.TStops...)
	s.capture = o.Adjoint && o.Checkpointing != KeepStates
	s.fuse = fuseStepEnd && !(o.Adjoint && o.Checkpointing == KeepStages)
	if !o.Method.HasDenseOutput() {
		s.stops = mergeSorted(s.stops, o.SaveAt, p.T0)
	}
	return s
}

func mergeSorted(a, b []float64, t0 float64) []float64 {
	out := slices.Clone(a)
	for _, t := range b {
		if t > t0 {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// stageVars are the Vars of one recorded step.
type stageVars struct {
	// g are the stage inputs: the stage states, or with Problem.Input
	// their products with W (g[0] = u or u*W).
	k, g []ad.Var
	u1   ad.Var
	e, s ad.Var // error and stiffness estimates (1x1), invalid if not recorded
	// With Problem.Input: the products k_j*W (invalid where no later stage
	// needs one) and u1*W when the method carries it (FSAL), else invalid.
	kw  []ad.Var
	u1w ad.Var
	// fused: the step's end came from fusedEnd, which wrote u1 into the
	// stepper's buffer (when u1Own) and checked it (finite).
	fused, u1Own, finite bool
}

// eval records f(t, z) for the stage input z (the state, or its product
// with the input matrix) and counts it.
func (s *stepper) eval(t float64, z ad.Var) ad.Var {
	*s.nfe++
	out := s.p.F(t, z)
	if !out.Valid() || out.Rows() != z.Rows() || out.Cols() != s.p.Z0.Cols {
		shape := "an invalid Var"
		if out.Valid() {
			shape = out.Value().Shape()
		}
		panic(fmt.Sprintf("ode: dynamics returned %s for a %s input; want %dx%d", shape, z.Value().Shape(), z.Rows(), s.p.Z0.Cols))
	}
	return out
}

// input records the stage input of the state u: u itself, or u*W with
// Problem.Input.
func (s *stepper) input(u ad.Var) ad.Var {
	if s.p.Input == nil {
		return u
	}
	return ad.MatMul(u, s.p.Input(u.Tape()))
}

// record records one step of size h from (t, u) on the tape. k1, when
// valid, is the known derivative at (t, u) (FSAL); otherwise it is evaluated.
// uw, with Problem.Input, is u*W carried over from the previous step, or
// invalid to compute it from u.
func (s *stepper) record(t, h float64, u, k1, uw ad.Var, sv *stageVars, wantE, wantS bool) {
	tab := s.tab
	ns := tab.Stages
	sv.k = sv.k[:0]
	sv.g = sv.g[:0]
	sv.kw = sv.kw[:0]
	sv.u1w = ad.Var{}
	var w ad.Var
	g0 := u
	if s.p.Input != nil {
		w = s.p.Input(u.Tape())
		if !uw.Valid() {
			uw = ad.MatMul(u, w)
		}
		g0 = uw
	}
	if !k1.Valid() {
		k1 = s.eval(t, g0)
	}
	sv.k = append(sv.k, k1)
	sv.g = append(sv.g, g0)
	for i := 1; i < ns; i++ {
		s.coef = append(s.coef[:0], 1)
		s.vars = append(s.vars[:0], g0)
		for j := 0; j < i; j++ {
			if a := tab.A[i][j]; a != 0 {
				s.coef = append(s.coef, h*a)
				s.vars = append(s.vars, s.stageTerm(sv, j, w))
			}
		}
		g := ad.LinComb(s.coef, s.vars)
		sv.g = append(sv.g, g)
		sv.k = append(sv.k, s.eval(t+tab.C[i]*h, g))
	}
	sv.fused = s.fuse && tab.HasErrorEstimate()
	if sv.fused {
		s.fusedEnd(h, u, w, sv, wantE, wantS)
		return
	}
	provide := s.provide && tab.HasErrorEstimate() && (wantE || wantS)
	if provide {
		s.provideEnd(h, u, w, sv, wantE, wantS)
	}
	switch {
	case tab.FSAL && !w.Valid():
		sv.u1 = sv.g[ns-1]
	case tab.FSAL:
		// The last stage's input is u1*W: the next step takes it over.
		sv.u1 = s.combine(u, h, tab.B, sv.k)
		sv.u1w = sv.g[ns-1]
	default:
		sv.u1 = s.combine(u, h, tab.B, sv.k)
	}
	sv.e, sv.s = ad.Var{}, ad.Var{}
	if wantE && tab.HasErrorEstimate() {
		s.coef = s.coef[:0]
		s.vars = s.vars[:0]
		for i, bt := range tab.Btilde {
			if bt != 0 {
				s.coef = append(s.coef, h*bt)
				s.vars = append(s.vars, sv.k[i])
			}
		}
		ut := ad.LinComb(s.coef, s.vars)
		sv.e = ad.ErrorNorm(ut, u, sv.u1, s.o.ATol, s.o.RTol)
	}
	if wantS && tab.HasStiffnessEstimate() {
		i, j := tab.StiffnessStages[0], tab.StiffnessStages[1]
		var den ad.Var
		if w.Valid() {
			den = s.stageDistance(h, i, j, sv)
		} else {
			den = ad.RMSDiff(sv.g[j], sv.g[i])
		}
		if d := den.Scalar(); d != 0 && !math.IsNaN(d) {
			num := ad.RMSDiff(sv.k[j], sv.k[i])
			sv.s = ad.Scale(ad.Div(num, den), 1/tab.StabilityScale)
		}
	}
	if provide {
		if n := u.Tape().StopProviding(); n != len(s.endVals) {
			panic(fmt.Sprintf("ode: the step's end took %d of %d provided values", n, len(s.endVals)))
		}
	}
}

// endSums runs the end of a step as one tensor.FusedSums pass: u1 (unless
// the method formed it as its last stage) into s.u1buf, and the sums of the
// error and stiffness estimates into s.sums (error first, then the
// stiffness denominator and numerator). With keep, the error estimate's
// combination and (with Problem.Input) the stiffness estimate's stage
// distance are kept in s.utbuf and s.dbuf. It reports whether endSums
// computed u1 and whether u1 is finite, and returns the norms: E, and the
// stiffness estimate's denominator and numerator (0 where not wanted).
func (s *stepper) endSums(h float64, u, w ad.Var, sv *stageVars, wantE, wantS, keep bool) (own, finite bool, e, den, num float64) {
	tab := s.tab
	ns := tab.Stages
	uv := u.Value()
	n := len(uv.Data)
	s.terms = s.terms[:0]
	var out, u1 []float64
	s.coef = append(s.coef[:0], 1)
	s.srcs = append(s.srcs[:0], uv.Data)
	if tab.FSAL && !w.Valid() {
		u1 = sv.g[ns-1].Value().Data
	} else {
		s.u1buf = s.buffer(s.u1buf, uv.Rows, uv.Cols)
		out, u1, own = s.u1buf.Data, s.u1buf.Data, true
		for i, b := range tab.B {
			if b != 0 {
				s.coef = append(s.coef, h*b)
				s.srcs = append(s.srcs, sv.k[i].Value().Data)
			}
		}
	}
	// Coefficients and sources of the terms follow the out combination's
	// in s.coef and s.srcs.
	nOut := len(s.coef)
	eLo := len(s.coef)
	for i, bt := range tab.Btilde {
		if bt != 0 {
			s.coef = append(s.coef, h*bt)
			s.srcs = append(s.srcs, sv.k[i].Value().Data)
		}
	}
	eHi := len(s.coef)
	stiff := wantS && tab.HasStiffnessEstimate()
	i, j := tab.StiffnessStages[0], tab.StiffnessStages[1]
	dLo := len(s.coef)
	if stiff && w.Valid() {
		for m := range sv.k {
			if c := tab.stageDiff(i, j, m); c != 0 {
				s.coef = append(s.coef, h*c)
				s.srcs = append(s.srcs, sv.k[m].Value().Data)
			}
		}
	}
	dHi := len(s.coef)
	if wantE {
		tm := tensor.SumTerm{Kind: tensor.ErrorComb, Coef: s.coef[eLo:eHi], Src: s.srcs[eLo:eHi],
			A: uv.Data, B: u1, ATol: s.o.ATol, RTol: s.o.RTol}
		if keep {
			s.utbuf = s.buffer(s.utbuf, uv.Rows, uv.Cols)
			tm.Out = s.utbuf.Data
		}
		s.terms = append(s.terms, tm)
	}
	if stiff {
		if w.Valid() {
			tm := tensor.SumTerm{Kind: tensor.SumSqComb, Coef: s.coef[dLo:dHi], Src: s.srcs[dLo:dHi]}
			if keep {
				s.dbuf = s.buffer(s.dbuf, uv.Rows, uv.Cols)
				tm.Out = s.dbuf.Data
			}
			s.terms = append(s.terms, tm)
		} else {
			s.terms = append(s.terms, tensor.SumTerm{Kind: tensor.SumSqDiff, A: sv.g[j].Value().Data, B: sv.g[i].Value().Data})
		}
		s.terms = append(s.terms, tensor.SumTerm{Kind: tensor.SumSqDiff, A: sv.k[j].Value().Data, B: sv.k[i].Value().Data})
	}
	s.sums = append(s.sums[:0], make([]float64, len(s.terms))...)
	finite = tensor.FusedSums(n, out, s.coef[:nOut], s.srcs[:nOut], s.terms, s.sums)
	if !own {
		finite = tensor.AllFinite(u1)
	}
	// The norms as tensor.ErrorNorm, RMS and RMSDiff take them from the sums.
	rms := func(sum float64) float64 { return math.Sqrt(sum / float64(n)) }
	k := 0
	if wantE {
		e, k = rms(s.sums[0]), 1
	}
	if stiff {
		den, num = rms(s.sums[k]), rms(s.sums[k+1])
	}
	return own, finite, e, den, num
}

// buffer returns d, or a buffer of the stepper's tape when d is nil.
func (s *stepper) buffer(d *tensor.Dense, r, c int) *tensor.Dense {
	if d == nil {
		d = s.tp.Buffer(r, c)
	}
	return d
}

// provideEnd computes the end of a step that Backward replays with one
// endSums pass and provides the values to the ops record then records
// (ad.Tape.ProvideCombinations): u1, the error estimate's combination and
// norm, and the stiffness estimate's norms, in recording order. The values
// have the bits the ops would compute.
func (s *stepper) provideEnd(h float64, u, w ad.Var, sv *stageVars, wantE, wantS bool) {
	tab := s.tab
	own, _, e, den, num := s.endSums(h, u, w, sv, wantE, wantS, true)
	scalar := func(k int, v float64) *tensor.Dense {
		if s.scalars[k] == nil {
			s.scalars[k] = tensor.New(1, 1)
		}
		s.scalars[k].Data[0] = v
		return s.scalars[k]
	}
	if s.endVals == nil {
		s.endVals = make([]*tensor.Dense, 0, 6)
	}
	s.endVals = s.endVals[:0]
	if own {
		s.endVals = append(s.endVals, s.u1buf)
	}
	if wantE {
		s.endVals = append(s.endVals, s.utbuf, scalar(0, e))
	}
	if wantS && tab.HasStiffnessEstimate() {
		if w.Valid() {
			s.endVals = append(s.endVals, s.dbuf)
		}
		s.endVals = append(s.endVals, scalar(1, den))
		if den != 0 && !math.IsNaN(den) {
			// record computes the numerator only then.
			s.endVals = append(s.endVals, scalar(2, num))
		}
	}
	u.Tape().ProvideCombinations(s.endVals)
}

// fusedEnd records the end of a step of the forward solve, whose tape
// nothing back-propagates through: u1, E and S come from one endSums pass
// (with the bits of the ops Backward records) and enter the tape as
// constants. u1 goes into the stepper's u1 buffer unless the method formed
// it as its last stage.
func (s *stepper) fusedEnd(h float64, u, w ad.Var, sv *stageVars, wantE, wantS bool) {
	tab := s.tab
	tp := u.Tape()
	own, finite, e, den, num := s.endSums(h, u, w, sv, wantE, wantS, false)
	sv.u1Own, sv.finite = own, finite
	if own {
		sv.u1 = tp.Const(s.u1buf)
	} else {
		sv.u1 = sv.g[tab.Stages-1]
	}
	if tab.FSAL && w.Valid() {
		sv.u1w = sv.g[tab.Stages-1]
	}
	sv.e, sv.s = ad.Var{}, ad.Var{}
	if wantE {
		sv.e = tp.Scalar(e)
	}
	if wantS && tab.HasStiffnessEstimate() && den != 0 && !math.IsNaN(den) {
		// As ad.Scale(ad.Div(RMSDiff(k_j, k_i), den), 1/StabilityScale).
		sv.s = tp.Scalar(num / den * (1 / tab.StabilityScale))
	}
}

// stageTerm returns the term stage j contributes to later stage inputs: k_j,
// or with the input matrix w, k_j*w (recorded once per step).
func (s *stepper) stageTerm(sv *stageVars, j int, w ad.Var) ad.Var {
	if !w.Valid() {
		return sv.k[j]
	}
	for len(sv.kw) <= j {
		sv.kw = append(sv.kw, ad.Var{})
	}
	if !sv.kw[j].Valid() {
		sv.kw[j] = ad.MatMul(sv.k[j], w)
	}
	return sv.kw[j]
}

// stageDistance records RMS(g_j - g_i) of stage states i < j that were not
// formed (Problem.Input): g_j - g_i = h*sum_m (a_jm - a_im) k_m, with the
// last stage's row B when that stage is the step's end (FSAL).
func (s *stepper) stageDistance(h float64, i, j int, sv *stageVars) ad.Var {
	s.coef = s.coef[:0]
	s.vars = s.vars[:0]
	for m := range sv.k {
		if c := s.tab.stageDiff(i, j, m); c != 0 {
			s.coef = append(s.coef, h*c)
			s.vars = append(s.vars, sv.k[m])
		}
	}
	if len(s.vars) == 0 {
		return sv.k[0].Tape().Scalar(0)
	}
	return ad.RMS(ad.LinComb(s.coef, s.vars))
}

// stageDiff is the weight of k_m in (g_j - g_i)/h: A[j][m] - A[i][m], with
// the rows' implicit zeros from the diagonal on.
func (t *Tableau) stageDiff(i, j, m int) float64 {
	c := 0.0
	if m < j {
		c = t.A[j][m]
	}
	if m < i {
		c -= t.A[i][m]
	}
	return c
}

// combine records u + h*sum_i w_i k_i.
func (s *stepper) combine(u ad.Var, h float64, w []float64, k []ad.Var) ad.Var {
	s.coef = append(s.coef[:0], 1)
	s.vars = append(s.vars[:0], u)
	for i, wi := range w {
		if wi != 0 {
			s.coef = append(s.coef, h*wi)
			s.vars = append(s.vars, k[i])
		}
	}
	return ad.LinComb(s.coef, s.vars)
}

// dense records the dense output at t + theta*h of a recorded step.
func (s *stepper) dense(u ad.Var, h, theta float64, sv *stageVars) ad.Var {
	if theta == 1 {
		return sv.u1
	}
	s.tab.DenseWeights(theta, s.dw)
	return s.combine(u, h, s.dw, sv.k)
}

func (s *stepper) initialStep() float64 {
	o, p := s.o, s.p
	if o.Dt > 0 {
		return math.Min(o.Dt, o.DtMax)
	}
	tp := s.tp
	z := tp.Buffer(p.Z0.Rows, p.Z0.Cols)
	defer tp.Recycle(z)
	f := func(t float64, u, du []float64) {
		tp.Reset()
		copy(z.Data, u)
		out := s.p.F(t, s.input(tp.Const(z)))
		copy(du, out.Value().Data)
	}
	h, nfe := InitialStep(f, p.Z0.Data, p.T0, 1, float64(s.tab.Order), o.ATol, o.RTol, o.DtMax, nil)
	s.sol.NFE += nfe
	return h
}

// keepUW keeps the value of u*W (Problem.Input) for the steps from the
// current state; a no-op without Problem.Input.
func (s *stepper) keepUW(uw ad.Var) {
	if s.p.Input == nil {
		return
	}
	v := uw.Value()
	if s.uw == nil {
		s.uw = s.tp.Buffer(v.Rows, v.Cols)
	}
	s.uw.CopyFrom(v)
	s.hasUW = true
}

// startCapture makes the tape keep what Options.Checkpointing asks for in p.
func (s *stepper) startCapture(p *ad.Products) {
	if s.o.Checkpointing == KeepStages {
		s.tp.CaptureCombinations(p)
	} else {
		s.tp.CaptureProducts(p)
	}
}

// checkpoint appends the adjoint's checkpoint of the step just accepted.
func (s *stepper) checkpoint(t, h, tEnd float64, saveLo, saveHi int) {
	// The checkpoint takes the stepper's buffers, which the caller refills
	// (u from the step's end state, k1 from its last stage or afresh).
	ck := Checkpoint{T: t, H: h, End: tEnd, U: s.u, SaveLo: saveLo, SaveHi: saveHi}
	s.u = s.tp.Buffer(s.u.Rows, s.u.Cols)
	if !s.k1Fresh {
		ck.K1 = s.k1
		s.k1 = s.tp.Buffer(s.k1.Rows, s.k1.Cols)
		if s.hasUW {
			ck.UW = s.uw
			s.uw = s.tp.Buffer(s.uw.Rows, s.uw.Cols)
		}
	}
	if s.capture {
		ck.Products = new(ad.Products)
		if s.k1Fresh {
			ck.Products.Append(&s.k1Prods)
		}
		ck.Products.Append(&s.stepProds)
	}
	s.sol.Checkpoints = append(s.sol.Checkpoints, ck)
}

func (s *stepper) run(ctx context.Context) (*Solution, error) {
	p, o, sol, tp := s.p, s.o, s.sol, s.tp
	fixed := !s.tab.HasErrorEstimate()
	// Saves at T0.
	si := 0
	for si < len(o.SaveAt) && o.SaveAt[si] == p.T0 {
		sol.T = append(sol.T, p.T0)
		sol.Z = append(sol.Z, p.Z0.Clone())
		si++
	}
	sol.Saves0 = si
	h := s.initialStep()
	if math.IsNaN(h) || h <= 0 {
		return sol, &SolveError{Kind: ErrNonFinite, T: p.T0, H: h, Hint: "the initial step heuristic failed; check that the dynamics are finite at T0 or set Options.Dt"}
	}
	t := p.T0
	stop := 0
	var guard StepGuard
	fixedDt := 0.0
	if fixed {
		fixedDt = o.Dt
	}
	var sv stageVars
	for t < p.T1 {
		if err := ctx.Err(); err != nil {
			return sol, err
		}
		if sol.Accepted+sol.Rejected >= o.MaxSteps {
			return sol, &SolveError{Kind: ErrMaxSteps, T: t, H: h, Hint: fmt.Sprintf("%d steps attempted; raise Options.MaxSteps or loosen the tolerances (the problem may be stiff)", o.MaxSteps)}
		}
		// Land on stops and on T1.
		for stop < len(s.stops) && s.stops[stop] <= t {
			stop++
		}
		next := p.T1
		if stop < len(s.stops) {
			next = s.stops[stop]
		}
		hProp := h
		if t+h >= next || next-(t+h) < 1e-12*math.Max(1, math.Abs(next)) {
			h = next - t
		}
		dtmin := o.DtMin
		if dtmin == 0 {
			dtmin = 1e-14 * math.Max(1, math.Abs(t))
		}
		if h < dtmin && next-t > h {
			if guard.LastNonFinite {
				return sol, &SolveError{Kind: ErrNonFinite, T: t, H: h, Hint: "the dynamics return NaN or infinite values just after this time, however small the step; check the dynamics there"}
			}
			return sol, &SolveError{Kind: ErrStepSizeUnderflow, T: t, H: h, Hint: "the error estimate stays above tolerance as the step shrinks; the problem may be stiff or singular here: loosen the tolerances or check the dynamics"}
		}
		tp.Reset()
		// The products of a rejected attempt go back to the pool.
		s.stepProds.Release(tp)
		u := tp.Const(s.u)
		var k1 ad.Var
		if s.hasK {
			k1 = tp.Const(s.k1)
		} else {
			// f(t, u) stays valid for a retry after a rejection.
			if s.capture {
				s.k1Prods.Release(tp)
				s.startCapture(&s.k1Prods)
			}
			g0 := s.input(u)
			k1 = s.eval(t, g0)
			tp.StopProducts()
			s.k1.CopyFrom(k1.Value())
			s.hasK, s.k1Fresh = true, true
			s.keepUW(g0)
		}
		var uw ad.Var
		if s.hasUW {
			uw = tp.Const(s.uw)
		}
		if s.capture {
			s.startCapture(&s.stepProds)
		}
		s.record(t, h, u, k1, uw, &sv, true, true)
		tp.StopProducts()
		eest := 0.0
		if sv.e.Valid() {
			eest = sv.e.Scalar()
		}
		stiff := 0.0
		if sv.s.Valid() {
			stiff = sv.s.Scalar()
		}
		finite := sv.finite
		if !sv.fused {
			finite = tensor.AllFinite(sv.u1.Value().Data)
		}
		accept, hNew, giveUp := guard.Decide(o.Controller, h, eest, finite, fixedDt)
		if giveUp {
			return sol, &SolveError{Kind: ErrNonFinite, T: t, H: h, Hint: "the state or its derivative became NaN or infinite; check the dynamics and the initial state, or lower the step size"}
		}
		sol.Steps = append(sol.Steps, StepStat{T: t, H: h, Accepted: accept, ErrorEstimate: eest, StiffnessEstimate: stiff})
		if !accept {
			sol.Rejected++
			h = hNew
			continue
		}
		sol.Accepted++
		tEnd := t + h
		if h == next-t {
			tEnd = next
		}
		lo := si
		for si < len(o.SaveAt) && o.SaveAt[si] <= tEnd {
			theta := (o.SaveAt[si] - t) / h
			if o.SaveAt[si] == tEnd {
				theta = 1
			}
			z := s.dense(u, h, theta, &sv)
			sol.T = append(sol.T, o.SaveAt[si])
			sol.Z = append(sol.Z, z.Value().Clone())
			si++
		}
		if o.Adjoint {
			s.checkpoint(t, h, tEnd, lo, si)
		}
		if sv.u1Own {
			// fusedEnd wrote u1 into the stepper's buffer: take it.
			s.u, s.u1buf = s.u1buf, s.u
		} else {
			s.u.CopyFrom(sv.u1.Value())
		}
		if s.tab.FSAL {
			s.k1.CopyFrom(sv.k[s.tab.Stages-1].Value())
			s.k1Fresh = false
			s.keepUW(sv.u1w)
		} else {
			s.hasK = false
		}
		t = tEnd
		if h < hProp {
			// A step shortened to land on a stop says nothing against the
			// step size the controller had proposed.
			hNew = math.Max(hNew, hProp)
		}
		h = math.Min(hNew, o.DtMax)
	}
	if len(o.SaveAt) == 0 {
		sol.T = append(sol.T, p.T1)
		sol.Z = append(sol.Z, s.u.Clone())
		if n := len(sol.Checkpoints); n > 0 {
			sol.Checkpoints[n-1].SaveLo, sol.Checkpoints[n-1].SaveHi = 0, 1
		}
	}
	return sol, nil
}
