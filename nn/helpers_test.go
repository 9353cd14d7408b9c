package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1999)) }

func randDense(rng *rand.Rand, r, c int, lo, hi float64) *tensor.Dense {
	d := tensor.New(r, c)
	for i := range d.Data {
		d.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return d
}

func relErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num) / math.Max(math.Sqrt(den), 1e-12)
}

// checkGradients compares the reverse-mode gradients of the scalar loss(tp)
// with respect to every parameter in ps and every tensor in inputs (recorded
// by loss as Leafs with wantGrad) against central finite differences.
func checkGradients(t *testing.T, name string, ps []*ad.Param, inputs []*tensor.Dense, loss func(tp *ad.Tape, in []ad.Var) ad.Var, tol float64) {
	t.Helper()
	tp := ad.NewTape()
	eval := func() float64 {
		tp.Reset()
		vs := make([]ad.Var, len(inputs))
		for i, x := range inputs {
			vs[i] = tp.Const(x)
		}
		return loss(tp, vs).Scalar()
	}
	ZeroGrad(ps)
	tp.Reset()
	vs := make([]ad.Var, len(inputs))
	for i, x := range inputs {
		vs[i] = tp.Leaf(x, true)
	}
	tp.Backward(loss(tp, vs))
	var got []float64
	for _, p := range ps {
		got = append(got, p.Grad.Data...)
	}
	for _, v := range vs {
		got = append(got, tp.Grad(v).Data...)
	}
	var vals [][]float64
	for _, p := range ps {
		vals = append(vals, p.Value.Data)
	}
	for _, x := range inputs {
		vals = append(vals, x.Data)
	}
	var fd []float64
	for _, v := range vals {
		for k := range v {
			x0 := v[k]
			h := 1e-6 * math.Max(1, math.Abs(x0))
			v[k] = x0 + h
			fp := eval()
			v[k] = x0 - h
			fm := eval()
			v[k] = x0
			fd = append(fd, (fp-fm)/(2*h))
		}
	}
	if e := relErr(got, fd); e > tol {
		t.Errorf("%s: gradient relative error %.3g > %.1g", name, e, tol)
	}
}

// weighted returns sum(w .* out) for a fixed random w of out's shape.
func weighted(out ad.Var, seed uint64) ad.Var {
	w := randDense(seeded(seed), out.Rows(), out.Cols(), -1, 1)
	return ad.Sum(ad.Mul(out, out.Tape().Const(w)))
}
