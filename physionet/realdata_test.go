package physionet

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// setA loads the committed set-a archive once for the tests below.
var setA = sync.OnceValues(func() (*Dataset, error) {
	p, err := DefaultArchive()
	if err != nil {
		return nil, err
	}
	return Load(p, nil)
})

func loadSetA(t *testing.T) *Dataset {
	t.Helper()
	d, err := setA()
	if errors.Is(err, ErrNoArchive) {
		t.Skipf("%v (the archive is committed at %s; is this a full clone?)", err, ArchivePath)
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSetA(t *testing.T) {
	d := loadSetA(t)
	if d.Len() != 4000 || len(d.Values) != 4000*NumTimes*NumFeatures || len(d.Mask) != len(d.Values) {
		t.Fatalf("%d records, %d values, %d mask entries; want 4000, 4000*49*37", d.Len(), len(d.Values), len(d.Mask))
	}
	if NumFeatures != 37 || NumTimes != 49 || len(Times()) != 49 || Times()[48] != 1 || Times()[24] != 0.5 {
		t.Fatalf("grid %d features x %d times, Times %v", NumFeatures, NumTimes, Times())
	}
	if !slices.IsSorted(d.IDs) || d.IDs[0] != 132539 || d.IDs[3999] != 142673 {
		t.Errorf("IDs not sorted from 132539 to 142673: first %d, last %d", d.IDs[0], d.IDs[3999])
	}
	if d.Stats != nil {
		t.Error("loaded data marked normalized")
	}

	rec := func(id int) Record {
		i, ok := slices.BinarySearch(d.IDs, id)
		if !ok {
			t.Fatalf("record %d missing", id)
		}
		return d.Record(i)
	}
	type spot struct {
		id, hour int
		name     string
		want     float64
	}
	check := func(s spot) {
		t.Helper()
		k := s.hour*NumFeatures + FeatureIndex(s.name)
		r := rec(s.id)
		if r.Mask[k] != 1 || r.Values[k] != s.want {
			t.Errorf("%d hour %d %s: %v (mask %v), want %v", s.id, s.hour, s.name, r.Values[k], r.Mask[k], s.want)
		}
	}
	// By hand from set-a/132551.txt:
	//   20:10,HR,67  20:40,HR,66  21:30,HR,64  21:40,HR,65  22:40,HR,69
	// 20:40 -> 20.67 h -> hour 21; 21:30 -> 21.5 h -> hour 22 (the even
	// hour); 21:40 -> hour 22; 22:40 -> hour 23. So hour 21 holds 66 and hour
	// 22 the mean of 64 and 65.
	//   40:40,HR,61 40:55,HR,61 41:00,HR,55 41:05,HR,56 41:10,HR,59
	//   41:15,HR,59 41:20,HR,59 41:25,HR,59 41:30,HR,60 41:40,HR,62 42:40,HR,58
	// Hour 41 (40:31..41:29): (61+61+55+56+4*59)/8 = 469/8 = 58.625; hour 42
	// (41:30, 41.5 h to the even 42, and 41:40): (60+62)/2 = 61.
	//   41:30,Temp,37.1  41:40,Temp,37 -> hour 42: 37.05 (to rounding).
	//   21:55,pH,7.24 -> hour 22; 00:50,Albumin,1.9 -> hour 1 (its only one);
	//   00:00,Weight,48.4, next Weight at 00:40 -> hour 0 holds 48.4.
	for _, s := range []spot{
		{132551, 21, "HR", 66},
		{132551, 22, "HR", 64.5},
		{132551, 41, "HR", 58.625},
		{132551, 42, "HR", 61},
		{132551, 22, "pH", 7.24},
		{132551, 1, "Albumin", 1.9},
		{132551, 0, "Weight", 48.4},
		// set-a/132539.txt: 00:00,Weight,-1 (missing, kept as -1 by
		// default); 00:07,HR,73 and 00:37,HR,77 (hour 1); 03:08,HCT,33.7.
		{132539, 0, "Weight", -1},
		{132539, 0, "HR", 73},
		{132539, 1, "HR", 77},
		{132539, 3, "HCT", 33.7},
		// set-a/132577.txt: its only line after 47:29 is 48:00,RespRate,24.
		{132577, 48, "RespRate", 24},
	} {
		check(s)
	}
	r := rec(132551)
	if k := 42*NumFeatures + FeatureIndex("Temp"); r.Mask[k] != 1 || r.Values[k] < 37.05-1e-12 || r.Values[k] > 37.05+1e-12 {
		t.Errorf("132551 hour 42 Temp: %v (mask %v), want 37.05", r.Values[k], r.Mask[k])
	}
	// Albumin only at hour 1 and no Cholesterol at all in 132551.
	for h := range NumTimes {
		if m := r.Mask[h*NumFeatures+FeatureIndex("Albumin")]; m != 0 && h != 1 {
			t.Errorf("132551 Albumin observed at hour %d", h)
		}
		if r.Mask[h*NumFeatures+FeatureIndex("Cholesterol")] != 0 {
			t.Errorf("132551 Cholesterol observed at hour %d", h)
		}
	}
	if got := sum(rec(132577).Mask[48*NumFeatures : 49*NumFeatures]); got != 1 {
		t.Errorf("132577 hour 48 has %v observed features, want 1", got)
	}
	// 140501.txt holds only descriptors, Weight -1 among them.
	if got := sum(rec(140501).Mask); got != 1 {
		t.Errorf("140501 has %v observed entries, want 1 (Weight -1 at hour 0)", got)
	}

	// Every feature observed somewhere, every hour observed somewhere.
	var perFeature [NumFeatures]float64
	var perHour [NumTimes]float64
	for k, m := range d.Mask {
		perFeature[k%NumFeatures] += m
		perHour[(k%RecordSize)/NumFeatures] += m
	}
	if slices.Contains(perFeature[:], 0) || slices.Contains(perHour[:], 0) {
		t.Errorf("a feature or hour never observed: features %v hours %v", perFeature, perHour)
	}
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func TestSetAPipeline(t *testing.T) {
	d := loadSetA(t)
	train, test := Split(d, 1999)
	if train.Len() != 3200 || test.Len() != 800 {
		t.Fatalf("split %d:%d, want 3200:800", train.Len(), test.Len())
	}
	s, err := ComputeStats(train)
	if err != nil {
		t.Fatal(err)
	}
	if w := FeatureIndex("Weight"); s.Min[w] != -1 {
		t.Errorf("Weight min %v, want -1 (the missing marker, kept by default)", s.Min[w])
	}
	for _, part := range []*Dataset{train, test} {
		n, err := s.Normalize(part)
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range n.Mask {
			if m == 0 && n.Values[k] != 0 {
				t.Fatalf("unobserved entry %d normalized to %v", k, n.Values[k])
			}
		}
		if part == train {
			// (x - min)/max lies in [0, 1 - min/max] on the training split.
			for k, m := range n.Mask {
				f := k % NumFeatures
				if hi := 1 - s.Min[f]/s.Scale(f) + 1e-12; m == 1 && (n.Values[k] < 0 || n.Values[k] > hi) {
					t.Fatalf("training entry %d (%s) normalized to %v, outside [0, %v]", k, Features[f], n.Values[k], hi)
				}
			}
		}
	}
	b := NewBatcher(train, BatchConfig{Seed: 1999})
	if b.Batches() != 6 { // 3200 / 512, the short batch of 128 dropped
		t.Errorf("%d batches, want 6", b.Batches())
	}
}

// TestSetAMatchesFolder checks the archive against the published files
// when a copy of set-a is at hand: 40 records picked with a fixed stride,
// each parsed on its own, equal the archive's.
func TestSetAMatchesFolder(t *testing.T) {
	dir := findSharedSetA()
	if dir == "" {
		t.Skip("no folder shared/data/physionet2012/set-a above the package; nothing to compare the archive with")
	}
	d := loadSetA(t)
	for i := 0; i < d.Len(); i += 100 {
		name := filepath.Join(dir, strconv.Itoa(d.IDs[i])+".txt")
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRecord(name, f, nil)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != d.IDs[i] || !slices.Equal(r.Values, d.Record(i).Values) || !slices.Equal(r.Mask, d.Record(i).Mask) {
			t.Errorf("record %d differs between %s and the archive", d.IDs[i], name)
		}
	}
}

func findSharedSetA() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "data", "physionet2012", "set-a")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}
