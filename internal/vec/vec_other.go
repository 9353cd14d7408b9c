//go:build !amd64 || purego

package vec

// hasAVX2 is false: there is no assembly for this architecture or build.
const hasAVX2 = false

// useAVX2 stays false (tests only ever set it to hasAVX2), so the stubs
// below are never called.
var useAVX2 = hasAVX2

func linCombAVX2(dst []float64, acc bool, c []float64, src [][]float64) { panic("vec: no assembly") }
func tanhBackAVX2(dst, g, y []float64)                                  { panic("vec: no assembly") }
func sumSqAVX2(x []float64, lanes *[16]float64)                         { panic("vec: no assembly") }
func sumSqDiffAVX2(a, b []float64, lanes *[16]float64)                  { panic("vec: no assembly") }
