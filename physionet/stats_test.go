package physionet

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestComputeStatsAndNormalize(t *testing.T) {
	// Two records; HR observed at 60 and 120 (record 0) and 90 (record 1),
	// Urine only ever 0 (max 0, so the divisor is 1), Weight -1 and 79.
	d := &Dataset{IDs: []int{1, 2}, Values: make([]float64, 2*RecordSize), Mask: make([]float64, 2*RecordSize)}
	set := func(rec, hour int, name string, v float64) {
		k := rec*RecordSize + hour*NumFeatures + FeatureIndex(name)
		d.Values[k], d.Mask[k] = v, 1
	}
	set(0, 0, "HR", 60)
	set(0, 5, "HR", 120)
	set(1, 48, "HR", 90)
	set(0, 3, "Urine", 0)
	set(1, 3, "Urine", 0)
	set(0, 0, "Weight", -1)
	set(1, 0, "Weight", 79)

	s, err := ComputeStats(d)
	if err != nil {
		t.Fatal(err)
	}
	hr, urine, weight, chol := FeatureIndex("HR"), FeatureIndex("Urine"), FeatureIndex("Weight"), FeatureIndex("Cholesterol")
	for _, c := range []struct {
		f             int
		min, max, div float64
		n             int
	}{
		{hr, 60, 120, 120, 3}, {urine, 0, 0, 1, 2}, {weight, -1, 79, 79, 2}, {chol, 0, 0, 1, 0},
	} {
		if s.Min[c.f] != c.min || s.Max[c.f] != c.max || s.Scale(c.f) != c.div || s.Observed[c.f] != c.n {
			t.Errorf("%s: min %v max %v scale %v observed %d, want %v %v %v %d", Features[c.f], s.Min[c.f], s.Max[c.f], s.Scale(c.f), s.Observed[c.f], c.min, c.max, c.div, c.n)
		}
	}
	if s.Records != 2 {
		t.Errorf("Records = %d, want 2", s.Records)
	}

	n, err := s.Normalize(d)
	if err != nil {
		t.Fatal(err)
	}
	if n.Stats != s {
		t.Error("normalized Dataset does not carry its Stats")
	}
	at := func(rec, hour, f int) float64 { return n.Values[rec*RecordSize+hour*NumFeatures+f] }
	for _, c := range []struct {
		rec, hour, f int
		want         float64
	}{
		{0, 0, hr, 0},             // (60-60)/120
		{0, 5, hr, 0.5},           // (120-60)/120
		{1, 48, hr, 0.25},         // (90-60)/120
		{0, 3, urine, 0},          // (0-0)/1
		{1, 0, weight, 80.0 / 79}, // (79+1)/79
		{0, 1, hr, 0},             // unobserved stays 0
	} {
		if got := at(c.rec, c.hour, c.f); got != c.want {
			t.Errorf("record %d hour %d %s: %v, want %v", c.rec, c.hour, Features[c.f], got, c.want)
		}
	}
	if got := s.Denormalize(hr, 0.25); got != 90 {
		t.Errorf("Denormalize(HR, 0.25) = %v, want 90", got)
	}
	if d.Values[hr] != 60 {
		t.Error("Normalize changed its input")
	}
	if _, err := ComputeStats(n); !errors.Is(err, ErrStats) {
		t.Errorf("ComputeStats of normalized data: %v, want ErrStats", err)
	}
	if _, err := s.Normalize(n); !errors.Is(err, ErrStats) {
		t.Errorf("Normalize twice: %v, want ErrStats", err)
	}
	if _, err := ComputeStats(&Dataset{}); !errors.Is(err, ErrStats) {
		t.Errorf("ComputeStats of no records: %v, want ErrStats", err)
	}
}

// TestStatsFromTrainingSplitOnly changes only the records that land in the
// test split, to extremes, and checks that the statistics do not move while
// the test split's normalized values do.
func TestStatsFromTrainingSplitOnly(t *testing.T) {
	const seed = 42
	d := synthetic(50, 1)
	train, test := Split(d, seed)
	s, err := ComputeStats(train)
	if err != nil {
		t.Fatal(err)
	}

	inTest := map[int]bool{}
	for _, id := range test.IDs {
		inTest[id] = true
	}
	d2 := d.Subset(allIndices(d.Len()))
	for i, id := range d2.IDs {
		if !inTest[id] {
			continue
		}
		for k := i * RecordSize; k < (i+1)*RecordSize; k++ {
			d2.Values[k], d2.Mask[k] = 1e6*float64(k%3-1), 1
		}
	}
	train2, test2 := Split(d2, seed)
	s2, err := ComputeStats(train2)
	if err != nil {
		t.Fatal(err)
	}
	for f := range NumFeatures {
		if s.Min[f] != s2.Min[f] || s.Max[f] != s2.Max[f] || s.Observed[f] != s2.Observed[f] {
			t.Fatalf("%s: stats moved from min %v max %v to %v %v when only test records changed", Features[f], s.Min[f], s.Max[f], s2.Min[f], s2.Max[f])
		}
	}
	// Sanity: the change is visible in the test split, and the statistics
	// of the whole data would have moved.
	n2, err := s2.Normalize(test2)
	if err != nil {
		t.Fatal(err)
	}
	if m := maxAbs(n2.Values); m < 1e3 {
		t.Errorf("test split's normalized values reach only %v; the change did not land in the test split", m)
	}
	all, _ := ComputeStats(d2)
	if all.Max[0] != 1e6 {
		t.Errorf("whole-data max %v, want 1e6", all.Max[0])
	}
}

func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func TestStatsJSON(t *testing.T) {
	s, err := ComputeStats(synthetic(20, 3))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for f := range NumFeatures {
		if math.Float64bits(back.Min[f]) != math.Float64bits(s.Min[f]) || math.Float64bits(back.Max[f]) != math.Float64bits(s.Max[f]) || back.Observed[f] != s.Observed[f] {
			t.Fatalf("%s: round trip %v %v, want %v %v", Features[f], back.Min[f], back.Max[f], s.Min[f], s.Max[f])
		}
	}
	if back.Records != s.Records {
		t.Errorf("Records %d, want %d", back.Records, s.Records)
	}

	for _, c := range []struct{ name, from, to, msg string }{
		{"feature order", `"Weight","Albumin"`, `"Albumin","Weight"`, "feature order"},
		{"too few", `"Weight",`, ``, "want 37"},
	} {
		bad := strings.Replace(string(b), c.from, c.to, 1)
		var x Stats
		err := json.Unmarshal([]byte(bad), &x)
		if !errors.Is(err, ErrStats) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want ErrStats mentioning %q", c.name, err, c.msg)
		}
	}
	bad := *s
	bad.Min = append([]float64(nil), s.Min...)
	bad.Min[2] = bad.Max[2] + 1
	if _, err := bad.Normalize(synthetic(1, 1)); !errors.Is(err, ErrStats) {
		t.Errorf("Normalize with min > max: %v, want ErrStats", err)
	}
}
