package sde

import "math"

// initialStep returns a starting step size for an adaptive SDE solve by the
// heuristic of StochasticDiffEq.jl (sde_determine_initdt), Hairer's
// algorithm with the diffusion folded in. With sk = atol + |u0|*rtol
// elementwise and every norm the RMS over all elements:
//
//	f0 = f(t0, u0), g0 = 3 g(t0, u0); d0 = RMS(u0/sk)
//	d1 = RMS(max(|f0 + g0|, |f0 - g0|)/sk)
//	h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5, else 0.01*d0/d1; h0 = min(h0, hmax)
//	u1 = u0 + h0*f0; f1 = f(t0+h0, u1), g1 = 3 g(t0+h0, u1)
//	dg = max(|g0 - g1|, |g0 + g1|)
//	d2 = RMS(max(|f1 - f0 + dg|, |f1 - f0 - dg|)/sk) / h0
//	h1 = max(1e-6, 1e-3*h0) if max(d1, d2) <= 1e-15,
//	     else 10^(-(2 + log10(max(d1, d2)))/(order + 1/2))
//	h  = min(100*h0, h1, hmax)
//
// f and g write the drift and the diffusion at (t, u) into their last
// argument. It makes two evaluations of each. The step size carries no
// gradient.
func initialStep(f, g func(t float64, u, out []float64), u0 []float64, t0, order, atol, rtol, hmax float64) float64 {
	n := len(u0)
	buf := make([]float64, 5*n)
	f0, g0, u1, f1, g1 := buf[:n], buf[n:2*n], buf[2*n:3*n], buf[3*n:4*n], buf[4*n:]
	f(t0, u0, f0)
	g(t0, u0, g0)
	var s0, s1 float64
	for i, u := range u0 {
		sk := atol + math.Abs(u)*rtol
		g0[i] *= 3
		s0 += (u / sk) * (u / sk)
		m := math.Max(math.Abs(f0[i]+g0[i]), math.Abs(f0[i]-g0[i])) / sk
		s1 += m * m
	}
	d0, d1 := math.Sqrt(s0/float64(n)), math.Sqrt(s1/float64(n))
	h0 := 0.01 * d0 / d1
	if d0 < 1e-5 || d1 < 1e-5 {
		h0 = 1e-6
	}
	if hmax > 0 {
		h0 = math.Min(h0, hmax)
	}
	for i := range u1 {
		u1[i] = u0[i] + h0*f0[i]
	}
	f(t0+h0, u1, f1)
	g(t0+h0, u1, g1)
	var s2 float64
	for i := range u0 {
		sk := atol + math.Abs(u0[i])*rtol
		g1[i] *= 3
		dg := math.Max(math.Abs(g0[i]-g1[i]), math.Abs(g0[i]+g1[i]))
		df := f1[i] - f0[i]
		m := math.Max(math.Abs(df+dg), math.Abs(df-dg)) / sk
		s2 += m * m
	}
	d2 := math.Sqrt(s2/float64(n)) / h0
	var h1 float64
	if m := math.Max(d1, d2); m <= 1e-15 {
		h1 = math.Max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(10, -(2+math.Log10(m))/(order+0.5))
	}
	h := math.Min(100*h0, h1)
	if hmax > 0 {
		h = math.Min(h, hmax)
	}
	return h
}
