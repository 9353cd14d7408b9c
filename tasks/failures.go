package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
)

// MaxFailedSolves is how many training iterations in a row may have their
// solve fail before SkipFailedSolve ends the run.
const MaxFailedSolves = 10

// SkipFailedSolve decides what a training iteration (a train.Step) does
// when its solve, forward or adjoint, returned err. It returns nil when
// the iteration is to be skipped, leaving the model unchanged: err is a
// failed solve (an *ode.SolveError, as sde wraps it too: a diverging model,
// too many steps) and fewer than MaxFailedSolves iterations in a row,
// counting this one, have failed. Otherwise it returns the error that ends
// the run: the context's error once it is done, err itself when it is not
// a failed solve, or an error prefixed by task ("spiralsde: ...") naming
// the failures in a row and asking for a lower learning rate or tolerance.
// history holds the iterations before this one, oldest first, and failed
// tells whether one of them was skipped.
func SkipFailedSolve[M any](ctx context.Context, task string, err error, history []M, failed func(M) bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var se *ode.SolveError
	if !errors.As(err, &se) {
		return err
	}
	n := 1
	for k := len(history) - 1; k >= 0 && failed(history[k]); k-- {
		n++
	}
	if n >= MaxFailedSolves {
		return fmt.Errorf("%s: %d solves in a row failed (last: %w); lower the learning rate or the tolerance", task, n, err)
	}
	return nil
}

// StepFinite takes opt's step on params when every entry of their
// gradients is finite, and otherwise returns an error prefixed by task
// asking for a lower learning rate, leaving the parameters unchanged.
func StepFinite(task string, opt optim.Optimizer, params []*ad.Param) error {
	for _, p := range params {
		for _, v := range p.Grad.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return errors.New(task + ": the gradient has NaN or infinite entries; lower the learning rate")
			}
		}
	}
	opt.Step(params)
	return nil
}
