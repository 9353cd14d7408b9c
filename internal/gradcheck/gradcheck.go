package gradcheck

import (
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// RandLike returns a matrix of d's shape with entries uniform in [-1, 1).
func RandLike(rng *rand.Rand, d *tensor.Dense) *tensor.Dense {
	r := tensor.New(d.Rows, d.Cols)
	for i := range r.Data {
		r.Data[i] = 2*rng.Float64() - 1
	}
	return r
}

// SquareLoss returns L = sum_i sum(w_i .* z_i.^2)/2 and its cotangents
// dL/dz_i = w_i .* z_i.
func SquareLoss(z, w []*tensor.Dense) (float64, []*tensor.Dense) {
	l := 0.0
	dz := make([]*tensor.Dense, len(z))
	for i := range z {
		dz[i] = tensor.New(z[i].Rows, z[i].Cols)
		for k, v := range z[i].Data {
			l += w[i].Data[k] * v * v / 2
			dz[i].Data[k] = w[i].Data[k] * v
		}
	}
	return l, dz
}

// FlatGrad concatenates the parameters' gradients.
func FlatGrad(ps []*ad.Param) []float64 {
	var g []float64
	for _, p := range ps {
		g = append(g, p.Grad.Data...)
	}
	return g
}

// ZeroGrads clears the parameters' gradients.
func ZeroGrads(ps []*ad.Param) {
	for _, p := range ps {
		p.Grad.Zero()
	}
}

// RandomTangents starts a forward-mode pass on tp in a random direction:
// a leaf for z0 and the parameters ps, each with a tangent of RandLike
// entries, and returns the leaf and the directional derivative that
// reverse mode predicts for that direction, the dot product of the
// direction with the gradients dz0 (of z0) and grad (FlatGrad of ps).
func RandomTangents(tp *ad.Tape, rng *rand.Rand, z0, dz0 *tensor.Dense, ps []*ad.Param, grad []float64) (ad.Var, float64) {
	leaf := tp.Leaf(z0, true)
	vz := RandLike(rng, z0)
	tp.SetTangent(leaf, tp.Const(vz))
	dot := 0.0
	for k := range vz.Data {
		dot += vz.Data[k] * dz0.Data[k]
	}
	off := 0
	for _, p := range ps {
		v := RandLike(rng, p.Value)
		tp.SetTangent(tp.Param(p), tp.Const(v))
		for k := range v.Data {
			dot += v.Data[k] * grad[off+k]
		}
		off += p.Value.Len()
	}
	return leaf, dot
}

// Replayer is a solution that can re-record its frozen solve (ode.Solution,
// sde.Solution).
type Replayer interface {
	Replay(tp *ad.Tape, z0 ad.Var) (z, e, s []ad.Var, err error)
}

// ReplayLoss evaluates SquareLoss of the frozen solve's saved states,
// replayed from z0 at the parameters' current values (values only).
func ReplayLoss(sol Replayer, z0 *tensor.Dense, w []*tensor.Dense) (float64, error) {
	tp := ad.NewTape()
	zs, _, _, err := sol.Replay(tp, tp.Const(z0))
	if err != nil {
		return 0, err
	}
	vals := make([]*tensor.Dense, len(zs))
	for i, z := range zs {
		vals[i] = z.Value()
	}
	l, _ := SquareLoss(vals, w)
	return l, nil
}

// CentralDifference returns the central finite difference, with step eps,
// of ReplayLoss along the direction (vz for z0, vp[i] for ps[i]): the frozen
// solve is replayed at z0 ± eps*vz with every parameter moved by ± eps*vp[i],
// and the parameters are restored afterwards.
func CentralDifference(sol Replayer, z0, vz *tensor.Dense, ps []*ad.Param, vp []*tensor.Dense, w []*tensor.Dense, eps float64) (float64, error) {
	return CentralDifferenceOf(func(z *tensor.Dense) (float64, error) { return ReplayLoss(sol, z, w) }, z0, vz, ps, vp, eps)
}

// CentralDifferenceOf returns the central finite difference, with step eps,
// of loss (a function of the initial state at the parameters' current
// values) along the direction (vz for z0, vp[i] for ps[i]); the parameters
// are restored afterwards.
func CentralDifferenceOf(loss func(z *tensor.Dense) (float64, error), z0, vz *tensor.Dense, ps []*ad.Param, vp []*tensor.Dense, eps float64) (float64, error) {
	move := func(s float64) {
		for i, p := range ps {
			tensor.AddScaled(p.Value.Data, p.Value.Data, s, vp[i].Data)
		}
	}
	zp, zm := z0.Clone(), z0.Clone()
	tensor.AddScaled(zp.Data, zp.Data, eps, vz.Data)
	tensor.AddScaled(zm.Data, zm.Data, -eps, vz.Data)
	move(eps)
	lp, errP := loss(zp)
	move(-2 * eps)
	lm, errM := loss(zm)
	move(eps)
	if errP != nil {
		return 0, errP
	}
	if errM != nil {
		return 0, errM
	}
	return (lp - lm) / (2 * eps), nil
}
