package brownian

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// The statistical checks below use 5-sigma thresholds: for a correct
// generator each fails with probability about 6e-7, and the seeds are fixed,
// so a failure is a bug, not bad luck.
const sigmas = 5

// checkStandardNormal asserts that x looks like a sample of N(0, 1): the mean
// is within 5/sqrt(N) of 0 and the variance within 5*sqrt(2/N) of 1.
func checkStandardNormal(t *testing.T, name string, x []float64) {
	t.Helper()
	n := float64(len(x))
	mean, variance := stat.MeanVariance(x, nil)
	t.Logf("%s: N = %d, mean %.5f, variance %.5f", name, len(x), mean, variance)
	if tol := sigmas / math.Sqrt(n); math.Abs(mean) > tol {
		t.Errorf("%s: mean %.5f over %d samples; want |mean| <= %.5f", name, mean, len(x), tol)
	}
	if tol := sigmas * math.Sqrt(2/n); math.Abs(variance-1) > tol {
		t.Errorf("%s: variance %.5f over %d samples; want within %.5f of 1", name, variance, len(x), tol)
	}
}

// checkUncorrelated asserts |corr(x, y)| <= 5/sqrt(N).
func checkUncorrelated(t *testing.T, name string, x, y []float64) {
	t.Helper()
	c := stat.Correlation(x, y, nil)
	t.Logf("%s: N = %d, correlation %.5f", name, len(x), c)
	if tol := sigmas / math.Sqrt(float64(len(x))); math.Abs(c) > tol {
		t.Errorf("%s: correlation %.5f over %d pairs; want |corr| <= %.5f", name, c, len(x), tol)
	}
}

func TestFixedGridIncrements(t *testing.T) {
	const n, steps = 500, 200
	h := 1.0 / steps
	sq := math.Sqrt(h)
	p := New(n, 0, 1999)
	dW, dZ := make([]float64, n), make([]float64, n)
	prev := make([]float64, n)
	var u, v, lagA, lagB []float64
	for s := range steps {
		p.Increment(h, dW, dZ)
		p.Accept()
		for j := range n {
			u = append(u, dW[j]/sq)
			v = append(v, dZ[j]/sq)
			if s > 0 {
				lagA = append(lagA, prev[j])
				lagB = append(lagB, dW[j]/sq)
			}
			prev[j] = dW[j] / sq
		}
	}
	checkStandardNormal(t, "dW/sqrt(h)", u)
	checkStandardNormal(t, "dZ/sqrt(h)", v)
	checkUncorrelated(t, "dW with dZ", u, v)
	checkUncorrelated(t, "dW of consecutive steps", lagA, lagB)
	if math.Abs(p.T()-1) > 1e-12 {
		t.Errorf("T after %d steps of %v = %v; want 1", steps, h, p.T())
	}
}

// drive runs p from its current time to tEnd. Each step proposes a length
// drawn from pat, asks reject whether to reject the proposal, and if so
// shortens it by a ratio drawn uniformly from [0.2, 0.9]; visit sees every
// accepted step.
func drive(p *Process, pat *rand.Rand, tEnd float64,
	reject func(h float64, dW, dZ []float64) bool,
	visit func(h float64, dW, dZ []float64)) {
	dW, dZ := make([]float64, p.N()), make([]float64, p.N())
	for p.T() < tEnd-1e-12 {
		h := 0.02 + 0.28*pat.Float64()
		if p.T()+h > tEnd {
			h = tEnd - p.T()
		}
		p.Increment(h, dW, dZ)
		for reject(h, dW, dZ) {
			h *= 0.2 + 0.7*pat.Float64()
			p.Reject(h, dW, dZ)
		}
		visit(h, dW, dZ)
		p.Accept()
	}
}

// pathSums accumulates, per component, the sum of accepted dW and dZ and the
// time integral I = integral_0^T W ds rebuilt from the steps (I += h*W + h*chi2).
type pathSums struct {
	w, z, i []float64
}

func newPathSums(n int) *pathSums {
	return &pathSums{w: make([]float64, n), z: make([]float64, n), i: make([]float64, n)}
}

func (s *pathSums) add(h float64, dW, dZ []float64) {
	for j := range dW {
		chi2 := (dW[j] + dZ[j]/math.Sqrt(3)) / 2
		s.i[j] += h*s.w[j] + h*chi2
		s.w[j] += dW[j]
		s.z[j] += dZ[j]
	}
}

