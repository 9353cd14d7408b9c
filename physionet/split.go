package physionet

import (
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/internal/permute"
)

// TrainFraction is the share of records Split puts in the training split.
const TrainFraction = 0.8

// splitKeyTag separates Split's key stream from other users of ChaCha8
// keyed by the same seed (at most 16 bytes: the rest of the key).
const splitKeyTag = "pn.Split/v1"

// Split shuffles the records of d with the given seed and returns the
// first floor(0.8 N) of the shuffled order as the training split and the
// rest as the test split (for set-a: 3200 and 800), each a copy in shuffled
// order. The permutation depends only on the seed and N: a ChaCha8 stream
// keyed by the seed drives a Fisher-Yates shuffle written in this package,
// so the same seed gives the same split on every platform and Go version.
func Split(d *Dataset, seed uint64) (train, test *Dataset) {
	perm := make([]int, d.Len())
	permute.Keyed(perm, new(rand.ChaCha8), seed, splitKeyTag, 0)
	nTrain := d.Len() * 4 / 5
	return d.Subset(perm[:nTrain]), d.Subset(perm[nTrain:])
}
