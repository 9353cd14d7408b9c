package par

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// worker is a persistent goroutine that runs posted jobs. Between jobs it
// spins for a short while before parking, because the solvers post a job
// every few microseconds and waking a parked goroutine costs about as much
// as a small kernel. The spinning worker yields its processor every few
// polls, so that goroutines of others (gonum's DGEMM runs its own) do not
// lose a processor to it.
type worker struct {
	seq      atomic.Uint32 // incremented by the caller for each job
	done     atomic.Uint32 // set to seq by the worker when the job is done
	sleeping atomic.Bool   // the worker is parked (or about to be) on wake
	job      job           // written before seq is incremented
	wake     chan struct{} // capacity 1
}

// spinLimit bounds the polls of a worker waiting for a job before it parks
// (some tens of microseconds).
const spinLimit = 1 << 14

var (
	mu      sync.Mutex
	workers []*worker
)

func init() {
	n := runtime.GOMAXPROCS(0) - 1
	if n > 7 {
		n = 7
	}
	workers = make([]*worker, n)
	for i := range workers {
		w := &worker{wake: make(chan struct{}, 1)}
		workers[i] = w
		go w.loop()
	}
}

func (w *worker) loop() {
	last := uint32(0)
	for {
		for spins := 1; w.seq.Load() == last; spins++ {
			if spins < spinLimit {
				if spins%64 == 0 {
					// Let other goroutines (gonum's parallel DGEMM in the
					// pure-Go build) have this processor.
					runtime.Gosched()
				}
				continue
			}
			// Park. The caller increments seq before it reads sleeping,
			// and this goroutine sets sleeping before it reads seq again,
			// so one of the two sees the other: no job is missed.
			w.sleeping.Store(true)
			if w.seq.Load() == last {
				<-w.wake
			}
			w.sleeping.Store(false)
			spins = 1
		}
		last = w.seq.Load()
		j := w.job
		j.k.Run(j.lo, j.hi)
		w.job = job{}
		w.done.Store(last)
	}
}

// post hands j to the worker and returns the ticket to wait for.
func (w *worker) post(j job) uint32 {
	w.job = j
	s := w.seq.Add(1)
	if w.sleeping.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return s
}

// wait returns when the job with ticket s is done. The caller has nothing
// else to do: it spins, yielding now and then in case the worker's
// goroutine waits for a processor.
func (w *worker) wait(s uint32) {
	for spins := 1; w.done.Load() != s; spins++ {
		if spins%(1<<12) == 0 {
			runtime.Gosched()
		}
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
	var tickets [7]uint32
	used := 0
	for p := 1; p < parts; p++ {
		lo := p * chunk
		if lo >= n {
			break
		}
		hi := min(lo+chunk, n)
		tickets[p-1] = workers[p-1].post(job{k, lo, hi})
		used++
	}
	k.Run(0, min(chunk, n))
	for p := 0; p < used; p++ {
		workers[p].wait(tickets[p])
	}
	mu.Unlock()
}
