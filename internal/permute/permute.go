// Package permute draws the seeded permutations that the data batchers
// (mnist, physionet) visit their records in: a Fisher-Yates shuffle driven by
// a ChaCha8 stream keyed by (seed, tag, epoch), so that an order depends on
// those three values alone and a stopped run resumes bit-identically. The
// algorithm is written out here rather than taken from math/rand/v2's
// Shuffle so that the orders cannot change with the Go version.
package permute

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// Keyed fills perm with a uniform random permutation of 0..len(perm)-1,
// reseeding src with the key (seed, epoch, tag): bytes 0-7 the seed, 8-15
// the epoch (little-endian), 16-31 the first 16 bytes of tag. It allocates
// nothing.
func Keyed(perm []int, src *rand.ChaCha8, seed uint64, tag string, epoch uint64) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], seed)
	binary.LittleEndian.PutUint64(key[8:], epoch)
	copy(key[16:], tag)
	src.Seed(key)
	for i := range perm {
		perm[i] = i
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := Bounded(src, uint64(i)+1)
		perm[i], perm[j] = perm[j], perm[i]
	}
}

// Bounded returns a uniform value in [0, n) by Lemire's multiply-and-reject
// method ("Fast random integer generation in an interval", 2019).
func Bounded(src *rand.ChaCha8, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
