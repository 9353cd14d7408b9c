package ode

import (
	"context"
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// Checkpoint is what the adjoint keeps of one accepted step.
type Checkpoint struct {
	// T is the start of the step, H its size (negative backward in time)
	// and End its end (exactly the stop or span end it landed on, where
	// T+H may round differently).
	T, H, End float64
	// U is the state at T.
	U *tensor.Dense
	// K1 is the derivative at (T, U) when the step took it from the
	// previous step's last stage (FSAL), nil when the step evaluated it.
	// The adjoint then takes it as an input, whose cotangent flows into the
	// previous step's last stage, instead of evaluating it again.
	K1 *tensor.Dense
	// UW is U*W (Problem.Input) when the step took it from the previous
	// step's last stage input along with K1, nil otherwise.
	UW *tensor.Dense
	// Products are the values of the matrix products of the step's
	// evaluations (Checkpointing KeepProducts), nil when not kept. Backward
	// consumes them: a second Backward on the same solve recomputes.
	Products *ad.Products
	// SaveLo and SaveHi delimit the saved outputs (indices into
	// Trajectory.Z) that lie in (T, End].
	SaveLo, SaveHi int
}

// StepReplayer re-records accepted steps of a solve for its adjoint: the
// method-specific half of Sweep and Replay.
type StepReplayer interface {
	// ReplayStep records accepted step j (Trajectory.Checkpoints[j]) from
	// state u on u's tape, returning u_{n+1} and the step's error and
	// stiffness estimates as 1x1 Vars (invalid when not wanted or absent).
	ReplayStep(j int, u ad.Var, wantE, wantS bool) (u1, e, s ad.Var)
	// Dense records saved output i, which lies inside the step recorded
	// last, from that step's stages.
	Dense(i int) ad.Var
}

// FSALReplayer is a StepReplayer whose steps share values with the next
// step (first same as last): the derivative at the step's end and, for
// ode.Problem.Input, its product with the input matrix. Sweep then
// back-propagates each once: the later step takes the value as an input, and
// the cotangent Sweep finds there seeds the earlier step's own value.
type FSALReplayer interface {
	StepReplayer
	// FSAL returns, for the step recorded last, the inputs standing for
	// the values it took over (invalid where the step computed them) and
	// its own values that the next step takes over (invalid where none), in
	// matching order. The slices stay valid until the next ReplayStep.
	FSAL() (first, last []ad.Var)
}

// Sweep is the discrete adjoint shared by the ODE and SDE solvers. Given the
// cotangents dZ[i] = dL/dZ[i] of a loss L of the saved states (nil entries
// mean zero), it computes the gradient of L + r.Error*R_E + r.Stiffness*R_S
// with respect to the initial state, which it returns, and with respect to
// every ad.Param the dynamics bind, which it adds into their Grad fields.
// tp is reset once per accepted step.
//
// The gradient is exact for the arithmetic the solver performed, with step
// sizes and accept/reject decisions held constant. Memory: one checkpoint per
// accepted step plus one step's tape. Cost: one re-evaluation of each
// accepted step plus its reverse sweep.
func (tr *Trajectory) Sweep(ctx context.Context, tp *ad.Tape, rp StepReplayer, dZ []*tensor.Dense, r Regularization) (*tensor.Dense, error) {
	if tr.released {
		return nil, fmt.Errorf("ode: Backward after Release: the checkpoints are gone; call Release only after the last Backward")
	}
	if tr.Accepted > 0 && len(tr.Checkpoints) != tr.Accepted {
		return nil, fmt.Errorf("ode: the adjoint needs the checkpoints of the forward solve: set Options.Adjoint")
	}
	if len(dZ) != len(tr.Z) {
		return nil, fmt.Errorf("ode: Backward got %d cotangents for %d saved states", len(dZ), len(tr.Z))
	}
	for i, d := range dZ {
		if d != nil && !d.SameShape(tr.Z[i]) {
			return nil, fmt.Errorf("ode: Backward: cotangent %d is %s, saved state is %s", i, d.Shape(), tr.Z[i].Shape())
		}
	}
	var wE, wS []float64
	if r.Error != 0 {
		_, wE = tr.errorTerms(r.ErrorAgg)
	}
	if r.Stiffness != 0 {
		_, wS = tr.stiffTerms(r.StiffnessAgg)
	}
	z0 := tr.Z[0]
	if len(tr.Checkpoints) > 0 {
		z0 = tr.Checkpoints[0].U
	}
	lam := tensor.New(z0.Rows, z0.Cols)
	fr, _ := rp.(FSALReplayer)
	// carry holds the cotangents of the values the next step took over
	// (FSAL), where has is set.
	var carry []*tensor.Dense
	var has []bool
	for j := len(tr.Checkpoints) - 1; j >= 0; j-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ck := &tr.Checkpoints[j]
		ej, sj := 0.0, 0.0
		if wE != nil {
			ej = r.Error * wE[j]
		}
		if wS != nil {
			sj = r.Stiffness * wS[j]
		}
		tp.Reset()
		u := tp.Leaf(ck.U, true)
		u1, e, s := rp.ReplayStep(j, u, ej != 0, sj != 0)
		tp.Seed(u1, lam.Data)
		var first []ad.Var
		if fr != nil {
			var last []ad.Var
			first, last = fr.FSAL()
			for i, v := range last {
				if i < len(has) && has[i] && v.Valid() {
					tp.Seed(v, carry[i].Data)
				}
			}
		}
		for i := ck.SaveLo; i < ck.SaveHi; i++ {
			if dZ[i] != nil {
				tp.Seed(rp.Dense(i), dZ[i].Data)
			}
		}
		if ej != 0 && e.Valid() {
			tp.SeedScalar(e, ej)
		}
		if sj != 0 && s.Valid() {
			tp.SeedScalar(s, sj)
		}
		tp.Backward(ad.Var{})
		if g := tp.Grad(u); g != nil {
			lam.CopyFrom(g)
		} else {
			lam.Zero()
		}
		for i := range has {
			has[i] = false
		}
		for i, v := range first {
			if !v.Valid() {
				continue
			}
			g := tp.Grad(v)
			if g == nil {
				continue
			}
			for len(carry) <= i {
				carry = append(carry, nil)
				has = append(has, false)
			}
			if carry[i] == nil {
				carry[i] = tp.Buffer(g.Rows, g.Cols)
				defer tp.Recycle(carry[i])
			}
			carry[i].CopyFrom(g)
			has[i] = true
		}
	}
	for i := 0; i < tr.Saves0; i++ {
		if dZ[i] != nil {
			tensor.Add(lam.Data, lam.Data, dZ[i].Data)
		}
	}
	return lam, nil
}

