package ode

import (
	"context"
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// Aggregation combines the per-step terms of a regularizer.
type Aggregation int

const (
	// Sum adds the terms over accepted steps (paper eqs. 9 and 11).
	Sum Aggregation = iota
	// Mean averages them over accepted steps.
	Mean
	// Max takes the largest (its gradient flows through that step only).
	Max
)

func (a Aggregation) String() string {
	switch a {
	case Sum:
		return "sum"
	case Mean:
		return "mean"
	case Max:
		return "max"
	}
	return fmt.Sprintf("Aggregation(%d)", int(a))
}

// Regularization weighs the solver's heuristics into the loss:
// Error*R_E + Stiffness*R_S, with R_E the aggregate of E_j*|h_j| and R_S the
// aggregate of S_j over accepted steps.
type Regularization struct {
	Error, Stiffness       float64
	ErrorAgg, StiffnessAgg Aggregation
}

// accepted returns the stats of accepted steps in order.
func (sol *Solution) accepted() []StepStat {
	out := make([]StepStat, 0, sol.Accepted)
	for _, st := range sol.Steps {
		if st.Accepted {
			out = append(out, st)
		}
	}
	return out
}

// aggregate returns the aggregate of terms and d(aggregate)/d(term_j).
func aggregate(terms []float64, agg Aggregation) (float64, []float64) {
	w := make([]float64, len(terms))
	if len(terms) == 0 {
		return 0, w
	}
	switch agg {
	case Mean, Sum:
		s := 0.0
		for _, v := range terms {
			s += v
		}
		c := 1.0
		if agg == Mean {
			c = 1 / float64(len(terms))
		}
		for j := range w {
			w[j] = c
		}
		return c * s, w
	case Max:
		best := 0
		for j, v := range terms {
			if v > terms[best] {
				best = j
			}
		}
		w[best] = 1
		return terms[best], w
	}
	panic(fmt.Sprintf("ode: unknown aggregation %d", int(agg)))
}

// ErrorRegularizer returns R_E = agg_j E_j*|h_j| over accepted steps.
func (sol *Solution) ErrorRegularizer(agg Aggregation) float64 {
	v, _ := sol.errorTerms(agg)
	return v
}

// StiffnessRegularizer returns R_S = agg_j S_j over accepted steps.
func (sol *Solution) StiffnessRegularizer(agg Aggregation) float64 {
	v, _ := sol.stiffTerms(agg)
	return v
}

func (sol *Solution) errorTerms(agg Aggregation) (float64, []float64) {
	acc := sol.accepted()
	terms := make([]float64, len(acc))
	for j, st := range acc {
		terms[j] = st.ErrorEstimate * math.Abs(st.H)
	}
	v, w := aggregate(terms, agg)
	for j, st := range acc {
		w[j] *= math.Abs(st.H) // dR/dE_j
	}
	return v, w
}

func (sol *Solution) stiffTerms(agg Aggregation) (float64, []float64) {
	acc := sol.accepted()
	terms := make([]float64, len(acc))
	for j, st := range acc {
		terms[j] = st.StiffnessEstimate
	}
	return aggregate(terms, agg)
}

// Regularizer returns Error*R_E + Stiffness*R_S.
func (sol *Solution) Regularizer(r Regularization) float64 {
	v := 0.0
	if r.Error != 0 {
		v += r.Error * sol.ErrorRegularizer(r.ErrorAgg)
	}
	if r.Stiffness != 0 {
		v += r.Stiffness * sol.StiffnessRegularizer(r.StiffnessAgg)
	}
	return v
}

// Backward is the discrete adjoint. Given the cotangents dZ[i] = dL/dZ[i] of
// a loss L of the saved states (nil entries mean zero), it computes the
// gradient of L + r.Error*R_E + r.Stiffness*R_S with respect to the initial
// state, which it returns, and with respect to every ad.Param the dynamics
// bind, which it adds into their Grad fields.
//
// The gradient is exact for the arithmetic the solver performed: reverse mode
// through every stage, the dense output, the error estimate and the
// stiffness estimate, with step sizes and accept/reject decisions held
// constant. Memory: the forward solve keeps one state per accepted step
// (Options.Adjoint); Backward recomputes each accepted step from its
// checkpoint on a tape that is reset per step, so the tape never holds more
// than one step. Cost: one extra forward evaluation of every accepted step
// plus its reverse sweep (Solution.BackwardNFE counts the evaluations).
func (sol *Solution) Backward(ctx context.Context, dZ []*tensor.Dense, r Regularization) (*tensor.Dense, error) {
	if !sol.opts.Adjoint {
		return nil, fmt.Errorf("ode: Backward needs the checkpoints of the forward solve: set Options.Adjoint")
	}
	if len(dZ) != len(sol.Z) {
		return nil, fmt.Errorf("ode: Backward got %d cotangents for %d saved states", len(dZ), len(sol.Z))
	}
	for i, d := range dZ {
		if d != nil && !d.SameShape(sol.Z[i]) {
			return nil, fmt.Errorf("ode: Backward: cotangent %d is %s, saved state is %s", i, d.Shape(), sol.Z[i].Shape())
		}
	}
	var wE, wS []float64
	if r.Error != 0 {
		_, wE = sol.errorTerms(r.ErrorAgg)
	}
	if r.Stiffness != 0 {
		_, wS = sol.stiffTerms(r.StiffnessAgg)
	}
	s := newStepper(&sol.prob, &sol.opts)
	s.nfe = &sol.BackwardNFE
	tp := s.tp
	lam := tensor.New(sol.prob.Z0.Rows, sol.prob.Z0.Cols)
	var sv stageVars
	for j := len(sol.ckpts) - 1; j >= 0; j-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, h, tEnd := sol.ckT[j], sol.ckH[j], sol.ckEnd[j]
		ej, sj := 0.0, 0.0
		if wE != nil {
			ej = r.Error * wE[j]
		}
		if wS != nil {
			sj = r.Stiffness * wS[j]
		}
		tp.Reset()
		u := tp.Leaf(sol.ckpts[j], true)
		s.record(t, h, u, ad.Var{}, &sv, ej != 0, sj != 0)
		tp.Seed(sv.u1, lam.Data)
		for i := sol.saveIn[j][0]; i < sol.saveIn[j][1]; i++ {
			if dZ[i] == nil {
				continue
			}
			theta := (sol.T[i] - t) / h
			if sol.T[i] == tEnd {
				theta = 1
			}
			tp.Seed(s.dense(u, h, theta, &sv), dZ[i].Data)
		}
		if ej != 0 && sv.e.Valid() {
			tp.SeedScalar(sv.e, ej)
		}
		if sj != 0 && sv.s.Valid() {
			tp.SeedScalar(sv.s, sj)
		}
		tp.Backward(ad.Var{})
		if g := tp.Grad(u); g != nil {
			lam.CopyFrom(g)
		} else {
			lam.Zero()
		}
	}
	for i := 0; i < sol.save0; i++ {
		if dZ[i] != nil {
			tensor.Add(lam.Data, lam.Data, dZ[i].Data)
		}
	}
	return lam, nil
}

