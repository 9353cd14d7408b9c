package odetest_test

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/ode/odetest"
)

// A solver test takes each problem's F, Y0 and [T0, T1] and compares its
// end value with YEnd. Here forward Euler with 200000 steps on A1.
func Example() {
	p := odetest.DETEST()[0]
	y, dy := append([]float64(nil), p.Y0...), make([]float64, len(p.Y0))
	n := 200000
	h := (p.T1 - p.T0) / float64(n)
	for i := range n {
		p.F(p.T0+float64(i)*h, y, dy)
		y[0] += h * dy[0]
	}
	fmt.Printf("%s: %s on [%g, %g]\n", p.Name, p.Description, p.T0, p.T1)
	fmt.Printf("y(20) = %.6e, reference %.6e, relative error %.1e\n", y[0], p.YEnd[0], math.Abs(y[0]-p.YEnd[0])/p.YEnd[0])
	// Output:
	// A1: y' = -y (exponential decay) on [0, 20]
	// y(20) = 2.059093e-09, reference 2.061154e-09, relative error 1.0e-03
}
