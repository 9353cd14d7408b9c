package mnistnsde

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/sde"
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

// userSys returns the process's user and system CPU time in seconds.
func userSys() (float64, float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return float64(ru.Utime.Nano()) / 1e9, float64(ru.Stime.Nano()) / 1e9
}

// iterCost is the measurement of one training iteration in
// BenchmarkRegularizationCost, split into its forward half (embedding and
// solve) and its backward half (head, discrete adjoint, embedding
// backward). Times are in seconds.
type iterCost struct {
	fwdWall, fwdUser, fwdSys float64
	bwdWall, bwdUser, bwdSys float64
	fwdAllocs, bwdAllocs     uint64 // heap objects
	fwdBytes, bwdBytes       uint64
	fwdDrift, fwdDiff        int
	bwdDrift, bwdDiff        int
	accepted, rejected       int
}

func (c iterCost) fwdNFE() float64 { return float64(c.fwdDrift + c.fwdDiff) }
func (c iterCost) bwdNFE() float64 { return float64(c.bwdDrift + c.bwdDiff) }

// cpuPerNFE is the iteration's CPU time per forward NFE, the measure by
// which the training runs' times were compared.
func (c iterCost) cpuPerNFE() float64 {
	return (c.fwdUser + c.fwdSys + c.bwdUser + c.bwdSys) / c.fwdNFE()
}