// levyZ returns 2*sqrt(3)*H(0,T) for T = 1, H = I/T - W/2: N(0, 1) and
// independent of W(1) for a Brownian path.
func (s *pathSums) levyZ(j int) float64 { return 2 * math.Sqrt(3) * (s.i[j] - s.w[j]/2) }

// TestRandomRejectionPattern: rejections at random, independent of the
// noise, with random ratios; 200 processes x 100 components = 20,000 paths.
func TestRandomRejectionPattern(t *testing.T) {
	const procs, n = 200, 100
	var w1, z1, zc, u, v, lagA, lagB, lagZA, lagZB []float64
	rejections := 0
	for k := range procs {
		p := New(n, 0, uint64(1000+k))
		pat := rand.New(rand.NewPCG(7, uint64(k)))
		sums := newPathSums(n)
		prevW, prevZ := make([]float64, n), make([]float64, n)
		first := true
		drive(p, pat, 1, func(float64, []float64, []float64) bool {
			r := pat.Float64() < 0.5
			if r {
				rejections++
			}
			return r
		}, func(h float64, dW, dZ []float64) {
			sums.add(h, dW, dZ)
			sq := math.Sqrt(h)
			for j := range n {
				u = append(u, dW[j]/sq)
				v = append(v, dZ[j]/sq)
				if !first {
					lagA, lagB = append(lagA, prevW[j]), append(lagB, dW[j]/sq)
					lagZA, lagZB = append(lagZA, prevZ[j]), append(lagZB, dZ[j]/sq)
				}
				prevW[j], prevZ[j] = dW[j]/sq, dZ[j]/sq
			}
			first = false
		})
		if math.Abs(p.T()-1) > 1e-12 {
			t.Fatalf("process %d ended at T = %v; want 1", k, p.T())
		}
		for j := range n {
			w1 = append(w1, sums.w[j])
			z1 = append(z1, sums.z[j])
			zc = append(zc, sums.levyZ(j))
		}
	}
	if rejections < 1000 {
		t.Fatalf("only %d rejections; the test needs many", rejections)
	}
	checkStandardNormal(t, "sum of accepted dW up to T=1", w1)
	checkStandardNormal(t, "sum of accepted dZ up to T=1", z1)
	checkStandardNormal(t, "Levy area of the accepted path, 2*sqrt(3)*H(0,1)", zc)
	checkUncorrelated(t, "W(1) with sum of dZ", w1, z1)
	checkUncorrelated(t, "W(1) with Levy area", w1, zc)
	checkStandardNormal(t, "accepted dW/sqrt(h)", u)
	checkStandardNormal(t, "accepted dZ/sqrt(h)", v)
	checkUncorrelated(t, "dW with dZ of the same step", u, v)
	checkUncorrelated(t, "dW of consecutive accepted steps", lagA, lagB)
	checkUncorrelated(t, "dZ of consecutive accepted steps", lagZA, lagZB)
	checkUncorrelated(t, "dW of a step with dZ of the next", lagA, lagZB)
}

// largeNoise is the rejection rule of the noise-dependent tests: reject while
// some |dW_j| or |dZ_j| exceeds 1.5 sqrt(h), down to h = 1e-4.
func largeNoise(h float64, dW, dZ []float64) bool {
	if h < 1e-4 {
		return false
	}
	c := 1.5 * math.Sqrt(h)
	for j := range dW {
		if math.Abs(dW[j]) > c || math.Abs(dZ[j]) > c {
			return true
		}
	}
	return false
}

// TestNoiseDependentRejection is the case that breaks naive resampling: the
// solver rejects exactly the steps with large noise. The path must still be
// Brownian: W(1) ~ N(0, 1) and its Levy area independent N(0, 1/12).
func TestNoiseDependentRejection(t *testing.T) {
	const procs, n = 5000, 4
	var w1, zc []float64
	for k := range procs {
		p := New(n, 0, uint64(50000+k))
		pat := rand.New(rand.NewPCG(11, uint64(k)))
		sums := newPathSums(n)
		drive(p, pat, 1, largeNoise, sums.add)
		for j := range n {
			w1 = append(w1, sums.w[j])
			zc = append(zc, sums.levyZ(j))
		}
	}
	checkStandardNormal(t, "W(1) under noise-dependent rejection", w1)
	checkStandardNormal(t, "2*sqrt(3)*H(0,1) under noise-dependent rejection", zc)
	checkUncorrelated(t, "W(1) with its Levy area", w1, zc)
}

