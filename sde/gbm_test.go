package sde

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// gbm is geometric Brownian motion dX = mu X dt + sigma X dW on [0, 1] for a
// batch of independent rows (state rows x 1), X(0) = 1. Its solution is
// X(t) = exp((mu - sigma^2/2) t + sigma W(t)), with moments
// E X(1)^k = exp(k mu + k(k-1) sigma^2/2).
func gbm(mu, sigma float64, rows int) Problem {
	z0 := tensor.New(rows, 1)
	z0.Fill(1)
	return Problem{
		Drift:     func(_ float64, z ad.Var) ad.Var { return ad.Scale(z, mu) },
		Diffusion: func(_ float64, z ad.Var) ad.Var { return ad.Scale(z, sigma) },
		Z0:        z0, T0: 0, T1: 1,
	}
}

// gridNoise is a Noise that reads one Brownian path per component, fixed in
// advance on a fine grid of spacing d: per fine step k the increment fw and
// the time integral fi = integral_{t_k}^{t_k+d} (W(s) - W(t_k)) ds, sampled
// exactly (Var fi = d^3/3, Cov(fi, fw) = d^2/2). A coarse step [s, s+h] made
// of m fine steps gets dW = sum fw and the exact integral of the same path,
// I = sum_k ((W(t_k) - W(s)) d + fi_k), as dZ = sqrt(3) (2 I/h - dW); so the
// solves on every grid see one path, as a strong-order measurement needs.
// Steps must be whole multiples of d.
type gridNoise struct {
	n, pos, m int
	d         float64
	fw, fi    []float64 // [fine step][component]
}

func newGridNoise(n, fineLv int, rng *rand.Rand) *gridNoise {
	steps := 1 << fineLv
	g := &gridNoise{n: n, d: 1 / float64(steps), fw: make([]float64, steps*n), fi: make([]float64, steps*n)}
	sd := math.Sqrt(g.d)
	for i := range g.fw {
		g.fw[i] = sd * rng.NormFloat64()
		g.fi[i] = g.d * (g.fw[i] + sd*rng.NormFloat64()/math.Sqrt(3)) / 2
	}
	return g
}

func (g *gridNoise) Increment(h float64, dW, dZ []float64) {
	m := int(math.Round(h / g.d))
	if m < 1 || math.Abs(float64(m)*g.d-h) > 1e-12 || g.pos+m > len(g.fw)/g.n {
		panic(fmt.Sprintf("gridNoise: step %v is not a whole number of fine steps %v within the grid", h, g.d))
	}
	g.m = m
	clear(dW)
	clear(dZ) // accumulates I
	for k := g.pos; k < g.pos+m; k++ {
		for j := range g.n {
			dZ[j] += dW[j]*g.d + g.fi[k*g.n+j]
			dW[j] += g.fw[k*g.n+j]
		}
	}
	for j := range g.n {
		dZ[j] = math.Sqrt(3) * (2*dZ[j]/h - dW[j])
	}
}

func (g *gridNoise) Reject(h float64, dW, dZ []float64) { g.Increment(h, dW, dZ) }
func (g *gridNoise) Accept()                            { g.pos += g.m }

// w1 returns W(1) of component j.
func (g *gridNoise) w1(j int) float64 {
	s := 0.0
	for k := 0; k < len(g.fw)/g.n; k++ {
		s += g.fw[k*g.n+j]
	}
	return s
}

