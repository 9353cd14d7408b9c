package train

import "math/rand/v2"

// IterationRNG returns the random generator of iteration it of a run with
// the given seed: a PCG seeded from (seed, it) through SplitMix64, so the
// draws of an iteration depend on nothing but the seed and the iteration
// number, and nearby seeds or iterations give unrelated streams.
func IterationRNG(seed uint64, it int) *rand.Rand {
	hi := splitmix64(seed)
	lo := splitmix64(hi ^ splitmix64(uint64(it)+0x632be59bd9b4e019))
	return rand.New(rand.NewPCG(hi, lo))
}

// splitmix64 is the finaliser of Steele, Lea and Flood's SplitMix64.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