// regIteration is m.gradient (without the optimizer step, so the weights
// stay as they are) timed in two halves, with its heap allocations
// counted.
func regIteration(b *testing.B, m *Model, x, y *tensor.Dense, opts *sde.Options, reg ode.Regularization, tpE, tpH *ad.Tape) iterCost {
	var ms0, ms1, ms2 runtime.MemStats
	variant := "vanilla"
	if reg.Error != 0 {
		variant = "error"
	}
	// Every iteration starts from a collected heap, so that a collection
	// (and the page faults of the memory it frees) does not land in
	// one variant more than the other.
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	w0 := time.Now()
	u0, s0 := userSys()
	var z0 ad.Var
	var sol *sde.Solution
	// The labels split a CPU profile by variant and half
	// (go tool pprof -tagfocus phase=backward -tagignore variant=vanilla).
	pprof.Do(context.Background(), pprof.Labels("variant", variant, "phase", "forward"), func(ctx context.Context) {
		tpE.Reset()
		z0 = m.Embed.Forward(tpE.Const(x))
		var err error
		if sol, err = sde.Solve(ctx, m.Problem(z0.Value().Clone()), opts); err != nil {
			b.Fatal(err)
		}
	})
	w1 := time.Now()
	u1, s1 := userSys()
	runtime.ReadMemStats(&ms1)
	pprof.Do(context.Background(), pprof.Labels("variant", variant, "phase", "backward"), func(ctx context.Context) {
		tpH.Reset()
		z1 := tpH.Leaf(sol.Z[0], true)
		loss := nn.LogitCrossEntropy(m.Head.Forward(z1), tpH.Const(y))
		tpH.Backward(loss)
		lam, err := sol.Backward(ctx, []*tensor.Dense{tpH.Grad(z1)}, reg)
		if err != nil {
			b.Fatal(err)
		}
		tpE.Seed(z0, lam.Data)
		tpE.Backward(ad.Var{})
		sol.Release()
	})
	w2 := time.Now()
	u2, s2 := userSys()
	runtime.ReadMemStats(&ms2)
	return iterCost{
		fwdWall: w1.Sub(w0).Seconds(), fwdUser: u1 - u0, fwdSys: s1 - s0,
		bwdWall: w2.Sub(w1).Seconds(), bwdUser: u2 - u1, bwdSys: s2 - s1,
		fwdAllocs: ms1.Mallocs - ms0.Mallocs, bwdAllocs: ms2.Mallocs - ms1.Mallocs,
		fwdBytes: ms1.TotalAlloc - ms0.TotalAlloc, bwdBytes: ms2.TotalAlloc - ms1.TotalAlloc,
		fwdDrift: sol.DriftNFE, fwdDiff: sol.DiffusionNFE,
		bwdDrift: sol.BackwardDriftNFE, bwdDiff: sol.BackwardDiffusionNFE,
		accepted: sol.Accepted, rejected: sol.Rejected,
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// BenchmarkRegularizationCost alternates, on the same weights (the freshly
// initialised model, seed 1999, not updated), batch (the first 512
// training images) and Brownian seed, a vanilla training iteration and an
// error-regularized one (10 * mean_j E_j |h_j|, the default protocol's
// coefficient): the solve options are the same and only the
// regularization weight differs, so the forward solves are identical and
// a difference in cost is the adjoint's. Each round runs both, in an order
// that alternates between rounds. Per variant it reports medians over the
// rounds of the CPU time (user plus system, getrusage) of the forward half
// per forward NFE and of the backward half per backward NFE (drift plus
// diffusion), the system time, NFE, accepted and rejected steps and the
// heap allocations of each half; err/van-cpu-per-NFE is the median over
// the rounds of the two iterations' ratio of CPU time per forward NFE.
// REGCOST_AA=1 runs vanilla in both slots (an A/A check of the method);
// REGCOST_TRACE=1 logs every iteration. ReadMemStats stops the world
// between the halves, so use -benchtime of a few iterations.
func BenchmarkRegularizationCost(b *testing.B) {
	m, x, y, _ := benchSetup(b)
	cfg := Config{Reg: train.Regularization{Method: train.Method{Error: true}}}.withDefaults()
	regE := cfg.Reg.At(0, cfg.Iterations)
	if regE.Error != DefaultErrorCoef || regE.Stiffness != 0 {
		b.Fatalf("error regularization is %+v", regE)
	}
	if os.Getenv("REGCOST_AA") != "" {
		regE = ode.Regularization{}
	}
	opts := cfg.solveOptions(1, true)
	tpE, tpH := ad.NewTape(), ad.NewTape()
	// Warm up the tape pools and the caches.
	regIteration(b, m, x, y, opts, regE, tpE, tpH)
	regIteration(b, m, x, y, opts, ode.Regularization{}, tpE, tpH)
	var costs [2][]iterCost // vanilla, error
	var ratios []float64
	trace := os.Getenv("REGCOST_TRACE") != ""
	round := 0
	for b.Loop() {
		var c [2]iterCost
		for k := range 2 {
			v := (k + round) % 2
			r := ode.Regularization{}
			if v == 1 {
				r = regE
			}
			c[v] = regIteration(b, m, x, y, opts, r, tpE, tpH)
			if trace {
				fmt.Fprintf(os.Stderr, "round %d variant %d: fwd %.1f ms (user %.1f sys %.1f), bwd %.1f ms (user %.1f sys %.1f)\n", round, v,
					c[v].fwdWall*1e3, c[v].fwdUser*1e3, c[v].fwdSys*1e3, c[v].bwdWall*1e3, c[v].bwdUser*1e3, c[v].bwdSys*1e3)
			}
		}
		costs[0] = append(costs[0], c[0])
		costs[1] = append(costs[1], c[1])
		ratios = append(ratios, c[1].cpuPerNFE()/c[0].cpuPerNFE())
		round++
	}
	for _, p := range m.Params() {
		p.Grad.Zero()
	}
	for v, name := range []string{"van", "err"} {
		cs := costs[v]
		get := func(f func(iterCost) float64) float64 {
			xs := make([]float64, len(cs))
			for i, c := range cs {
				xs[i] = f(c)
			}
			return median(xs)
		}
		b.ReportMetric(get(func(c iterCost) float64 { return (c.fwdUser + c.fwdSys) * 1e3 / c.fwdNFE() }), name+"-fwd-cpu-ms/NFE")
		b.ReportMetric(get(func(c iterCost) float64 { return (c.bwdUser + c.bwdSys) * 1e3 / c.bwdNFE() }), name+"-bwd-cpu-ms/bwdNFE")
		b.ReportMetric(get(func(c iterCost) float64 { return (c.fwdSys + c.bwdSys) * 1e3 }), name+"-sys-ms")
		b.ReportMetric(get(func(c iterCost) float64 { return c.cpuPerNFE() * 1e3 }), name+"-cpu-ms/NFE")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.fwdDrift) }), name+"-fwd-driftNFE")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.bwdDrift) }), name+"-bwd-driftNFE")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.accepted) }), name+"-accepted")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.rejected) }), name+"-rejected")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.fwdAllocs) }), name+"-fwd-allocs")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.bwdAllocs) }), name+"-bwd-allocs")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.fwdBytes) / 1e6 }), name+"-fwd-MB")
		b.ReportMetric(get(func(c iterCost) float64 { return float64(c.bwdBytes) / 1e6 }), name+"-bwd-MB")
	}
	b.ReportMetric(median(ratios), "err/van-cpu-per-NFE")
}

