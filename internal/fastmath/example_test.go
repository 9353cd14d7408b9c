package fastmath_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/internal/fastmath"
)

func ExampleTanhSlice() {
	z := []float64{-3, -0.5, 0, 0.5, 3, 25}
	fastmath.TanhSlice(z, z) // in place
	for _, v := range z {
		fmt.Printf("%.6f\n", v)
	}
	// Output:
	// -0.995055
	// -0.462117
	// 0.000000
	// 0.462117
	// 0.995055
	// 1.000000
}

func ExampleSigmoid() {
	fmt.Printf("%.6f %.6f %.4g\n", fastmath.Sigmoid(2), fastmath.Sigmoid(-2), fastmath.Sigmoid(-740))
	// Output:
	// 0.880797 0.119203 4.2e-322
}
