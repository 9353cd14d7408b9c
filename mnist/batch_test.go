package mnist

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/internal/permute"
)

// smallSet returns a Set whose image i has every pixel equal to i/1000 and
// label i%10, so that a batch row identifies its source example.
func smallSet(n, rows, cols int) *Set {
	s := &Set{N: n, Rows: rows, Cols: cols, Images: make([]float64, n*rows*cols), Labels: make([]uint8, n)}
	for i := range n {
		for j := range rows * cols {
			s.Images[i*rows*cols+j] = float64(i) / 1000
		}
		s.Labels[i] = uint8(i % 10)
	}
	return s
}

// epochOrder concatenates the indices of all batches of epoch e.
func epochOrder(b *Batcher, e int) []int {
	b.Epoch(e)
	var order []int
	for idx := b.NextIndices(); idx != nil; idx = b.NextIndices() {
		order = append(order, idx...)
	}
	return order
}

func TestBatcherPermutation(t *testing.T) {
	set := smallSet(103, 2, 2)
	b := NewBatcher(set, 10, 42, false)
	seen := map[string]bool{}
	for e := range 20 {
		order := epochOrder(b, e)
		sorted := slices.Sorted(slices.Values(order))
		for i, v := range sorted {
			if v != i {
				t.Fatalf("epoch %d: the order is not a permutation of 0..%d", e, set.N-1)
			}
		}
		key := fmt.Sprint(order)
		if seen[key] {
			t.Errorf("epoch %d repeats an earlier epoch's order", e)
		}
		seen[key] = true
		if slices.IsSorted(order) {
			t.Errorf("epoch %d is not shuffled", e)
		}
	}
}

func TestBatcherDeterministic(t *testing.T) {
	set := smallSet(57, 1, 3)
	a := NewBatcher(set, 8, 7, false)
	b := NewBatcher(set, 8, 7, false)
	c := NewBatcher(set, 8, 8, false)
	const epochs = 6
	var oa, ob, oc [epochs][]int
	for e := range epochs {
		oa[e], oc[e] = epochOrder(a, e), epochOrder(c, e)
	}
	// b visits the epochs backwards: epoch e must not depend on what came
	// before.
	for e := epochs - 1; e >= 0; e-- {
		ob[e] = epochOrder(b, e)
	}
	for e := range epochs {
		if !slices.Equal(oa[e], ob[e]) {
			t.Errorf("epoch %d: same seed, different orders when visited in another sequence", e)
		}
		if slices.Equal(oa[e], oc[e]) {
			t.Errorf("epoch %d: seeds 7 and 8 give the same order", e)
		}
	}
}

// TestBatcherResume stops a run in the middle of an epoch and resumes it in
// a fresh Batcher; the batches must be bit-identical.
func TestBatcherResume(t *testing.T) {
	set := smallSet(45, 3, 2)
	const size, seed = 4, 1999
	d := set.Dim()
	type batch struct {
		x []float64
		y []uint8
	}
	run := func(b *Batcher, fromEpoch, fromBatch, epochs int) []batch {
		var out []batch
		x, y := make([]float64, size*d), make([]uint8, size)
		for e := fromEpoch; e < epochs; e++ {
			b.Epoch(e)
			if e == fromEpoch {
				b.Seek(fromBatch)
			}
			for n := b.Next(x, y); n > 0; n = b.Next(x, y) {
				out = append(out, batch{slices.Clone(x[:n*d]), slices.Clone(y[:n])})
			}
		}
		return out
	}
	full := run(NewBatcher(set, size, seed, false), 0, 0, 3)
	perEpoch := NewBatcher(set, size, seed, false).Batches()
	const stopEpoch, stopBatch = 1, 5
	resumed := run(NewBatcher(set, size, seed, false), stopEpoch, stopBatch, 3)
	tail := full[stopEpoch*perEpoch+stopBatch:]
	if len(resumed) != len(tail) {
		t.Fatalf("resumed run has %d batches, the uninterrupted one %d after the stop", len(resumed), len(tail))
	}
	for i := range tail {
		if !slices.Equal(resumed[i].x, tail[i].x) || !slices.Equal(resumed[i].y, tail[i].y) {
			t.Fatalf("batch %d after resuming differs", i)
		}
	}
}