func logLogSlopeH(hs, errs []float64) float64 {
	n := float64(len(hs))
	var sx, sy, sxx, sxy float64
	for i := range hs {
		x, y := math.Log(hs[i]), math.Log(errs[i])
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// TestStrongOrderGBM measures the strong order of the solver on geometric
// Brownian motion as the slope of log E|X(1) - X_h(1)| against log h, with
// fixed steps h = 2^-3 .. 2^-8 that all read the same Brownian paths (one per
// row of a 2000-row batch). SOSRI and SOSRI2 must reach 1.3 (their order is
// 1.5); Euler-Maruyama, whose strong order is 0.5, serves as the control.
func TestStrongOrderGBM(t *testing.T) {
	const rows, fineLv = 2000, 8
	mu, sigma := 1.5, 1.0
	levels := []int{3, 4, 5, 6, 7, 8}
	for _, c := range []struct {
		m      Method
		lo, hi float64
	}{{MethodSOSRI, 1.3, 2.2}, {MethodSOSRI2, 1.3, 2.2}, {MethodEulerMaruyama, 0.35, 0.75}} {
		rng := rand.New(rand.NewPCG(1999, 0))
		noise := newGridNoise(rows, fineLv, rng)
		exact := make([]float64, rows)
		for j := range exact {
			exact[j] = math.Exp(mu - sigma*sigma/2 + sigma*noise.w1(j))
		}
		hs := make([]float64, len(levels))
		errs := make([]float64, len(levels))
		for i, lv := range levels {
			noise.pos = 0
			hs[i] = math.Ldexp(1, -lv)
			sol, err := Solve(context.Background(), gbm(mu, sigma, rows), &Options{Method: c.m, FixedStep: true, Dt: hs[i], Noise: noise})
			if err != nil {
				t.Fatal(err)
			}
			if sol.Accepted != 1<<lv || sol.Rejected != 0 {
				t.Fatalf("%v at h = 2^-%d: %d accepted, %d rejected steps; want %d, 0", c.m, lv, sol.Accepted, sol.Rejected, 1<<lv)
			}
			for j, x := range sol.Z[0].Data {
				errs[i] += math.Abs(x - exact[j])
			}
			errs[i] /= rows
		}
		p := logLogSlopeH(hs, errs)
		t.Logf("%v: strong order %.3f; E|error| at h = 2^-3..2^-8: %.3g", c.m, p, errs)
		if p < c.lo || p > c.hi {
			t.Errorf("%v: measured strong order %.3f; want %.2f <= order <= %.2f", c.m, p, c.lo, c.hi)
		}
	}
}

// naiveNoise draws fresh increments after every rejection, the biased scheme
// that rejection sampling with memory replaces: a control for the moment test.
type naiveNoise struct{ rng *rand.Rand }

func (n *naiveNoise) Increment(h float64, dW, dZ []float64) {
	for i := range dW {
		dW[i] = math.Sqrt(h) * n.rng.NormFloat64()
		dZ[i] = math.Sqrt(h) * n.rng.NormFloat64()
	}
}
func (n *naiveNoise) Reject(h float64, dW, dZ []float64) { n.Increment(h, dW, dZ) }
func (n *naiveNoise) Accept()                            {}

// gbmMoments solves the martingale GBM (mu = 0, sigma = 0.5) path by path
// with adaptive SOSRI at rtol = atol = 1e-4 and returns the z-scores of the
// sample mean and variance of X(1) against the exact moments, and the mean
// number of rejections per path. Each path is its own solve, so its
// rejections depend on its own noise.
func gbmMoments(t *testing.T, paths int, naive bool) (zMean, zVar, rejPerPath float64) {
	const sigma, tol = 0.5, 1e-4
	p := gbm(0, sigma, 1)
	xs := make([]float64, paths)
	rej := make([]int, paths)
	errs := make([]error, paths)
	var wg sync.WaitGroup
	const workers = 2
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < paths; k += workers {
				o := &Options{RTol: tol, ATol: tol, Seed: uint64(k)}
				if naive {
					o.Noise = &naiveNoise{rand.New(rand.NewPCG(uint64(k), 7))}
				}
				sol, err := Solve(context.Background(), p, o)
				if err != nil {
					errs[k] = err
					continue
				}
				xs[k], rej[k] = sol.Z[0].Data[0], sol.Rejected
			}
		}()
	}
	wg.Wait()
	var s1, s2 float64
	nrej := 0
	for k, x := range xs {
		if errs[k] != nil {
			t.Fatal(errs[k])
		}
		s1 += x
		nrej += rej[k]
	}
	n := float64(paths)
	m := s1 / n
	for _, x := range xs {
		s2 += (x - m) * (x - m)
	}
	v := s2 / (n - 1)
	// Exact: mean 1, variance e^{s^2} - 1, fourth central moment
	// E X^4 - 4 E X^3 + 6 E X^2 - 3 with E X^k = e^{k(k-1)s^2/2}.
	s2x := sigma * sigma
	ev := math.Exp(s2x) - 1
	m4 := math.Exp(6*s2x) - 4*math.Exp(3*s2x) + 6*math.Exp(s2x) - 3
	return (m - 1) / math.Sqrt(ev/n), (v - ev) / math.Sqrt((m4-ev*ev)/n), float64(nrej) / n
}

// TestMomentsUnderRejections: 10,000 adaptive solves of GBM at a tight
// tolerance, each with its own seed. The step sizes follow the noise (the
// error estimate's E2 part carries chi2 and chi3) and about 1.6 steps per
// path are rejected, so any bias in the noise after rejections shows. The
// sample mean and variance of X(1) must lie within 3 standard errors of the
// exact moments. The control repeats the run with fresh noise drawn after
// every rejection and must fail the variance check (measured z = -5.3): the
// test has the power to catch biased noise.
func TestMomentsUnderRejections(t *testing.T) {
	zm, zv, rej := gbmMoments(t, 10000, false)
	t.Logf("rejection sampling with memory: %.2f rejections per path; z(mean) = %.2f, z(variance) = %.2f", rej, zm, zv)
	if rej < 1 {
		t.Errorf("only %.2f rejections per path; the test needs many", rej)
	}
	if math.Abs(zm) > 3 || math.Abs(zv) > 3 {
		t.Errorf("sample moments off the exact ones: z(mean) = %.2f, z(variance) = %.2f; want both within 3 standard errors", zm, zv)
	}
	zm, zv, rej = gbmMoments(t, 10000, true)
	t.Logf("control, fresh noise after rejections: %.2f rejections per path; z(mean) = %.2f, z(variance) = %.2f", rej, zm, zv)
	if zv > -3 {
		t.Errorf("control with biased noise gave z(variance) = %.2f; want < -3 (the moment test lost its power)", zv)
	}
}
