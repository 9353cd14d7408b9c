package mnistnode

import (
	"context"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// BenchmarkTrainIteration times one whole training iteration of the paper's
// protocol (batch 512 of real MNIST, Tsit5 at 1.4e-8, vanilla: the batch
// copy, the forward solve with checkpoints, the head and its loss, the
// discrete adjoint, the Momentum step) and, alternating with it on the same
// batch and weights, the solve plus discrete adjoint alone (what
// ode.BenchmarkMNISTSolveGradientInput measures), each per forward NFE.
// iter-ms/NFE over solve-ms/NFE is the overhead ratio of the training loop.
//
//	go test -run XXX -bench TrainIteration -benchtime 3x ./tasks/mnistnode
func BenchmarkTrainIteration(b *testing.B) {
	d, err := LoadData("")
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRun(Config{Seed: 1999, Batch: 512, Tol: 1.4e-8, EpochIters: 1 << 20}, d)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	x := rows(d.Train, 0, 512)
	yh := tensor.New(512, Classes)
	mnist.OneHot(yh.Data, d.Train.Labels[:512], Classes)
	opts := &ode.Options{RTol: 1.4e-8, ATol: 1.4e-8, Adjoint: true}
	// The loss cotangent of the initial model, a fixed input of the solve
	// alone (its values do not change the work).
	sol, err := ode.Solve(ctx, r.model.problem(x, T), &ode.Options{RTol: 1.4e-8, ATol: 1.4e-8})
	if err != nil {
		b.Fatal(err)
	}
	tp := ad.NewTape()
	z1 := tp.Leaf(sol.Z[len(sol.Z)-1], true)
	tp.Backward(nn.LogitCrossEntropy(r.model.Head.Forward(z1), tp.Const(yh)))
	dz := []*tensor.Dense{tp.Grad(z1).Clone()}
	solveAlone := func() int {
		sol, err := ode.Solve(ctx, r.model.problem(x, T), opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sol.Backward(ctx, dz, ode.Regularization{}); err != nil {
			b.Fatal(err)
		}
		sol.Release()
		return sol.NFE
	}
	var iterT, solveT time.Duration
	iterNFE, solveNFE := 0, 0
	it := 1
	for b.Loop() {
		t0 := time.Now()
		m, err := r.Step(ctx, it, train.IterationRNG(1999, it))
		iterT += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		iterNFE += m.NFE
		it++
		t0 = time.Now()
		solveNFE += solveAlone()
		solveT += time.Since(t0)
	}
	iterMs := iterT.Seconds() * 1e3 / float64(iterNFE)
	solveMs := solveT.Seconds() * 1e3 / float64(solveNFE)
	b.ReportMetric(iterMs, "iter-ms/NFE")
	b.ReportMetric(solveMs, "solve-ms/NFE")
	b.ReportMetric(iterMs/solveMs, "iter/solve")
	b.ReportMetric(float64(iterNFE)/float64(b.N), "NFE")
}
