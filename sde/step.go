package sde

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// stepper is the per-solve workspace: it records steps on its tape, in the
// forward solve (as the ode.Stepper that ode.Trajectory.Integrate drives)
// and in the replays of the adjoint.
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
	// The forward solve's state, Brownian path, and the increments and
	// stages of the step attempted last.
	u      *tensor.Dense
	noise  Noise
	dW, dZ []float64
	sv     stageVars
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
	en       ad.Var // the error estimate's numerator delta*E1 + E2, with e
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

// lin records sum_i coef_i*xs_i over the non-zero coefficients, plus a
// base term (coefficient 1) when base is valid. The base comes last: a
// linear combination accumulates its terms in order (tensor.LinComb), so
// the increment is summed first and added to the base once. It returns an
// invalid Var when nothing is left.
func (s *stepper) lin(base ad.Var, coef []float64, xs []ad.Var) ad.Var {
	s.coef, s.vars = s.coef[:0], s.vars[:0]
	for i, c := range coef {
		if c != 0 {
			s.coef = append(s.coef, c)
			s.vars = append(s.vars, xs[i])
		}
	}
	if base.Valid() {
		s.coef = append(s.coef, 1)
		s.vars = append(s.vars, base)
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
	sv.e, sv.s, sv.en = ad.Var{}, ad.Var{}, ad.Var{}
	tab := s.tab
	if tab == nil { // Euler-Maruyama
		k := s.drift(t, u)
		g := s.diffusion(t, u)
		sv.k[0], sv.g[0], sv.h0[0] = k, g, u
		sv.u1 = ad.LinComb([]float64{h, 1, 1}, []ad.Var{k, ad.Mul(w, g), u})
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
	// The increment's terms first and u last (see lin).
	var terms [5]ad.Var
	terms[0] = s.lin(ad.Var{}, c[:SRIStages], sv.k[:])
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
	terms[n] = u
	n++
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
		sv.en = num
		// One fused op (value and gradient in one pass each) for the
		// scale atol + rtol*max(|u_n|, |u_{n+1}|), the quotient and the
		// RMS, as in package ode; the scale is rounded once (a fused
		// multiply-add, as in DiffEqBase.jl's calculate_residuals under
		// @muladd).
		sv.e = ad.ErrorNorm(num, u, sv.u1, s.o.ATol, s.o.RTol)
	}
	if wantS {
		// RMS(k4 - k3)/RMS(H0_4 - H0_3)/scale, 0 when the denominator is.
		// RMSDiff does not form the differences, and sums the same
		// squares in the same order as RMS(Sub(a, b)).
		den := ad.RMSDiff(sv.h0[3], sv.h0[2])
		if d := den.Scalar(); d != 0 && !math.IsNaN(d) {
			num := ad.RMSDiff(sv.k[3], sv.k[2])
			sv.s = ad.Scale(ad.Div(num, den), 1/s.o.StiffnessScale)
		}
	}
}

var ones = [SRIStages + 1]float64{1, 1, 1, 1, 1}

// InitialStep runs the initial-step heuristic on the solve's tape (before
// any step is recorded on it).
func (s *stepper) InitialStep() float64 {
	o, p := s.o, s.p
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

// Attempt records a step of size h from (t, s.u) with the next Brownian
// increments: the path's next ones, or after a rejection (retry) the
// rejected ones' refinement.
func (s *stepper) Attempt(t, h float64, retry bool) (eest, stiff float64, finite bool) {
	if retry {
		s.noise.Reject(h, s.dW, s.dZ)
	} else {
		s.noise.Increment(h, s.dW, s.dZ)
	}
	s.tp.Reset()
	sv := &s.sv
	s.record(t, h, s.tp.Const(s.u), s.dW, s.dZ, sv, s.tab != nil, s.tab != nil)
	if sv.e.Valid() {
		eest = sv.e.Scalar()
	}
	if sv.s.Valid() {
		stiff = sv.s.Scalar()
	}
	return eest, stiff, tensor.AllFinite(sv.u1.Value().Data)
}

// Save returns the end of the step attempted last: the solver steps onto
// every save time, so theta is 1.
func (s *stepper) Save(float64) *tensor.Dense { return s.sv.u1.Value().Clone() }

// Advance accepts the step attempted last: it keeps the checkpoint's state
// and the step's increments (ck not nil), accepts the increments on the
// path and moves the state to the step's end.
func (s *stepper) Advance(ck *ode.Checkpoint) {
	if ck != nil {
		ck.U = s.u.Clone()
		s.sol.noise.Append(ck.T, ck.H, s.dW, s.dZ)
	}
	s.noise.Accept()
	s.u.CopyFrom(s.sv.u1.Value())
}

// State returns the current state.
func (s *stepper) State() *tensor.Dense { return s.u }
