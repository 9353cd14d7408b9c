package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"gonum.org/v1/gonum/floats"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
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

// One training step of TayNODE with the generic entry point: augment the
// model's dynamics, solve the augmented problem with the regularizer's
// integral out of the error norm, and differentiate the task's loss plus
// the regularization term through the discrete adjoint.
func ExampleRegularization_Augment() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewChain(nn.Cube(), nn.NewDense(2, 16, nn.Tanh, rng), nn.NewDense(16, 2, nn.Identity, rng))
	z0 := tensor.FromSlice(1, 2, []float64{2, 0})
	target := tensor.FromSlice(1, 2, []float64{0.5, 1})
	reg := train.Regularization{Method: train.Method{TayNODE: true}, TayNODECoef: 0.01, TayNODEOrder: 2}

	aug, err := reg.AugmentLayer(model, z0, 7) // a new seed per solve (used by rnode's probe)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	sol, err := ode.Solve(ctx, aug.Problem(0, 1), &ode.Options{NormColumns: aug.NormColumns, Adjoint: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	loss := func(tp *ad.Tape, z []ad.Var) ad.Var {
		end := z[len(z)-1] // the state at T1: [z(1) | r(1)]
		fit := ad.Mean(ad.Square(ad.Sub(aug.State(end), tp.Const(target))))
		return ad.Add(fit, aug.Term(end))
	}
	nn.ZeroGrad(model.Params())
	objective, _, err := sol.BackwardLoss(ctx, loss, ode.Regularization{})
	if err != nil {
		fmt.Println(err)
		return
	}
	end := sol.Z[len(sol.Z)-1]
	fmt.Printf("state columns %d of %d, norm columns %d\n", aug.Cols, end.Cols, aug.NormColumns)
	fmt.Printf("z(1) = %.4f\n", aug.StateValue(end).Data)
	fmt.Printf("R_2 = %.4f, objective %.4f\n", aug.Values(end)[train.RegTayNODE], objective)
	g := nn.Flatten(model.Params()).GradTo(nil)
	fmt.Printf("%d weights, |gradient| %.4f\n", len(g), math.Sqrt(floats.Dot(g, g)))
	// Output:
	// state columns 2 of 3, norm columns 2
	// z(1) = [3.6233 1.1934]
	// R_2 = 0.4326, objective 4.9006
	// 82 weights, |gradient| 29.9736
}
