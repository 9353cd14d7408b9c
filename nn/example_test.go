package nn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/tensor"
)

// The spiral model of the paper, x -> x^3 -> Dense(2,50,tanh) -> Dense(50,2),
// applied to a batch of three states, and its architecture as stored in model
// files.
func Example() {
	rng := rand.New(rand.NewPCG(1999, 0))
	model := nn.NewChain(nn.Cube(), nn.NewDense(2, 50, nn.Tanh, rng), nn.NewDense(50, 2, nn.Identity, rng))

	tp := ad.NewTape()
	u := tp.Const(tensor.FromSlice(3, 2, []float64{2, 0, 1, 1, 0, -1}))
	du := model.Forward(u)
	fmt.Printf("output %dx%d, %d parameter values\n", du.Rows(), du.Cols(), nn.Flatten(model.Params()).Len())
	fmt.Println(model.Spec())
	js, _ := json.Marshal(model.Spec().Layers[1])
	fmt.Println(string(js))
	// Output:
	// output 3x2, 252 parameter values
	// chain[map(cube) dense(2->50,tanh) dense(50->2)]
	// {"type":"dense","in":2,"out":50,"act":"tanh"}
}

// Training a classifier: record the loss on a tape, back-propagate, step the
// optimizer. The points are labelled by the sign of x*y.
func Example_training() {
	rng := rand.New(rand.NewPCG(7, 0))
	model := nn.NewChain(nn.NewDense(2, 16, nn.Tanh, rng), nn.NewDense(16, 2, nn.Identity, rng))
	opt := optim.NewAdam(optim.Constant(0.05))
	ps := model.Params()

	const n = 200
	x, y := tensor.New(n, 2), tensor.New(n, 2)
	labels := make([]uint8, n)
	for i := range n {
		a, b := 2*rng.Float64()-1, 2*rng.Float64()-1
		x.Set(i, 0, a)
		x.Set(i, 1, b)
		if a*b > 0 {
			labels[i] = 1
		}
		y.Set(i, int(labels[i]), 1)
	}
	tp := ad.NewTape()
	for range 300 {
		tp.Reset()
		loss := nn.LogitCrossEntropy(model.Forward(tp.Const(x)), tp.Const(y))
		nn.ZeroGrad(ps)
		tp.Backward(loss)
		opt.Step(ps)
	}
	tp.Reset()
	acc := nn.Accuracy(model.Forward(tp.Const(x)).Value(), labels)
	fmt.Printf("training accuracy above 95%%: %v\n", acc > 0.95)
	// Output: training accuracy above 95%: true
}

// Saving a model and loading it back; the file carries the architecture.
func ExampleSave() {
	dir, _ := os.MkdirTemp("", "nn-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "dynamics.wb")

	rng := rand.New(rand.NewPCG(1999, 0))
	dyn := nn.NewChain(nn.NewTimeDense(784, 100, nn.Tanh, rng), nn.NewTimeDense(100, 784, nn.Tanh, rng))
	if err := nn.Save(path, dyn); err != nil {
		fmt.Println(err)
		return
	}
	m, err := nn.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Spec())
	fmt.Println(m.(*nn.Chain).Layers[1].(*nn.TimeDense).W.Value.Shape())

	os.WriteFile(path, []byte("not a model"), 0o644)
	_, err = nn.Load(path)
	fmt.Println(err != nil)
	// Output:
	// chain[timedense(784+t->100,tanh) timedense(100+t->784,tanh)]
	// 101x784
	// true
}

// A neural ODE whose dynamics start with a dense layer, solved through
// ode.Problem.Input: the solver forms the stages' products with the first
// layer's weights (batch x 16 here) instead of the stage states (batch x
// 64). The state form takes the same steps and reaches the same state to
// rounding.
func ExampleChain_InputForm() {
	rng := rand.New(rand.NewPCG(7, 0))
	dyn := nn.NewChain(nn.NewTimeDense(64, 16, nn.Tanh, rng), nn.NewTimeDense(16, 64, nn.Tanh, rng))
	z0 := tensor.New(8, 64)
	for i := range z0.Data {
		z0.Data[i] = rng.Float64()
	}
	opts := &ode.Options{RTol: 1e-8, ATol: 1e-8}

	input, f, ok := dyn.InputForm()
	fmt.Println("input form:", ok)
	sol, err := ode.Solve(context.Background(), ode.Problem{F: f, Input: input, Z0: z0, T0: 0, T1: 1}, opts)
	if err != nil {
		panic(err)
	}
	state := func(t float64, z ad.Var) ad.Var { return dyn.ForwardT(z, t) }
	ref, err := ode.Solve(context.Background(), ode.Problem{F: state, Z0: z0, T0: 0, T1: 1}, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("NFE:", sol.NFE, ref.NFE)
	fmt.Println("same state to 1e-12:", tensor.RMSDiff(sol.Z[0].Data, ref.Z[0].Data) < 1e-12*tensor.RMS(ref.Z[0].Data))
	// Output:
	// input form: true
	// NFE: 75 75
	// same state to 1e-12: true
}
