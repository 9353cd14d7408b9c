package taylor_test

import (
	"math"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// randDense returns an r x c matrix uniform in [-a, a).
func randDense(rng *rand.Rand, r, c int, a float64) *tensor.Dense {
	d := tensor.New(r, c)
	for i := range d.Data {
		d.Data[i] = a * (2*rng.Float64() - 1)
	}
	return d
}

// relErr is max|a-b| / max(max|b|, tiny).
func relErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	if den == 0 {
		return num
	}
	return num / den
}

// normErr is ||a-b||_2 / ||b||_2.
func normErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// nestedDerivatives returns d^k out/dh^k for k = 0..K, where out was
// recorded from the 1 x 1 leaf h (whose tangent is set to 1 here) after
// mark, by nested forward mode: JVP along h, then JVP along h of the
// tangent's own recording, and so on. All levels differentiate along the
// same direction, so the tangents an earlier level left on the tape are the
// derivatives the next level needs. This is independent of the Taylor rules:
// it uses only the first-order tangent rules of package ad.
func nestedDerivatives(tp *ad.Tape, h ad.Var, mark int, out ad.Var, K int) []*tensor.Dense {
	tp.SetTangent(h, tp.Scalar(1))
	ds := []ad.Var{out}
	from := mark
	for k := 1; k <= K; k++ {
		end := tp.Len()
		tp.JVP(from)
		d, ok := tp.Tangent(ds[k-1])
		if !ok {
			d = tp.Fill(out.Rows(), out.Cols(), 0)
		}
		ds = append(ds, d)
		from = end
	}
	vals := make([]*tensor.Dense, len(ds))
	for k, d := range ds {
		vals[k] = d.Value().Clone()
	}
	return vals
}

// polyPath records p(h) = sum_k cs[k] h^k by Horner's rule.
func polyPath(tp *ad.Tape, h ad.Var, cs []*tensor.Dense) ad.Var {
	p := tp.Const(cs[len(cs)-1])
	for k := len(cs) - 2; k >= 0; k-- {
		p = ad.Add(ad.ScaleBy(p, h), tp.Const(cs[k]))
	}
	return p
}

func factorial(k int) float64 {
	f := 1.0
	for i := 2; i <= k; i++ {
		f *= float64(i)
	}
	return f
}

// flowDerivatives returns d^k z/dt^k, k = 1..K, of the solution of
// z' = g(z, t) through z0 at t0, by nested forward mode: z^(1) = g(z0, t0)
// and z^(k+1) = d^k/dh^k g(p_k(h), t0 + h) at h = 0, where p_k is the
// Taylor polynomial of degree k built from the derivatives found so far
// (g(z(t)) and g(p_k(t)) agree to order k).
func flowDerivatives(g func(z, t ad.Var) ad.Var, z0 *tensor.Dense, t0 float64, K int) []*tensor.Dense {
	ds := []*tensor.Dense{z0.Clone()}
	for k := 0; k < K; k++ {
		tp := ad.NewTape()
		h := tp.Leaf(tensor.New(1, 1), true)
		mark := tp.Len()
		cs := make([]*tensor.Dense, k+1)
		for j := range cs {
			cs[j] = ds[j].Clone()
			tensor.Scale(cs[j].Data, 1/factorial(j), cs[j].Data)
		}
		out := g(polyPath(tp, h, cs), ad.AddScalar(h, t0))
		nd := nestedDerivatives(tp, h, mark, out, k)
		ds = append(ds, nd[k])
	}
	return ds[1:]
}