// TestNaiveResamplingIsCaught shows that the check above has teeth: drawing
// fresh noise after each rejection, with the same rejection rule, gives a
// W(1) whose variance the 5-sigma test rejects.
func TestNaiveResamplingIsCaught(t *testing.T) {
	const paths, n = 5000, 4
	rng := rand.New(rand.NewPCG(3, 4))
	dW, dZ := make([]float64, n), make([]float64, n)
	draw := func(h float64) {
		for j := range n {
			dW[j] = math.Sqrt(h) * rng.NormFloat64()
			dZ[j] = math.Sqrt(h) * rng.NormFloat64()
		}
	}
	var w1 []float64
	for range paths {
		sum := make([]float64, n)
		for tt := 0.0; tt < 1-1e-12; {
			h := min(0.02+0.28*rng.Float64(), 1-tt)
			draw(h)
			for largeNoise(h, dW, dZ) {
				h *= 0.2 + 0.7*rng.Float64()
				draw(h)
			}
			for j := range n {
				sum[j] += dW[j]
			}
			tt += h
		}
		w1 = append(w1, sum...)
	}
	variance := stat.Variance(w1, nil)
	t.Logf("naive resampling: Var W(1) = %.4f over %d paths", variance, len(w1))
	if tol := sigmas * math.Sqrt(2/float64(len(w1))); math.Abs(variance-1) <= tol {
		t.Errorf("naive resampling gave Var W(1) = %.4f, within %.4f of 1; the noise-dependent test would not catch it",
			variance, tol)
	}
}

// TestBridgeSplit checks the bridge used on rejection, for a cut in the first
// half, in the middle and in the second half (the time-reversed branch): the
// two parts of a revealed interval must be independent with the right
// variances, and joining them must give back the revealed increments.
func TestBridgeSplit(t *testing.T) {
	const n = 40000
	for _, q := range []float64{0.25, 0.5, 0.8} {
		t.Run(fmt.Sprintf("q=%v", q), func(t *testing.T) {
			const l = 0.7
			a := q * l
			b := l - a
			p := New(n, 0, 42)
			wl, zl := make([]float64, n), make([]float64, n)
			wa, za := make([]float64, n), make([]float64, n)
			wb, zb := make([]float64, n), make([]float64, n)
			p.Increment(l, wl, zl)
			p.Reject(a, wa, za)
			p.Accept()
			p.Increment(b, wb, zb)
			p.Accept()
			if k, _ := p.Revealed(); k != 0 {
				t.Fatalf("%d intervals left after stepping to the end of the first proposal; want 0", k)
			}
			cols := [4][]float64{}
			for j := range n {
				cols[0] = append(cols[0], wa[j]/math.Sqrt(a))
				cols[1] = append(cols[1], za[j]/math.Sqrt(a))
				cols[2] = append(cols[2], wb[j]/math.Sqrt(b))
				cols[3] = append(cols[3], zb[j]/math.Sqrt(b))
				// Join: W = W_a + W_b, I = I_a + b W_a + I_b with I_x = x*chi2_x.
				w := wa[j] + wb[j]
				i := a*(wa[j]+za[j]/math.Sqrt(3))/2 + b*wa[j] + b*(wb[j]+zb[j]/math.Sqrt(3))/2
				z := 2 * math.Sqrt(3) * (i/l - w/2)
				if math.Abs(w-wl[j]) > 1e-13 || math.Abs(z-zl[j]) > 1e-12 {
					t.Fatalf("component %d: joined parts give (dW, dZ) = (%v, %v); the proposal gave (%v, %v)",
						j, w, z, wl[j], zl[j])
				}
			}
			names := [4]string{"W_a", "Z_a", "W_b", "Z_b"}
			for x := range 4 {
				checkStandardNormal(t, names[x]+" normalised", cols[x])
				for y := x + 1; y < 4; y++ {
					checkUncorrelated(t, names[x]+" with "+names[y], cols[x], cols[y])
				}
			}
		})
	}
}

