package taylor_test

import (
	"context"
	"math"
	"testing"

	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestTayNODESolve integrates the augmented dynamics with package ode: for
// z' = z M, M acting as multiplication by lambda = -a + i w on z = x + i y,
// d^2 z/dt^2 = lambda^2 z, so rho = |lambda|^4 |z|^2/2 and
// R_2 = |lambda|^4 |z0|^2 (1 - exp(-2 a T))/(4 a).
func TestTayNODESolve(t *testing.T) {
	const a, w, T = 0.1, 2.0, 1.5
	m := tensor.FromSlice(2, 2, []float64{-a, w, -w, -a})
	f := func(_, z *taylor.Series) *taylor.Series { return taylor.MatMul(z, z.Tape().Const(m)) }
	aug, err := taylor.TayNODE(f, 2)
	if err != nil {
		t.Fatal(err)
	}
	z0 := tensor.FromSlice(1, 2, []float64{2, 0})
	p := ode.Problem{F: aug, Z0: taylor.Augment(z0, taylor.TayNODEColumns), T0: 0, T1: T}
	sol, err := ode.Solve(context.Background(), p, &ode.Options{RTol: 1e-10, ATol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	l4 := (a*a + w*w) * (a*a + w*w)
	want := l4 * 4 * (1 - math.Exp(-2*a*T)) / (4 * a)
	got := sol.Z[len(sol.Z)-1].At(0, 2)
	e := math.Abs(got-want) / want
	if e > 1e-7 {
		t.Errorf("R_2 = %.12g, exact %.12g (relative error %.3g)", got, want, e)
	}
	t.Logf("R_2 = %.12g, exact %.12g, relative error %.3g, NFE %d", got, want, e, sol.NFE)
}
