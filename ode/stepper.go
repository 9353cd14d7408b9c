package ode

import (
	"math"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// fuseStepEnd enables the fused end of a step (fusedEnd, provideEnd); the
// benchmarks turn it off to measure what it saves.
var fuseStepEnd = true

// stepper is the per-solve workspace of a Runge-Kutta solve: the forward
// solve's Stepper, which Trajectory.Integrate drives, and the recorder of
// the adjoint's replays.
type stepper struct {
	p    *Problem
	o    *Options
	tab  *Tableau
	tp   *ad.Tape
	sol  *Solution
	nfe  *int
	u    *tensor.Dense // current state
	k1   *tensor.Dense // FSAL derivative at (t, u)
	hasK bool
	// uw is u*W with Problem.Input, valid when hasUW (allocated at first
	// use: W's width is known then).
	uw    *tensor.Dense
	hasUW bool
	// k1Fresh: k1 was evaluated at (t, u), not carried over from the last
	// stage of the previous step.
	k1Fresh bool
	// capture: the forward solve keeps product values for the adjoint; the
	// products of the last evaluation of k1 and of the current step.
	capture            bool
	k1Prods, stepProds ad.Products
	dw                 []float64 // dense-output weights
	// fuse: record ends steps with fusedEnd (values only: the forward
	// solve, unless it captures the step's combinations for KeepStages).
	fuse bool
	// provide: record computes the step's end with one pass and provides
	// the values to its ops (Backward's replays, whose tape is reset per
	// step).
	provide bool
	// Buffers of endSums: u1, the error estimate's combination, the
	// stiffness estimate's stage distance; the values provideEnd provides.
	u1buf, utbuf, dbuf *tensor.Dense
	scalars            [3]*tensor.Dense
	endVals            []*tensor.Dense
	// per-step scratch
	coef  []float64
	vars  []ad.Var
	srcs  [][]float64
	terms []tensor.SumTerm
	sums  []float64
	// The forward solve's step attempted last: its stages, its start state
	// on the tape and its size.
	sv  stageVars
	cur ad.Var
	h   float64
}

// newStepper returns a workspace that records steps of p on tp, counting
// evaluations into *nfe.
func newStepper(p *Problem, o *Options, tp *ad.Tape, nfe *int) *stepper {
	ns := o.Method.Stages
	s := &stepper{p: p, o: o, tab: o.Method, tp: tp, nfe: nfe, dw: make([]float64, ns),
		// The step's combinations: the stages', u1's, and three of endSums.
		coef: make([]float64, 0, 4*ns+1), vars: make([]ad.Var, 0, ns+1), srcs: make([][]float64, 0, 4*ns+1),
		terms: make([]tensor.SumTerm, 0, 3), sums: make([]float64, 0, 3)}
	return s
}

// newSolveStepper returns a workspace for a forward solve, with a pooled
// tape (give it back with release) and the solution it fills.
func newSolveStepper(p *Problem, o *Options) *stepper {
	s := newStepper(p, o, ad.GetTape(), nil)
	s.sol = &Solution{prob: *p, opts: *o}
	s.nfe = &s.sol.NFE
	s.u = s.tp.Buffer(p.Z0.Rows, p.Z0.Cols)
	s.u.CopyFrom(p.Z0)
	s.k1 = s.tp.Buffer(p.Z0.Rows, p.Z0.Cols)
	s.capture = o.Adjoint && o.Checkpointing != KeepStates
	s.fuse = fuseStepEnd && !(o.Adjoint && o.Checkpointing == KeepStages) && o.NormColumns == 0
	return s
}

// release returns the stepper's tape to the pool; nothing may use it after.
func (s *stepper) release() {
	s.stepProds.Release(s.tp)
	s.k1Prods.Release(s.tp)
	for _, d := range []*tensor.Dense{s.u, s.k1, s.uw, s.u1buf, s.utbuf, s.dbuf} {
		if d != nil {
			s.tp.Recycle(d)
		}
	}
	ad.PutTape(s.tp)
	s.tp = nil
}

// buffer returns d, or a buffer of the stepper's tape when d is nil.
func (s *stepper) buffer(d *tensor.Dense, r, c int) *tensor.Dense {
	if d == nil {
		d = s.tp.Buffer(r, c)
	}
	return d
}

// InitialStep runs Hairer's algorithm (InitialStep) from Z0 on the
// stepper's tape, counting its evaluations in Solution.NFE.
func (s *stepper) InitialStep() float64 {
	o, p := s.o, s.p
	tp := s.tp
	z := tp.Buffer(p.Z0.Rows, p.Z0.Cols)
	defer tp.Recycle(z)
	f := func(t float64, u, du []float64) {
		tp.Reset()
		copy(z.Data, u)
		out := s.p.F(t, s.input(tp.Const(z)))
		copy(du, out.Value().Data)
	}
	norm := initdtScaledRMS
	if c := o.NormColumns; c > 0 {
		// The scaled RMS over the first c columns of every row, in the
		// order of the full norm.
		w := p.Z0.Cols
		norm = func(x, y, u0 []float64, atol, rtol float64) float64 {
			sum, n := 0.0, 0
			for i := 0; i < len(x); i += w {
				for j := i; j < i+c; j++ {
					v := x[j]
					if y != nil {
						v -= y[j]
					}
					v /= atol + math.Abs(u0[j])*rtol
					sum += v * v
					n++
				}
			}
			return math.Sqrt(sum / float64(n))
		}
	}
	h, nfe := initialStep(f, p.Z0.Data, p.T0, p.dir(), float64(s.tab.Order), o.ATol, o.RTol, o.DtMax, nil, norm)
	s.sol.NFE += nfe
	return math.Abs(h)
}

// normed returns the columns of a state-shaped value that the solver's
// norms read (Options.NormColumns): v itself by default.
func (s *stepper) normed(v ad.Var) ad.Var {
	if s.o.NormColumns == 0 {
		return v
	}
	return ad.SliceCols(v, 0, s.o.NormColumns)
}

// keepUW keeps the value of u*W (Problem.Input) for the steps from the
// current state; a no-op without Problem.Input.
func (s *stepper) keepUW(uw ad.Var) {
	if s.p.Input == nil {
		return
	}
	v := uw.Value()
	if s.uw == nil {
		s.uw = s.tp.Buffer(v.Rows, v.Cols)
	}
	s.uw.CopyFrom(v)
	s.hasUW = true
}

// startCapture makes the tape keep what Options.Checkpointing asks for in p.
func (s *stepper) startCapture(p *ad.Products) {
	if s.o.Checkpointing == KeepStages {
		s.tp.CaptureCombinations(p)
	} else {
		s.tp.CaptureProducts(p)
	}
}

// Attempt records a step of size h from (t, s.u) on the stepper's tape,
// evaluating the derivative at (t, s.u) unless it is known (FSAL, or an
// earlier attempt from t).
func (s *stepper) Attempt(t, h float64, _ bool) (eest, stiff float64, finite bool) {
	tp := s.tp
	tp.Reset()
	// The products of a rejected attempt go back to the pool.
	s.stepProds.Release(tp)
	u := tp.Const(s.u)
	var k1 ad.Var
	if s.hasK {
		k1 = tp.Const(s.k1)
	} else {
		// f(t, u) stays valid for a retry after a rejection.
		if s.capture {
			s.k1Prods.Release(tp)
			s.startCapture(&s.k1Prods)
		}
		g0 := s.input(u)
		k1 = s.eval(t, g0)
		tp.StopProducts()
		s.k1.CopyFrom(k1.Value())
		s.hasK, s.k1Fresh = true, true
		s.keepUW(g0)
	}
	var uw ad.Var
	if s.hasUW {
		uw = tp.Const(s.uw)
	}
	if s.capture {
		s.startCapture(&s.stepProds)
	}
	sv := &s.sv
	s.record(t, h, u, k1, uw, sv, true, true)
	tp.StopProducts()
	s.cur, s.h = u, h
	if sv.e.Valid() {
		eest = sv.e.Scalar()
	}
	if sv.s.Valid() {
		stiff = sv.s.Scalar()
	}
	finite = sv.finite
	if !sv.fused {
		finite = tensor.AllFinite(sv.u1.Value().Data)
	}
	return eest, stiff, finite
}

// Save returns the dense output at theta inside the step attempted last.
func (s *stepper) Save(theta float64) *tensor.Dense {
	return s.dense(s.cur, s.h, theta, &s.sv).Value().Clone()
}

// Advance moves the state to the end of the step attempted last, keeping
// the adjoint's checkpoint in ck when it is not nil.
func (s *stepper) Advance(ck *Checkpoint) {
	if ck != nil {
		s.checkpoint(ck)
	}
	sv := &s.sv
	if sv.u1Own {
		// fusedEnd wrote u1 into the stepper's buffer: take it.
		s.u, s.u1buf = s.u1buf, s.u
	} else {
		s.u.CopyFrom(sv.u1.Value())
	}
	if s.tab.FSAL {
		s.k1.CopyFrom(sv.k[s.tab.Stages-1].Value())
		s.k1Fresh = false
		s.keepUW(sv.u1w)
	} else {
		s.hasK = false
	}
}

// State returns the current state.
func (s *stepper) State() *tensor.Dense { return s.u }

// checkpoint fills the adjoint's checkpoint of the step just accepted.
func (s *stepper) checkpoint(ck *Checkpoint) {
	// The checkpoint takes the stepper's buffers, which Advance refills
	// (u from the step's end state, k1 from its last stage or afresh).
	ck.U = s.u
	s.u = s.tp.Buffer(s.u.Rows, s.u.Cols)
	if !s.k1Fresh {
		ck.K1 = s.k1
		s.k1 = s.tp.Buffer(s.k1.Rows, s.k1.Cols)
		if s.hasUW {
			ck.UW = s.uw
			s.uw = s.tp.Buffer(s.uw.Rows, s.uw.Cols)
		}
	}
	if s.capture {
		ck.Products = new(ad.Products)
		if s.k1Fresh {
			ck.Products.Append(&s.k1Prods)
		}
		ck.Products.Append(&s.stepProds)
	}
}
