package physionet

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/whitebox-de/whitebox/internal/permute"
)

func TestSplit(t *testing.T) {
	d := synthetic(103, 5)
	train, test := Split(d, 1999)
	if train.Len() != 82 || test.Len() != 21 { // floor(0.8*103) = 82
		t.Fatalf("split %d:%d, want 82:21", train.Len(), test.Len())
	}
	// Disjoint, covering, and each record carried with its data.
	ids := append(slices.Clone(train.IDs), test.IDs...)
	slices.Sort(ids)
	if !slices.Equal(ids, d.IDs) {
		t.Fatal("the splits do not partition the records")
	}
	for _, part := range []*Dataset{train, test} {
		for r, id := range part.IDs {
			i := id - 1000
			if !slices.Equal(part.Record(r).Values, d.Record(i).Values) || !slices.Equal(part.Record(r).Mask, d.Record(i).Mask) {
				t.Fatalf("record %d carries another record's data", id)
			}
		}
	}

	// Same seed, same split; another seed, another split.
	train2, test2 := Split(d, 1999)
	if !slices.Equal(train.IDs, train2.IDs) || !slices.Equal(test.IDs, test2.IDs) {
		t.Error("the same seed gave another split")
	}
	train3, _ := Split(d, 2000)
	if slices.Equal(train.IDs, train3.IDs) {
		t.Error("seeds 1999 and 2000 gave the same split")
	}
	// The order is shuffled, not the storage order.
	if slices.IsSorted(train.IDs) {
		t.Error("training split in storage order")
	}

	// set-a's 4000 records split 3200:800 in TestSetAPipeline.
}

// TestSplitPinned pins the permutation's bits (recorded from this
// implementation when it was written): a change to the shuffle would
// silently change every experiment's split.
func TestSplitPinned(t *testing.T) {
	perm := make([]int, 10)
	permute.Keyed(perm, new(rand.ChaCha8), 1999, splitKeyTag, 0)
	want := []int{1, 8, 6, 4, 3, 5, 2, 0, 9, 7}
	if !slices.Equal(perm, want) {
		t.Errorf("permutation %v, want %v", perm, want)
	}
}
