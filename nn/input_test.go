package nn

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestInputFormMatchesForward: for chains whose first layer is a Dense or
// TimeDense (tanh, relu, identity), InputForm's f(t, x*W) equals
// ForwardT(x, t) to rounding, values and parameter gradients; a chain that
// starts with another layer has no input form.
func TestInputFormMatchesForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	x := tensor.New(6, 9)
	for i := range x.Data {
		x.Data[i] = 2*rng.Float64() - 1
	}
	for _, act := range []Activation{Tanh, Relu, Identity} {
		for _, first := range []Layer{NewDense(9, 5, act, rng), NewTimeDense(9, 5, act, rng)} {
			c := NewChain(first, NewTimeDense(5, 9, Tanh, rng))
			input, f, ok := c.InputForm()
			if !ok {
				t.Fatalf("%T: no input form", first)
			}
			run := func(form bool) ([]float64, []float64) {
				for _, p := range c.Params() {
					p.Grad.Zero()
				}
				tp := ad.NewTape()
				xv := tp.Const(x)
				var y ad.Var
				if form {
					y = f(0.7, ad.MatMul(xv, input(tp)))
				} else {
					y = c.ForwardT(xv, 0.7)
				}
				tp.Backward(ad.Sum(ad.Square(y)))
				var g []float64
				for _, p := range c.Params() {
					g = append(g, p.Grad.Data...)
				}
				return append([]float64(nil), y.Value().Data...), g
			}
			y0, g0 := run(false)
			y1, g1 := run(true)
			for name, pair := range map[string][2][]float64{"value": {y0, y1}, "gradient": {g0, g1}} {
				if d := tensor.RMSDiff(pair[0], pair[1]) / tensor.RMS(pair[0]); d > 1e-14 {
					t.Errorf("%T %s: %s differs by %.2g relative", first, act, name, d)
				}
			}
		}
	}
	if _, _, ok := NewChain(Cube(), NewDense(2, 2, Tanh, rng)).InputForm(); ok {
		t.Error("a chain starting with a Map has an input form")
	}
	if _, _, ok := NewChain().InputForm(); ok {
		t.Error("an empty chain has an input form")
	}
}

// TestInputFormSolve: the MNIST-shaped dynamics built from nn layers, solved
// through ode.Problem.Input, take the same number of evaluations and reach
// the same state as the state form.
func TestInputFormSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	c := NewChain(NewTimeDense(30, 8, Tanh, rng), NewTimeDense(8, 30, Tanh, rng))
	input, f, _ := c.InputForm()
	z0 := tensor.New(4, 30)
	for i := range z0.Data {
		z0.Data[i] = rng.Float64()
	}
	o := &ode.Options{RTol: 1e-8, ATol: 1e-8}
	a, err := ode.Solve(context.Background(), ode.Problem{F: func(t float64, z ad.Var) ad.Var { return c.ForwardT(z, t) }, Z0: z0, T0: 0, T1: 1}, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ode.Solve(context.Background(), ode.Problem{F: f, Input: input, Z0: z0, T0: 0, T1: 1}, o)
	if err != nil {
		t.Fatal(err)
	}
	if a.NFE != b.NFE {
		t.Errorf("NFE %d with Input, %d without", b.NFE, a.NFE)
	}
	if d := tensor.RMSDiff(a.Z[0].Data, b.Z[0].Data) / tensor.RMS(a.Z[0].Data); d > 1e-11 {
		t.Errorf("final states differ by %.2g relative", d)
	}
}