// ReplayAll re-records the whole accepted step sequence on tp, starting from
// z0 (which may depend on parameters), with every step size frozen. It
// returns the saved states and the per-accepted-step error and stiffness
// estimates as Vars (invalid where a step has none), so any function of them
// can be differentiated with tp.Backward or tp.JVP. It keeps every step on one
// tape: use it for verification and small problems; Sweep is the memory-lean
// path.
func (tr *Trajectory) ReplayAll(rp StepReplayer, z0 ad.Var) (z []ad.Var, e, s []ad.Var, err error) {
	if tr.released {
		return nil, nil, nil, fmt.Errorf("ode: Replay after Release: the checkpoints are gone; call Release only after the last Replay")
	}
	if tr.Accepted > 0 && len(tr.Checkpoints) != tr.Accepted {
		return nil, nil, nil, fmt.Errorf("ode: Replay needs the step record of the forward solve: set Options.Adjoint")
	}
	z = make([]ad.Var, len(tr.Z))
	for i := 0; i < tr.Saves0; i++ {
		z[i] = z0
	}
	u := z0
	for j := range tr.Checkpoints {
		ck := &tr.Checkpoints[j]
		u1, ej, sj := rp.ReplayStep(j, u, true, true)
		for i := ck.SaveLo; i < ck.SaveHi; i++ {
			z[i] = rp.Dense(i)
		}
		e = append(e, ej)
		s = append(s, sj)
		u = u1
	}
	return z, e, s, nil
}

