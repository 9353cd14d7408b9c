package par

import (
	"sync/atomic"
	"testing"
	"time"
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

// atomicKernel counts visits with atomic adds, for kernels that run
// concurrently over the same indices.
type atomicKernel struct{ hits []atomic.Int32 }

func (c *atomicKernel) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

type nested struct{ inner *atomicKernel }

func (n *nested) Run(lo, hi int) {
	For(len(n.inner.hits), n.inner) // must not deadlock: runs serially
}

func TestNestedForDoesNotDeadlock(t *testing.T) {
	inner := &atomicKernel{hits: make([]atomic.Int32, 4*MinParallel)}
	outer := &nested{inner: inner}
	ForGrain(2, 1, outer)
	for i := range inner.hits {
		if h := inner.hits[i].Load(); h != int32(min(2, Workers())) {
			t.Fatalf("index %d visited %d times", i, h)
		}
	}
}

// TestManyShortLoops posts many short jobs in a row, with pauses long
// enough for the workers to park between some of them, and checks that no
// job is lost or run twice.
func TestManyShortLoops(t *testing.T) {
	k := &countKernel{hits: make([]int32, 2*MinParallel)}
	for it := range 3000 {
		if it%500 == 0 {
			time.Sleep(2 * time.Millisecond) // let the workers park
		}
		For(len(k.hits), k)
	}
	for i, h := range k.hits {
		if h != 3000 {
			t.Fatalf("index %d visited %d times, want 3000", i, h)
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