// TestMemoryIsConsistent follows one path through several rejections and a
// longer re-proposal and checks that the accepted steps rebuild exactly what
// the first proposal revealed.
func TestMemoryIsConsistent(t *testing.T) {
	const n = 3
	p := New(n, 2, 5)
	w0, z0 := make([]float64, n), make([]float64, n)
	dW, dZ := make([]float64, n), make([]float64, n)
	sums := newPathSums(n)
	p.Increment(0.8, w0, z0)
	p.Reject(0.3, dW, dZ)
	p.Reject(0.1, dW, dZ)
	p.Accept()
	sums.add(0.1, dW, dZ)
	p.Increment(0.05, dW, dZ) // inside [0.1, 0.3]
	p.Reject(0.4, dW, dZ)     // longer than the rejected step: [0.1, 0.5]
	p.Accept()
	sums.add(0.4, dW, dZ)
	p.Increment(0.3, dW, dZ) // [0.5, 0.8] exactly
	if k, length := p.Revealed(); k != 1 || math.Abs(length-0.3) > 1e-15 {
		t.Fatalf("Revealed() = (%d, %v) before the last accept; want (1, 0.3)", k, length)
	}
	p.Accept()
	sums.add(0.3, dW, dZ)
	if k, _ := p.Revealed(); k != 0 {
		t.Errorf("Revealed() has %d intervals at the end of the first proposal; want 0", k)
	}
	if math.Abs(p.T()-2.8) > 1e-14 {
		t.Errorf("T = %v; want 2.8", p.T())
	}
	for j := range n {
		z := 2 * math.Sqrt(3) * (sums.i[j]/0.8 - sums.w[j]/2)
		if math.Abs(sums.w[j]-w0[j]) > 1e-14 || math.Abs(z-z0[j]) > 1e-13 {
			t.Errorf("component %d: accepted steps rebuild (dW, dZ) = (%v, %v); first proposal (%v, %v)",
				j, sums.w[j], z, w0[j], z0[j])
		}
	}
}

// TestExtremeSplits cuts a revealed interval very close to either end: both
// parts must come out finite, of the right size, and join back exactly.
func TestExtremeSplits(t *testing.T) {
	const n = 1000
	for _, q := range []float64{1e-9, 1 - 1e-9} {
		p := New(n, 0, 8)
		wl, zl := make([]float64, n), make([]float64, n)
		wa, za := make([]float64, n), make([]float64, n)
		wb, zb := make([]float64, n), make([]float64, n)
		a := q
		b := 1 - a
		p.Increment(1, wl, zl)
		p.Reject(a, wa, za)
		p.Accept()
		p.Increment(b, wb, zb)
		p.Accept()
		var ssa, ssb float64
		for j := range n {
			for _, v := range []float64{wa[j], za[j], wb[j], zb[j]} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("q = %v, component %d: non-finite increment %v", q, j, v)
				}
			}
			ssa += (wa[j]*wa[j] + za[j]*za[j]) / (2 * a)
			ssb += (wb[j]*wb[j] + zb[j]*zb[j]) / (2 * b)
			i := a*(wa[j]+za[j]/math.Sqrt(3))/2 + b*wa[j] + b*(wb[j]+zb[j]/math.Sqrt(3))/2
			if w, z := wa[j]+wb[j], 2*math.Sqrt(3)*(i-(wa[j]+wb[j])/2); math.Abs(w-wl[j]) > 1e-12 || math.Abs(z-zl[j]) > 1e-12 {
				t.Fatalf("q = %v, component %d: parts join to (%v, %v); proposal (%v, %v)", q, j, w, z, wl[j], zl[j])
			}
		}
		// Mean square of 2n standard normals: 1 within 5 sigma (sigma = sqrt(2/(2n))).
		for name, ms := range map[string]float64{"first": ssa / n, "second": ssb / n} {
			if tol := sigmas * math.Sqrt(1.0/n); math.Abs(ms-1) > tol {
				t.Errorf("q = %v: %s part has mean square %.4f of the normalised increments; want within %.4f of 1", q, name, ms, tol)
			}
		}
	}
}

// record runs a fixed sequence of requests with rejections and returns every
// number handed out.
func record(p *Process) []float64 {
	n := p.N()
	dW, dZ := make([]float64, n), make([]float64, n)
	var out []float64
	hs := []float64{0.1, 0.07, 0.2, 0.05, 0.3, 0.11}
	for i, h := range hs {
		p.Increment(h, dW, dZ)
		out = append(out, dW...)
		out = append(out, dZ...)
		if i%2 == 0 {
			p.Reject(h*0.4, dW, dZ)
			out = append(out, dW...)
			out = append(out, dZ...)
		}
		p.Accept()
	}
	return out
}

func TestDeterminism(t *testing.T) {
	a := record(New(4, 0, 1999))
	b := record(New(4, 0, 1999))
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("same seed: number %d differs: %v vs %v", i, a[i], b[i])
		}
	}
	c := record(New(4, 0, 2000))
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same != 0 {
		t.Errorf("seeds 1999 and 2000 share %d of %d numbers; want none", same, len(a))
	}
	p := New(4, 3, 77)
	record(p)
	p.Reset(0, 1999)
	d := record(p)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(d[i]) {
			t.Fatalf("after Reset(0, 1999): number %d differs from New: %v vs %v", i, d[i], a[i])
		}
	}
}

