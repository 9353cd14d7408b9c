package ode

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/tensor"
)

// StepStat is the white-box record of one attempted step.
type StepStat struct {
	// T is the start of the step and H its size (negative backward in
	// time).
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

// Trajectory is the white-box record of a solve, shared by the ODE and SDE
// solvers: the saved outputs, every attempted step, the work counts, and
// (for the adjoint) a checkpoint per accepted step.
type Trajectory struct {
	// T and Z are the save times and the states there.
	T []float64
	Z []*tensor.Dense
	// Steps records every attempted step in order.
	Steps []StepStat
	// NFE counts evaluations of the dynamics, OrdinaryDiffEq's way: the initial
	// step heuristic (2), the first FSAL stage (1), and every stage of every
	// attempted step.
	NFE int
	// Accepted and Rejected count steps.
	Accepted, Rejected int
	// BackwardNFE counts evaluations of the dynamics that Backward
	// re-records (every stage of every accepted step but an FSAL step's
	// first). With Checkpointing KeepProducts they take their products from
	// the checkpoints instead of computing them.
	BackwardNFE int
	// Checkpoints has one entry per accepted step when the solve kept them
	// (Options.Adjoint).
	Checkpoints []Checkpoint
	// Saves0 is the number of saved outputs at the initial time (indices
	// [0, Saves0)), which no step produces.
	Saves0 int

	released bool
}

// accepted returns the stats of accepted steps in order.
func (tr *Trajectory) accepted() []StepStat {
	out := make([]StepStat, 0, tr.Accepted)
	for _, st := range tr.Steps {
		if st.Accepted {
			out = append(out, st)
		}
	}
	return out
}

// ErrorRegularizer returns R_E = agg_j E_j*|h_j| over accepted steps.
func (tr *Trajectory) ErrorRegularizer(agg Aggregation) float64 {
	v, _ := tr.errorTerms(agg)
	return v
}

// StiffnessRegularizer returns R_S = agg_j S_j over accepted steps.
func (tr *Trajectory) StiffnessRegularizer(agg Aggregation) float64 {
	v, _ := tr.stiffTerms(agg)
	return v
}

func (tr *Trajectory) errorTerms(agg Aggregation) (float64, []float64) {
	acc := tr.accepted()
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

func (tr *Trajectory) stiffTerms(agg Aggregation) (float64, []float64) {
	acc := tr.accepted()
	terms := make([]float64, len(acc))
	for j, st := range acc {
		terms[j] = st.StiffnessEstimate
	}
	return aggregate(terms, agg)
}

// Regularizer returns Error*R_E + Stiffness*R_S.
func (tr *Trajectory) Regularizer(r Regularization) float64 {
	v := 0.0
	if r.Error != 0 {
		v += r.Error * tr.ErrorRegularizer(r.ErrorAgg)
	}
	if r.Stiffness != 0 {
		v += r.Stiffness * tr.StiffnessRegularizer(r.StiffnessAgg)
	}
	return v
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
