package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The "loop" baselines below are copies of the plain Go loops that
// tensor/norms.go ran before these kernels replaced them (as at commit 9ed98bf).

// loopErrorNormSum is the error norm's sum (sumSqScaled).
func loopErrorNormSum(x, u0, u1 []float64, atol, rtol float64) float64 {
	u0, u1 = u0[:len(x)], u1[:len(x)]
	s := 0.0
	for i, v := range x {
		r := v / (atol + rtol*max(math.Abs(u0[i]), math.Abs(u1[i])))
		s += r * r
	}
	return s
}

// loopErrBack is the error norm's cotangent (the err branch of bwJob.Run).
func loopErrBack(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64) {
	for k, v := range x {
		a0, a1 := math.Abs(u0[k]), math.Abs(u1[k])
		inv := 1 / (atol + rtol*max(a0, a1))
		r := v * inv
		if gx != nil {
			gx[k] += c * r * inv
		}
		ds := -c * r * r * inv * rtol
		if a0 >= a1 {
			if g0 != nil {
				g0[k] += ds * loopSign(u0[k])
			}
		} else if g1 != nil {
			g1[k] += ds * loopSign(u1[k])
		}
	}
}

// loopSign is the sign function the loops used.
func loopSign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// loopRMSDiffBack is RMSDiff's cotangent (the RMSDiffBackward branch of
// bwJob.Run).
func loopRMSDiffBack(ga, gb, a, b []float64, c float64) {
	for k := range a {
		d := c * (a[k] - b[k])
		if ga != nil {
			ga[k] += d
		}
		if gb != nil {
			gb[k] -= d
		}
	}
}

// benchErrData returns x, u0 and u1 of benchN elements as errData makes
// them: u1 a small step from u0, so that which of |u0|, |u1| is larger is
// as unpredictable as in a solve.
func benchErrData() (x, u0, u1 []float64) {
	return errData(rand.New(rand.NewPCG(51, 52)), benchN, 0)
}

// BenchmarkErrorNormSum reads three arrays.
func BenchmarkErrorNormSum(b *testing.B) {
	x, u0, u1 := benchErrData()
	for _, impl := range benchImpls {
		f := func() { sink = ErrorNormSum(x, u0, u1, 1e-6, 1e-3) }
		if impl == "loop" {
			f = func() { sink = loopErrorNormSum(x, u0, u1, 1e-6, 1e-3) }
		}
		benchRun(b, impl, 3*8*benchN, f)
	}
}

// BenchmarkErrorNormBackward updates all three destinations: three arrays
// read, three read and written.
func BenchmarkErrorNormBackward(b *testing.B) {
	x, u0, u1 := benchErrData()
	gs := benchArrays(3)
	const c = 1e-12 // keep the destinations from growing over the run
	for _, impl := range benchImpls {
		f := func() { ErrorNormBackward(gs[0], gs[1], gs[2], x, u0, u1, 1e-6, 1e-3, c) }
		if impl == "loop" {
			f = func() { loopErrBack(gs[0], gs[1], gs[2], x, u0, u1, 1e-6, 1e-3, c) }
		}
		benchRun(b, impl, 9*8*benchN, f)
	}
}

// BenchmarkRMSDiffBackward updates both destinations: two arrays read, two
// read and written.
func BenchmarkRMSDiffBackward(b *testing.B) {
	xs := benchArrays(4)
	const c = 1e-9
	for _, impl := range benchImpls {
		f := func() { RMSDiffBackward(xs[0], xs[1], xs[2], xs[3], c) }
		if impl == "loop" {
			f = func() { loopRMSDiffBack(xs[0], xs[1], xs[2], xs[3], c) }
		}
		benchRun(b, impl, 6*8*benchN, f)
	}
}
