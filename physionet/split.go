package physionet

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
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
	permute(perm, new(rand.ChaCha8), seed, splitKeyTag, 0)
	nTrain := d.Len() * 4 / 5
	return d.Subset(perm[:nTrain]), d.Subset(perm[nTrain:])
}

// permute fills perm with a permutation of 0..len(perm)-1 drawn from src
// keyed by (seed, tag, epoch).
func permute(perm []int, src *rand.ChaCha8, seed uint64, tag string, epoch uint64) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], seed)
	binary.LittleEndian.PutUint64(key[8:], epoch)
	copy(key[16:], tag)
	src.Seed(key)
	for i := range perm {
		perm[i] = i
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := boundedUint64(src, uint64(i)+1)
		perm[i], perm[j] = perm[j], perm[i]
	}
}

// boundedUint64 returns a uniform value in [0, n) by Lemire's multiply-and-
// reject method ("Fast random integer generation in an interval", 2019).
func boundedUint64(src *rand.ChaCha8, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
