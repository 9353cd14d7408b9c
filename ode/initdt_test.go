package ode

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// idtRecorder wraps f and records the times at which it is called.
type idtRecorder struct {
	f     func(t float64, u, du []float64)
	times []float64
}

func (r *idtRecorder) call(t float64, u, du []float64) {
	r.times = append(r.times, t)
	r.f(t, u, du)
}

func idtClose(got, want float64) bool {
	return math.Abs(got-want) <= 1e-13*math.Abs(want)
}

// Hand computation for u' = -3u, u0 = (1, -2), atol = 0, rtol = 1:
// sk = (1, 2); d0 = RMS(1, -1) = 1; f0 = (-3, 6); d1 = RMS(-3, 3) = 3;
// h0 = 0.01*1/3 = 1/300; u1 = (0.99, -1.98); f1 = (-2.97, 5.94);
// (f1-f0)/sk = (0.03, -0.03); d2 = 0.03/(1/300) = 9;
// h1 = 10^(-(2 + log10 9)/5) = (1/900)^(1/5) = 0.2565378780242026;
// h = min(100/300, h1) = h1.
func TestInitialStepDecay(t *testing.T) {
	decay := func(_ float64, u, du []float64) {
		for i := range u {
			du[i] = -3 * u[i]
		}
	}
	u0 := []float64{1, -2}
	cases := []struct {
		hmax, want float64
		f1Time     float64
	}{
		{0, 0.2565378780242026, 1.0 / 300},
		{math.Inf(1), 0.2565378780242026, 1.0 / 300},
		{0.1, 0.1, 1.0 / 300},
		// hmax below h0: h0 = 0.001, d2 = RMS(0.009, -0.009)/0.001 = 9, h = hmax.
		{0.001, 0.001, 0.001},
	}
	for _, c := range cases {
		r := &idtRecorder{f: decay}
		h, nfe := InitialStep(r.call, u0, 0, 1, 5, 0, 1, c.hmax, nil)
		if !idtClose(h, c.want) || nfe != 2 {
			t.Errorf("hmax %g: h %.17g nfe %d, want %.17g 2", c.hmax, h, nfe, c.want)
		}
		if len(r.times) != 2 || r.times[0] != 0 || !idtClose(r.times[1], c.f1Time) {
			t.Errorf("hmax %g: f called at %v, want [0 %g]", c.hmax, r.times, c.f1Time)
		}
	}
	// Passing f0 saves one evaluation and gives the same step.
	r := &idtRecorder{f: decay}
	h, nfe := InitialStep(r.call, u0, 0, 1, 5, 0, 1, 0, []float64{-3, 6})
	if !idtClose(h, 0.2565378780242026) || nfe != 1 || len(r.times) != 1 {
		t.Errorf("with f0: h %.17g nfe %d calls %v", h, nfe, r.times)
	}
	if u0[0] != 1 || u0[1] != -2 {
		t.Errorf("u0 modified: %v", u0)
	}
}

// Hand computation for u' = 1 + t backwards from t0 = 1, u0 = 2, atol = 0,
// rtol = 0.5, order 4: sk = 1; d0 = 2; f0 = 2; d1 = 2; h0 = 0.01;
// f1 = f(0.99) = 1.99; d2 = |1.99 - 2|/0.01 = 1; max(d1, d2) = 2;
// h1 = 10^(-(2 + log10 2)/4) = 0.005^(1/4) = 0.26591479484724945;
// h = -min(1, h1).
func TestInitialStepBackward(t *testing.T) {
	r := &idtRecorder{f: func(t float64, _, du []float64) { du[0] = 1 + t }}
	h, nfe := InitialStep(r.call, []float64{2}, 1, -1, 4, 0, 0.5, 0, nil)
	if !idtClose(h, -0.26591479484724945) || nfe != 2 {
		t.Errorf("h %.17g nfe %d", h, nfe)
	}
	if len(r.times) != 2 || r.times[0] != 1 || !idtClose(r.times[1], 0.99) {
		t.Errorf("f called at %v, want [1 0.99]", r.times)
	}
	// Only the sign of tdir matters.
	if h2, _ := InitialStep(r.f, []float64{2}, 1, -7.5, 4, 0, 0.5, 0, nil); h2 != h {
		t.Errorf("tdir -7.5 gives %g, tdir -1 gives %g", h2, h)
	}
}

func TestInitialStepDegenerate(t *testing.T) {
	// u0 = 0 and f = 0: d0 = d1 = 0 so h0 = 1e-6; d2 = 0 so
	// h1 = max(1e-6, 1e-3*h0) = 1e-6; h = min(1e-4, 1e-6) = 1e-6.
	zero := func(_ float64, _, du []float64) {
		for i := range du {
			du[i] = 0
		}
	}
	if h, _ := InitialStep(zero, make([]float64, 3), 0, 1, 5, 1e-6, 1e-3, 0, nil); !idtClose(h, 1e-6) {
		t.Errorf("zero problem: h %g, want 1e-6", h)
	}
	// u0 = 0, f = 1, atol = 1e-6, rtol = 0: d0 = 0 so h0 = 1e-6; d1 = 1e6,
	// d2 = 0: h1 = 10^(-(2+6)/5) = 0.0251; the cap 100*h0 = 1e-4 wins.
	one := func(_ float64, _, du []float64) {
		for i := range du {
			du[i] = 1
		}
	}
	if h, _ := InitialStep(one, make([]float64, 2), 0, 1, 5, 1e-6, 0, 0, nil); !idtClose(h, 1e-4) {
		t.Errorf("constant slope: h %g, want 1e-4", h)
	}
}

func TestInitialStepPanics(t *testing.T) {
	f := func(_ float64, u, du []float64) { copy(du, u) }
	cases := []struct {
		name string
		call func()
		want string
	}{
		{"empty", func() { InitialStep(f, nil, 0, 1, 5, 1e-6, 1e-3, 0, nil) }, "non-empty"},
		{"tdir", func() { InitialStep(f, []float64{1}, 0, 0, 5, 1e-6, 1e-3, 0, nil) }, "tdir"},
		{"f0", func() { InitialStep(f, []float64{1, 2}, 0, 1, 5, 1e-6, 1e-3, 0, []float64{1}) }, "length 1, u0 has length 2"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), c.want) || !strings.HasPrefix(fmt.Sprint(r), "ode: ") {
					t.Errorf("%s: panic %v, want %q", c.name, r, c.want)
				}
			}()
			c.call()
		}()
	}
}

func BenchmarkInitialStep(b *testing.B) {
	for _, n := range []int{2, 784, 512 * 784} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			u0 := make([]float64, n)
			for i := range u0 {
				u0[i] = float64(i%7) - 3
			}
			f := func(_ float64, u, du []float64) {
				for i := range u {
					du[i] = -u[i]
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				InitialStep(f, u0, 0, 1, 5, 1e-6, 1e-3, 0, nil)
			}
		})
	}
}
