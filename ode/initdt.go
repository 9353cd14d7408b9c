package ode

import (
	"fmt"
	"math"
)

// InitialStep returns a starting step size for an adaptive solve by
// Hairer's algorithm (Hairer, Norsett and Wanner I, sec. II.4) in the form
// of OrdinaryDiffEq 5.50's ode_initdt, with norms the RMS over
// all elements of the state:
//
//	sk = atol + |u0|*rtol (elementwise); d0 = RMS(u0/sk); d1 = RMS(f0/sk)
//	h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5, else 0.01*d0/d1; h0 = min(h0, hmax)
//	f1 = f(t0 + tdir*h0, u0 + tdir*h0*f0); d2 = RMS((f1 - f0)/sk) / h0
//	h1 = max(1e-6, 1e-3*h0) if max(d1, d2) <= 1e-15,
//	     else 10^(-(2 + log10(max(d1, d2)))/order)
//	h  = tdir * min(100*h0, h1, hmax)
//
// f(t, u, du) writes du/dt at (t, u) into du. tdir gives the direction of
// integration (only its sign is used); the result has that sign. order is
// the order of the method (e.g. 5 for Tsit5, 1.5 for SOSRI). hmax > 0
// bounds |h|; hmax <= 0 or +Inf means no bound. At least one of atol and
// rtol must be positive, and atol > 0 if u0 has zero entries; otherwise sk
// has zeros and the result is NaN.
//
// f0 may hold f(t0, u0) if the caller has it (an FSAL solver evaluates it
// anyway); pass nil to have InitialStep evaluate it. nfe is the number of
// evaluations of f made here: 2 (f0 and f1, OrdinaryDiffEq's count) or 1 if f0
// was passed. The step size carries no gradient. InitialStep allocates
// two or three vectors of len(u0).
//
// It panics if u0 is empty, tdir is zero or NaN, or f0 is non-nil with a
// length different from u0.
func InitialStep(f func(t float64, u, du []float64), u0 []float64, t0, tdir, order, atol, rtol, hmax float64, f0 []float64) (h float64, nfe int) {
	return initialStep(f, u0, t0, tdir, order, atol, rtol, hmax, f0, initdtScaledRMS)
}

// initialStep is InitialStep with the scaled norm given: norm(x, y, u0,
// atol, rtol) is RMS((x - y)/sk) over the elements the solver's norms read
// (Options.NormColumns).
func initialStep(f func(t float64, u, du []float64), u0 []float64, t0, tdir, order, atol, rtol, hmax float64, f0 []float64,
	norm func(x, y, u0 []float64, atol, rtol float64) float64) (h float64, nfe int) {
	n := len(u0)
	if n == 0 {
		panic("ode: InitialStep needs a non-empty state u0")
	}
	if tdir == 0 || math.IsNaN(tdir) {
		panic(fmt.Sprintf("ode: InitialStep tdir = %g; pass +1 or -1 for the integration direction", tdir))
	}
	if f0 != nil && len(f0) != n {
		panic(fmt.Sprintf("ode: InitialStep f0 has length %d, u0 has length %d", len(f0), n))
	}
	dir := math.Copysign(1, tdir)
	if !(hmax > 0) {
		hmax = math.Inf(1)
	}

	if f0 == nil {
		f0 = make([]float64, n)
		f(t0, u0, f0)
		nfe++
	}
	d0 := norm(u0, nil, u0, atol, rtol)
	d1 := norm(f0, nil, u0, atol, rtol)

	var h0 float64
	if d0 < 1e-5 || d1 < 1e-5 {
		h0 = 1e-6
	} else {
		h0 = 0.01 * d0 / d1
	}
	h0 = math.Min(h0, hmax)

	u1 := make([]float64, n)
	for i := range u1 {
		u1[i] = u0[i] + dir*h0*f0[i]
	}
	f1 := make([]float64, n)
	f(t0+dir*h0, u1, f1)
	nfe++
	d2 := norm(f1, f0, u0, atol, rtol) / h0

	var h1 float64
	if m := math.Max(d1, d2); m <= 1e-15 {
		h1 = math.Max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(10, -(2+math.Log10(m))/order)
	}
	return dir * math.Min(math.Min(100*h0, h1), hmax), nfe
}

// initdtScaledRMS returns RMS((x - y)/sk) with sk = atol + |u0|*rtol
// elementwise and y = nil meaning zero.
func initdtScaledRMS(x, y, u0 []float64, atol, rtol float64) float64 {
	s := 0.0
	for i, v := range x {
		if y != nil {
			v -= y[i]
		}
		v /= atol + math.Abs(u0[i])*rtol
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}
