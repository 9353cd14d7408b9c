package sde

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/brownian"
	"github.com/whitebox-de/whitebox/internal/check"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// Problem is an Ito SDE with diagonal noise on [T0, T1],
//
//	dz = Drift(t, z) dt + Diffusion(t, z) .* dW,
//
// on a batched state: Z0 is batch x features, every element has its own
// Brownian component, and one adaptive solve covers the whole batch (norms
// are RMS over all elements). Drift and Diffusion are written with package
// ad exactly as ode.Func dynamics are (binding their parameters with
// z.Tape().Param), and both return a value of z's shape: Diffusion returns
// the diagonal noise coefficients, one per element.
type Problem struct {
	Drift, Diffusion ode.Func
	Z0               *tensor.Dense
	T0, T1           float64
}

// Method selects the integration scheme.
type Method int

const (
	// MethodSOSRI is SOSRI (Rackauckas and Nie 2020), the adaptive strong
	// order 1.5 stability-optimized SRI method: the default.
	MethodSOSRI Method = iota
	// MethodSOSRI2 is SOSRI2, whose last two drift stages sit at t+h.
	MethodSOSRI2
	// MethodEulerMaruyama is the fixed-step Euler-Maruyama method (strong
	// order 0.5): z_{n+1} = z_n + h f(t, z_n) + g(t, z_n) .* dW. It has no
	// error or stiffness estimate and needs Options.Dt.
	MethodEulerMaruyama
)

