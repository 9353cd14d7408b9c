package ode

import (
	"math"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

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
	s.coef = s.coef[:0]
	s.srcs = s.srcs[:0]
	if tab.FSAL && !w.Valid() {
		u1 = sv.g[ns-1].Value().Data
	} else {
		s.u1buf = s.buffer(s.u1buf, uv.Rows, uv.Cols)
		out, u1, own = s.u1buf.Data, s.u1buf.Data, true
		// As combine: the increment's terms, then u.
		for i, b := range tab.B {
			if b != 0 {
				s.coef = append(s.coef, h*b)
				s.srcs = append(s.srcs, sv.k[i].Value().Data)
			}
		}
		s.coef = append(s.coef, 1)
		s.srcs = append(s.srcs, uv.Data)
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
