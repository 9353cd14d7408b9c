package brownian_test

import (
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/brownian"
)

// A solver proposes a step, rejects it, takes half of it, and then the rest:
// the two accepted pieces add up to what the rejected proposal revealed.
func Example() {
	const n = 2
	p := brownian.New(n, 0, 1999)
	tape := brownian.NewTape(n) // for replay in a backward pass
	dW, dZ := make([]float64, n), make([]float64, n)

	p.Increment(0.1, dW, dZ)
	revealed := dW[0]

	p.Reject(0.05, dW, dZ) // the error estimate was too large
	tape.Append(p.T(), 0.05, dW, dZ)
	p.Accept()
	first := dW[0]

	p.Increment(0.05, dW, dZ)
	tape.Append(p.T(), 0.05, dW, dZ)
	p.Accept()

	fmt.Printf("T = %.2f after %d accepted steps\n", p.T(), tape.Len())
	fmt.Println("pieces add up to the rejected proposal:", math.Abs(first+dW[0]-revealed) < 1e-15)
	// Output:
	// T = 0.10 after 2 accepted steps
	// pieces add up to the rejected proposal: true
}
