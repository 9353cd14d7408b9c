package physionet

import (
	"fmt"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/internal/permute"
)

// DefaultBatchSize is the batch size of the reference latent-ODE runs.
const DefaultBatchSize = 512

// BatchConfig configures a Batcher. The zero value means batches of 512
// records, shuffled with seed 0, the short last batch dropped.
type BatchConfig struct {
	// Size is the number of records per batch; 0 means DefaultBatchSize.
	Size int
	// Seed keys the shuffle of every epoch.
	Seed uint64
	// KeepPartial keeps the last batch of an epoch when it holds fewer
	// than Size records; by default it is dropped, as in the reference
	// code, so every batch has exactly Size records.
	KeepPartial bool
	// InOrder visits the records in storage order every epoch instead of
	// shuffling them.
	InOrder bool
}

// batchKeyTag separates the Batcher's key stream from Split's.
const batchKeyTag = "pn.Batcher/v1"

// Batcher yields a Dataset in mini-batches. The order of epoch e is a
// function of (Seed, e) alone, so a run stopped anywhere resumes
// bit-identically with Epoch(e) followed by Seek(batch).
//
// A Batcher is not safe for concurrent use. Epoch, Next and NextIndices
// allocate nothing.
type Batcher struct {
	d     *Dataset
	cfg   BatchConfig
	src   rand.ChaCha8
	perm  []int
	epoch int
	batch int // index of the next batch within the epoch
}

// NewBatcher returns a Batcher over d positioned at the start of epoch 0.
// It panics if d is nil or cfg.Size is negative.
func NewBatcher(d *Dataset, cfg BatchConfig) *Batcher {
	if d == nil {
		panic("physionet: NewBatcher: nil Dataset")
	}
	if cfg.Size < 0 {
		panic(fmt.Sprintf("physionet: NewBatcher: batch size %d, want at least 1 (or 0 for %d)", cfg.Size, DefaultBatchSize))
	}
	if cfg.Size == 0 {
		cfg.Size = DefaultBatchSize
	}
	b := &Batcher{d: d, cfg: cfg, perm: make([]int, d.Len())}
	b.Epoch(0)
	return b
}

// BatchSize returns the number of records of a full batch.
func (b *Batcher) BatchSize() int { return b.cfg.Size }

// Batches returns the number of batches per epoch (0 when the short last
// batch is dropped and the Dataset has fewer than BatchSize records).
func (b *Batcher) Batches() int {
	n := b.d.Len()
	if b.cfg.KeepPartial {
		return (n + b.cfg.Size - 1) / b.cfg.Size
	}
	return n / b.cfg.Size
}

// Pos returns the current epoch and the index of the batch the next call
// to Next or NextIndices returns (Batches() once the epoch is exhausted).
func (b *Batcher) Pos() (epoch, batch int) { return b.epoch, b.batch }

// Epoch sets the order of epoch e (e >= 0) and moves to its first batch.
// It panics if e < 0.
func (b *Batcher) Epoch(e int) {
	if e < 0 {
		panic(fmt.Sprintf("physionet: Batcher.Epoch(%d): epoch must be >= 0", e))
	}
	if b.cfg.InOrder {
		for i := range b.perm {
			b.perm[i] = i
		}
	} else {
		permute.Keyed(b.perm, &b.src, b.cfg.Seed, batchKeyTag, uint64(e))
	}
	b.epoch, b.batch = e, 0
}

// Seek moves to batch k (0 <= k <= Batches()) of the current epoch. It
// panics if k is out of range.
func (b *Batcher) Seek(k int) {
	if k < 0 || k > b.Batches() {
		panic(fmt.Sprintf("physionet: Batcher.Seek(%d): batch must be in 0..%d", k, b.Batches()))
	}
	b.batch = k
}

// NextIndices returns the indices into the Dataset of the next batch and
// advances, or nil when the epoch is exhausted. The slice aliases the
// Batcher's order and is valid until the next call to Epoch.
func (b *Batcher) NextIndices() []int {
	if b.batch >= b.Batches() {
		return nil
	}
	lo := b.batch * b.cfg.Size
	hi := min(lo+b.cfg.Size, b.d.Len())
	b.batch++
	return b.perm[lo:hi:hi]
}

// Next copies the next batch into values and mask, each laid out
// row-major [record][time][feature] (RecordSize entries per record, as
// Dataset.Values), advances and returns the number of records copied:
// BatchSize(), except possibly for the last batch of an epoch with
// KeepPartial, and 0 when the epoch is exhausted. It panics unless both
// buffers hold at least BatchSize()*RecordSize entries.
func (b *Batcher) Next(values, mask []float64) int {
	want := b.cfg.Size * RecordSize
	if len(values) < want || len(mask) < want {
		panic(fmt.Sprintf("physionet: Batcher.Next: buffers values of length %d and mask of length %d, want at least %d (batch %d x %d times x %d features) each",
			len(values), len(mask), want, b.cfg.Size, NumTimes, NumFeatures))
	}
	idx := b.NextIndices()
	for r, i := range idx {
		copy(values[r*RecordSize:(r+1)*RecordSize], b.d.Values[i*RecordSize:(i+1)*RecordSize])
		copy(mask[r*RecordSize:(r+1)*RecordSize], b.d.Mask[i*RecordSize:(i+1)*RecordSize])
	}
	return len(idx)
}
