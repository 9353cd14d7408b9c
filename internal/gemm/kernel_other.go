//go:build !amd64 || purego

package gemm

const hasAVX2 = false

var useAVX2 = false

func kernel(k int, a, b, c []float64, ldc int, alpha float64) {
	kernelGo(k, a, b, c, ldc, alpha)
}