// BenchmarkRegularizedTraining trains a vanilla run and an error run (the
// default protocol, seed 1999, evaluations reduced to a token 8-image
// prediction and 64 test images, outside the timings) side by side,
// alternating their iterations (in an order that alternates too), so that
// both are timed at the same machine load: b.N iterations each. It
// reports each run's CPU time (user plus system) per forward NFE (drift
// plus diffusion) over the whole run, their ratio, and the mean forward
// drift NFE and accepted and rejected steps per iteration. Then it times
// both variants of an iteration on each run's trained weights (four
// rounds of BenchmarkRegularizationCost's alternation, on the first 512
// training images): trained/... is the error iteration's CPU time per
// forward NFE over the vanilla iteration's on the same weights.
// REGCOST_TRACE=1 logs every iteration to standard error.
func BenchmarkRegularizedTraining(b *testing.B) {
	ds, err := LoadData("")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var runs [2]*run
	for v, method := range []train.Method{{}, {Error: true}} {
		cfg := Config{Seed: 1999, Iterations: b.N, Reg: train.Regularization{Method: method},
			PredictImages: 8, TestSubset: 64, Trajectories: 1, EvalEvery: b.N}.withDefaults()
		if err := cfg.validate(); err != nil {
			b.Fatal(err)
		}
		if runs[v], err = newRun(cfg, ds); err != nil {
			b.Fatal(err)
		}
		if err := runs[v].evaluate(ctx, 0); err != nil {
			b.Fatal(err)
		}
	}
	trace := os.Getenv("REGCOST_TRACE") != ""
	var cpu [2]float64
	it := 0
	for b.Loop() {
		for k := range 2 {
			v := (k + it) % 2
			u0, s0 := userSys()
			if _, err := runs[v].step(ctx, it, nil); err != nil {
				b.Fatal(err)
			}
			u1, s1 := userSys()
			cpu[v] += u1 - u0 + s1 - s0
			if trace {
				m := runs[v].its[it]
				fmt.Fprintf(os.Stderr, "iteration %d variant %d: cpu %.1f ms, wall %.1f ms, NFE %d+%d, backward %d, accepted %d, rejected %d\n",
					it, v, (u1-u0+s1-s0)*1e3, m.Time.Seconds()*1e3, m.DriftNFE, m.DiffusionNFE, m.BackwardNFE, m.Accepted, m.Rejected)
			}
		}
		it++
	}
	b.StopTimer()
	var perNFE [2]float64
	for v, name := range []string{"van", "err"} {
		var nfe, drift, acc, rej float64
		for _, m := range runs[v].its {
			if m.Failed {
				b.Fatalf("%s iteration %d failed: %s", name, m.Iteration, m.Err)
			}
			nfe += float64(m.DriftNFE + m.DiffusionNFE)
			drift += float64(m.DriftNFE)
			acc += float64(m.Accepted)
			rej += float64(m.Rejected)
		}
		n := float64(len(runs[v].its))
		perNFE[v] = cpu[v] / nfe
		b.ReportMetric(perNFE[v]*1e3, name+"-cpu-ms/NFE")
		b.ReportMetric(drift/n, name+"-driftNFE")
		b.ReportMetric(acc/n, name+"-accepted")
		b.ReportMetric(rej/n, name+"-rejected")
	}
	b.ReportMetric(perNFE[1]/perNFE[0], "err/van-cpu-per-NFE")
	// Both variants of an iteration on each run's trained weights.
	x := tensor.FromSlice(PaperBatch, Pixels, ds.Train.Images[:PaperBatch*Pixels])
	y := tensor.New(PaperBatch, Classes)
	mnist.OneHot(y.Data, ds.Train.Labels[:PaperBatch], Classes)
	regE := runs[1].cfg.Reg.At(0, runs[1].cfg.Iterations)
	tpE, tpH := ad.NewTape(), ad.NewTape()
	for v, name := range []string{"van", "err"} {
		m := runs[v].model
		opts := runs[v].cfg.solveOptions(1, true)
		var ratios []float64
		for round := range 4 {
			var c [2]iterCost
			for k := range 2 {
				w := (k + round) % 2
				r := ode.Regularization{}
				if w == 1 {
					r = regE
				}
				c[w] = regIteration(b, m, x, y, opts, r, tpE, tpH)
			}
			ratios = append(ratios, c[1].cpuPerNFE()/c[0].cpuPerNFE())
		}
		b.ReportMetric(median(ratios), "trained-"+name+"-weights:err/van-cpu-per-NFE")
	}
}

