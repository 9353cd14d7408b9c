//go:build amd64 && !purego

package vec

// errNormSumAVX2 stores into lanes the 16 lane sums of ErrorNormSum over the
// first len(x)&^15 elements; len(u0) == len(u1) == len(x).
//
//go:noescape
func errNormSumAVX2(x, u0, u1 []float64, atol, rtol float64, lanes *[16]float64)

// errNormBackAVX2 runs ErrorNormBackward on the first len(x)&^3 elements;
// the lengths are checked by the caller, and a nil destination is skipped.
//
//go:noescape
func errNormBackAVX2(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64)

// rmsDiffBackAVX2 runs RMSDiffBackward on the first len(a)&^3 elements; the
// lengths are checked by the caller, and a nil destination is skipped.
//
//go:noescape
func rmsDiffBackAVX2(ga, gb, a, b []float64, c float64)
