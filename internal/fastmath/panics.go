package fastmath

import "fmt"

func lengthMismatch(fn string, dst, src []float64) string {
	return fmt.Sprintf("fastmath: %s: len(dst) = %d but len(src) = %d; pass slices of equal length", fn, len(dst), len(src))
}
