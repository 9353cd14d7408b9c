// Package par runs data-parallel loops over index ranges on a small pool of
// persistent worker goroutines, without allocating per call.
//
// Elementwise work in Whitebox (tanh over a 512 x 784 batch, Runge-Kutta stage
// combinations) is memory- and transcendental-bound; splitting it over the
// machine's cores roughly halves its cost on two cores. Work items are values
// implementing Kernel, so a caller that keeps its kernel in a reused struct
// pays no allocation for the dispatch.
//
// A worker waiting for work spins for some tens of microseconds before it
// parks, and a caller waiting for its workers spins too: the solvers start a
// loop every few microseconds, and waking a parked goroutine costs about as
// much as a small kernel. On a machine shared with other processes the
// spinning costs them that much CPU time per loop.
package par
