package mnist

import (
	"fmt"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/internal/permute"
)

// Batcher yields a Set in shuffled mini-batches. The order of epoch e is a
// function of (seed, e) alone: a ChaCha8 stream keyed by both drives a
// Fisher-Yates shuffle written in this package, so neither earlier epochs nor
// changes to math/rand's shuffling helpers affect it. An interrupted run
// resumes bit-identically with Epoch(e) followed by Seek(batch).
//
// A Batcher is not safe for concurrent use. Next and NextIndices allocate
// nothing.
type Batcher struct {
	set      *Set
	size     int
	seed     uint64
	dropLast bool

	src   rand.ChaCha8
	perm  []int
	epoch int
	batch int // index of the next batch within the epoch
}

// NewBatcher returns a Batcher over set with the given batch size and seed,
// positioned at the start of epoch 0. With dropLast the final batch of an
// epoch is skipped when it has fewer than batchSize examples; without it that
// batch is returned short. It panics if set is nil or batchSize < 1.
func NewBatcher(set *Set, batchSize int, seed uint64, dropLast bool) *Batcher {
	if set == nil {
		panic("mnist: NewBatcher: nil Set")
	}
	if batchSize < 1 {
		panic(fmt.Sprintf("mnist: NewBatcher: batch size %d, want at least 1", batchSize))
	}
	b := &Batcher{set: set, size: batchSize, seed: seed, dropLast: dropLast, perm: make([]int, set.N)}
	b.Epoch(0)
	return b
}

// BatchSize returns the batch size.
func (b *Batcher) BatchSize() int { return b.size }

// Batches returns the number of batches per epoch.
func (b *Batcher) Batches() int {
	if b.dropLast {
		return b.set.N / b.size
	}
	return (b.set.N + b.size - 1) / b.size
}

// Pos returns the current epoch and the index of the batch the next call to
// Next or NextIndices returns (Batches() once the epoch is exhausted).
func (b *Batcher) Pos() (epoch, batch int) { return b.epoch, b.batch }

// permKeyTag separates this package's key stream from any other user of
// ChaCha8 keyed by the same seed.
const permKeyTag = "mnist.Batcher/v1"

// Epoch sets the permutation of epoch e (e >= 0) and moves to its first
// batch. It panics if e < 0.
func (b *Batcher) Epoch(e int) {
	if e < 0 {
		panic(fmt.Sprintf("mnist: Batcher.Epoch(%d): epoch must be >= 0", e))
	}
	permute.Keyed(b.perm, &b.src, b.seed, permKeyTag, uint64(e))
	b.epoch, b.batch = e, 0
}

// Seek moves to batch k (0 <= k <= Batches()) of the current epoch, so that
// the next call to Next returns batch k. It panics if k is out of range.
func (b *Batcher) Seek(k int) {
	if k < 0 || k > b.Batches() {
		panic(fmt.Sprintf("mnist: Batcher.Seek(%d): batch must be in 0..%d", k, b.Batches()))
	}
	b.batch = k
}

// NextIndices returns the indices into the Set of the next batch and
// advances, or nil when the epoch is exhausted. The slice aliases the
// Batcher's permutation and is valid until the next call to Epoch.
func (b *Batcher) NextIndices() []int {
	if b.batch >= b.Batches() {
		return nil
	}
	lo := b.batch * b.size
	hi := min(lo+b.size, b.set.N)
	b.batch++
	return b.perm[lo:hi:hi]
}

// Next copies the next batch into x (image after image, Rows*Cols values
// each) and y (labels), advances and returns the number of examples copied:
// BatchSize() except possibly for the final batch of an epoch without
// dropLast, and 0 when the epoch is exhausted. It panics unless
// len(x) >= BatchSize()*Rows*Cols and len(y) >= BatchSize().
func (b *Batcher) Next(x []float64, y []uint8) int {
	d := b.set.Dim()
	if len(x) < b.size*d || len(y) < b.size {
		panic(fmt.Sprintf("mnist: Batcher.Next: buffers x of length %d and y of length %d, want at least %d (batch %d x %d pixels) and %d",
			len(x), len(y), b.size*d, b.size, d, b.size))
	}
	idx := b.NextIndices()
	for r, i := range idx {
		copy(x[r*d:(r+1)*d], b.set.Images[i*d:(i+1)*d])
		y[r] = b.set.Labels[i]
	}
	return len(idx)
}

// OneHot writes labels as one-hot rows of length classes into the first
// len(labels)*classes entries of dst, row r holding 1 at column labels[r] and
// 0 elsewhere, and returns that prefix of dst. It panics if dst is too short
// or a label is not below classes.
func OneHot(dst []float64, labels []uint8, classes int) []float64 {
	if classes < 1 || len(dst) < len(labels)*classes {
		panic(fmt.Sprintf("mnist: OneHot: dst of length %d, want at least %d labels x %d classes", len(dst), len(labels), classes))
	}
	out := dst[:len(labels)*classes]
	clear(out)
	for r, l := range labels {
		if int(l) >= classes {
			panic(fmt.Sprintf("mnist: OneHot: label %d at index %d, want below %d classes", l, r, classes))
		}
		out[r*classes+int(l)] = 1
	}
	return out
}
