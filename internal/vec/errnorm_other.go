//go:build !amd64 || purego

package vec

func errNormSumAVX2(x, u0, u1 []float64, atol, rtol float64, lanes *[16]float64) {
	panic("vec: no assembly")
}

func errNormBackAVX2(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64) {
	panic("vec: no assembly")
}

func rmsDiffBackAVX2(ga, gb, a, b []float64, c float64) { panic("vec: no assembly") }