// Replay re-records the whole accepted step sequence of the solve on tp,
// starting from z0 (which may depend on parameters), with every step size
// frozen. It returns the saved states and the per-accepted-step error and
// stiffness estimates as Vars (invalid where a step has none), so any
// function of them can be differentiated with tp.Backward or tp.JVP. It
// keeps every step on one tape: use it for verification and small problems;
// Backward is the memory-lean path. It needs Options.Adjoint.
func (sol *Solution) Replay(tp *ad.Tape, z0 ad.Var) (z []ad.Var, e, st []ad.Var, err error) {
	if !sol.opts.Adjoint {
		return nil, nil, nil, fmt.Errorf("ode: Replay needs the step record of the forward solve: set Options.Adjoint")
	}
	s := newStepper(&sol.prob, &sol.opts)
	nfe := 0
	s.nfe = &nfe
	z = make([]ad.Var, len(sol.Z))
	for i := 0; i < sol.save0; i++ {
		z[i] = z0
	}
	u := z0
	for j := range sol.ckpts {
		var sv stageVars
		t, h, tEnd := sol.ckT[j], sol.ckH[j], sol.ckEnd[j]
		s.record(t, h, u, ad.Var{}, &sv, true, true)
		for i := sol.saveIn[j][0]; i < sol.saveIn[j][1]; i++ {
			theta := (sol.T[i] - t) / h
			if sol.T[i] == tEnd {
				theta = 1
			}
			z[i] = s.dense(u, h, theta, &sv)
		}
		e = append(e, sv.e)
		st = append(st, sv.s)
		u = sv.u1
	}
	return z, e, st, nil
}
