package mnistnsde

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tensor"
)

var (
	dataMu    sync.Mutex
	dataCache = map[string]*mnist.Dataset{}
)

// LoadData reads the MNIST files in dir ("": mnist.DefaultDir, the
// GoMNIST module in the Go module cache), once per process and directory.
func LoadData(dir string) (*mnist.Dataset, error) {
	if dir == "" {
		d, err := mnist.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	dataMu.Lock()
	defer dataMu.Unlock()
	if ds := dataCache[dir]; ds != nil {
		return ds, nil
	}
	ds, err := mnist.Load(dir)
	if err != nil {
		return nil, err
	}
	dataCache[dir] = ds
	return ds, nil
}

// Prediction is the result of classifying images with k trajectories
// each.
type Prediction struct {
	// Logits are the per-trajectory logits ((k*n) x 10, trajectory j of
	// image i in row j*n + i) and Mean their mean over the trajectories
	// (n x 10).
	Logits, Mean *tensor.Dense
	// DriftNFE, DiffusionNFE, Accepted and Rejected are the solve's.
	DriftNFE, DiffusionNFE, Accepted, Rejected int
	// Time is the wall time of the whole prediction (embedding, solve,
	// head).
	Time time.Duration
}

// Predict classifies the images x (n x 784) with k trajectories each, as
// one batched SDE solve of k*n rows without gradients, with the given
// options.
func (m *Model) Predict(ctx context.Context, x *tensor.Dense, k int, opts *sde.Options) (*Prediction, error) {
	if x.Cols != Pixels {
		panic(fmt.Sprintf("mnistnsde: Predict of %s images, want n x %d", x.Shape(), Pixels))
	}
	start := time.Now()
	tp := ad.GetTape()
	defer ad.PutTape(tp)
	z0 := Replicate(m.Embed.Forward(tp.Const(x)).Value(), k)
	sol, err := sde.Solve(ctx, m.Problem(z0), opts)
	if err != nil {
		return nil, fmt.Errorf("mnistnsde: prediction solve: %w", err)
	}
	tp.Reset()
	logits := m.Head.Forward(tp.Const(sol.Z[0])).Value().Clone()
	p := &Prediction{Logits: logits, Mean: MeanLogits(logits, k),
		DriftNFE: sol.DriftNFE, DiffusionNFE: sol.DiffusionNFE, Accepted: sol.Accepted, Rejected: sol.Rejected}
	p.Time = time.Since(start)
	return p, nil
}

// PredictBatchOf predicts the fixed batch: the first cfg.PredictImages
// images of set (the training split) in storage order, with cfg's trajectories,
// solver and tolerance and the Brownian seed PredictSeed.
func PredictBatchOf(ctx context.Context, m *Model, set *mnist.Set, cfg Config) (*Prediction, error) {
	n := min(cfg.withDefaults().PredictImages, set.N)
	x := tensor.FromSlice(n, Pixels, set.Images[:n*Pixels])
	return m.Predict(ctx, x, cfg.Trajectories, cfg.solveOptions(cfg.PredictSeed, false))
}

// Accuracy is the evaluation of a model on a set of images.
type Accuracy struct {
	// Accuracy is the fraction classified correctly by the mean logits of
	// the trajectories; Loss the cross-entropy of the mean logits.
	Accuracy, Loss float64
	// DriftNFE and DiffusionNFE are the means over the solves (one per
	// EvalChunk images).
	DriftNFE, DiffusionNFE float64
	// Spread and SpreadLabels are the per-trajectory logits and labels of
	// the first images, when asked for.
	Spread       [][][]float64
	SpreadLabels []int
}

// Evaluate classifies every image of set with cfg's trajectories, one solve
// per EvalChunk images (chunk c with the Brownian seed derived from
// PredictSeed and c), and keeps the per-trajectory logits of the first
// spread images.
func Evaluate(ctx context.Context, m *Model, set *mnist.Set, cfg Config, spread int) (*Accuracy, error) {
	if set.N == 0 {
		return nil, fmt.Errorf("mnistnsde: no images to evaluate")
	}
	cfg = cfg.withDefaults()
	k := cfg.Trajectories
	out := &Accuracy{}
	correct := 0
	chunks := 0
	for lo := 0; lo < set.N; lo += EvalChunk {
		hi := min(lo+EvalChunk, set.N)
		n := hi - lo
		x := tensor.FromSlice(n, Pixels, set.Images[lo*Pixels:hi*Pixels])
		p, err := m.Predict(ctx, x, k, cfg.solveOptions(mixSeed(cfg.PredictSeed, uint64(chunks+1)), false))
		if err != nil {
			return nil, err
		}
		labels := set.Labels[lo:hi]
		correct += nn.Correct(p.Mean, labels)
		for i, l := range labels {
			row := p.Mean.Data[i*Classes : (i+1)*Classes]
			out.Loss -= logSoftmaxAt(row, int(l))
		}
		out.DriftNFE += float64(p.DriftNFE)
		out.DiffusionNFE += float64(p.DiffusionNFE)
		for i := 0; i < n && lo+i < spread; i++ {
			traj := make([][]float64, k)
			for j := range k {
				r := j*n + i
				traj[j] = append([]float64(nil), p.Logits.Data[r*Classes:(r+1)*Classes]...)
			}
			out.Spread = append(out.Spread, traj)
			out.SpreadLabels = append(out.SpreadLabels, int(labels[i]))
		}
		chunks++
	}
	out.Accuracy = float64(correct) / float64(set.N)
	out.Loss /= float64(set.N)
	out.DriftNFE /= float64(chunks)
	out.DiffusionNFE /= float64(chunks)
	return out, nil
}

// logSoftmaxAt returns log softmax(row)[c].
func logSoftmaxAt(row []float64, c int) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(v - mx)
	}
	return row[c] - mx - math.Log(s)
}
