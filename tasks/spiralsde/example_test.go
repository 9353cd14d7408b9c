package spiralsde_test

import (
	"context"
	"fmt"

	"github.com/whitebox-de/whitebox/tasks/spiralsde"
	"github.com/whitebox-de/whitebox/train"
)

// A short error-regularized training run at a small scale (the defaults
// are 500 iterations of 100 trajectories against 10,000 simulated ones).
func Example() {
	cfg := spiralsde.Config{
		Seed:         1,
		Reg:          train.Regularization{Method: train.Method{Error: true}},
		Iterations:   10,
		Trajectories: 30,
		Data:         spiralsde.DataConfig{Trajectories: 500},
	}
	res, err := spiralsde.Run(context.Background(), cfg, train.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	first, last := res.Iterations[0].Loss, res.Iterations[len(res.Iterations)-1].Loss
	fmt.Printf("%d iterations, loss fell: %v, moments at %d times\n", len(res.Iterations), last < first, len(res.T))
	// Output: 10 iterations, loss fell: true, moments at 30 times
}
