package par

import (
	"sync/atomic"
	"testing"
)

type countKernel struct {
	hits []int32
	runs atomic.Int32
}

func (c *countKernel) Run(lo, hi int) {
	c.runs.Add(1)
	for i := lo; i < hi; i++ {
		c.hits[i]++
	}
}

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, MinParallel - 1, MinParallel, 3*MinParallel + 5, 1 << 20} {
		k := &countKernel{hits: make([]int32, n)}
		For(n, k)
		for i, h := range k.hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, h)
			}
		}
		if n >= 2*MinParallel && Workers() > 1 && k.runs.Load() < 2 {
			t.Fatalf("n=%d: loop was not split (runs=%d)", n, k.runs.Load())
		}
	}
}

type nested struct{ inner *countKernel }

func (n *nested) Run(lo, hi int) {
	For(len(n.inner.hits), n.inner) // must not deadlock: runs serially
}

func TestNestedForDoesNotDeadlock(t *testing.T) {
	inner := &countKernel{hits: make([]int32, 4*MinParallel)}
	outer := &nested{inner: inner}
	ForGrain(2, 1, outer)
	for i, h := range inner.hits {
		if h != int32(min(2, Workers())) {
			t.Fatalf("index %d visited %d times", i, h)
		}
	}
}

func TestForAllocatesNothing(t *testing.T) {
	k := &countKernel{hits: make([]int32, 1<<18)}
	allocs := testing.AllocsPerRun(20, func() { For(len(k.hits), k) })
	if allocs != 0 {
		t.Fatalf("For allocated %v times per call", allocs)
	}
}
