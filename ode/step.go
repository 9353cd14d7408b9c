package ode

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/ad"
)

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
		// The increment's terms first, the base last (see combine).
		s.coef = s.coef[:0]
		s.vars = s.vars[:0]
		for j := 0; j < i; j++ {
			if a := tab.A[i][j]; a != 0 {
				s.coef = append(s.coef, h*a)
				s.vars = append(s.vars, s.stageTerm(sv, j, w))
			}
		}
		s.coef = append(s.coef, 1)
		s.vars = append(s.vars, g0)
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
		sv.e = ad.ErrorNorm(s.normed(ut), s.normed(u), s.normed(sv.u1), s.o.ATol, s.o.RTol)
	}
	if wantS && tab.HasStiffnessEstimate() {
		i, j := tab.StiffnessStages[0], tab.StiffnessStages[1]
		var den ad.Var
		if w.Valid() {
			den = s.stageDistance(h, i, j, sv)
		} else {
			den = ad.RMSDiff(s.normed(sv.g[j]), s.normed(sv.g[i]))
		}
		if d := den.Scalar(); d != 0 && !math.IsNaN(d) {
			num := ad.RMSDiff(s.normed(sv.k[j]), s.normed(sv.k[i]))
			sv.s = ad.Scale(ad.Div(num, den), 1/tab.StabilityScale)
		}
	}
	if provide {
		if n := u.Tape().StopProviding(); n != len(s.endVals) {
			panic(fmt.Sprintf("ode: the step's end took %d of %d provided values", n, len(s.endVals)))
		}
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
	return ad.RMS(s.normed(ad.LinComb(s.coef, s.vars)))
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

// combine records u + h*sum_i w_i k_i with u as the last term: a linear
// combination accumulates its terms in order (tensor.LinComb), so the
// increment h*sum_i w_i k_i is summed first and added to u once, and a
// component of u much larger than the increment is rounded once, not once
// per term. The stage inputs are formed the same way.
func (s *stepper) combine(u ad.Var, h float64, w []float64, k []ad.Var) ad.Var {
	s.coef = s.coef[:0]
	s.vars = s.vars[:0]
	for i, wi := range w {
		if wi != 0 {
			s.coef = append(s.coef, h*wi)
			s.vars = append(s.vars, k[i])
		}
	}
	s.coef = append(s.coef, 1)
	s.vars = append(s.vars, u)
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
