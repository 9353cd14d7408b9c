package ode

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestBackwardLossMatchesFiniteDifferences: BackwardLoss with a nonlinear
// loss of several saved states that binds a parameter of its own (a
// readout matrix) gives the gradient with respect to Z0, the dynamics'
// parameters and the loss's parameter that central finite differences
// through the frozen solve give, along random directions, to 1e-6 relative;
// and with a regularization it equals Backward given the loss's cotangents.
func TestBackwardLossMatchesFiniteDifferences(t *testing.T) {
	f, dyn := spiralModel(1999)
	ro := ad.NewParam("readout", 2, 3)
	rng := rand.New(rand.NewPCG(10, 10))
	for i := range ro.Value.Data {
		ro.Value.Data[i] = rng.NormFloat64()
	}
	params := append(append([]*ad.Param{}, dyn...), ro)
	target := tensor.FromSlice(1, 2, []float64{0.5, -1})
	loss := func(tp *ad.Tape, z []ad.Var) ad.Var {
		fit := ad.Mean(ad.Square(ad.Sub(z[1], tp.Const(target))))
		read := ad.Sum(ad.Tanh(ad.MatMul(z[3], tp.Param(ro))))
		return ad.Add(ad.Add(fit, read), ad.Scale(ad.Sum(ad.Cube(z[2])), 0.1))
	}
	z0 := State(1, 2, []float64{2, 0})
	p := Problem{F: f, Z0: z0, T0: 0, T1: 1.5}
	sol, err := Solve(context.Background(), p, &Options{SaveAt: []float64{0, 0.5, 1, 1.5}, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	gradcheck.ZeroGrads(params)
	v, dz0, err := sol.BackwardLoss(context.Background(), loss, Regularization{})
	if err != nil {
		t.Fatal(err)
	}
	grad := gradcheck.FlatGrad(params)
	// The loss of the frozen solve replayed from z at the parameters'
	// current values.
	replayLoss := func(z *tensor.Dense) float64 {
		tp := ad.NewTape()
		zs, _, _, err := sol.Replay(tp, tp.Const(z))
		if err != nil {
			t.Fatal(err)
		}
		return loss(tp, zs).Scalar()
	}
	if got := replayLoss(z0); got != v {
		t.Errorf("BackwardLoss's value %v, the replayed loss %v", v, got)
	}
	checkDirections(t, rng, z0, dz0, params, grad, replayLoss)

	// With a regularization: Backward given the loss's cotangents.
	reg := Regularization{Error: 0.3, Stiffness: 0.1, ErrorAgg: Sum, StiffnessAgg: Max}
	gradcheck.ZeroGrads(params)
	_, dzl, err := sol.BackwardLoss(context.Background(), loss, reg)
	if err != nil {
		t.Fatal(err)
	}
	gl := append(dzl.Data, gradcheck.FlatGrad(params)...)
	gradcheck.ZeroGrads(params)
	_, dz, err := sol.LossCotangents(loss)
	if err != nil {
		t.Fatal(err)
	}
	if dz[0] != nil {
		t.Errorf("the loss does not read Z[0], yet its cotangent is %v", dz[0])
	}
	dzb, err := sol.Backward(context.Background(), dz, reg)
	if err != nil {
		t.Fatal(err)
	}
	gb := append(dzb.Data, gradcheck.FlatGrad(params)...)
	for i := range gl {
		if gl[i] != gb[i] {
			t.Fatalf("BackwardLoss %v, Backward with the loss's cotangents %v", gl, gb)
		}
	}
}

func TestBackwardLossRejects(t *testing.T) {
	f, _ := spiralModel(1999)
	p := Problem{F: f, Z0: State(1, 2, []float64{2, 0}), T0: 0, T1: 1}
	sol, err := Solve(context.Background(), p, &Options{Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	other := ad.NewTape()
	for name, c := range map[string]struct {
		loss Loss
		want string
	}{
		"nil":        {nil, "nil"},
		"not scalar": {func(_ *ad.Tape, z []ad.Var) ad.Var { return ad.Square(z[0]) }, "1x2 value"},
		"invalid":    {func(*ad.Tape, []ad.Var) ad.Var { return ad.Var{} }, "invalid Var"},
		"other tape": {func(*ad.Tape, []ad.Var) ad.Var { return other.Scalar(1) }, "another tape"},
	} {
		if _, _, err := sol.BackwardLoss(context.Background(), c.loss, Regularization{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
	plain, err := Solve(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(_ *ad.Tape, z []ad.Var) ad.Var { return ad.Sum(z[0]) }
	if _, _, err := plain.BackwardLoss(context.Background(), sum, Regularization{}); err == nil || !strings.Contains(err.Error(), "Options.Adjoint") {
		t.Errorf("without Options.Adjoint: %v", err)
	}
}

func TestState(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6}
	z := State(2, 3, v)
	v[0] = 9
	if z.Rows != 2 || z.Cols != 3 || z.Data[0] != 1 || z.At(1, 2) != 6 {
		t.Errorf("State(2, 3, ...) = %v", z)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "5 values cannot form a 2x3 state") {
			t.Errorf("State with 5 values for 2x3: panic %v", r)
		}
	}()
	State(2, 3, v[:5])
}

// checkDirections compares the gradient (dz0 for z0, grad for params, as
// gradcheck.FlatGrad lays it out) with central finite differences of loss,
// a function of z0 at the parameters' current values, along three random
// directions of (z0, params), to 1e-6 relative.
func checkDirections(t *testing.T, rng *rand.Rand, z0, dz0 *tensor.Dense, params []*ad.Param, grad []float64, loss func(z *tensor.Dense) float64) {
	t.Helper()
	for dir := range 3 {
		vz := gradcheck.RandLike(rng, z0)
		vp := make([]*tensor.Dense, len(params))
		adj := 0.0
		for k := range vz.Data {
			adj += vz.Data[k] * dz0.Data[k]
		}
		off := 0
		for i, pr := range params {
			vp[i] = gradcheck.RandLike(rng, pr.Value)
			for k := range vp[i].Data {
				adj += vp[i].Data[k] * grad[off+k]
			}
			off += pr.Value.Len()
		}
		fd, err := gradcheck.CentralDifferenceOf(func(z *tensor.Dense) (float64, error) { return loss(z), nil }, z0, vz, params, vp, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(fd-adj) / math.Max(math.Abs(fd), 1e-12); e > 1e-6 {
			t.Errorf("direction %d: adjoint %.12g vs finite difference %.12g (relative error %.2g)", dir, adj, fd, e)
		}
	}
}