func (m Method) String() string {
	switch m {
	case MethodSOSRI:
		return "SOSRI"
	case MethodSOSRI2:
		return "SOSRI2"
	case MethodEulerMaruyama:
		return "EulerMaruyama"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Options configure a solve. The zero value (or a nil *Options) means SOSRI
// at rtol = atol = 1e-2 (StochasticDiffEq's defaults) with Brownian seed 0,
// saving only the final state.
type Options struct {
	// Method is the scheme. Default MethodSOSRI.
	Method Method
	// Tableau, when set, is a custom SRI tableau used instead of Method's
	// (for experiments and tests). It must meet the strong order 1.5
	// conditions to 1e-10 (SRITableau.Check).
	Tableau *SRITableau
	// RTol and ATol are the relative and absolute tolerances. Default 1e-2
	// each; when set they must be positive and finite.
	RTol, ATol float64
	// SaveAt are the times, ascending within [T0, T1], at which the
	// solution is returned. SDE methods have no free dense output, so the
	// solver steps onto every save time (they act as stops) and the saved
	// states are exact step results. Landing on a save time does not shrink
	// later steps: after a step shortened to land on one, the next step is
	// the larger of the controller's new proposal and the size it had
	// proposed before the shortening. Empty: only the final state at T1.
	SaveAt []float64
	// Dt is the initial step size of an adaptive solve, or the step size of
	// a fixed-step one (required for MethodEulerMaruyama and FixedStep).
	// Default for adaptive solves: StochasticDiffEq's initial-step heuristic
	// (two evaluations each of drift and diffusion).
	Dt float64
	// FixedStep makes SOSRI and SOSRI2 take steps of exactly Dt (shortened
	// only to land on save times and T1), accepting every step. Error and
	// stiffness estimates are still computed and recorded.
	FixedStep bool
	// DtMin is the smallest step size allowed before failing with
	// ode.ErrStepSizeUnderflow. Default: 1e-14 * max(1, |t|).
	DtMin float64
	// DtMax bounds the step size. Default: T1 - T0.
	DtMax float64
	// MaxSteps bounds attempted steps (accepted plus rejected). Default 100000.
	MaxSteps int
	// Controller is the step-size controller. Default ode.DefaultSDEPI()
	// (beta1 = 7/15, beta2 = 4/15, gamma = 0.9, qmin = 1/5, qmax = 9/8). The
	// solve works on a copy, so one value may serve many solves.
	Controller *ode.PIController
	// Seed seeds the Brownian path (every value, 0 included, is a valid
	// seed). The same seed, problem and options give the same path and the
	// same solution, bit for bit.
	Seed uint64
	// Noise, when set, supplies the increments instead of a
	// brownian.Process seeded with Seed. It must start at T0.
	Noise Noise
	// Adjoint keeps what Solution.Backward and Solution.Replay need: the
	// state at the start of every accepted step and the step's realised
	// noise (dW, dZ).
	Adjoint bool
	// Delta weighs the drift part of the error estimate,
	// EEst = RMS((Delta*E1 + E2)/(atol + max(|u_n|, |u_{n+1}|)*rtol)).
	// Default 1 (StochasticDiffEq's delta); zero means the default, so use a
	// negligible value such as 1e-12 to drop E1.
	Delta float64
	// StiffnessScale divides the raw stiffness estimate
	// RMS(k4 - k3)/RMS(H0_4 - H0_3). Default the tableau's (10.6).
	StiffnessScale float64
}

// Solution is the result of a solve: the saved states and the white-box
// record of every step (ode.Trajectory: Steps, Accepted, Rejected, R_E, R_S,
// checkpoints). Trajectory.NFE counts all evaluations, drift and diffusion;
// DriftNFE and DiffusionNFE split it.
type Solution struct {
	ode.Trajectory

	// DriftNFE and DiffusionNFE count evaluations of the drift and of the
	// diffusion made by the forward solve: SOSRI evaluates each 4 times per
	// attempted step, Euler-Maruyama once, plus 2 each for the initial-step
	// heuristic when Options.Dt is not set. NFE = DriftNFE + DiffusionNFE.
	DriftNFE, DiffusionNFE int
	// BackwardDriftNFE and BackwardDiffusionNFE split BackwardNFE.
	BackwardDriftNFE, BackwardDiffusionNFE int

	// Method is the name of the scheme used ("SOSRI", "SOSRI2",
	// "EulerMaruyama", or a custom tableau's name).
	Method string

	prob  Problem
	opts  Options
	noise *brownian.Tape
}

// inputError is a rejected problem or option: it matches
// ode.ErrInvalidInput with errors.Is.
type inputError struct{ msg string }

func (e *inputError) Error() string { return "sde: invalid input: " + e.msg }
func (e *inputError) Unwrap() error { return ode.ErrInvalidInput }

func invalid(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

// solveError is a failed solve: it wraps an *ode.SolveError (so errors.As
// finds it and errors.Is matches its Kind) under the package's prefix.
type solveError struct{ err *ode.SolveError }

func (e *solveError) Error() string {
	return "sde: " + strings.TrimPrefix(e.err.Error(), "ode: ")
}
func (e *solveError) Unwrap() error { return e.err }

func fail(kind error, t, h float64, hint string) error {
	return &solveError{&ode.SolveError{Kind: kind, T: t, H: h, Hint: hint}}
}

// AsSolveError returns the *ode.SolveError inside err, if any: a shorthand
// for errors.As.
func AsSolveError(err error) (*ode.SolveError, bool) {
	var se *ode.SolveError
	ok := errors.As(err, &se)
	return se, ok
}

func (p *Problem) validate() error {
	if p.Drift == nil || p.Diffusion == nil {
		return invalid("Problem.Drift and Problem.Diffusion must both be set")
	}
	if err := check.InitialValue(p.Z0, p.T0, p.T1); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// resolved is Options with every default filled in.
type resolved struct {
	Options
	tab   *SRITableau // nil for Euler-Maruyama
	name  string
	fixed bool
	ctrl  ode.PIController
}

func (o *Options) resolve(p *Problem) (*resolved, error) {
	r := &resolved{}
	if o != nil {
		r.Options = *o
	}
	switch {
	case r.Tableau != nil:
		if err := r.Tableau.Check(1e-10); err != nil {
			return nil, invalid("Options.Tableau: %v", err)
		}
		tab := *r.Tableau
		r.tab = &tab
		r.name = tab.Name
	case r.Method == MethodSOSRI:
		tab := SOSRI()
		r.tab = &tab
	case r.Method == MethodSOSRI2:
		tab := SOSRI2()
		r.tab = &tab
	case r.Method == MethodEulerMaruyama:
	default:
		return nil, invalid("unknown Options.Method %d; use MethodSOSRI, MethodSOSRI2 or MethodEulerMaruyama", int(r.Method))
	}
	if r.name == "" {
		r.name = r.Method.String()
	}
	r.fixed = r.tab == nil || r.FixedStep
	for _, c := range []struct {
		name string
		v    float64
	}{{"RTol", r.RTol}, {"ATol", r.ATol}, {"Delta", r.Delta}, {"StiffnessScale", r.StiffnessScale}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return nil, invalid("Options.%s = %v must be positive and finite (leave 0 for the default)", c.name, c.v)
		}
	}
	if r.RTol == 0 {
		r.RTol = 1e-2
	}
	if r.ATol == 0 {
		r.ATol = 1e-2
	}
	if r.Delta == 0 {
		r.Delta = 1
	}
	if r.StiffnessScale == 0 && r.tab != nil {
		r.StiffnessScale = r.tab.StiffnessScale
	}
	if r.StiffnessScale == 0 {
		r.StiffnessScale = 1
	}
	if r.MaxSteps == 0 {
		r.MaxSteps = 100000
	}
	if r.MaxSteps < 0 {
		return nil, invalid("Options.MaxSteps = %d must be positive", r.MaxSteps)
	}
	if r.DtMax == 0 {
		r.DtMax = p.T1 - p.T0
	}
	if r.Dt < 0 || r.DtMin < 0 || r.DtMax < 0 || math.IsNaN(r.Dt+r.DtMin+r.DtMax) || math.IsInf(r.Dt, 0) {
		return nil, invalid("Dt, DtMin and DtMax must be non-negative and finite (Dt=%v DtMin=%v DtMax=%v)", r.Dt, r.DtMin, r.DtMax)
	}
	if r.fixed && r.Dt == 0 {
		if r.tab == nil {
			return nil, invalid("Euler-Maruyama is a fixed-step method: set Options.Dt to its step size")
		}
		return nil, invalid("FixedStep needs Options.Dt, the step size")
	}
	if r.Controller != nil {
		r.ctrl = r.Controller.WithDefaults()
	} else {
		r.ctrl = *ode.DefaultSDEPI()
	}
	r.ctrl.Reset()
	if err := check.Times("SaveAt", r.SaveAt, p.T0, p.T1, false); err != nil {
		return nil, invalid("%v", err)
	}
	return r, nil
}

// Solve integrates the SDE. It checks ctx once per step. Every solve records
// its statistics (Solution.Steps, NFE) at no extra cost. Failures are
// *ode.SolveError values (find them with errors.As or AsSolveError) whose
// Kind is ode.ErrMaxSteps, ode.ErrStepSizeUnderflow or ode.ErrNonFinite;
// bad input is rejected, before any evaluation, with an error matching
// ode.ErrInvalidInput. On failure the partial Solution is returned too.
func Solve(ctx context.Context, p Problem, opts *Options) (*Solution, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	o, err := opts.resolve(&p)
	if err != nil {
		return nil, err
	}
	s := newStepper(&p, o, ad.GetTape())
	defer ad.PutTape(s.tp)
	s.sol = &Solution{prob: p, opts: o.Options, Method: o.name}
	s.nfeF, s.nfeG = &s.sol.DriftNFE, &s.sol.DiffusionNFE
	sol, err := s.run(ctx)
	sol.NFE = sol.DriftNFE + sol.DiffusionNFE
	return sol, err
}

// stepper is the per-solve workspace: it records steps on its tape, in the
// forward solve and in the replays of the adjoint.
type stepper struct {
	p    *Problem
	o    *resolved
	tab  *SRITableau
	tp   *ad.Tape
	sol  *Solution
	nfeF *int
	nfeG *int
	// persist makes every recorded step bind fresh noise tensors, for
	// replays that keep many steps on one tape.
	persist bool
	// noise constants of the current step: dW, chi1, chi2, chi3
	nz [4]*tensor.Dense
	// scratch
	coef []float64
	vars []ad.Var
}

func newStepper(p *Problem, o *resolved, tp *ad.Tape) *stepper {
	s := &stepper{p: p, o: o, tab: o.tab, tp: tp}
	r, c := p.Z0.Rows, p.Z0.Cols
	for i := range s.nz {
		s.nz[i] = tensor.New(r, c)
	}
	return s
}

// stageVars are the Vars of one recorded step.
type stageVars struct {
	k, g, h0 [SRIStages]ad.Var
	u1       ad.Var
	e, s     ad.Var // error and stiffness estimates (1x1), invalid if not recorded
}

func (s *stepper) check(what string, z, out ad.Var) ad.Var {
	if !out.Valid() || out.Rows() != z.Rows() || out.Cols() != z.Cols() {
		shape := "an invalid Var"
		if out.Valid() {
			shape = out.Value().Shape()
		}
		panic(fmt.Sprintf("sde: %s returned %s for a %s state", what, shape, z.Value().Shape()))
	}
	return out
}

// drift and diffusion record one evaluation and count it.
func (s *stepper) drift(t float64, z ad.Var) ad.Var {
	*s.nfeF++
	return s.check("drift", z, s.p.Drift(t, z))
}

func (s *stepper) diffusion(t float64, z ad.Var) ad.Var {
	*s.nfeG++
	return s.check("diffusion", z, s.p.Diffusion(t, z))
}

// bindNoise records the step's noise constants dW, chi1, chi2 and chi3 on tp:
//
//	chi1 = (dW^2 - h)/(2 sqrt(h)), chi2 = (dW + dZ/sqrt(3))/2,
//	chi3 = (dW^3 - 3 dW h)/(6h).
func (s *stepper) bindNoise(tp *ad.Tape, h float64, dW, dZ []float64) (w, c1, c2, c3 ad.Var) {
	nz := s.nz
	if s.persist {
		r, c := s.p.Z0.Rows, s.p.Z0.Cols
		for i := range nz {
			nz[i] = tensor.New(r, c)
		}
	}
	sq := math.Sqrt(h)
	inv3 := 1 / math.Sqrt(3)
	wd, d1, d2, d3 := nz[0].Data, nz[1].Data, nz[2].Data, nz[3].Data
	for i, w := range dW {
		wd[i] = w
		d1[i] = (w*w - h) / (2 * sq)
		d2[i] = (w + dZ[i]*inv3) / 2
		d3[i] = (w*w*w - 3*w*h) / (6 * h)
	}
	return tp.Const(nz[0]), tp.Const(nz[1]), tp.Const(nz[2]), tp.Const(nz[3])
}

// lin records sum_i coef_i*xs_i over the non-zero coefficients, with a
// leading base term (coefficient 1) when base is valid. It returns an
// invalid Var when nothing is left.
func (s *stepper) lin(base ad.Var, coef []float64, xs []ad.Var) ad.Var {
	s.coef, s.vars = s.coef[:0], s.vars[:0]
	if base.Valid() {
		s.coef = append(s.coef, 1)
		s.vars = append(s.vars, base)
	}
	for i, c := range coef {
		if c != 0 {
			s.coef = append(s.coef, c)
			s.vars = append(s.vars, xs[i])
		}
	}
	if len(s.vars) == 0 {
		return ad.Var{}
	}
	if len(s.vars) == 1 && s.coef[0] == 1 {
		return s.vars[0]
	}
	return ad.LinComb(s.coef, s.vars)
}

// record records one step of size h from (t, u) with noise (dW, dZ) on u's
// tape.
func (s *stepper) record(t, h float64, u ad.Var, dW, dZ []float64, sv *stageVars, wantE, wantS bool) {
	tp := u.Tape()
	w, chi1, chi2, chi3 := s.bindNoise(tp, h, dW, dZ)
	sv.e, sv.s = ad.Var{}, ad.Var{}
	tab := s.tab
	if tab == nil { // Euler-Maruyama
		k := s.drift(t, u)
		g := s.diffusion(t, u)
		sv.k[0], sv.g[0], sv.h0[0] = k, g, u
		sv.u1 = ad.LinComb([]float64{1, h, 1}, []ad.Var{u, k, ad.Mul(w, g)})
		return
	}
	sq := math.Sqrt(h)
	var c [2 * SRIStages]float64
	var x [2 * SRIStages]ad.Var
	sv.k[0] = s.drift(t, u)
	sv.g[0] = s.diffusion(t+tab.C1[0]*h, u)
	sv.h0[0] = u
	for i := 1; i < SRIStages; i++ {
		for j := range i {
			c[j] = h * tab.A0[i][j]
		}
		h0 := s.lin(u, c[:i], sv.k[:i])
		if b := s.lin(ad.Var{}, tab.B0[i][:i], sv.g[:i]); b.Valid() {
			h0 = ad.Add(h0, ad.Mul(chi2, b))
		}
		for j := range i {
			c[j] = h * tab.A1[i][j]
			c[i+j] = sq * tab.B1[i][j]
			x[j], x[i+j] = sv.k[j], sv.g[j]
		}
		h1 := s.lin(u, c[:2*i], x[:2*i])
		sv.h0[i] = h0
		sv.k[i] = s.drift(t+tab.C0[i]*h, h0)
		sv.g[i] = s.diffusion(t+tab.C1[i]*h, h1)
	}
	for j := range SRIStages {
		c[j] = h * tab.Alpha[j]
	}
	g := sv.g[:]
	terms := [4]ad.Var{s.lin(u, c[:SRIStages], sv.k[:])}
	n := 1
	var e2 ad.Var
	for _, pr := range []struct {
		beta  *[SRIStages]float64
		noise ad.Var
		e2    bool
	}{{&tab.Beta1, w, false}, {&tab.Beta2, chi1, false}, {&tab.Beta3, chi2, true}, {&tab.Beta4, chi3, true}} {
		b := s.lin(ad.Var{}, pr.beta[:], g)
		if !b.Valid() {
			continue
		}
		m := ad.Mul(pr.noise, b)
		if pr.e2 {
			if e2.Valid() {
				e2 = ad.Add(e2, m)
			} else {
				e2 = m
			}
			continue
		}
		terms[n] = m
		n++
	}
	if e2.Valid() {
		terms[n] = e2
		n++
	}
	sv.u1 = ad.LinComb(ones[:n], terms[:n])
	if wantE {
		// E1 = h (k1 + k2 + k3 + k4); EEst = RMS((delta E1 + E2)/sc).
		dh := s.o.Delta * h
		for j := range SRIStages {
			c[j] = dh
			x[j] = sv.k[j]
		}
		m := SRIStages
		if e2.Valid() {
			c[m], x[m] = 1, e2
			m++
		}
		num := ad.LinComb(c[:m], x[:m])
		sc := ad.AddScalar(ad.Scale(ad.Max(ad.Abs(u), ad.Abs(sv.u1)), s.o.RTol), s.o.ATol)
		sv.e = ad.RMS(ad.Div(num, sc))
	}
	if wantS {
		// RMS(k4 - k3)/RMS(H0_4 - H0_3)/scale, 0 when the denominator is.
		den := ad.RMS(ad.Sub(sv.h0[3], sv.h0[2]))
		if d := den.Scalar(); d != 0 && !math.IsNaN(d) {
			num := ad.RMS(ad.Sub(sv.k[3], sv.k[2]))
			sv.s = ad.Scale(ad.Div(num, den), 1/s.o.StiffnessScale)
		}
	}
}

var ones = [SRIStages]float64{1, 1, 1, 1}

// initialStep runs the initial-step heuristic on the solve's tape (before
// any step is recorded on it).
func (s *stepper) initialStep() float64 {
	o, p := s.o, s.p
	if o.Dt > 0 {
		return math.Min(o.Dt, o.DtMax)
	}
	tp := s.tp
	z := tensor.New(p.Z0.Rows, p.Z0.Cols)
	eval := func(fn func(float64, ad.Var) ad.Var) func(t float64, u, out []float64) {
		return func(t float64, u, out []float64) {
			tp.Reset()
			copy(z.Data, u)
			copy(out, fn(t, tp.Const(z)).Value().Data)
		}
	}
	return initialStep(eval(s.drift), eval(s.diffusion), p.Z0.Data, p.T0, 1.5, o.ATol, o.RTol, o.DtMax)
}

func (s *stepper) run(ctx context.Context) (*Solution, error) {
	p, o, sol, tp := s.p, s.o, s.sol, s.tp
	n := p.Z0.Len()
	noise := o.Noise
	if noise == nil {
		noise = brownian.New(n, p.T0, o.Seed)
	}
	if o.Adjoint {
		sol.noise = brownian.NewTape(n)
	}
	dW, dZ := make([]float64, n), make([]float64, n)
	stops := slices.DeleteFunc(slices.Clone(o.SaveAt), func(t float64) bool { return t <= p.T0 })
	u0 := p.Z0.Clone()
	si := 0
	for si < len(o.SaveAt) && o.SaveAt[si] == p.T0 {
		sol.T = append(sol.T, p.T0)
		sol.Z = append(sol.Z, p.Z0.Clone())
		si++
	}
	sol.Saves0 = si
	h := s.initialStep()
	if math.IsNaN(h) || h <= 0 {
		return sol, fail(ode.ErrNonFinite, p.T0, h, "the initial step heuristic failed; check that drift and diffusion are finite at T0 or set Options.Dt")
	}
	ctrl := &o.ctrl
	t := p.T0
	stop := 0
	var guard ode.StepGuard
	fixedDt := 0.0
	if o.fixed {
		fixedDt = o.Dt
	}
	pending := false // a rejected proposal awaits its replacement
	var sv stageVars
	for t < p.T1 {
		if err := ctx.Err(); err != nil {
			return sol, err
		}
		if sol.Accepted+sol.Rejected >= o.MaxSteps {
			return sol, fail(ode.ErrMaxSteps, t, h, fmt.Sprintf("%d steps attempted; raise Options.MaxSteps or loosen the tolerances", o.MaxSteps))
		}
		for stop < len(stops) && stops[stop] <= t {
			stop++
		}
		next := p.T1
		if stop < len(stops) {
			next = stops[stop]
		}
		hProp := h // the controller's proposal, before landing on a stop
		if t+h >= next || next-(t+h) < 1e-12*math.Max(1, math.Abs(next)) {
			h = next - t
		}
		dtmin := o.DtMin
		if dtmin == 0 {
			dtmin = 1e-14 * math.Max(1, math.Abs(t))
		}
		if h < dtmin && next-t > h {
			if guard.LastNonFinite {
				return sol, fail(ode.ErrNonFinite, t, h, "drift or diffusion return NaN or infinite values just after this time, however small the step; check them there")
			}
			return sol, fail(ode.ErrStepSizeUnderflow, t, h, "the error estimate stays above tolerance as the step shrinks; loosen the tolerances or check drift and diffusion")
		}
		if pending {
			noise.Reject(h, dW, dZ)
		} else {
			noise.Increment(h, dW, dZ)
		}
		tp.Reset()
		u := tp.Const(u0)
		s.record(t, h, u, dW, dZ, &sv, s.tab != nil, s.tab != nil)
		eest, stiff := 0.0, 0.0
		if sv.e.Valid() {
			eest = sv.e.Scalar()
		}
		if sv.s.Valid() {
			stiff = sv.s.Scalar()
		}
		accept, hNew, giveUp := guard.Decide(ctrl, h, eest, tensor.AllFinite(sv.u1.Value().Data), fixedDt)
		if giveUp {
			return sol, fail(ode.ErrNonFinite, t, h, "the state or the error estimate became NaN or infinite; check drift, diffusion and the initial state, or lower the step size")
		}
		sol.Steps = append(sol.Steps, ode.StepStat{T: t, H: h, Accepted: accept, ErrorEstimate: eest, StiffnessEstimate: stiff})
		if !accept {
			sol.Rejected++
			pending = true
			h = hNew
			continue
		}
		pending = false
		sol.Accepted++
		tEnd := t + h
		if h == next-t {
			tEnd = next
		}
		lo := si
		for si < len(o.SaveAt) && o.SaveAt[si] <= tEnd {
			sol.T = append(sol.T, o.SaveAt[si])
			sol.Z = append(sol.Z, sv.u1.Value().Clone())
			si++
		}
		if o.Adjoint {
			sol.Checkpoints = append(sol.Checkpoints, ode.Checkpoint{T: t, H: h, End: tEnd, U: u0.Clone(), SaveLo: lo, SaveHi: si})
			sol.noise.Append(t, h, dW, dZ)
		}
		noise.Accept()
		u0.CopyFrom(sv.u1.Value())
		t = tEnd
		if h < hProp {
			// The step was shortened to land on a stop: do not let that
			// shrink the next one.
			hNew = math.Max(hNew, hProp)
		}
		h = math.Min(hNew, o.DtMax)
	}
	if len(o.SaveAt) == 0 {
		sol.T = append(sol.T, p.T1)
		sol.Z = append(sol.Z, u0.Clone())
		if n := len(sol.Checkpoints); n > 0 {
			sol.Checkpoints[n-1].SaveLo, sol.Checkpoints[n-1].SaveHi = 0, 1
		}
	}
	return sol, nil
}
