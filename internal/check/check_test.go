package check

import (
	"math"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/tensor"
)

func TestInitialValue(t *testing.T) {
	ok := tensor.FromSlice(1, 1, []float64{1})
	cases := []struct {
		z        *tensor.Dense
		t0, t1   float64
		backward bool
		want     string
	}{
		{ok, 0, 1, false, ""},
		{nil, 0, 1, false, "empty"},
		{tensor.FromSlice(1, 1, []float64{math.Inf(1)}), 0, 1, false, "NaN or infinite"},
		{ok, 0, math.NaN(), false, "finite"},
		{ok, 1, 1, false, "is empty"},
		{ok, 1, 1, true, "is empty"},
		{ok, 2, 1, false, "reversed"},
		{ok, 2, 1, true, ""},
		{ok, 0, 1, true, ""},
	}
	for _, c := range cases {
		err := InitialValue(c.z, c.t0, c.t1, c.backward)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("InitialValue(%v, %v, %v) = %v, want %q", c.z, c.t0, c.t1, err, c.want)
		}
	}
}

func TestTimes(t *testing.T) {
	cases := []struct {
		ts     []float64
		openLo bool
		want   string
	}{
		{[]float64{0, 0.5, 1}, false, ""},
		{[]float64{0, 0.5}, true, "outside"},
		{[]float64{0.5, 0.2}, false, "strictly ascending"},
		{[]float64{0.5, 0.5}, false, "strictly ascending"},
		{[]float64{1.5}, false, "outside"},
		{[]float64{math.NaN()}, false, "outside"},
	}
	for _, c := range cases {
		err := Times("SaveAt", c.ts, 0, 1, c.openLo)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Times(%v, openLo=%v) = %v, want %q", c.ts, c.openLo, err, c.want)
		}
	}
	// Backward in time (from 1 to 0): descending.
	back := []struct {
		ts     []float64
		openT0 bool
		want   string
	}{
		{[]float64{1, 0.5, 0}, false, ""},
		{[]float64{1, 0.5}, true, "outside"},
		{[]float64{0.2, 0.5}, false, "strictly descending"},
		{[]float64{0.5, 0.5}, false, "strictly descending"},
		{[]float64{-0.5}, false, "outside"},
	}
	for _, c := range back {
		err := Times("SaveAt", c.ts, 1, 0, c.openT0)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Times(%v from 1 to 0, openT0=%v) = %v, want %q", c.ts, c.openT0, err, c.want)
		}
	}
}

func TestTolerances(t *testing.T) {
	cases := []struct {
		rtol, atol   float64
		wantR, wantA float64
		want         string
	}{
		{0, 0, 1e-6, 1e-6, ""},
		{0, 1e-8, 0, 1e-8, ""},
		{1e-3, 1e-8, 1e-3, 1e-8, ""},
		{1e-3, 0, 0, 0, "pure relative"},
		{-1, 1, 0, 0, "non-negative"},
		{1, math.Inf(1), 0, 0, "finite"},
		{math.NaN(), 1, 0, 0, "finite"},
	}
	for _, c := range cases {
		r, a, err := Tolerances(c.rtol, c.atol, 1e-6)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) || r != c.wantR || a != c.wantA {
			t.Errorf("Tolerances(%v, %v) = %v, %v, %v; want %v, %v, %q", c.rtol, c.atol, r, a, err, c.wantR, c.wantA, c.want)
		}
	}
}

func TestStepSizes(t *testing.T) {
	cases := []struct {
		dt, dtmin, dtmax, want float64
		err                    string
	}{
		{0, 0, 0, 2, ""},
		{0.1, 1e-9, 0.5, 0.5, ""},
		{2, 0, 0, 2, ""},
		{math.Inf(1), 0, 0, 0, "Dt = +Inf"},
		{-0.1, 0, 0, 0, "Dt = -0.1"},
		{math.NaN(), 0, 0, 0, "Dt = NaN"},
		{0, math.Inf(1), 0, 0, "DtMin"},
		{0, 0, math.Inf(1), 0, "DtMax"},
		{2.5, 0, 0, 0, "longer than the time span"},
		{0, 0.5, 0.1, 0, "exceeds DtMax"},
	}
	for _, c := range cases {
		got, err := StepSizes(c.dt, c.dtmin, c.dtmax, 2)
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) || got != c.want {
			t.Errorf("StepSizes(%v, %v, %v) = %v, %v; want %v, %q", c.dt, c.dtmin, c.dtmax, got, err, c.want, c.err)
		}
	}
}