// BenchmarkAdjointRegularizationCost times the discrete adjoint alone: one
// forward solve (the setup of BenchmarkRegularizationCost), then per round
// its Backward without regularization and with the error regularizer
// (10 * mean_j E_j |h_j|), in an order that alternates between rounds.
// err/van-bwd-cpu is the median over the rounds of the two backward
// passes' CPU time ratio (user plus system); both replay the same accepted
// steps with the same backward NFE. REGCOST_AA=1 runs vanilla in both slots.
func BenchmarkAdjointRegularizationCost(b *testing.B) {
	m, x, y, _ := benchSetup(b)
	cfg := Config{Reg: train.Regularization{Method: train.Method{Error: true}}}.withDefaults()
	regE := cfg.Reg.At(0, cfg.Iterations)
	if os.Getenv("REGCOST_AA") != "" {
		regE = ode.Regularization{}
	}
	ctx := context.Background()
	tpE, tpH := ad.NewTape(), ad.NewTape()
	z0 := m.Embed.Forward(tpE.Const(x))
	sol, err := sde.Solve(ctx, m.Problem(z0.Value().Clone()), cfg.solveOptions(1, true))
	if err != nil {
		b.Fatal(err)
	}
	z1 := tpH.Leaf(sol.Z[0], true)
	tpH.Backward(nn.LogitCrossEntropy(m.Head.Forward(z1), tpH.Const(y)))
	dz := []*tensor.Dense{tpH.Grad(z1).Clone()}
	backward := func(r ode.Regularization) (float64, *tensor.Dense) {
		runtime.GC()
		u0, s0 := userSys()
		lam, err := sol.Backward(ctx, dz, r)
		if err != nil {
			b.Fatal(err)
		}
		u1, s1 := userSys()
		return u1 - u0 + s1 - s0, lam
	}
	backward(ode.Regularization{})
	backward(regE)
	var cost [2][]float64
	var rs []float64
	round := 0
	for b.Loop() {
		var c [2]float64
		for k := range 2 {
			v := (k + round) % 2
			r := ode.Regularization{}
			if v == 1 {
				r = regE
			}
			c[v], _ = backward(r)
			cost[v] = append(cost[v], c[v])
		}
		rs = append(rs, c[1]/c[0])
		round++
	}
	for _, p := range m.Params() {
		p.Grad.Zero()
	}
	steps := float64(sol.Accepted)
	b.ReportMetric(median(cost[0])*1e3/steps, "van-bwd-cpu-ms/step")
	b.ReportMetric(median(cost[1])*1e3/steps, "err-bwd-cpu-ms/step")
	b.ReportMetric(median(rs), "err/van-bwd-cpu")
	b.ReportMetric(steps, "accepted")
}