// odeReplayer re-records Runge-Kutta steps: in reverse order on a tape
// reset per step (Sweep), or in order on one tape (chain, for ReplayAll).
type odeReplayer struct {
	st    *stepper
	tr    *Trajectory
	sv    stageVars
	u     ad.Var
	ck    *Checkpoint
	chain bool
	// first are the inputs standing for the values the recorded step took
	// over from the previous one (its first derivative, u*W); last are its
	// own values the next step takes over.
	first, last [2]ad.Var
	// spent are products the previous step took (Sweep consumes them); they
	// go back to the tape's pool once the tape has been reset.
	spent *ad.Products
}

func (r *odeReplayer) ReplayStep(j int, u ad.Var, wantE, wantS bool) (ad.Var, ad.Var, ad.Var) {
	tp := u.Tape()
	r.ck = &r.tr.Checkpoints[j]
	r.u = u
	r.first = [2]ad.Var{}
	var k1, uw ad.Var
	if r.chain {
		if j > 0 && r.ck.K1 != nil {
			// The values the forward solve carried over (FSAL).
			k1 = r.sv.k[len(r.sv.k)-1]
			if r.ck.UW != nil {
				uw = r.sv.u1w
			}
		}
	} else {
		r.releaseSpent(tp)
		if r.ck.K1 != nil {
			k1 = tp.Leaf(r.ck.K1, true)
			r.first[0] = k1
		}
		if r.ck.UW != nil {
			uw = tp.Leaf(r.ck.UW, true)
			r.first[1] = uw
		}
		if r.ck.Products != nil {
			tp.ReuseProducts(r.ck.Products)
			r.spent, r.ck.Products = r.ck.Products, nil
			if r.st.o.Checkpointing == KeepStages {
				// The forward solve kept the values of both estimates'
				// ops; the replay must record the same ops to take them in
				// order, whatever the weights (a zero weight only leaves an
				// estimate unseeded).
				wantE, wantS = true, true
			}
		}
	}
	r.st.record(r.ck.T, r.ck.H, u, k1, uw, &r.sv, wantE, wantS)
	tp.StopProducts()
	return r.sv.u1, r.sv.e, r.sv.s
}

// releaseSpent returns the products of the step replayed before to tp's
// pool; tp must have been reset since.
func (r *odeReplayer) releaseSpent(tp *ad.Tape) {
	if r.spent != nil {
		r.spent.Release(tp)
		r.spent = nil
	}
}

func (r *odeReplayer) FSAL() (first, last []ad.Var) {
	r.last = [2]ad.Var{}
	if r.st.tab.FSAL {
		r.last = [2]ad.Var{r.sv.k[len(r.sv.k)-1], r.sv.u1w}
	}
	return r.first[:], r.last[:]
}

func (r *odeReplayer) Dense(i int) ad.Var {
	theta := 1.0
	if r.tr.T[i] != r.ck.End {
		theta = (r.tr.T[i] - r.ck.T) / r.ck.H
	}
	return r.st.dense(r.u, r.ck.H, theta, &r.sv)
}

// Backward is the discrete adjoint of the solve (see Trajectory.Sweep): it
// returns dL/dZ0 and adds parameter gradients into the dynamics' Params.
// It needs Options.Adjoint.
func (sol *Solution) Backward(ctx context.Context, dZ []*tensor.Dense, r Regularization) (*tensor.Dense, error) {
	if !sol.opts.Adjoint {
		return nil, fmt.Errorf("ode: Backward needs the checkpoints of the forward solve: set Options.Adjoint")
	}
	s := newStepper(&sol.prob, &sol.opts, ad.GetTape(), &sol.BackwardNFE)
	// KeepStages kept the step's end in the checkpoint; the other
	// policies recompute it in one pass, unless the norms read only some
	// columns (Options.NormColumns).
	s.provide = fuseStepEnd && sol.opts.Checkpointing != KeepStages && sol.opts.NormColumns == 0
	defer s.release()
	rp := &odeReplayer{st: s, tr: &sol.Trajectory}
	lam, err := sol.Sweep(ctx, s.tp, rp, dZ, r)
	s.tp.Reset()
	rp.releaseSpent(s.tp)
	return lam, err
}

