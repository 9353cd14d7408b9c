//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the CPU can run the assembly kernels.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX2 selects the assembly kernels; tests clear it to run the Go
// fallbacks on the same machine.
var useAVX2 = hasAVX2

// linCombAVX2 computes LinComb for the first len(dst)&^3 elements;
// len(src) >= 1 and all lengths are checked by the caller.
//
//go:noescape
func linCombAVX2(dst []float64, acc bool, c []float64, src [][]float64)

// tanhBackAVX2 computes TanhBackward for the first
// len(dst)&^3 elements; the lengths are checked by the caller.
//
//go:noescape
func tanhBackAVX2(dst, g, y []float64)

// sumSqAVX2 stores into lanes the 16 lane sums of SumSquares over the first
// len(x)&^15 elements.
//
//go:noescape
func sumSqAVX2(x []float64, lanes *[16]float64)

// sumSqDiffAVX2 stores into lanes the 16 lane sums of SumSquaresDiff over
// the first len(a)&^15 elements; len(b) == len(a).
//
//go:noescape
func sumSqDiffAVX2(a, b []float64, lanes *[16]float64)
