// Package check holds the input checks shared by the ODE and SDE solvers.
// Errors carry no package prefix: each solver wraps them in its own
// invalid-input error.
package check
