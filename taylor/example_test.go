package taylor_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
)

// Higher time derivatives of the rotation z' = z M, the TayNODE integrand
// rho = mean((d^2 z/dt^2)^2) as an augmented state, and its gradient.
func Example() {
	m := ad.NewParam("M", 2, 2)
	copy(m.Value.Data, []float64{0, 1, -1, 0})
	f := func(_, z *taylor.Series) *taylor.Series {
		return taylor.MatMul(z, z.Tape().Param(m))
	}
	z0 := tensor.FromSlice(1, 2, []float64{1, 0})

	tp := ad.NewTape()
	for k := 1; k <= 4; k++ {
		d := taylor.Derivative(f, 0, tp.Const(z0), k)
		fmt.Printf("d^%d z/dt^%d = %v\n", k, k, d.Value().Data)
	}

	// A solver integrates [z | r] from [z0 | 0]; here one evaluation.
	aug, err := taylor.TayNODE(f, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	out := aug(0, tp.Const(taylor.Augment(z0, taylor.TayNODEColumns)))
	fmt.Printf("[z' | rho] = %v\n", out.Value().Data)
	tp.Backward(ad.SliceCols(out, 2, 3))
	fmt.Printf("d rho/dM = %v\n", m.Grad.Data)
	// Output:
	// d^1 z/dt^1 = [0 1]
	// d^2 z/dt^2 = [-1 0]
	// d^3 z/dt^3 = [0 -1]
	// d^4 z/dt^4 = [1 0]
	// [z' | rho] = [0 1 0.5]
	// d rho/dM = [0 1 -1 0]
}
