package optim_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/optim"
)

// Minimise f(x, y) = (x-3)^2 + 10 (y+1)^2 with Adam on a flat vector.
func Example() {
	opt := optim.NewAdam(optim.InverseDecay(0.1, 1e-3))
	x := []float64{0, 0}
	g := make([]float64, 2)
	for range 2000 {
		g[0], g[1] = 2*(x[0]-3), 20*(x[1]+1)
		opt.StepFlat(x, g)
	}
	fmt.Printf("x = %.3f, y = %.3f after %d steps\n", x[0], x[1], opt.Steps())
	// Output: x = 3.000, y = -1.000 after 2000 steps
}

// The paper's schedules: the learning rate of Momentum decays as
// 0.1/(1 + 1e-5 n) and the error-regularization weight is annealed from 100
// to 10 over 75 epochs.
func ExampleExpAnneal() {
	lr := optim.InverseDecay(0.1, 1e-5)
	lambda := optim.ExpAnneal(100, 10, 75)
	fmt.Printf("lr: %.6f at step 1, %.6f at step 100000\n", lr.At(1), lr.At(100000))
	fmt.Printf("lambda: %.2f, %.2f, %.2f at epochs 0, 37, 75\n", lambda.At(0), lambda.At(37), lambda.At(75))
	// Output:
	// lr: 0.099999 at step 1, 0.050000 at step 100000
	// lambda: 100.00, 32.11, 10.00 at epochs 0, 37, 75
}

// Saving and restoring an optimizer's state to resume training.
func ExampleMomentum_MarshalBinary() {
	opt := optim.NewMomentum(optim.Constant(0.1), 0.9)
	x := []float64{1}
	opt.StepFlat(x, []float64{1})
	state, _ := opt.MarshalBinary()

	resumed := optim.NewMomentum(optim.Constant(0.1), 0.9)
	if err := resumed.UnmarshalBinary(state); err != nil {
		fmt.Println(err)
		return
	}
	resumed.StepFlat(x, []float64{1}) // v = 0.9*0.1 + 0.1
	fmt.Printf("x = %.2f after %d steps\n", x[0], resumed.Steps())
	// Output: x = 0.71 after 2 steps
}
