package numfmt

import "testing"

func TestRatio(t *testing.T) {
	for _, c := range []struct {
		r      float64
		bounds []float64
		want   string
	}{
		{0.91, []float64{0.8, 1.1}, "0.91"},
		{0.7957, []float64{0.8, 1.1}, "0.796"},
		{0.8, []float64{0.8, 1.1}, "0.80"},
		{1.1004, []float64{0.8, 1.1}, "1.1004"},
		{1.0996, []float64{1.1}, "1.0996"},
		{0.79999999, []float64{0.8}, "0.79999999"},
		{1.2, nil, "1.20"},
		{0.034, nil, "0.034"},
	} {
		if got := Ratio(c.r, c.bounds...); got != c.want {
			t.Errorf("Ratio(%v, %v) = %q, want %q", c.r, c.bounds, got, c.want)
		}
	}
}
