package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/whitebox-de/whitebox/train"
)

// A loop around a step function, with per-iteration metrics as JSON lines.
// The clock is fixed so that the wall times printed are reproducible.
func Example() {
	x := 0.0
	step := func(_ context.Context, it int, _ *rand.Rand) (train.Metrics, error) {
		loss := (x - 3) * (x - 3)
		x -= 0.25 * 2 * (x - 3) // gradient descent on (x-3)^2
		return train.Metrics{Loss: loss, Objective: loss, NFE: 1}, nil
	}
	var clock time.Time
	loop := &train.Loop{
		Name: "quadratic", Iterations: 3, Seed: 1, Step: step,
		Recorders: []train.Recorder{train.NewJSONL(os.Stdout)},
		Now:       func() time.Time { clock = clock.Add(5 * time.Millisecond); return clock },
	}
	res, err := loop.Run(context.Background())
	fmt.Println(res.Iterations, res.Elapsed, x, err)
	// Output:
	// {"run":"quadratic","iteration":1,"loss":9,"objective":9,"nfe":1,"backward_nfe":0,"wall_time_s":0.005,"elapsed_s":0.005}
	// {"run":"quadratic","iteration":2,"loss":2.25,"objective":2.25,"nfe":1,"backward_nfe":0,"wall_time_s":0.005,"elapsed_s":0.01}
	// {"run":"quadratic","iteration":3,"loss":0.5625,"objective":0.5625,"nfe":1,"backward_nfe":0,"wall_time_s":0.005,"elapsed_s":0.015}
	// 3 15ms 2.625 <nil>
}

// The regularization of the paper's "error+stiffness" row: the error
// coefficient annealed from 100 to 10 over the run, the stiffness
// coefficient constant.
func ExampleRegularization() {
	m, err := train.ParseMethod("stiffness+error")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := train.Regularization{Method: m, ErrorCoef: 100, ErrorCoefFinal: 10, StiffnessCoef: 0.0285}
	fmt.Println(r.String())
	for _, it := range []int{0, 50, 100} {
		c := r.At(it, 101)
		fmt.Printf("iteration %3d: lambda %.4g, stiffness %g\n", it, c.Error, c.Stiffness)
	}
	// Output:
	// error+stiffness (error 100->10 sum, stiffness 0.0285 sum)
	// iteration   0: lambda 100, stiffness 0.0285
	// iteration  50: lambda 31.62, stiffness 0.0285
	// iteration 100: lambda 10, stiffness 0.0285
}
