package nn_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/tensor"
)

// trainer runs classification steps of a model with an optimizer.
type trainer struct {
	tp    *ad.Tape
	model nn.Layer
	ps    []*ad.Param
	opt   optim.Optimizer
}

func newTrainer(model nn.Layer, opt optim.Optimizer) *trainer {
	return &trainer{tp: ad.NewTape(), model: model, ps: model.Params(), opt: opt}
}

// step records the mean logit cross-entropy of the batch, back-propagates and
// updates the parameters; it returns the loss.
func (tr *trainer) step(x, y *tensor.Dense) float64 {
	tr.tp.Reset()
	loss := nn.LogitCrossEntropy(tr.model.Forward(tr.tp.Const(x)), tr.tp.Const(y))
	nn.ZeroGrad(tr.ps)
	tr.tp.Backward(loss)
	tr.opt.Step(tr.ps)
	return loss.Scalar()
}

// syntheticBatch returns batch k of a fixed 4-class problem: 8 features,
// class = quadrant of (x0 + x1^2, x2 - x3), drawn from a stream keyed by k.
func syntheticBatch(k, n int) (*tensor.Dense, *tensor.Dense) {
	rng := rand.New(rand.NewPCG(77, uint64(k)))
	x, y := tensor.New(n, 8), tensor.New(n, 4)
	for i := range n {
		r := x.Row(i)
		for j := range r {
			r[j] = 2*rng.Float64() - 1
		}
		c := 0
		if r[0]+r[1]*r[1] > 0.3 {
			c++
		}
		if r[2]-r[3] > 0 {
			c += 2
		}
		y.Set(i, c, 1)
	}
	return x, y
}

func optimizers() map[string]func() optim.Optimizer {
	return map[string]func() optim.Optimizer{
		"Momentum":  func() optim.Optimizer { return optim.NewMomentum(optim.InverseDecay(0.1, 1e-2), 0.9) },
		"Adam":      func() optim.Optimizer { return optim.NewAdam(optim.InverseDecay(0.01, 1e-2)) },
		"AdaBelief": func() optim.Optimizer { return optim.NewAdaBelief(optim.Constant(0.01)) },
		"Adamax":    func() optim.Optimizer { return optim.NewAdamax(optim.InverseDecay(0.01, 1e-5)) },
	}
}

// TestResumeIsBitIdentical trains 40 steps without stopping, and 20 steps,
// then saves the model and the optimizer state to files, loads both into new
// values and trains 20 more: the parameters must agree bit for bit.
func TestResumeIsBitIdentical(t *testing.T) {
	const steps, batch = 40, 32
	newModel := func() nn.Layer {
		rng := rand.New(rand.NewPCG(1999, 0))
		return nn.NewChain(nn.NewDense(8, 16, nn.Tanh, rng), nn.NewTimeDense(16, 16, nn.Softplus, rng), nn.NewDense(16, 4, nn.Identity, rng))
	}
	for name, newOpt := range optimizers() {
		t.Run(name, func(t *testing.T) {
			straight := newTrainer(newModel(), newOpt())
			var first, last float64
			for k := range steps {
				l := straight.step(syntheticBatch(k, batch))
				if k == 0 {
					first = l
				}
				last = l
			}
			if !(last < first) {
				t.Errorf("loss went from %.4f to %.4f: not training", first, last)
			}

			dir := t.TempDir()
			half := newTrainer(newModel(), newOpt())
			for k := range steps / 2 {
				half.step(syntheticBatch(k, batch))
			}
			modelPath, statePath := filepath.Join(dir, "model.wb"), filepath.Join(dir, "opt.state")
			if err := nn.Save(modelPath, half.model); err != nil {
				t.Fatal(err)
			}
			state, err := half.opt.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(statePath, state, 0o644); err != nil {
				t.Fatal(err)
			}

			m, err := nn.Load(modelPath)
			if err != nil {
				t.Fatal(err)
			}
			opt := newOpt()
			data, err := os.ReadFile(statePath)
			if err != nil {
				t.Fatal(err)
			}
			if err := opt.UnmarshalBinary(data); err != nil {
				t.Fatal(err)
			}
			resumed := newTrainer(m.(nn.Layer), opt)
			for k := steps / 2; k < steps; k++ {
				resumed.step(syntheticBatch(k, batch))
			}
			want, got := nn.Flatten(straight.ps).CopyTo(nil), nn.Flatten(resumed.ps).CopyTo(nil)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("parameter value %d: resumed %.17g, uninterrupted %.17g", i, got[i], want[i])
				}
			}
		})
	}
}

// TestMNISTDenseClassifier trains the 784 -> 100 tanh -> 10 classifier for
// one epoch of the real MNIST training set with Momentum (lr 0.1, rho 0.9,
// batch 100) and requires at least 90% accuracy on the 10000 test images.
func TestMNISTDenseClassifier(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST for one epoch")
	}
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := mnist.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 100
	d := ds.Train.Dim()
	rng := rand.New(rand.NewPCG(1999, 0))
	model := nn.NewChain(nn.NewDense(d, 100, nn.Tanh, rng), nn.NewDense(100, mnist.NumClasses, nn.Identity, rng))
	tr := newTrainer(model, optim.NewMomentum(optim.Constant(0.1), 0.9))

	b := mnist.NewBatcher(ds.Train, batch, 1999, true)
	x, y := tensor.New(batch, d), tensor.New(batch, mnist.NumClasses)
	labels := make([]uint8, batch)
	loss := 0.0
	for k := 0; b.Next(x.Data, labels) == batch; k++ {
		mnist.OneHot(y.Data, labels, mnist.NumClasses)
		l := tr.step(x, y)
		if math.IsNaN(l) {
			t.Fatalf("loss is NaN at step %d", k)
		}
		loss = 0.98*loss + 0.02*l
	}

	correct := 0
	tp := ad.NewTape()
	const chunk = 1000
	for lo := 0; lo < ds.Test.N; lo += chunk {
		hi := min(lo+chunk, ds.Test.N)
		tp.Reset()
		xt := tensor.FromSlice(hi-lo, d, ds.Test.Images[lo*d:hi*d])
		correct += nn.Correct(model.Forward(tp.Const(xt)).Value(), ds.Test.Labels[lo:hi])
	}
	acc := float64(correct) / float64(ds.Test.N)
	t.Logf("one epoch (%d steps): smoothed training loss %.4f, test accuracy %.2f%%", b.Batches(), loss, 100*acc)
	if acc < 0.90 {
		t.Fatalf("test accuracy %.2f%% after one epoch, want at least 90%%", 100*acc)
	}
}
