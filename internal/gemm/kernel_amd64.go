//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the CPU can run the assembly micro-kernel.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX2 selects the assembly micro-kernel; tests clear it to run the Go
// one on the same machine.
var useAVX2 = hasAVX2

// kernel6x8AVX2 is kernelGo for k >= 1, on pointers: a to k*mr packed
// values, b to k*nr, c to the tile's first element, rows ldc apart.
//
//go:noescape
func kernel6x8AVX2(k int, a, b, c *float64, ldc int, alpha float64)

func kernel(k int, a, b, c []float64, ldc int, alpha float64) {
	if useAVX2 && k > 0 {
		_ = a[k*mr-1]
		_ = b[k*nr-1]
		_ = c[(mr-1)*ldc+nr-1]
		kernel6x8AVX2(k, &a[0], &b[0], &c[0], ldc, alpha)
		return
	}
	kernelGo(k, a, b, c, ldc, alpha)
}
