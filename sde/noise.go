package sde

import "github.com/whitebox-de/whitebox/brownian"

// Noise supplies the Brownian increments of a solve, one component per
// element of the state (diagonal noise). Over a proposed step [t, t+h] it
// writes, for every component j, dW[j] = W(t+h) - W(t) and dZ[j], a normal
// variable with variance h independent of dW[j] such that
// chi2 = (dW + dZ/sqrt(3))/2 is (1/h) * integral_t^{t+h} (W(s) - W(t)) ds,
// the iterated integral the SRI methods need.
//
// The solver calls Increment to propose a step from the current time,
// Reject to replace a rejected proposal by a step of another size from the
// same start, and Accept to advance the current time past the pending
// proposal. A Noise starts at the problem's T0. *brownian.Process is the
// implementation Solve uses by default (seeded with Options.Seed); it keeps
// the path correct under rejections (rejection sampling with memory). A
// custom Noise, for example one that reads a path fixed in advance on a fine
// grid, must keep every value it hands out on one Brownian path in the same
// way.
type Noise interface {
	Increment(h float64, dW, dZ []float64)
	Reject(hNew float64, dW, dZ []float64)
	Accept()
}

var _ Noise = (*brownian.Process)(nil)
