// Package par runs data-parallel loops over index ranges on a small pool of
// persistent worker goroutines, without allocating per call.
//
// Elementwise work in Whitebox (tanh over a 512 x 784 batch, Runge-Kutta stage
// combinations) is memory- and transcendental-bound; splitting it over the
// machine's cores roughly halves its cost on two cores. Work items are values
// implementing Kernel, so a caller that keeps its kernel in a reused struct
// pays no allocation for the dispatch.
package par
