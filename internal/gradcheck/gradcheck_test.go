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
