package sde

import (
	"context"
	"fmt"
	"math"

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
	// RTol and ATol are the relative and absolute tolerances. Both 0 (the
	// zero value) means 1e-2 each. Otherwise both are taken as given:
	// RTol = 0 with ATol > 0 is a pure absolute tolerance, and ATol must be
	// positive (a pure relative tolerance is undefined where the state is
	// zero). Neither may be negative or non-finite.
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
	// DtMax bounds the step size. Default: T1 - T0. Dt, DtMin and DtMax
	// must be finite and non-negative (0 means the default), Dt at most
	// T1 - T0 and DtMin at most DtMax.
	DtMax float64
	// MaxSteps bounds attempted steps (accepted plus rejected). Default 100000.
	MaxSteps int
	// Controller is the step-size controller. Default DefaultPI()
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

func (p *Problem) validate() error {
	if p.Drift == nil || p.Diffusion == nil {
		return invalid("Problem.Drift and Problem.Diffusion must both be set")
	}
	if err := check.InitialValue(p.Z0, p.T0, p.T1, false); err != nil {
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
	}{{"Delta", r.Delta}, {"StiffnessScale", r.StiffnessScale}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return nil, invalid("Options.%s = %v must be positive and finite (leave 0 for the default)", c.name, c.v)
		}
	}
	var err error
	if r.RTol, r.ATol, err = check.Tolerances(r.RTol, r.ATol, 1e-2); err != nil {
		return nil, invalid("%v", err)
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
	if r.DtMax, err = check.StepSizes(r.Dt, r.DtMin, r.DtMax, p.T1-p.T0); err != nil {
		return nil, invalid("%v", err)
	}
	if r.fixed && r.Dt == 0 {
		if r.tab == nil {
			return nil, invalid("Euler-Maruyama is a fixed-step method: set Options.Dt to its step size")
		}
		return nil, invalid("FixedStep needs Options.Dt, the step size")
	}
	if r.Controller != nil {
		r.ctrl = r.Controller.WithDefaultsFrom(DefaultPI())
	} else {
		r.ctrl = *DefaultPI()
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
	sol := &Solution{prob: p, opts: o.Options, Method: o.name}
	s.sol = sol
	s.nfeF, s.nfeG = &sol.DriftNFE, &sol.DiffusionNFE
	n := p.Z0.Len()
	s.noise = o.Noise
	if s.noise == nil {
		s.noise = brownian.New(n, p.T0, o.Seed)
	}
	if o.Adjoint {
		sol.noise = brownian.NewTape(n)
	}
	s.dW, s.dZ = make([]float64, n), make([]float64, n)
	s.u = p.Z0.Clone()
	fixedDt := 0.0
	if o.fixed {
		fixedDt = o.Dt
	}
	// The methods have no free dense output: the save times are stops.
	err = sol.Integrate(ctx, s, &ode.Loop{
		T0: p.T0, T1: p.T1, Z0: p.Z0, SaveAt: o.SaveAt, Stops: o.SaveAt,
		Dt: o.Dt, FixedDt: fixedDt, DtMin: o.DtMin, DtMax: o.DtMax, MaxSteps: o.MaxSteps,
		Controller: &o.ctrl, Adjoint: o.Adjoint, Dynamics: "drift and diffusion",
	})
	sol.NFE = sol.DriftNFE + sol.DiffusionNFE
	return sol, wrap(err)
}

// DefaultPI returns StochasticDiffEq's default controller for the strong
// order 1.5 SOSRI methods (StochasticDiffEq 6.30): Beta1 = 7/15 and
// Beta2 = 4/15 (the ODE formulas at order 1.5), Gamma = 0.9, Qmin = 1/5,
// Qmax = 9/8 (steps grow by at most 12.5%), QoldInit = 1e-4.
func DefaultPI() *ode.PIController {
	return &ode.PIController{
		Beta1:    7.0 / 15,
		Beta2:    4.0 / 15,
		Gamma:    0.9,
		Qmin:     1.0 / 5,
		Qmax:     9.0 / 8,
		QoldInit: 1e-4,
		Order:    1.5,
	}
}
