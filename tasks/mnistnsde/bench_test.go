package mnistnsde

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// cpuTime returns the process's user plus system CPU time in seconds (all
// threads): on a machine shared with other work the wall time per
// operation measures the share the process got, the CPU time the work.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchSetup returns a freshly initialised model (seed 1999), the first 512
// training images and their one-hot labels.
func benchSetup(b *testing.B) (*Model, *tensor.Dense, *tensor.Dense, []uint8) {
	ds, err := LoadData("")
	if err != nil {
		b.Fatal(err)
	}
	m := NewModel(rand.New(rand.NewPCG(1999, 0x6e5de)))
	x := tensor.FromSlice(PaperBatch, Pixels, ds.Train.Images[:PaperBatch*Pixels])
	labels := ds.Train.Labels[:PaperBatch]
	y := tensor.New(PaperBatch, Classes)
	mnist.OneHot(y.Data, labels, Classes)
	return m, x, y, labels
}

// BenchmarkTrainingIteration is one training iteration of the default
// protocol with the error regularizer: embedding, a forward SOSRI solve of
// 512 trajectories (512 x 32 state, rtol = atol = 0.14, noise kept for the
// adjoint), head and cross-entropy, the discrete adjoint with R_E, the
// embedding's backward pass and an Adam step. Every iteration solves with
// the same Brownian seed; ms/NFE divides the time by the forward NFE
// (drift plus diffusion), cpu-ms/op is the CPU time (all threads) per
// iteration.
func BenchmarkTrainingIteration(b *testing.B) {
	m, x, y, labels := benchSetup(b)
	params := m.Params()
	opt := optim.NewAdam(optim.Constant(1e-5))
	cfg := Config{Reg: train.Regularization{Method: train.Method{Error: true}}}.withDefaults()
	reg := cfg.Reg.At(0, cfg.Iterations)
	opts := cfg.solveOptions(1, true)
	tpE, tpH := ad.NewTape(), ad.NewTape()
	nfe, drift := 0, 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		for _, p := range params {
			p.Grad.Zero()
		}
		im, err := m.gradient(context.Background(), x, y, labels, opts, reg, tpE, tpH)
		if err != nil {
			b.Fatal(err)
		}
		opt.Step(params)
		nfe += im.DriftNFE + im.DiffusionNFE
		drift += im.DriftNFE
	}
	b.ReportMetric((cpuTime()-cpu0)*1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(nfe), "ms/NFE")
	b.ReportMetric(float64(drift)/float64(b.N), "driftNFE")
}

// BenchmarkPrediction is one prediction of the fixed batch: the first 512
// training images with 10 trajectories each, one SOSRI solve of a 5120 x 32
// state without gradients, and the mean logits. ms/NFE divides the time by
// the NFE (drift plus diffusion), cpu-ms/op is the CPU time (all threads)
// per prediction.
func BenchmarkPrediction(b *testing.B) {
	m, x, _, _ := benchSetup(b)
	opts := Config{}.withDefaults().solveOptions(DefaultPredictSeed, false)
	nfe, drift := 0, 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		p, err := m.Predict(context.Background(), x, DefaultTrajectories, opts)
		if err != nil {
			b.Fatal(err)
		}
		nfe += p.DriftNFE + p.DiffusionNFE
		drift += p.DriftNFE
	}
	b.ReportMetric((cpuTime()-cpu0)*1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(nfe), "ms/NFE")
	b.ReportMetric(float64(drift)/float64(b.N), "driftNFE")
}
