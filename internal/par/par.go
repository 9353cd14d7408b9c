package par

import (
	"runtime"
	"sync"
)

// Kernel is a body of a parallel loop: Run processes the indices [lo, hi).
// Run must be safe to call concurrently on disjoint ranges.
type Kernel interface {
	Run(lo, hi int)
}

// MinParallel is the smallest loop length that is split across workers;
// shorter loops run on the calling goroutine.
const MinParallel = 1 << 14

type job struct {
	k      Kernel
	lo, hi int
}

type worker struct {
	in   chan job
	done chan struct{}
}

var (
	mu      sync.Mutex
	workers []worker
)

func init() {
	n := runtime.GOMAXPROCS(0) - 1
	if n > 7 {
		n = 7
	}
	workers = make([]worker, n)
	for i := range workers {
		w := worker{in: make(chan job), done: make(chan struct{})}
		workers[i] = w
		go func() {
			for j := range w.in {
				j.k.Run(j.lo, j.hi)
				w.done <- struct{}{}
			}
		}()
	}
}

// Workers reports how many goroutines (the caller included) share a loop.
func Workers() int { return len(workers) + 1 }

// For runs k over [0, n). Loops shorter than MinParallel, and loops started
// while another For is in flight (nested or concurrent use), run serially on
// the calling goroutine, so For never deadlocks and never oversubscribes.
func For(n int, k Kernel) {
	ForGrain(n, MinParallel, k)
}

// ForGrain is For with an explicit minimum chunk size: the loop is split into
// at most n/grain chunks.
func ForGrain(n, grain int, k Kernel) {
	if grain < 1 {
		grain = 1
	}
	parts := n / grain
	if parts > len(workers)+1 {
		parts = len(workers) + 1
	}
	if parts <= 1 || !mu.TryLock() {
		k.Run(0, n)
		return
	}
	chunk := (n + parts - 1) / parts
	used := 0
	for p := 1; p < parts; p++ {
		lo := p * chunk
		if lo >= n {
			break
		}
		hi := min(lo+chunk, n)
		workers[p-1].in <- job{k, lo, hi}
		used++
	}
	k.Run(0, min(chunk, n))
	for p := 0; p < used; p++ {
		<-workers[p].done
	}
	mu.Unlock()
}
