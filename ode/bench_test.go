package ode

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/tensor"
)

func spiralSaves() []float64 {
	s := make([]float64, 30)
	for i := range s {
		s[i] = 1.5 * float64(i) / 29
	}
	return s
}

// BenchmarkSpiralGradient: one forward solve plus the discrete adjoint of the
// spiral model (x -> x^3 -> Dense(2,50,tanh) -> Dense(50,2)), 30 saves on
// [0, 1.5], Tsit5, rtol = atol = 1e-6, fixed random weights. us/NFE divides
// the whole time by the forward NFE.
func BenchmarkSpiralGradient(b *testing.B) {
	f, params := spiralModel(1999)
	p := Problem{F: f, Z0: tensor.FromSlice(1, 2, []float64{2, 0}), T0: 0, T1: 1.5}
	opts := &Options{RTol: 1e-6, ATol: 1e-6, SaveAt: spiralSaves(), Adjoint: true}
	dz := make([]*tensor.Dense, 30)
	for i := range dz {
		dz[i] = tensor.FromSlice(1, 2, []float64{1, -1})
	}
	benchGradient(b, p, opts, dz, params, 1e3, "us/NFE")
}

func mnistSetup() (Problem, []*ad.Param) {
	f, params := mnistModel(1999, 784, 100)
	return mnistProblem(f, params), params
}

// mnistInputSetup is mnistSetup (the same weights and initial state) with
// the dynamics written for Problem.Input.
func mnistInputSetup() (Problem, []*ad.Param) {
	f, input, params := mnistInputModel(1999, 784, 100)
	p := mnistProblem(f, params)
	p.Input = input
	return p, params
}

func mnistProblem(f Func, params []*ad.Param) Problem {
	rng := rand.New(rand.NewPCG(1, 1))
	z0 := tensor.New(512, 784)
	for i := range z0.Data {
		z0.Data[i] = rng.Float64()
	}
	// Scale the weights to a typical initialisation (Glorot-like).
	for _, p := range params {
		tensor.Scale(p.Value.Data, 0.1/0.3, p.Value.Data)
	}
	return Problem{F: f, Z0: z0, T0: 0, T1: 1}
}

// productTimer times the two matrix products of one MNIST-dynamics
// evaluation at batch 512 (512x784 by 784x100, 512x100 by 100x784, with
// their bias fills), interleaved with a benchmark's solves so that both see
// the same machine speed: this VM's product rate varies over a day, and the
// ratio of a solve's time per NFE to the products' time varies much less.
type productTimer struct {
	x, w1, h, w2, y1, y2 *tensor.Dense
	total                time.Duration
	n                    int
}

// mnistProductFLOP is 2mnk summed over the two products.
const mnistProductFLOP = 2 * 2 * 512 * 784 * 100

// refProductRate is the OpenBLAS rate measured for these shapes on
// two cores of this machine class (94 GFLOP/s, OpenBLAS on two threads).
const refProductRate = 94e9

func newProductTimer() *productTimer {
	rng := rand.New(rand.NewPCG(2, 2))
	pt := &productTimer{x: tensor.New(512, 784), w1: tensor.New(784, 100), h: tensor.New(512, 100),
		w2: tensor.New(100, 784), y1: tensor.New(512, 100), y2: tensor.New(512, 784)}
	for _, d := range []*tensor.Dense{pt.x, pt.w1, pt.h, pt.w2} {
		copy(d.Data, gradcheck.RandLike(rng, d).Data)
	}
	return pt
}

func (pt *productTimer) run(reps int) {
	t0 := time.Now()
	for range reps {
		tensor.MatMulRow(pt.y1, pt.x, pt.w1, pt.w1.Row(0))
		tensor.MatMulRow(pt.y2, pt.h, pt.w2, pt.w2.Row(0))
	}
	pt.total += time.Since(t0)
	pt.n += reps
}