func TestTapeReplay(t *testing.T) {
	const n = 3
	p := New(n, 0, 9)
	tape := NewTape(n)
	pat := rand.New(rand.NewPCG(1, 2))
	var want []float64
	drive(p, pat, 1, func(float64, []float64, []float64) bool { return pat.Float64() < 0.3 },
		func(h float64, dW, dZ []float64) {
			tape.Append(p.T(), h, dW, dZ)
			want = append(want, p.T(), h)
			want = append(want, dW...)
			want = append(want, dZ...)
		})
	var got []float64
	end := 0.0
	for i := range tape.Len() {
		ti, h, dW, dZ := tape.Step(i)
		if math.Abs(ti-end) > 1e-14 {
			t.Errorf("step %d starts at %v; the previous one ended at %v", i, ti, end)
		}
		end = ti + h
		got = append(got, ti, h)
		got = append(got, dW...)
		got = append(got, dZ...)
	}
	if len(got) != len(want) {
		t.Fatalf("replayed %d numbers; recorded %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("replayed number %d = %v; recorded %v", i, got[i], want[i])
		}
	}
	tape.Reset()
	if tape.Len() != 0 {
		t.Errorf("Len after Reset = %d; want 0", tape.Len())
	}
}

func TestNoAllocationInSteadyState(t *testing.T) {
	const n = 200
	p := New(n, 0, 1)
	dW, dZ := make([]float64, n), make([]float64, n)
	cycle := func() {
		p.Increment(0.01, dW, dZ)
		p.Reject(0.006, dW, dZ)
		p.Reject(0.002, dW, dZ)
		p.Accept()
		p.Increment(0.001, dW, dZ)
		p.Accept()
		p.Increment(0.02, dW, dZ) // crosses the two stored intervals into fresh noise
		p.Accept()
	}
	for range 10 {
		cycle()
	}
	if a := testing.AllocsPerRun(100, cycle); a != 0 {
		t.Errorf("reject/accept cycle allocates %v times per run; want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() { p.Increment(0.01, dW, dZ); p.Accept() }); a != 0 {
		t.Errorf("Increment+Accept allocates %v times per run; want 0", a)
	}
}

func TestPanics(t *testing.T) {
	cases := []struct {
		name, want string
		f          func()
	}{
		{"short buffer", "len(dW) = 2, len(dZ) = 3; want both = N = 3",
			func() { New(3, 0, 1).Increment(0.1, make([]float64, 2), make([]float64, 3)) }},
		{"zero step", "want a finite h > 0",
			func() { New(1, 0, 1).Increment(0, make([]float64, 1), make([]float64, 1)) }},
		{"NaN step", "want a finite h > 0",
			func() { New(1, 0, 1).Increment(math.NaN(), make([]float64, 1), make([]float64, 1)) }},
		{"accept first", "Accept without a pending proposal", func() { New(1, 0, 1).Accept() }},
		{"reject first", "Reject without a pending proposal",
			func() { New(1, 0, 1).Reject(0.1, make([]float64, 1), make([]float64, 1)) }},
		{"no components", "want n >= 1", func() { New(0, 0, 1) }},
		{"tape shape", "len(dW) = 1, len(dZ) = 2; want both = N = 2",
			func() { NewTape(2).Append(0, 1, make([]float64, 1), make([]float64, 2)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "brownian: ") || !strings.Contains(msg, c.want) {
					t.Errorf("panic %q; want a brownian: panic containing %q", r, c.want)
				}
			}()
			c.f()
		})
	}
}

func BenchmarkIncrementAccept(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			p := New(n, 0, 1)
			dW, dZ := make([]float64, n), make([]float64, n)
			b.ReportAllocs()
			for b.Loop() {
				p.Increment(0.01, dW, dZ)
				p.Accept()
			}
		})
	}
}

// BenchmarkRejectAccept is one rejected proposal, its accepted refinement and
// the next step, which consumes the remembered rest plus fresh noise.
func BenchmarkRejectAccept(b *testing.B) {
	const n = 200
	p := New(n, 0, 1)
	dW, dZ := make([]float64, n), make([]float64, n)
	b.ReportAllocs()
	for b.Loop() {
		p.Increment(0.01, dW, dZ)
		p.Reject(0.004, dW, dZ)
		p.Accept()
		p.Increment(0.01, dW, dZ)
		p.Accept()
	}
}
