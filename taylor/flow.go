package taylor

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
)

// Func is dynamics dz/dt = f(t, z) written in Taylor arithmetic: given the
// series of the time t (1 x 1) and of the state z (batch x features) it
// returns the series of f(t, z), of z's shape, built with this package's
// functions (MatMul, AddRow, Tanh, Mul, AppendTime, ...) from t, z and
// constants (Series.Const). Parameters are bound with z.Tape().Param,
// or more simply through FromLayer, which turns a package nn model into a
// Func.
//
// A Func is called once per evaluation; the series it returns are then
// extended coefficient by coefficient, so it must not read coefficients of
// its series beyond the first (Coef(0)).
type Func func(t, z *Series) *Series

// Push evaluates f along a given path and returns the coefficients y_0..y_K
// of y = f(t, z) (K = len(zs)-1; y may have any shape), the higher-order
// analogue of a JVP (as jax.experimental.jet): zs are the normalized coefficients of the state
// path z(h) = zs[0] + zs[1] h + ... (invalid Vars are zero), ts those of the
// time path (missing ones are zero: {t0} holds the time fixed, {t0, 1} lets
// it advance with h). With zs = {z, v} and ts = {t0}, y_1 is the
// Jacobian-vector product (df/dz) v.
func Push(f Func, ts []float64, zs ...ad.Var) []ad.Var {
	if len(zs) == 0 || !zs[0].Valid() {
		panic("taylor: Push: the path needs a valid coefficient z_0")
	}
	z0 := zs[0]
	tp := z0.Tape()
	for k, z := range zs {
		if z.Valid() && (z.Tape() != tp || z.Rows() != z0.Rows() || z.Cols() != z0.Cols()) {
			panic(fmt.Sprintf("taylor: Push: coefficient %d is %dx%d (or on another tape), want %dx%d on z_0's tape", k, z.Rows(), z.Cols(), z0.Rows(), z0.Cols()))
		}
	}
	ev := newEvaluation(tp)
	t := ev.constant(1, 1, timeCoefs(tp, ts))
	z := ev.constant(z0.Rows(), z0.Cols(), zs)
	out := call(f, t, z, false)
	for ev.n < len(zs) {
		ev.extend()
	}
	ys := make([]ad.Var, len(zs))
	for k := range ys {
		ys[k] = out.Coef(k)
	}
	return ys
}

func timeCoefs(tp *ad.Tape, ts []float64) []ad.Var {
	cs := make([]ad.Var, len(ts))
	for k, v := range ts {
		if v != 0 || k == 0 {
			cs[k] = tp.Scalar(v)
		}
	}
	return cs
}

// call evaluates f and checks its result, which must have z's shape if
// sameShape.
func call(f Func, t, z *Series, sameShape bool) *Series {
	out := f(t, z)
	if out == nil || out.ev != z.ev {
		panic("taylor: the Func returned no series of its evaluation; build its result from its arguments t and z")
	}
	if sameShape && (out.rows != z.rows || out.cols != z.cols) {
		panic(fmt.Sprintf("taylor: the Func returned a %dx%d series for a %dx%d state", out.rows, out.cols, z.rows, z.cols))
	}
	return out
}

// Coefficients returns the normalized Taylor coefficients z_0 = z, z_1, ...,
// z_K (K = order >= 1) of the solution of dz/dt = f(t, z) through z at time
// t, z_k = z^(k)(t)/k!, by the recurrence of Taylor-series ODE solvers: with
// the time series (t, 1, 0, ...), z_1 = f(t, z) and, for m = 1..K-1, z_{m+1}
// = [f(t, z)]_m/(m+1), the m-th coefficient of f along the series
// z_0..z_m. Each pass computes only the new coefficient of every
// intermediate value: K products by each weight in all, not K(K+1)/2.
func Coefficients(f Func, t float64, z ad.Var, order int) []ad.Var {
	zs, out := flow("Coefficients", f, t, z, order)
	cs := make([]ad.Var, order+1)
	for k := 0; k < order; k++ {
		cs[k] = zs.Coef(k)
	}
	cs[order] = out.ev.dense(scale(out.c[order-1], 1/float64(order)), z.Rows(), z.Cols())
	return cs
}

// flow returns the series zs of the solution through z at t, with
// coefficients z_0..z_{order-1}, and the series out of f(t, z) along it,
// with [f]_0..[f]_{order-1}: z_{k+1} = [f]_k/(k+1).
func flow(who string, f Func, t float64, z ad.Var, order int) (zs, out *Series) {
	if order < 1 {
		panic(fmt.Sprintf("taylor: %s: order %d, want >= 1", who, order))
	}
	tp := z.Tape()
	ev := newEvaluation(tp)
	ts := ev.constant(1, 1, []ad.Var{tp.Scalar(t), tp.Scalar(1)})
	zs = ev.make(z.Rows(), z.Cols(), func(k int) ad.Var {
		if k == 0 {
			return z
		}
		return scale(out.c[k-1], 1/float64(k))
	})
	out = call(f, ts, zs, true)
	for ev.n < order {
		ev.extend()
	}
	return zs, out
}

// Derivative returns d^K z/dt^K = K! z_K (K = order >= 1) of the solution
// of dz/dt = f(t, z) through z at time t.
func Derivative(f Func, t float64, z ad.Var, order int) ad.Var {
	_, out := flow("Derivative", f, t, z, order)
	// K! z_K = (K-1)! [f]_{K-1}.
	return ad.Scale(out.Coef(order-1), factorial(order-1))
}

func factorial(k int) float64 {
	f := 1.0
	for i := 2; i <= k; i++ {
		f *= float64(i)
	}
	return f
}
