package ode

import (
	"context"
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/tensor"
)

// Stepper is the method-specific half of a solve, which
// Trajectory.Integrate drives: it holds the current state, attempts steps
// from it and moves it on when the loop accepts one. The ODE solver's
// Runge-Kutta stepper and package sde's stochastic Runge-Kutta stepper are
// the two implementations; as diffrax's diffeqsolve drives any solver's
// step and OrdinaryDiffEq's solve! any perform_step!, the loop around them
// (step limit, landing on stops, minimum step, accept/reject, the step
// record, save times, maximum step) is written once.
type Stepper interface {
	// InitialStep returns the first step size when Loop.Dt is 0 (the
	// method's heuristic), counting its evaluations itself.
	InitialStep() float64
	// Attempt takes a step of size h from the current state at time t
	// without moving the state. retry reports that the previous attempt,
	// from the same t, was rejected. It returns the step's error estimate
	// (0 for a method without one), its stiffness estimate (0 without one)
	// and whether the new state is finite.
	Attempt(t, h float64, retry bool) (eest, stiff float64, finite bool)
	// Save returns a new copy of the state at t + theta*h inside the step
	// attempted last (theta = 1 exactly at its end).
	Save(theta float64) *tensor.Dense
	// Advance makes the end of the step attempted last the current state.
	// With ck not nil (Loop.Adjoint) it first fills the state fields of
	// the step's checkpoint (U and what else the method keeps); the loop
	// has set T, H, End, SaveLo and SaveHi.
	Advance(ck *Checkpoint)
	// State returns the current state.
	State() *tensor.Dense
}

// Loop is the configuration of Trajectory.Integrate, every default
// resolved by the solver that calls it.
type Loop struct {
	// T0 and T1 are the span; Z0 is the state at T0.
	T0, T1 float64
	Z0     *tensor.Dense
	// SaveAt are the save times, ascending in [T0, T1]; empty means the
	// state at T1 only. Stops are the times to step on exactly, ascending
	// (entries at or before T0 are skipped); a method without dense
	// output lists the save times among them.
	SaveAt, Stops []float64
	// Dt is the first step size (0: Stepper.InitialStep). FixedDt > 0
	// marks a fixed-step method, whose steps are all accepted at that
	// size (shortened only to land on stops).
	Dt, FixedDt float64
	// DtMin is the smallest step (0: 1e-14*max(1, |t|)); DtMax the largest.
	DtMin, DtMax float64
	// MaxSteps bounds attempted steps.
	MaxSteps int
	// Controller decides on the steps of an adaptive method.
	Controller *PIController
	// Adjoint keeps a checkpoint per accepted step.
	Adjoint bool
	// Dynamics names the user's functions in the hints of failures ("the
	// dynamics", "drift and diffusion").
	Dynamics string
}

// Integrate runs the integration loop of st over l's span, appending to
// tr: the saves at T0, then per attempted step its record (Steps,
// Accepted, Rejected) and per accepted step the saves inside it and, with
// l.Adjoint, its checkpoint; with no save times, the state at T1 last. It
// checks ctx once per step. A failure is ctx's error or a *SolveError, with
// tr holding the partial record.
func (tr *Trajectory) Integrate(ctx context.Context, st Stepper, l *Loop) error {
	si := 0
	for si < len(l.SaveAt) && l.SaveAt[si] == l.T0 {
		tr.T = append(tr.T, l.T0)
		tr.Z = append(tr.Z, l.Z0.Clone())
		si++
	}
	tr.Saves0 = si
	h := 0.0
	if l.Dt > 0 {
		h = math.Min(l.Dt, l.DtMax)
	} else {
		h = st.InitialStep()
	}
	if math.IsNaN(h) || h <= 0 {
		return &SolveError{Kind: ErrNonFinite, T: l.T0, H: h, Hint: fmt.Sprintf("the initial step heuristic failed; check that %s are finite at T0 or set Options.Dt", l.Dynamics)}
	}
	t := l.T0
	stop := 0
	var guard StepGuard
	retry := false // the last attempt was rejected
	for t < l.T1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tr.Accepted+tr.Rejected >= l.MaxSteps {
			return &SolveError{Kind: ErrMaxSteps, T: t, H: h, Hint: fmt.Sprintf("%d steps attempted; raise Options.MaxSteps or loosen the tolerances (the problem may be stiff)", l.MaxSteps)}
		}
		// Land on stops and on T1.
		for stop < len(l.Stops) && l.Stops[stop] <= t {
			stop++
		}
		next := l.T1
		if stop < len(l.Stops) {
			next = l.Stops[stop]
		}
		hProp := h // the controller's proposal, before landing on a stop
		if t+h >= next || next-(t+h) < 1e-12*math.Max(1, math.Abs(next)) {
			h = next - t
		}
		dtmin := l.DtMin
		if dtmin == 0 {
			dtmin = 1e-14 * math.Max(1, math.Abs(t))
		}
		if h < dtmin && next-t > h {
			if guard.LastNonFinite {
				return &SolveError{Kind: ErrNonFinite, T: t, H: h, Hint: fmt.Sprintf("%s return NaN or infinite values just after this time, however small the step; check them there", l.Dynamics)}
			}
			return &SolveError{Kind: ErrStepSizeUnderflow, T: t, H: h, Hint: fmt.Sprintf("the error estimate stays above tolerance as the step shrinks; the problem may be stiff or singular here: loosen the tolerances or check %s", l.Dynamics)}
		}
		eest, stiff, finite := st.Attempt(t, h, retry)
		accept, hNew, giveUp := guard.Decide(l.Controller, h, eest, finite, l.FixedDt)
		if giveUp {
			return &SolveError{Kind: ErrNonFinite, T: t, H: h, Hint: fmt.Sprintf("the state or its derivative became NaN or infinite; check %s and the initial state, or lower the step size", l.Dynamics)}
		}
		tr.Steps = append(tr.Steps, StepStat{T: t, H: h, Accepted: accept, ErrorEstimate: eest, StiffnessEstimate: stiff})
		retry = !accept
		if !accept {
			tr.Rejected++
			h = hNew
			continue
		}
		tr.Accepted++
		tEnd := t + h
		if h == next-t {
			tEnd = next
		}
		lo := si
		for si < len(l.SaveAt) && l.SaveAt[si] <= tEnd {
			theta := (l.SaveAt[si] - t) / h
			if l.SaveAt[si] == tEnd {
				theta = 1
			}
			tr.T = append(tr.T, l.SaveAt[si])
			tr.Z = append(tr.Z, st.Save(theta))
			si++
		}
		if l.Adjoint {
			tr.Checkpoints = append(tr.Checkpoints, Checkpoint{T: t, H: h, End: tEnd, SaveLo: lo, SaveHi: si})
			st.Advance(&tr.Checkpoints[len(tr.Checkpoints)-1])
		} else {
			st.Advance(nil)
		}
		t = tEnd
		if h < hProp {
			// A step shortened to land on a stop says nothing against the
			// step size the controller had proposed.
			hNew = math.Max(hNew, hProp)
		}
		h = math.Min(hNew, l.DtMax)
	}
	if len(l.SaveAt) == 0 {
		tr.T = append(tr.T, l.T1)
		tr.Z = append(tr.Z, st.State().Clone())
		if n := len(tr.Checkpoints); n > 0 {
			tr.Checkpoints[n-1].SaveLo, tr.Checkpoints[n-1].SaveHi = 0, 1
		}
	}
	return nil
}
