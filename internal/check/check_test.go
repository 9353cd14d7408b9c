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
		z      *tensor.Dense
		t0, t1 float64
		want   string
	}{
		{ok, 0, 1, ""},
		{nil, 0, 1, "empty"},
		{tensor.FromSlice(1, 1, []float64{math.Inf(1)}), 0, 1, "NaN or infinite"},
		{ok, 0, math.NaN(), "finite"},
		{ok, 1, 1, "empty or reversed"},
		{ok, 2, 1, "empty or reversed"},
	}
	for _, c := range cases {
		err := InitialValue(c.z, c.t0, c.t1)
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
}
