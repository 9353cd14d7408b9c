package nn

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

func sameShape(op string, a, b ad.Var) {
	if a.Rows() != b.Rows() || a.Cols() != b.Cols() {
		panic(fmt.Sprintf("nn: %s: shape mismatch %dx%d vs %dx%d", op, a.Rows(), a.Cols(), b.Rows(), b.Cols()))
	}
}

// LogitCrossEntropy returns the 1x1 mean over the batch (rows) of
// -sum_j y_j log softmax(logits)_j, for targets y of the logits' shape (one-hot
// rows, or any probability rows). This is Flux's logitcrossentropy: softmax
// and logarithm are fused (ad.LogSoftmax), stable for large logits.
func LogitCrossEntropy(logits, targets ad.Var) ad.Var {
	sameShape("LogitCrossEntropy", logits, targets)
	s := ad.Sum(ad.Mul(ad.LogSoftmax(logits), targets))
	return ad.Scale(s, -1/float64(logits.Rows()))
}

// MSE returns the 1x1 mean of (pred - target)^2 over all elements.
func MSE(pred, target ad.Var) ad.Var {
	sameShape("MSE", pred, target)
	return ad.Mean(ad.Square(ad.Sub(pred, target)))
}

// MaskedMSE returns sum(mask .* (pred - target)^2) / sum(mask): the mean
// squared error over the observed entries (mask 1) only, the metric the paper
// reports for PhysioNet. The mask is data: no gradient flows to it. With no
// observed entry the result is 0.
func MaskedMSE(pred, target, mask ad.Var) ad.Var {
	sameShape("MaskedMSE", pred, target)
	sameShape("MaskedMSE", pred, mask)
	s := ad.Sum(ad.Mul(mask, ad.Square(ad.Sub(pred, target))))
	n := sumOf(mask.Value())
	if n == 0 {
		return ad.Scale(s, 0)
	}
	return ad.Scale(s, 1/n)
}

func sumOf(d *tensor.Dense) float64 {
	s := 0.0
	for _, v := range d.Data {
		s += v
	}
	return s
}

// GaussianLogLikelihood returns the 1x1 log-likelihood of target under
// N(pred, sigma^2) for every entry with mask 1, summed over the entries of a
// row (sample) and averaged over the rows:
//
//	(1/rows) * sum_ij mask_ij * ( -(target_ij - pred_ij)^2 / (2 sigma^2) - log(2 pi sigma^2)/2 )
//
// sigma is fixed (0.01 in the latent-ODE experiment). A zero (invalid) mask
// Var means every entry is observed. The mask is data: no gradient flows to
// it. Training maximises it, that is minimises its negative.
func GaussianLogLikelihood(pred, target, mask ad.Var, sigma float64) ad.Var {
	sameShape("GaussianLogLikelihood", pred, target)
	if !(sigma > 0) {
		panic(fmt.Sprintf("nn: GaussianLogLikelihood: sigma %v, want > 0", sigma))
	}
	sq := ad.Square(ad.Sub(target, pred))
	n := float64(pred.Rows() * pred.Cols())
	if mask.Valid() {
		sameShape("GaussianLogLikelihood", pred, mask)
		sq = ad.Mul(mask, sq)
		n = sumOf(mask.Value())
	}
	rows := float64(pred.Rows())
	ll := ad.Scale(ad.Sum(sq), -1/(2*sigma*sigma*rows))
	return ad.AddScalar(ll, -0.5*math.Log(2*math.Pi*sigma*sigma)*n/rows)
}

// KLStdNormal returns the 1x1 Kullback-Leibler divergence
// KL(N(mu, sigma^2) || N(0, I)) of a diagonal Gaussian given by its mean mu
// and log-variance logVar = log sigma^2 (rows are samples), summed over the
// features and averaged over the rows:
//
//	(1/rows) * sum_ij (exp(logVar_ij) + mu_ij^2 - 1 - logVar_ij) / 2
func KLStdNormal(mu, logVar ad.Var) ad.Var {
	sameShape("KLStdNormal", mu, logVar)
	s := ad.Sum(ad.Sub(ad.Add(ad.Exp(logVar), ad.Square(mu)), logVar))
	n := float64(mu.Rows() * mu.Cols())
	return ad.Scale(ad.AddScalar(s, -n), 0.5/float64(mu.Rows()))
}

// Argmax returns the index of the largest value of row (the first one on
// ties, -1 for an empty row). NaN compares as smaller than everything.
func Argmax(row []float64) int {
	best := -1
	for j, v := range row {
		if best < 0 || v > row[best] || (math.IsNaN(row[best]) && !math.IsNaN(v)) {
			best = j
		}
	}
	return best
}

// Correct returns how many rows of logits have their largest value at the
// column given by labels. It panics unless len(labels) == logits.Rows.
func Correct(logits *tensor.Dense, labels []uint8) int {
	if len(labels) != logits.Rows {
		panic(fmt.Sprintf("nn: Correct: %d labels for %s logits", len(labels), logits.Shape()))
	}
	n := 0
	for i, l := range labels {
		if Argmax(logits.Row(i)) == int(l) {
			n++
		}
	}
	return n
}

// Accuracy returns Correct(logits, labels) / len(labels) (0 for no labels).
func Accuracy(logits *tensor.Dense, labels []uint8) float64 {
	if len(labels) == 0 {
		return 0
	}
	return float64(Correct(logits, labels)) / float64(len(labels))
}
