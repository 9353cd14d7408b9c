package nn

import (
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// BenchmarkClassifierStep times forward and backward of the MNIST dense
// classifier 784 -> 100 tanh -> 10 with logit cross-entropy at batch 100
// (the optimizer step is in package optim's benchmarks).
func BenchmarkClassifierStep(b *testing.B) {
	rng := seeded(1)
	model := NewChain(NewDense(784, 100, Tanh, rng), NewDense(100, 10, Identity, rng))
	x := randDense(rng, 100, 784, 0, 1)
	y := tensor.New(100, 10)
	for i := range 100 {
		y.Set(i, i%10, 1)
	}
	ps := model.Params()
	tp := ad.NewTape()
	step := func() {
		tp.Reset()
		loss := LogitCrossEntropy(model.Forward(tp.Const(x)), tp.Const(y))
		ZeroGrad(ps)
		tp.Backward(loss)
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// BenchmarkMNISTDynamics times forward and backward of the MNIST neural-ODE
// dynamics Chain(TimeDense(784,100,tanh), TimeDense(100,784,tanh)) at batch
// 512, the same computation as package ad's BenchmarkMNISTDynamics.
func BenchmarkMNISTDynamics(b *testing.B) {
	rng := seeded(1)
	dyn := NewChain(NewTimeDense(784, 100, Tanh, rng), NewTimeDense(100, 784, Tanh, rng))
	x := randDense(rng, 512, 784, 0, 1)
	g := randDense(rng, 512, 784, -1, 1)
	tp := ad.NewTape()
	step := func() {
		tp.Reset()
		xv := tp.Leaf(x, true)
		tp.Seed(dyn.ForwardT(xv, 0.5), g.Data)
		tp.Backward(ad.Var{})
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// BenchmarkGRUStep times forward and backward of one step of the latent-ODE
// encoder cell: input 75 (37 values, 37 mask bits, dt), state 50, batch 512.
func BenchmarkGRUStep(b *testing.B) {
	rng := seeded(1)
	cell := NewGRU(75, 50, rng)
	x := randDense(rng, 512, 75, -1, 1)
	h := randDense(rng, 512, 50, -1, 1)
	tp := ad.NewTape()
	step := func() {
		tp.Reset()
		tp.Backward(ad.Sum(cell.Step(tp.Const(x), tp.Leaf(h, true))))
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// BenchmarkMarshal encodes the MNIST classifier (79510 parameters).
func BenchmarkMarshal(b *testing.B) {
	rng := seeded(1)
	model := NewChain(NewDense(784, 100, Tanh, rng), NewDense(100, 10, Identity, rng))
	data, _ := Marshal(model)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(model); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshal decodes the MNIST classifier.
func BenchmarkUnmarshal(b *testing.B) {
	rng := seeded(1)
	data, _ := Marshal(NewChain(NewDense(784, 100, Tanh, rng), NewDense(100, 10, Identity, rng)))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
