package sde

import (
	"context"
	"fmt"
	"strings"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// replayer re-records accepted steps of an SDE solve with their recorded
// noise: the SDE half of ode.Trajectory.Sweep and ReplayAll.
type replayer struct {
	st *stepper
	sv stageVars
}

var _ ode.StepReplayer = (*replayer)(nil)

// ReplayStep records accepted step j from u with the step size and the
// Brownian increments (dW, dZ) the forward solve used.
func (r *replayer) ReplayStep(j int, u ad.Var, wantE, wantS bool) (u1, e, s ad.Var) {
	t, h, dW, dZ := r.st.sol.noise.Step(j)
	hasE := r.st.tab != nil
	r.st.record(t, h, u, dW, dZ, &r.sv, wantE && hasE, wantS && hasE)
	return r.sv.u1, r.sv.e, r.sv.s
}

// Dense returns saved output i, which is the end of the step recorded last:
// the solver steps onto every save time.
func (r *replayer) Dense(int) ad.Var { return r.sv.u1 }

func (sol *Solution) replayer(tp *ad.Tape, nfeF, nfeG *int) (*replayer, error) {
	if !sol.opts.Adjoint || sol.noise == nil {
		return nil, fmt.Errorf("sde: the adjoint needs the step record and the noise of the forward solve: set Options.Adjoint")
	}
	o, err := sol.opts.resolve(&sol.prob)
	if err != nil {
		return nil, fmt.Errorf("sde: %w", err)
	}
	st := newStepper(&sol.prob, o, tp)
	st.sol = sol
	st.nfeF, st.nfeG = nfeF, nfeG
	return &replayer{st: st}, nil
}

// Backward is the discrete adjoint of the solve with the noise and the step
// sizes fixed (see ode.Trajectory.Sweep). Given the cotangents
// dZ[i] = dL/dZ[i] of a loss L of the saved states (nil entries mean zero),
// it returns the gradient of L + r.Error*R_E + r.Stiffness*R_S with respect
// to Z0 and adds the gradients with respect to every ad.Param that Drift and
// Diffusion bind into their Grad fields. Each accepted step is re-recorded
// from its checkpoint with its recorded increments (dW, dZ), so the replay
// is bit-identical to the forward step. It needs Options.Adjoint.
func (sol *Solution) Backward(ctx context.Context, dZ []*tensor.Dense, r ode.Regularization) (*tensor.Dense, error) {
	var nf, ng int
	tp := ad.GetTape()
	defer ad.PutTape(tp)
	rp, err := sol.replayer(tp, &nf, &ng)
	if err != nil {
		return nil, err
	}
	lam, err := sol.Sweep(ctx, rp.st.tp, rp, dZ, r)
	sol.BackwardDriftNFE += nf
	sol.BackwardDiffusionNFE += ng
	sol.BackwardNFE += nf + ng
	return lam, err
}

// BackwardLoss is Backward for a loss of the saved states written with
// package ad (see ode.Loss and ode.Trajectory.LossCotangents): it returns
// the loss's value and the gradient of loss + regularization with respect
// to Z0, and adds the parameter gradients of drift, diffusion and the loss
// into their Grad fields. It needs Options.Adjoint.
func (sol *Solution) BackwardLoss(ctx context.Context, loss ode.Loss, r ode.Regularization) (float64, *tensor.Dense, error) {
	if !sol.opts.Adjoint {
		return 0, nil, fmt.Errorf("sde: BackwardLoss needs the step record and the noise of the forward solve: set Options.Adjoint")
	}
	v, dz, err := sol.LossCotangents(loss)
	if err != nil {
		return 0, nil, fmt.Errorf("sde: %s", strings.TrimPrefix(err.Error(), "ode: "))
	}
	dz0, err := sol.Backward(ctx, dz, r)
	return v, dz0, err
}

// Replay re-records the whole frozen solve (step sizes and noise as in the
// forward solve) on z0's tape, starting from z0, which may depend on
// parameters (see ode.Trajectory.ReplayAll). It returns the saved states and
// the per-accepted-step error and stiffness estimates as Vars, so any
// function of them can be differentiated with Backward or JVP. It keeps every
// step on one tape: use it for verification and small problems. It needs
// Options.Adjoint.
func (sol *Solution) Replay(tp *ad.Tape, z0 ad.Var) (z []ad.Var, e, s []ad.Var, err error) {
	if z0.Tape() != tp {
		return nil, nil, nil, fmt.Errorf("sde: Replay: z0 is not recorded on the given tape")
	}
	var nf, ng int
	rp, err := sol.replayer(tp, &nf, &ng)
	if err != nil {
		return nil, nil, nil, err
	}
	rp.st.persist = true
	return sol.ReplayAll(rp, z0)
}
