package gradcheck

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

func TestSquareLossAndHelpers(t *testing.T) {
	z := []*tensor.Dense{tensor.FromSlice(1, 2, []float64{1, -2})}
	w := []*tensor.Dense{tensor.FromSlice(1, 2, []float64{3, 0.5})}
	l, dz := SquareLoss(z, w)
	if l != 3*1.0/2+0.5*4/2 || dz[0].Data[0] != 3 || dz[0].Data[1] != -1 {
		t.Fatalf("SquareLoss = %v, %v", l, dz[0].Data)
	}
	r := RandLike(rand.New(rand.NewPCG(1, 2)), tensor.New(3, 4))
	for _, v := range r.Data {
		if v < -1 || v >= 1 || math.IsNaN(v) {
			t.Fatalf("RandLike value %v outside [-1, 1)", v)
		}
	}
	p := ad.NewParam("p", 1, 2)
	q := ad.NewParam("q", 1, 1)
	copy(p.Grad.Data, []float64{1, 2})
	q.Grad.Data[0] = 3
	if g := FlatGrad([]*ad.Param{p, q}); len(g) != 3 || g[2] != 3 {
		t.Fatalf("FlatGrad = %v", g)
	}
	ZeroGrads([]*ad.Param{p, q})
	if p.Grad.Data[1] != 0 || q.Grad.Data[0] != 0 {
		t.Fatal("ZeroGrads left a value")
	}
}

// RandomTangents' predicted directional derivative is the JVP of
// L = sum(z0 .* p) in the direction it set: <vz, p> + <vp, z0>.
func TestRandomTangents(t *testing.T) {
	z0 := tensor.FromSlice(1, 3, []float64{0.5, -1, 2})
	p := ad.NewParam("p", 1, 3)
	copy(p.Value.Data, []float64{3, 0.25, -2})
	tp := ad.NewTape()
	mark := tp.Len()
	// The gradients of L: dL/dz0 = p, dL/dp = z0.
	leaf, dot := RandomTangents(tp, rand.New(rand.NewPCG(3, 4)), z0, p.Value, []*ad.Param{p}, z0.Data)
	l := ad.Sum(ad.Mul(leaf, tp.Param(p)))
	tp.JVP(mark)
	jv, ok := tp.Tangent(l)
	if !ok {
		t.Fatal("L has no tangent")
	}
	if math.Abs(jv.Scalar()-dot) > 1e-14 || dot == 0 {
		t.Errorf("predicted %v, JVP %v", dot, jv.Scalar())
	}
}
