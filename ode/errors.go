package ode

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is against a *SolveError.
var (
	// ErrMaxSteps: the solve attempted MaxSteps steps without reaching the
	// end of the span.
	ErrMaxSteps = errors.New("ode: maximum number of steps reached")
	// ErrStepSizeUnderflow: the controller asked for a step smaller than
	// DtMin (or than the floating-point resolution of t).
	ErrStepSizeUnderflow = errors.New("ode: step size underflow")
	// ErrNonFinite: the state, a stage derivative or the error estimate
	// became NaN or infinite and shrinking the step did not help.
	ErrNonFinite = errors.New("ode: non-finite value")
	// ErrInvalidInput: the problem or options were rejected before any work.
	ErrInvalidInput = errors.New("ode: invalid input")
)

// SolveError is a failed solve: the kind (one of the sentinels), where it
// happened, and what to do about it.
type SolveError struct {
	Kind error
	// T and H are the time and step size of the step that failed.
	T, H float64
	// Hint tells the user how to proceed.
	Hint string
}

func (e *SolveError) Error() string {
	return fmt.Sprintf("%v at t=%.17g with h=%.3g: %s", e.Kind, e.T, e.H, e.Hint)
}

// Unwrap lets errors.Is match the kind.
func (e *SolveError) Unwrap() error { return e.Kind }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}