// report adds the products' time and rate, the solve's time per NFE as a
// multiple of it (x-products), and that multiple converted at a reference
// product rate (ms/NFE@94GF).
func (pt *productTimer) report(b *testing.B, solve time.Duration, nfe int) {
	perNFE := solve.Seconds() / float64(nfe)
	prod := pt.total.Seconds() / float64(pt.n)
	b.ReportMetric(perNFE*1e3, "ms/NFE")
	b.ReportMetric(float64(nfe)/float64(b.N), "NFE")
	b.ReportMetric(prod*1e3, "ms/products")
	b.ReportMetric(mnistProductFLOP/prod/1e9, "product-GFLOP/s")
	b.ReportMetric(perNFE/prod, "x-products")
	b.ReportMetric(perNFE/prod*mnistProductFLOP/refProductRate*1e3, "ms/NFE@94GF")
}

// BenchmarkMNISTSolveForward: the MNIST neural ODE of the paper (batch 512,
// Tsit5, 1.4e-8, random initial weights), forward solve only; see
// productTimer for the metrics beside ms/NFE.
func BenchmarkMNISTSolveForward(b *testing.B) {
	p, _ := mnistSetup()
	benchMNISTForward(b, p)
}

// BenchmarkMNISTSolveForwardInput is BenchmarkMNISTSolveForward with the
// dynamics written for Problem.Input (stage inputs formed as products with
// the first layer's weights).
func BenchmarkMNISTSolveForwardInput(b *testing.B) {
	p, _ := mnistInputSetup()
	benchMNISTForward(b, p)
}

func benchMNISTForward(b *testing.B, p Problem) {
	opts := &Options{RTol: 1.4e-8, ATol: 1.4e-8}
	benchWithProducts(b, func() int {
		sol, err := Solve(context.Background(), p, opts)
		if err != nil {
			b.Fatal(err)
		}
		return sol.NFE
	})
}

// benchWithProducts times iter (which returns its forward NFE) in a
// benchmark loop, alternating with the productTimer, and reports both.
func benchWithProducts(b *testing.B, iter func() int) {
	pt := newProductTimer()
	var solve time.Duration
	nfe := 0
	b.ReportAllocs()
	for b.Loop() {
		pt.run(10)
		t0 := time.Now()
		nfe += iter()
		solve += time.Since(t0)
	}
	pt.report(b, solve, nfe)
}

// BenchmarkMNISTSolveGradient: forward solve plus discrete adjoint (with both
// regularizers) of the MNIST neural ODE, with the default checkpointing
// (KeepProducts); ms/NFE divides by the forward NFE.
func BenchmarkMNISTSolveGradient(b *testing.B) { benchMNISTGradient(b, KeepProducts) }

// BenchmarkMNISTSolveGradientInput is BenchmarkMNISTSolveGradient with the
// dynamics written for Problem.Input.
func BenchmarkMNISTSolveGradientInput(b *testing.B) {
	p, params := mnistInputSetup()
	benchMNISTGradientOf(b, p, params, KeepProducts)
}

// BenchmarkMNISTSolveGradientKeepStates is BenchmarkMNISTSolveGradient with
// the memory-lean checkpointing that re-evaluates the products.
func BenchmarkMNISTSolveGradientKeepStates(b *testing.B) { benchMNISTGradient(b, KeepStates) }

// BenchmarkMNISTSolveGradientKeepStages is BenchmarkMNISTSolveGradient with
// the checkpointing that also keeps the stage states (no stage arithmetic
// recomputed).
func BenchmarkMNISTSolveGradientKeepStages(b *testing.B) { benchMNISTGradient(b, KeepStages) }

func benchMNISTGradient(b *testing.B, c Checkpointing) {
	p, params := mnistSetup()
	benchMNISTGradientOf(b, p, params, c)
}

