package ad

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/tensor"
)

// timeDense records act([x t] * W + b) for W of shape (in+1) x out, without
// materialising [x t]: x*W[:in] + (b + t*W[in]).
func timeDense(x Var, t float64, w, b Var, act int) Var {
	in := x.Cols()
	bt := Add(b, Scale(SliceRows(w, in, in+1), t))
	return Dense(x, SliceRows(w, 0, in), bt, act)
}

// BenchmarkMNISTDynamics times forward + backward (gradients for the input
// and all parameters) of the MNIST neural-ODE dynamics of the paper:
// [x t] -> Dense(785,100,tanh) -> [h t] -> Dense(101,784,tanh), batch 512.
// GFLOP/s counts 3x the forward matrix-product FLOPs (2mnk each).
// DGEMM-GFLOP/s is the rate of BenchmarkDGEMM's 512x785 by 785x100 product
// (tensor.MatMul) timed in the same loop, and %DGEMM the ratio of the two.
func BenchmarkMNISTDynamics(b *testing.B) {
	const batch, in, hid = 512, 784, 100
	rng := rand.New(rand.NewPCG(1999, 1))
	w1, b1 := NewParam("w1", in+1, hid), NewParam("b1", 1, hid)
	w2, b2 := NewParam("w2", hid+1, in), NewParam("b2", 1, in)
	for _, p := range []*Param{w1, w2} {
		for i := range p.Value.Data {
			p.Value.Data[i] = 0.05 * (2*rng.Float64() - 1)
		}
	}
	x := tensor.New(batch, in)
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	g := tensor.New(batch, in)
	for i := range g.Data {
		g.Data[i] = 2*rng.Float64() - 1
	}
	tp := NewTape()
	step := func() {
		tp.Reset()
		xv := tp.Leaf(x, true)
		h := timeDense(xv, 0.5, tp.Param(w1), tp.Param(b1), ActTanh)
		y := timeDense(h, 0.5, tp.Param(w2), tp.Param(b2), ActTanh)
		tp.Seed(y, g.Data)
		tp.Backward(Var{})
	}
	// The 512x785 by 785x100 product of BenchmarkDGEMM, interleaved with
	// the dynamics so that both rates are measured under the same load.
	ga := tensor.New(batch, in+1)
	gc := tensor.New(batch, hid)
	for i := range ga.Data {
		ga.Data[i] = rng.Float64()
	}
	gemm := func() { tensor.MatMul(gc, 1, ga, false, w1.Value, false, 0) }
	step()
	gemm()
	flops := 3 * 2 * float64(batch*in*hid+batch*(hid+1)*in)
	gemmFlops := 2 * float64(batch*(in+1)*hid)
	var tDyn, tGemm time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		step()
		t1 := time.Now()
		gemm()
		tDyn += t1.Sub(t0)
		tGemm += time.Since(t1)
	}
	dyn := flops * float64(b.N) / tDyn.Seconds() / 1e9
	dg := gemmFlops * float64(b.N) / tGemm.Seconds() / 1e9
	b.ReportMetric(dyn, "GFLOP/s")
	b.ReportMetric(dg, "DGEMM-GFLOP/s")
	b.ReportMetric(100*dyn/dg, "%DGEMM")
	b.ReportMetric(float64(tDyn.Microseconds())/1e3/float64(b.N), "ms/eval")
}