func TestBatcherNextContent(t *testing.T) {
	set := smallSet(23, 2, 3)
	d := set.Dim()
	for _, dropLast := range []bool{false, true} {
		b := NewBatcher(set, 5, 3, dropLast)
		wantBatches := 5
		if dropLast {
			wantBatches = 4
		}
		if b.Batches() != wantBatches {
			t.Errorf("dropLast=%v: %d batches, want %d", dropLast, b.Batches(), wantBatches)
		}
		order := epochOrder(b, 0)
		b.Epoch(0)
		x, y := make([]float64, 5*d), make([]uint8, 5)
		var got []int
		for k := 0; ; k++ {
			n := b.Next(x, y)
			if _, pos := b.Pos(); n > 0 && pos != k+1 {
				t.Errorf("after batch %d Pos reports batch %d", k, pos)
			}
			if n == 0 {
				break
			}
			if wantN := min(5, set.N-5*k); n != wantN {
				t.Errorf("dropLast=%v batch %d: %d examples, want %d", dropLast, k, n, wantN)
			}
			for r := range n {
				i := int(x[r*d]*1000 + 0.5)
				if !slices.Equal(x[r*d:(r+1)*d], set.Image(i)) || y[r] != set.Labels[i] {
					t.Fatalf("batch %d row %d is not example %d", k, r, i)
				}
				got = append(got, i)
			}
		}
		if !slices.Equal(got, order) {
			t.Errorf("dropLast=%v: Next visits %v, NextIndices %v", dropLast, got, order)
		}
		if dropLast && len(got) != 20 || !dropLast && len(got) != 23 {
			t.Errorf("dropLast=%v: %d examples per epoch", dropLast, len(got))
		}
	}
}

func TestBatcherNoAlloc(t *testing.T) {
	set := smallSet(100, 4, 4)
	b := NewBatcher(set, 16, 1, false)
	x, y := make([]float64, 16*set.Dim()), make([]uint8, 16)
	e := 0
	allocs := testing.AllocsPerRun(100, func() {
		if b.Next(x, y) == 0 {
			e++
			b.Epoch(e)
		}
		b.NextIndices()
	})
	if allocs != 0 {
		t.Errorf("Next/NextIndices/Epoch allocate %v times per call", allocs)
	}
}

// TestBatcherUniform checks that every position is equally likely for an
// example: a chi-square test of where example 0 lands over many epochs.
func TestBatcherUniform(t *testing.T) {
	const n, epochs = 10, 20000
	b := NewBatcher(smallSet(n, 1, 1), n, 5, false)
	var count [n]int
	for e := range epochs {
		b.Epoch(e)
		count[slices.Index(b.NextIndices(), 0)]++
	}
	chi2 := 0.0
	for _, c := range count {
		diff := float64(c) - epochs/n
		chi2 += diff * diff / (epochs / n)
	}
	// 27.88 is the 0.999 quantile of chi-square with 9 degrees of freedom.
	if chi2 > 27.88 {
		t.Errorf("positions of example 0: %v, chi-square %.1f > 27.88", count, chi2)
	}
}

func TestBoundedUint64(t *testing.T) {
	b := NewBatcher(smallSet(1, 1, 1), 1, 0, false)
	for _, n := range []uint64{1, 2, 3, 7, 1 << 40, 1<<63 + 1, ^uint64(0)} {
		for range 1000 {
			if v := permute.Bounded(&b.src, n); v >= n {
				t.Fatalf("boundedUint64(%d) = %d", n, v)
			}
		}
	}
}

func TestOneHot(t *testing.T) {
	dst := make([]float64, 12)
	for i := range dst {
		dst[i] = -1 // must be overwritten
	}
	out := OneHot(dst, []uint8{2, 0, 1}, 3)
	want := []float64{0, 0, 1, 1, 0, 0, 0, 1, 0}
	if !slices.Equal(out, want) {
		t.Errorf("OneHot = %v, want %v", out, want)
	}
	if dst[9] != -1 {
		t.Errorf("OneHot wrote past len(labels)*classes")
	}
}

func expectPanic(t *testing.T, name, want string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		msg, _ := r.(string)
		if r == nil || !strings.HasPrefix(msg, "mnist: ") || !strings.Contains(msg, want) {
			t.Errorf("%s: panic %v, want one containing %q", name, r, want)
		}
	}()
	f()
}

func TestPanics(t *testing.T) {
	set := smallSet(10, 2, 2)
	b := NewBatcher(set, 4, 0, false)
	expectPanic(t, "short x", "want at least 16 (batch 4 x 4 pixels) and 4", func() { b.Next(make([]float64, 15), make([]uint8, 4)) })
	expectPanic(t, "short y", "y of length 3", func() { b.Next(make([]float64, 16), make([]uint8, 3)) })
	expectPanic(t, "batch size", "batch size 0", func() { NewBatcher(set, 0, 0, false) })
	expectPanic(t, "seek", "must be in 0..3", func() { b.Seek(4) })
	expectPanic(t, "epoch", "epoch must be >= 0", func() { b.Epoch(-1) })
	expectPanic(t, "one-hot dst", "want at least 2 labels x 10 classes", func() { OneHot(make([]float64, 19), []uint8{1, 2}, 10) })
	expectPanic(t, "one-hot label", "label 10 at index 1", func() { OneHot(make([]float64, 20), []uint8{1, 10}, 10) })
}
