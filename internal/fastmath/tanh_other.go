//go:build !amd64 || purego

package fastmath

// Without the amd64 assembly, TanhSlice always runs the scalar loop. The
// names mirror tanh_amd64.go so that the tests build everywhere.
const (
	haveAVX2FMA = false
	haveAVX512  = false
)

var useAVX2, useAVX512 = false, false

func tanhSliceVec(dst, src []float64) bool { return false }
