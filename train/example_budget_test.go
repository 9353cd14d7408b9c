package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// fitRotation trains a small neural ODE on a damped rotation with the
// regularization the controller b sets (b is inactive without a budget)
// and returns the prediction's NFE and loss.
func fitRotation(b *train.BudgetController, iters int) (nfe int, loss float64, err error) {
	const T, tol = 2.0, 1e-6
	times := make([]float64, 16)
	data := make([]*tensor.Dense, len(times))
	for i := range times {
		t := T * float64(i+1) / float64(len(times))
		times[i] = t
		data[i] = tensor.FromSlice(1, 2, []float64{2 * math.Exp(-t/10) * math.Cos(2*t), -2 * math.Exp(-t/10) * math.Sin(2*t)})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	model := nn.NewChain(nn.NewDense(2, 16, nn.Tanh, rng), nn.NewDense(16, 2, nn.Identity, rng))
	params, opt := model.Params(), optim.NewAdam(optim.Constant(0.01))
	prob := ode.Problem{F: func(_ float64, z ad.Var) ad.Var { return model.Forward(z) }, Z0: tensor.FromSlice(1, 2, []float64{2, 0}), T0: 0, T1: T}
	mse := func(z []*tensor.Dense) (float64, []*tensor.Dense) {
		s, dZ := 0.0, make([]*tensor.Dense, len(z))
		for i := range z {
			dZ[i] = tensor.New(1, 2)
			for k, v := range z[i].Data {
				e := v - data[i].Data[k]
				s += e * e
				dZ[i].Data[k] = 2 * e / float64(2*len(z))
			}
		}
		return s / float64(2*len(z)), dZ
	}
	step := func(ctx context.Context, it int, _ *rand.Rand) (train.Metrics, error) {
		sol, err := ode.Solve(ctx, prob, &ode.Options{RTol: tol, ATol: tol, SaveAt: times, Adjoint: true})
		if err != nil {
			return train.Metrics{}, err
		}
		loss, dZ := mse(sol.Z)
		r := b.At(it, iters) // the budget's coefficient of this iteration
		nn.ZeroGrad(params)
		if _, err := sol.Backward(ctx, dZ, r); err != nil {
			return train.Metrics{}, err
		}
		sol.Release()
		opt.Step(params)
		return train.Metrics{Loss: loss, NFE: sol.NFE, Coefficients: map[string]float64{"error": r.Error}}, nil
	}
	loop := &train.Loop{Name: "rotation", Iterations: iters, Seed: 1, Step: step}
	b.Attach(loop)
	if _, err := b.Run(context.Background(), loop, train.RunOptions{}, 1, nil); err != nil {
		return 0, 0, err
	}
	sol, err := ode.Solve(context.Background(), prob, &ode.Options{RTol: tol, ATol: tol, SaveAt: times})
	if err != nil {
		return 0, 0, err
	}
	loss, _ = mse(sol.Z)
	return sol.NFE, loss, nil
}

// Training a neural ODE of one's own to a prediction budget: the
// controller sets the error regularizer's coefficient at every iteration
// from the forward NFE of the training solves, so that the trained model
// predicts within the budget, and says at the end whether it does. Here
// 0.8x the unregularized model's NFE is met; 0.6x is below what this data
// can be fit with at this tolerance, and the outcome says so (its Verdict
// adds the closest NFE the training reached and its loss).
func ExampleBudgetController() {
	const iters = 1500
	vanilla, err := train.NewBudgetController(train.Budget{}, train.Regularization{}, iters)
	if err != nil {
		fmt.Println(err)
		return
	}
	nfe0, _, err := fitRotation(vanilla, iters)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, frac := range []float64{0.8, 0.6} {
		reg := train.Regularization{Method: train.Method{Error: true}, ErrorCoef: 0.01} // the starting coefficient
		b, err := train.NewBudgetController(train.Budget{NFE: math.Round(frac * float64(nfe0))}, reg, iters)
		if err != nil {
			fmt.Println(err)
			return
		}
		nfe, loss, err := fitRotation(b, iters)
		if err != nil {
			fmt.Println(err)
			return
		}
		out := b.Outcome(float64(nfe), loss)
		fmt.Printf("budget %.1fx vanilla: met %v, infeasible %v\n", frac, out.Met, out.Infeasible())
	}
	// Output:
	// budget 0.8x vanilla: met true, infeasible false
	// budget 0.6x vanilla: met false, infeasible true
}
