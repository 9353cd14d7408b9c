package nn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

func scalar(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-14*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.17g, want %.17g", name, got, want)
	}
}

func TestLossValues(t *testing.T) {
	tp := ad.NewTape()
	c := func(r, cols int, v ...float64) ad.Var { return tp.Const(tensor.FromSlice(r, cols, v)) }

	// Row 1: softmax(0, ln 3) = (1/4, 3/4), target class 1; row 2: (1/2, 1/2).
	ce := LogitCrossEntropy(c(2, 2, 0, math.Log(3), 1, 1), c(2, 2, 0, 1, 1, 0))
	scalar(t, "LogitCrossEntropy", ce.Scalar(), (math.Log(4.0/3)+math.Log(2))/2)
	// Large logits do not overflow: log softmax(1000, 0)_0 = -log(1 + e^-1000).
	scalar(t, "LogitCrossEntropy(1000)", LogitCrossEntropy(c(1, 2, 1000, 0), c(1, 2, 1, 0)).Scalar(), 0)

	pred, target := c(2, 2, 1, 2, 3, 4), c(2, 2, 0, 2, 3, 6)
	scalar(t, "MSE", MSE(pred, target).Scalar(), 1.25)
	scalar(t, "MaskedMSE", MaskedMSE(pred, target, c(2, 2, 1, 0, 1, 1)).Scalar(), 5.0/3)
	scalar(t, "MaskedMSE (nothing observed)", MaskedMSE(pred, target, c(2, 2, 0, 0, 0, 0)).Scalar(), 0)

	// Log-likelihood against gonum's normal density, entry by entry.
	mu := []float64{0, 1, -0.3, 0.2, 0.5, 0.01}
	x := []float64{0.5, 1, -0.28, 0.2, 0.45, 0}
	mask := []float64{1, 0, 1, 1, 0, 1}
	const sigma = 0.05
	want, wantAll := 0.0, 0.0
	for i := range mu {
		lp := distuv.Normal{Mu: mu[i], Sigma: sigma}.LogProb(x[i])
		want += mask[i] * lp
		wantAll += lp
	}
	ll := GaussianLogLikelihood(c(2, 3, mu...), c(2, 3, x...), c(2, 3, mask...), sigma)
	scalar(t, "GaussianLogLikelihood", ll.Scalar(), want/2)
	scalar(t, "GaussianLogLikelihood (no mask)", GaussianLogLikelihood(c(2, 3, mu...), c(2, 3, x...), ad.Var{}, sigma).Scalar(), wantAll/2)

	// KL by numerical integration of p log(p/q) with gonum, one dimension at
	// a time (the covariance is diagonal).
	m := []float64{1, -0.5, 0.2, 0, 0.3, 2}
	lv := []float64{0, math.Log(2), -1, 0.5, 0, -0.2}
	kl := 0.0
	for i := range m {
		p := distuv.Normal{Mu: m[i], Sigma: math.Exp(lv[i] / 2)}
		q := distuv.Normal{Mu: 0, Sigma: 1}
		f := func(x float64) float64 { return math.Exp(p.LogProb(x)) * (p.LogProb(x) - q.LogProb(x)) }
		kl += quad.Fixed(f, m[i]-15*p.Sigma, m[i]+15*p.Sigma, 200, nil, 0)
	}
	if got := KLStdNormal(c(2, 3, m...), c(2, 3, lv...)).Scalar(); math.Abs(got-kl/2) > 1e-12 {
		t.Errorf("KLStdNormal = %.15g, numerical integration gives %.15g", got, kl/2)
	}
	scalar(t, "KLStdNormal(1, 0)", KLStdNormal(c(1, 1, 1), c(1, 1, 0)).Scalar(), 0.5)
}

// TestLossGradients checks every loss against central finite differences in
// all its differentiable inputs.
func TestLossGradients(t *testing.T) {
	rng := seeded(11)
	logits := randDense(rng, 4, 5, -3, 3)
	probs := randDense(rng, 4, 5, 0, 1)
	a := randDense(rng, 3, 4, -1, 1)
	b := randDense(rng, 3, 4, -1, 1)
	mask := tensor.New(3, 4)
	for i := range mask.Data {
		mask.Data[i] = float64(rng.IntN(2))
	}
	tp := func(f func(in []ad.Var) ad.Var) func(*ad.Tape, []ad.Var) ad.Var {
		return func(_ *ad.Tape, in []ad.Var) ad.Var { return f(in) }
	}
	constMask := func(in []ad.Var) ad.Var { return in[0].Tape().Const(mask) }
	checkGradients(t, "LogitCrossEntropy", nil, []*tensor.Dense{logits, probs},
		tp(func(in []ad.Var) ad.Var { return LogitCrossEntropy(in[0], in[1]) }), 1e-7)
	checkGradients(t, "MSE", nil, []*tensor.Dense{a, b},
		tp(func(in []ad.Var) ad.Var { return MSE(in[0], in[1]) }), 1e-7)
	checkGradients(t, "MaskedMSE", nil, []*tensor.Dense{a, b},
		tp(func(in []ad.Var) ad.Var { return MaskedMSE(in[0], in[1], constMask(in)) }), 1e-7)
	checkGradients(t, "GaussianLogLikelihood", nil, []*tensor.Dense{a, b},
		tp(func(in []ad.Var) ad.Var { return GaussianLogLikelihood(in[0], in[1], constMask(in), 0.7) }), 1e-7)
	checkGradients(t, "KLStdNormal", nil, []*tensor.Dense{a, b},
		tp(func(in []ad.Var) ad.Var { return KLStdNormal(in[0], in[1]) }), 1e-7)
}

func TestAccuracy(t *testing.T) {
	logits := tensor.FromSlice(4, 3, []float64{
		0.1, 0.7, 0.2, // 1
		2, 2, 1, // tie: first, 0
		-1, -3, -0.5, // 2
		math.NaN(), 0, 1, // 2
	})
	labels := []uint8{1, 0, 0, 2}
	if n := Correct(logits, labels); n != 3 {
		t.Errorf("Correct = %d, want 3", n)
	}
	if a := Accuracy(logits, labels); a != 0.75 {
		t.Errorf("Accuracy = %v, want 0.75", a)
	}
	if Argmax(nil) != -1 || Argmax([]float64{math.NaN(), math.NaN()}) != 0 {
		t.Error("Argmax of empty or all-NaN rows")
	}
}
