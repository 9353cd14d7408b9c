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
	// InitialStep returns the magnitude of the first step when Loop.Dt is
	// 0 (the method's heuristic, in the direction from T0 to T1), counting
	// its evaluations itself.
	InitialStep() float64
	// Attempt takes a step of size h from the current state at time t
	// without moving the state (h < 0 when integrating backward in time). retry reports that the previous attempt,
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
	// T0 and T1 are the span, T1 < T0 to integrate backward in time; Z0
	// is the state at T0.
	T0, T1 float64
	Z0     *tensor.Dense
	// SaveAt are the save times, monotone from T0 to T1 inside the span;
	// empty means the state at T1 only. Stops are the times to step on
	// exactly, in the same order (entries not past T0 are skipped); a
	// method without dense output lists the save times among them.
	SaveAt, Stops []float64
	// Dt is the first step's magnitude (0: Stepper.InitialStep). FixedDt
	// > 0 marks a fixed-step method, whose steps are all accepted at that
	// size (shortened only to land on stops). Step sizes here are
	// magnitudes; the direction is T1 - T0's.
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
//
// The loop keeps step sizes as magnitudes and measures distances along the
// direction d = sign(T1 - T0): the step attempted from t is d*h, and a time
// s lies ahead of t when d*(s - t) > 0. For d = +1 every expression has the
// bits of its forward-only form.
func (tr *Trajectory) Integrate(ctx context.Context, st Stepper, l *Loop) error {
	si := 0
	for si < len(l.SaveAt) && l.SaveAt[si] == l.T0 {
		tr.T = append(tr.T, l.T0)
		tr.Z = append(tr.Z, l.Z0.Clone())
		si++
	}
	tr.Saves0 = si
	d := 1.0
	if l.T1 < l.T0 {
		d = -1
	}
	h := 0.0
	if l.Dt > 0 {
		h = math.Min(l.Dt, l.DtMax)
	} else {
		h = st.InitialStep()
	}
	if math.IsNaN(h) || h <= 0 {
		return &SolveError{Kind: ErrNonFinite, T: l.T0, H: d * h, Hint: fmt.Sprintf("the initial step heuristic failed; check that %s are finite at T0 or set Options.Dt", l.Dynamics)}
	}
	t := l.T0
	stop := 0
	var guard StepGuard
	retry := false // the last attempt was rejected
	for d*(l.T1-t) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tr.Accepted+tr.Rejected >= l.MaxSteps {
			return &SolveError{Kind: ErrMaxSteps, T: t, H: d * h, Hint: fmt.Sprintf("%d steps attempted; raise Options.MaxSteps or loosen the tolerances (the problem may be stiff)", l.MaxSteps)}
		}
		// Land on stops and on T1.
		for stop < len(l.Stops) && d*(l.Stops[stop]-t) <= 0 {
			stop++
		}
		next := l.T1
		if stop < len(l.Stops) {
			next = l.Stops[stop]
		}
		hProp := h // the controller's proposal, before landing on a stop
		if r := d * (next - (t + d*h)); r <= 0 || r < 1e-12*math.Max(1, math.Abs(next)) {
			h = d * (next - t)
		}
		dtmin := l.DtMin
		if dtmin == 0 {
			dtmin = 1e-14 * math.Max(1, math.Abs(t))
		}
		if h < dtmin && d*(next-t) > h {
			if guard.LastNonFinite {
				return &SolveError{Kind: ErrNonFinite, T: t, H: d * h, Hint: fmt.Sprintf("%s return NaN or infinite values just after this time, however small the step; check them there", l.Dynamics)}
			}
			return &SolveError{Kind: ErrStepSizeUnderflow, T: t, H: d * h, Hint: fmt.Sprintf("the error estimate stays above tolerance as the step shrinks; the problem may be stiff or singular here: loosen the tolerances or check %s", l.Dynamics)}
		}
		hs := d * h // the signed step
		eest, stiff, finite := st.Attempt(t, hs, retry)
		accept, hNew, giveUp := guard.Decide(l.Controller, h, eest, finite, l.FixedDt)
		if giveUp {
			return &SolveError{Kind: ErrNonFinite, T: t, H: d * h, Hint: fmt.Sprintf("the state or its derivative became NaN or infinite; check %s and the initial state, or lower the step size", l.Dynamics)}
		}
		tr.Steps = append(tr.Steps, StepStat{T: t, H: hs, Accepted: accept, ErrorEstimate: eest, StiffnessEstimate: stiff})
		retry = !accept
		if !accept {
			tr.Rejected++
			h = hNew
			continue
		}
		tr.Accepted++
		tEnd := t + hs
		if h == d*(next-t) {
			tEnd = next
		}
		lo := si
		for si < len(l.SaveAt) && d*(tEnd-l.SaveAt[si]) >= 0 {
			theta := (l.SaveAt[si] - t) / hs
			if l.SaveAt[si] == tEnd {
				theta = 1
			}
			tr.T = append(tr.T, l.SaveAt[si])
			tr.Z = append(tr.Z, st.Save(theta))
			si++
		}
		if l.Adjoint {
			tr.Checkpoints = append(tr.Checkpoints, Checkpoint{T: t, H: hs, End: tEnd, SaveLo: lo, SaveHi: si})
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