func benchMNISTGradientOf(b *testing.B, p Problem, params []*ad.Param, c Checkpointing) {
	opts := &Options{RTol: 1.4e-8, ATol: 1.4e-8, Adjoint: true, Checkpointing: c}
	dz := []*tensor.Dense{tensor.New(512, 784)}
	dz[0].Fill(1e-3)
	benchWithProducts(b, func() int { return gradientIteration(b, p, opts, dz) })
	gradcheck.ZeroGrads(params)
}

// gradientIteration runs a forward solve plus the discrete adjoint (loss
// cotangents dz, both regularizers) and releases the checkpoints; it
// returns the forward NFE.
func gradientIteration(b *testing.B, p Problem, opts *Options, dz []*tensor.Dense) int {
	sol, err := Solve(context.Background(), p, opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sol.Backward(context.Background(), dz, Regularization{Error: 1, Stiffness: 1}); err != nil {
		b.Fatal(err)
	}
	sol.Release()
	return sol.NFE
}

// benchGradient times gradientIteration and reports the time per forward
// NFE in the given unit (nanoseconds per unit).
func benchGradient(b *testing.B, p Problem, opts *Options, dz []*tensor.Dense, params []*ad.Param, nsPerUnit float64, unit string) {
	nfe := 0
	b.ReportAllocs()
	for b.Loop() {
		nfe += gradientIteration(b, p, opts, dz)
	}
	gradcheck.ZeroGrads(params)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/nsPerUnit/float64(nfe), unit)
	b.ReportMetric(float64(nfe)/float64(b.N), "NFE")
}

// BenchmarkStepStatistics times one recorded Tsit5 step of the MNIST
// dynamics (batch 512) with the error estimate only (what any adaptive
// solver computes) and with the white-box statistics (error and stiffness
// estimates plus the step record), alternating the two on the same state and
// step size so that both see the same machine load. overhead-% is the extra
// time of the statistics.
func BenchmarkStepStatistics(b *testing.B) {
	p, _ := mnistSetup()
	o, err := (&Options{}).withDefaults(&p)
	if err != nil {
		b.Fatal(err)
	}
	s := newSolveStepper(&p, &o)
	defer s.release()
	var sv stageVars
	one := func(stats bool) time.Duration {
		t0 := time.Now()
		s.tp.Reset()
		u := s.tp.Const(p.Z0)
		s.record(0, 0.01, u, ad.Var{}, ad.Var{}, &sv, true, stats)
		st := StepStat{ErrorEstimate: sv.e.Scalar()}
		if stats {
			st.StiffnessEstimate = sv.s.Scalar()
			s.sol.Steps = append(s.sol.Steps[:0], st)
		}
		return time.Since(t0)
	}
	one(true)
	var plain, white time.Duration
	b.ReportAllocs()
	first := false
	for b.Loop() {
		// Alternate which goes first, so that neither gains from the order.
		if first {
			plain += one(false)
			white += one(true)
		} else {
			white += one(true)
			plain += one(false)
		}
		first = !first
	}
	b.ReportMetric(float64(plain.Microseconds())/1e3/float64(b.N), "ms/error-only")
	b.ReportMetric(float64(white.Microseconds())/1e3/float64(b.N), "ms/whitebox")
	b.ReportMetric(100*(white.Seconds()/plain.Seconds()-1), "overhead-%")
}

// benchAlternate times two variants of an MNIST iteration (each returning
// its forward NFE) alternately in one loop, so that both see the same
// machine speed, and reports the time per forward NFE of each and their
// ratio (second/first).
func benchAlternate(b *testing.B, nameA, nameB string, a, c func() int) {
	var ta, tc time.Duration
	na, nc := 0, 0
	for i := 0; b.Loop(); i++ {
		// Alternate which variant goes first.
		first, second := a, c
		tf, ts, nf, ns := &ta, &tc, &na, &nc
		if i%2 == 1 {
			first, second, tf, ts, nf, ns = c, a, &tc, &ta, &nc, &na
		}
		t0 := time.Now()
		*nf += first()
		*tf += time.Since(t0)
		t0 = time.Now()
		*ns += second()
		*ts += time.Since(t0)
	}
	pa := ta.Seconds() * 1e3 / float64(na)
	pc := tc.Seconds() * 1e3 / float64(nc)
	b.ReportMetric(pa, "ms/NFE-"+nameA)
	b.ReportMetric(pc, "ms/NFE-"+nameB)
	b.ReportMetric(pc/pa, nameB+"/"+nameA)
}

