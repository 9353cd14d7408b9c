package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
)

// A failed solve skips its iteration until MaxFailedSolves fail in a row;
// any other error, and a cancelled context, end the run at once.
func TestSkipFailedSolve(t *testing.T) {
	ctx := context.Background()
	solveErr := fmt.Errorf("sde: %w", &ode.SolveError{Kind: ode.ErrMaxSteps, Hint: "raise MaxSteps"})
	failed := func(b bool) bool { return b }
	// History: an old failure, a success, then n failures in a row.
	history := func(n int) []bool {
		h := []bool{true, false}
		for range n {
			h = append(h, true)
		}
		return h
	}
	for n := range MaxFailedSolves - 1 {
		if err := SkipFailedSolve(ctx, "x", solveErr, history(n), failed); err != nil {
			t.Errorf("%d failures before: %v, want the iteration skipped", n, err)
		}
	}
	err := SkipFailedSolve(ctx, "x", solveErr, history(MaxFailedSolves-1), failed)
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("x: %d solves in a row failed", MaxFailedSolves)) || !errors.Is(err, ode.ErrMaxSteps) {
		t.Errorf("%d failures in a row: %v, want the run ended with the streak named and the solve error wrapped", MaxFailedSolves, err)
	}
	other := errors.New("disk full")
	if err := SkipFailedSolve(ctx, "x", other, nil, failed); err != other {
		t.Errorf("not a solve error: %v, want it returned as it is", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := SkipFailedSolve(cctx, "x", solveErr, nil, failed); !errors.Is(err, context.Canceled) || errors.Is(err, ode.ErrMaxSteps) {
		t.Errorf("cancelled: %v, want the context's error", err)
	}
}

// StepFinite steps on finite gradients and refuses a NaN or an infinity
// without touching the parameters.
func TestStepFinite(t *testing.T) {
	p := ad.NewParam("w", 1, 2)
	p.Grad.Data[0], p.Grad.Data[1] = 1, -1
	opt := optim.NewAdam(optim.Constant(0.1))
	if err := StepFinite("x", opt, []*ad.Param{p}); err != nil {
		t.Fatal(err)
	}
	if opt.Steps() != 1 || !(p.Value.Data[0] < 0 && p.Value.Data[1] > 0) {
		t.Fatalf("after a finite step: %d steps, values %v, want 1 step against the gradient", opt.Steps(), p.Value.Data)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		before := append([]float64(nil), p.Value.Data...)
		p.Grad.Data[1] = bad
		err := StepFinite("x", opt, []*ad.Param{p})
		if err == nil || !strings.HasPrefix(err.Error(), "x: the gradient has NaN or infinite entries") {
			t.Errorf("gradient entry %v: %v, want the step refused", bad, err)
		}
		if opt.Steps() != 1 || p.Value.Data[0] != before[0] || p.Value.Data[1] != before[1] {
			t.Errorf("gradient entry %v: the parameters or the optimizer changed (%d steps, values %v)", bad, opt.Steps(), p.Value.Data)
		}
	}
}
