package physionet

import (
	"slices"
	"testing"
)

func TestBatcher(t *testing.T) {
	d := synthetic(10, 9)
	for _, c := range []struct {
		cfg     BatchConfig
		batches int
		sizes   []int
	}{
		{BatchConfig{Size: 4, Seed: 1}, 2, []int{4, 4}},
		{BatchConfig{Size: 4, Seed: 1, KeepPartial: true}, 3, []int{4, 4, 2}},
		{BatchConfig{Size: 5, InOrder: true}, 2, []int{5, 5}},
		{BatchConfig{}, 0, nil}, // 512 > 10 records, short batch dropped
		{BatchConfig{KeepPartial: true}, 1, []int{10}},
	} {
		b := NewBatcher(d, c.cfg)
		if b.Batches() != c.batches {
			t.Errorf("%+v: %d batches, want %d", c.cfg, b.Batches(), c.batches)
		}
		size := b.BatchSize()
		vals, mask := make([]float64, size*RecordSize), make([]float64, size*RecordSize)
		for e := range 2 {
			b.Epoch(e)
			var sizes []int
			seen := map[int]bool{}
			var order []int
			for {
				idx := slices.Clone(b.NextIndices())
				if idx == nil {
					break
				}
				b.Seek(len(sizes))
				n := b.Next(vals, mask)
				if n != len(idx) {
					t.Fatalf("Next copied %d records, NextIndices gave %d", n, len(idx))
				}
				for r, i := range idx {
					if seen[i] {
						t.Fatalf("record %d twice in epoch %d", i, e)
					}
					seen[i] = true
					if !slices.Equal(vals[r*RecordSize:(r+1)*RecordSize], d.Record(i).Values) || !slices.Equal(mask[r*RecordSize:(r+1)*RecordSize], d.Record(i).Mask) {
						t.Fatalf("batch row %d is not record %d", r, i)
					}
				}
				order = append(order, idx...)
				sizes = append(sizes, n)
			}
			if !slices.Equal(sizes, c.sizes) {
				t.Errorf("%+v epoch %d: batch sizes %v, want %v", c.cfg, e, sizes, c.sizes)
			}
			if c.cfg.InOrder && !slices.IsSorted(order) {
				t.Errorf("InOrder visited %v", order)
			}
		}
	}
}

func TestBatcherDeterministic(t *testing.T) {
	d := synthetic(37, 2)
	cfg := BatchConfig{Size: 8, Seed: 1999}
	epoch := func(b *Batcher, e int) []int {
		b.Epoch(e)
		var all []int
		for idx := b.NextIndices(); idx != nil; idx = b.NextIndices() {
			all = append(all, idx...)
		}
		return all
	}
	a, b := NewBatcher(d, cfg), NewBatcher(d, cfg)
	e0, e1 := epoch(a, 0), epoch(a, 1)
	if !slices.Equal(epoch(b, 1), e1) || !slices.Equal(epoch(b, 0), e0) {
		t.Error("an epoch's order depends on earlier epochs")
	}
	if slices.Equal(e0, e1) {
		t.Error("epochs 0 and 1 in the same order")
	}
	c := NewBatcher(d, BatchConfig{Size: 8, Seed: 2000})
	if slices.Equal(epoch(c, 0), e0) {
		t.Error("seeds 1999 and 2000 gave the same order")
	}
	// Resume at epoch 1, batch 2.
	b.Epoch(1)
	b.Seek(2)
	if got := b.NextIndices(); !slices.Equal(got, e1[16:24]) {
		t.Errorf("resumed batch %v, want %v", got, e1[16:24])
	}
}

func TestBatcherAllocs(t *testing.T) {
	d := synthetic(20, 2)
	b := NewBatcher(d, BatchConfig{Size: 4, Seed: 3})
	vals, mask := make([]float64, 4*RecordSize), make([]float64, 4*RecordSize)
	allocs := testing.AllocsPerRun(20, func() {
		if b.Next(vals, mask) == 0 {
			b.Seek(0)
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %v times per call", allocs)
	}
	allocs = testing.AllocsPerRun(5, func() { b.Epoch(1) })
	if allocs != 0 {
		t.Errorf("Epoch allocates %v times per call", allocs)
	}
}