// BenchmarkMNISTInputForward alternates forward solves of the MNIST neural
// ODE written for the state (as in BenchmarkMNISTSolveForward) and for
// Problem.Input; input/state is the ratio of their times per NFE.
func BenchmarkMNISTInputForward(b *testing.B) {
	ps, _ := mnistSetup()
	pi, _ := mnistInputSetup()
	opts := &Options{RTol: 1.4e-8, ATol: 1.4e-8}
	solve := func(p Problem) func() int {
		return func() int {
			sol, err := Solve(context.Background(), p, opts)
			if err != nil {
				b.Fatal(err)
			}
			return sol.NFE
		}
	}
	benchAlternate(b, "state", "input", solve(ps), solve(pi))
}

// BenchmarkMNISTInputGradient is BenchmarkMNISTInputForward for the forward
// solve plus discrete adjoint (KeepProducts, both regularizers).
func BenchmarkMNISTInputGradient(b *testing.B) {
	ps, params := mnistSetup()
	pi, _ := mnistInputSetup()
	opts := &Options{RTol: 1.4e-8, ATol: 1.4e-8, Adjoint: true}
	dz := []*tensor.Dense{tensor.New(512, 784)}
	dz[0].Fill(1e-3)
	benchAlternate(b, "state", "input",
		func() int { return gradientIteration(b, ps, opts, dz) },
		func() int { return gradientIteration(b, pi, opts, dz) })
	gradcheck.ZeroGrads(params)
}

// BenchmarkMNISTInputKeepStages alternates the Problem.Input gradient
// iteration with KeepProducts and with KeepStages.
func BenchmarkMNISTInputKeepStages(b *testing.B) {
	p, params := mnistInputSetup()
	dz := []*tensor.Dense{tensor.New(512, 784)}
	dz[0].Fill(1e-3)
	it := func(c Checkpointing) func() int {
		opts := &Options{RTol: 1.4e-8, ATol: 1.4e-8, Adjoint: true, Checkpointing: c}
		return func() int { return gradientIteration(b, p, opts, dz) }
	}
	benchAlternate(b, "products", "stages", it(KeepProducts), it(KeepStages))
	gradcheck.ZeroGrads(params)
}

// BenchmarkFusedStepEnd alternates MNIST forward solves, and gradient
// iterations (forward solve plus discrete adjoint, KeepProducts), with the
// step's end fused (the default) and unfused, in the stage-state and Input
// forms; fused/unfused is the ratio of their times per NFE.
func BenchmarkFusedStepEnd(b *testing.B) {
	for _, form := range []string{"state", "input"} {
		for _, grad := range []bool{false, true} {
			name := "forward-" + form
			if grad {
				name = "gradient-" + form
			}
			b.Run(name, func(b *testing.B) {
				p, params := mnistSetup()
				if form == "input" {
					p, params = mnistInputSetup()
				}
				opts := &Options{RTol: 1.4e-8, ATol: 1.4e-8, Adjoint: grad}
				dz := []*tensor.Dense{tensor.New(512, 784)}
				dz[0].Fill(1e-3)
				it := func(fuse bool) func() int {
					return func() int {
						fuseStepEnd = fuse
						defer func() { fuseStepEnd = true }()
						if grad {
							return gradientIteration(b, p, opts, dz)
						}
						sol, err := Solve(context.Background(), p, opts)
						if err != nil {
							b.Fatal(err)
						}
						return sol.NFE
					}
				}
				benchAlternate(b, "unfused", "fused", it(false), it(true))
				gradcheck.ZeroGrads(params)
			})
		}
	}
}
