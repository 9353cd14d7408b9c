package sde

import (
	"errors"
	"fmt"
	"strings"

	"github.com/whitebox-de/whitebox/ode"
)

// inputError is a rejected problem or option: it matches
// ode.ErrInvalidInput with errors.Is.
type inputError struct{ msg string }

func (e *inputError) Error() string { return "sde: invalid input: " + e.msg }

func (e *inputError) Unwrap() error { return ode.ErrInvalidInput }

func invalid(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

// solveError is a failed solve: it wraps an *ode.SolveError (so errors.As
// finds it and errors.Is matches its Kind) under the package's prefix.
type solveError struct{ err *ode.SolveError }

func (e *solveError) Error() string {
	return "sde: " + strings.TrimPrefix(e.err.Error(), "ode: ")
}

func (e *solveError) Unwrap() error { return e.err }

// wrap puts a failed solve's *ode.SolveError under the package's prefix.
func wrap(err error) error {
	if se, ok := err.(*ode.SolveError); ok {
		return &solveError{se}
	}
	return err
}

// AsSolveError returns the *ode.SolveError inside err, if any: a shorthand
// for errors.As.
func AsSolveError(err error) (*ode.SolveError, bool) {
	var se *ode.SolveError
	ok := errors.As(err, &se)
	return se, ok
}
