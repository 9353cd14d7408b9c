package spiralsde

import (
	"context"
	"fmt"
	"sync"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/sde"
	"github.com/whitebox-de/whitebox/tensor"
)

// Points is the number of observation times, equally spaced on [0, 1] with
// both ends included (the authors' code's range(0, 1, length = 30)).
const Points = 30

// Times returns the observation times 0, 1/29, ..., 1.
func Times() []float64 {
	ts := make([]float64, Points)
	for i := range ts {
		ts[i] = float64(i) / (Points - 1)
	}
	ts[Points-1] = 1
	return ts
}

// u0 is the initial state (2, 0) of every trajectory, true and modelled.
var u0 = [2]float64{2, 0}

// trueA is the matrix of the true drift (u^3) A, u a row vector.
var trueA = [4]float64{-0.1, 2, -2, -0.1}

// TrueProblem returns the data-generating SDE for n trajectories as one
// batched SDE (n x 2 state, rows = trajectories):
//
//	du = (u.^3) A dt + 0.2 u .* dW,  A = [-0.1 2; -2 -0.1],  u(0) = (2, 0),
//
// that is du1 = (-0.1 u1^3 - 2 u2^3) dt + 0.2 u1 dW1 and
// du2 = (2 u1^3 - 0.1 u2^3) dt + 0.2 u2 dW2, as in the authors' code (the
// DiffEqFlux neural-SDE example the paper's script loads its data from).
func TrueProblem(n int) sde.Problem {
	a := tensor.FromSlice(2, 2, trueA[:])
	z0 := tensor.New(n, 2)
	for r := range n {
		z0.Set(r, 0, u0[0])
		z0.Set(r, 1, u0[1])
	}
	return sde.Problem{
		Drift:     func(_ float64, z ad.Var) ad.Var { return ad.MatMul(ad.Cube(z), z.Tape().Const(a)) },
		Diffusion: func(_ float64, z ad.Var) ad.Var { return ad.Scale(z, 0.2) },
		Z0:        z0, T0: 0, T1: 1,
	}
}

// DataConfig says how the target statistics are simulated. The zero value
// means the defaults.
type DataConfig struct {
	// Trajectories is the number of simulated true trajectories. Default 10000.
	Trajectories int
	// Tol is the solver tolerance (rtol = atol). Default 1e-2, 30 times
	// tighter than the training tolerance and StochasticDiffEq's default, with
	// which the authors' code simulated its data. (Measured: the moments at 1e-2
	// and 1e-3 differ by at most 0.016, about one standard error of the
	// variances from 10,000 trajectories.)
	Tol float64
	// Seed seeds the Brownian paths. Default 1999 (0 means the default).
	Seed uint64
}

func (c DataConfig) withDefaults() DataConfig {
	if c.Trajectories == 0 {
		c.Trajectories = 10000
	}
	if c.Tol == 0 {
		c.Tol = 1e-2
	}
	if c.Seed == 0 {
		c.Seed = 1999
	}
	return c
}

// Data holds the target statistics: at each observation time T[i], the
// sample mean and the unbiased sample variance of each state component over
// the simulated trajectories.
type Data struct {
	Config    DataConfig
	T         []float64
	Mean, Var [][2]float64
	// NFE is the work of the simulation (drift plus diffusion evaluations).
	NFE int
}

// Moments returns the per-time sample means and unbiased variances of the
// saved states (each n x 2, n >= 2).
func Moments(z []*tensor.Dense) (mean, variance [][2]float64) {
	mean = make([][2]float64, len(z))
	variance = make([][2]float64, len(z))
	for i, zi := range z {
		n := float64(zi.Rows)
		for c := range 2 {
			s := 0.0
			for r := range zi.Rows {
				s += zi.At(r, c)
			}
			m := s / n
			ss := 0.0
			for r := range zi.Rows {
				d := zi.At(r, c) - m
				ss += d * d
			}
			mean[i][c], variance[i][c] = m, ss/(n-1)
		}
	}
	return mean, variance
}

// dataChunk is the number of trajectories per solve when simulating data.
const dataChunk = 1000

// Simulate solves the true SDE for cfg.Trajectories trajectories with
// adaptive SOSRI and returns their moments at the observation times. The
// trajectories are solved in batches of 1000 (one adaptive solve each, with
// its own Brownian seed derived from cfg.Seed), two batches at a time.
func Simulate(ctx context.Context, cfg DataConfig) (*Data, error) {
	cfg = cfg.withDefaults()
	if cfg.Trajectories < 2 || !(cfg.Tol > 0) {
		return nil, fmt.Errorf("spiralsde: DataConfig needs at least 2 trajectories and a positive tolerance (got %d, %g)", cfg.Trajectories, cfg.Tol)
	}
	chunks := (cfg.Trajectories + dataChunk - 1) / dataChunk
	all := make([]*tensor.Dense, Points) // trajectories x 2 per time
	for i := range all {
		all[i] = tensor.New(cfg.Trajectories, 2)
	}
	nfe := make([]int, chunks)
	err := parallel(ctx, chunks, 2, func(k int) error {
		lo := k * dataChunk
		hi := min(lo+dataChunk, cfg.Trajectories)
		sol, err := sde.Solve(ctx, TrueProblem(hi-lo), &sde.Options{RTol: cfg.Tol, ATol: cfg.Tol, SaveAt: Times(), Seed: mixSeed(cfg.Seed, uint64(k))})
		if err != nil {
			return fmt.Errorf("spiralsde: simulating the data: %w", err)
		}
		for i, z := range sol.Z {
			copy(all[i].Data[2*lo:2*hi], z.Data)
		}
		nfe[k] = sol.NFE
		return nil
	})
	if err != nil {
		return nil, err
	}
	d := &Data{Config: cfg, T: Times()}
	for _, n := range nfe {
		d.NFE += n
	}
	d.Mean, d.Var = Moments(all)
	return d, nil
}

// mixSeed derives the k-th seed of a stream from seed (SplitMix64's
// finaliser of seed + k*golden).
func mixSeed(seed, k uint64) uint64 {
	z := seed + (k+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// parallel runs job(0..n-1) on up to workers goroutines and returns the
// first error (by index).
func parallel(ctx context.Context, n, workers int, job func(k int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				errs[k] = job(k)
			}
		}()
	}
	for k := range n {
		if ctx.Err() != nil {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

var dataCache struct {
	sync.Mutex
	m map[DataConfig]*Data
}

// CachedData returns Simulate(ctx, cfg), simulating once per configuration
// per process and sharing the result (treat it as read-only).
func CachedData(ctx context.Context, cfg DataConfig) (*Data, error) {
	cfg = cfg.withDefaults()
	dataCache.Lock()
	defer dataCache.Unlock()
	if d, ok := dataCache.m[cfg]; ok {
		return d, nil
	}
	d, err := Simulate(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if dataCache.m == nil {
		dataCache.m = map[DataConfig]*Data{}
	}
	dataCache.m[cfg] = d
	return d, nil
}