// Loss is a scalar loss of the saved states: z[i] stands for Z[i], the
// state at T[i]. It records its computation with the ops of package ad on
// tp and returns a 1x1 Var. It may bind parameters of its own with tp.Param
// (a readout layer, say); their gradients are added into their Grad fields.
type Loss func(tp *ad.Tape, z []ad.Var) ad.Var

// LossCotangents evaluates loss at the saved states and returns its value
// and its gradients dL/dZ[i], the cotangents Sweep and Backward take (nil
// where the loss does not read Z[i]). It adds the gradients of the
// parameters the loss binds into their Grad fields.
func (tr *Trajectory) LossCotangents(loss Loss) (float64, []*tensor.Dense, error) {
	if loss == nil {
		return 0, nil, fmt.Errorf("ode: the loss is nil")
	}
	tp := ad.GetTape()
	defer ad.PutTape(tp)
	z := make([]ad.Var, len(tr.Z))
	for i, zi := range tr.Z {
		z[i] = tp.Leaf(zi, true)
	}
	l := loss(tp, z)
	if !l.Valid() || l.Tape() != tp || l.Rows() != 1 || l.Cols() != 1 {
		what := "an invalid Var"
		if l.Valid() && l.Tape() != tp {
			what = "a value recorded on another tape"
		} else if l.Valid() {
			what = "a " + l.Value().Shape() + " value"
		}
		return 0, nil, fmt.Errorf("ode: the loss returned %s; want a 1x1 value recorded on the tape it was given (reduce with ad.Sum or ad.Mean)", what)
	}
	tp.Backward(l)
	dz := make([]*tensor.Dense, len(z))
	for i, zi := range z {
		if g := tp.Grad(zi); g != nil {
			dz[i] = g.Clone()
		}
	}
	return l.Scalar(), dz, nil
}

// BackwardLoss is Backward for a loss written with package ad instead of
// its cotangents: it evaluates loss at the saved states, differentiates it
// (LossCotangents) and runs Backward with the result and r. It returns the
// loss's value (without the regularization, which is Regularizer(r)) and
// the gradient of loss + regularization with respect to Z0, and adds the
// parameter gradients of the dynamics and of the loss into their Grad
// fields. It needs Options.Adjoint.
func (sol *Solution) BackwardLoss(ctx context.Context, loss Loss, r Regularization) (float64, *tensor.Dense, error) {
	if !sol.opts.Adjoint {
		return 0, nil, fmt.Errorf("ode: BackwardLoss needs the checkpoints of the forward solve: set Options.Adjoint")
	}
	v, dz, err := sol.LossCotangents(loss)
	if err != nil {
		return 0, nil, err
	}
	dz0, err := sol.Backward(ctx, dz, r)
	return v, dz0, err
}

// Release gives the memory of the checkpoints (states and kept products)
// back to the solvers' pooled tapes, for the next solves to reuse: a
// training loop calls it once it is done with Backward. The saved outputs
// (T, Z) and step records stay valid; Backward and Replay are not possible
// afterwards.
func (tr *Trajectory) Release() {
	if len(tr.Checkpoints) == 0 {
		return
	}
	tp := ad.GetTape()
	for i := range tr.Checkpoints {
		ck := &tr.Checkpoints[i]
		for _, d := range []*tensor.Dense{ck.U, ck.K1, ck.UW} {
			if d != nil {
				tp.Recycle(d)
			}
		}
		if ck.Products != nil {
			ck.Products.Release(tp)
		}
	}
	tr.Checkpoints = nil
	tr.released = true
	ad.PutTape(tp)
}

// Replay re-records the whole frozen solve on z0's tape (see
// Trajectory.ReplayAll). It needs Options.Adjoint.
func (sol *Solution) Replay(tp *ad.Tape, z0 ad.Var) (z []ad.Var, e, s []ad.Var, err error) {
	if !sol.opts.Adjoint {
		return nil, nil, nil, fmt.Errorf("ode: Replay needs the step record of the forward solve: set Options.Adjoint")
	}
	nfe := 0
	st := newStepper(&sol.prob, &sol.opts, tp, &nfe)
	return sol.ReplayAll(&odeReplayer{st: st, tr: &sol.Trajectory, chain: true}, z0)
}
