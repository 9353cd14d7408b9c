package brownian

import "fmt"

// Tape records the increments of accepted steps so that a backward pass can
// replay exactly the noise the forward solve used. The solver appends each
// accepted step (before or after Process.Accept, with the buffers Increment
// or Reject filled); Step hands them back in order. Storage grows by 2*N+2
// numbers per step and is reused after Reset.
type Tape struct {
	n    int
	t, h []float64
	w, z []float64
}

// NewTape returns an empty Tape for n components. It panics if n < 1.
func NewTape(n int) *Tape {
	if n < 1 {
		panic(fmt.Sprintf("brownian: NewTape with n = %d components; want n >= 1", n))
	}
	return &Tape{n: n}
}

// N returns the number of components.
func (tp *Tape) N() int { return tp.n }

// Len returns the number of recorded steps.
func (tp *Tape) Len() int { return len(tp.t) }

// Reset empties the tape and keeps its storage.
func (tp *Tape) Reset() {
	tp.t, tp.h, tp.w, tp.z = tp.t[:0], tp.h[:0], tp.w[:0], tp.z[:0]
}

// Append records the step [t, t+h] with increments dW and dZ, copying them.
// It panics unless both buffers have length N.
func (tp *Tape) Append(t, h float64, dW, dZ []float64) {
	if len(dW) != tp.n || len(dZ) != tp.n {
		panic(fmt.Sprintf("brownian: Tape.Append with len(dW) = %d, len(dZ) = %d; want both = N = %d",
			len(dW), len(dZ), tp.n))
	}
	tp.t = append(tp.t, t)
	tp.h = append(tp.h, h)
	tp.w = append(tp.w, dW...)
	tp.z = append(tp.z, dZ...)
}

// Step returns recorded step i (0 <= i < Len): its start time, length and
// increments. dW and dZ are views into the tape; do not modify them.
// It panics if i is out of range.
func (tp *Tape) Step(i int) (t, h float64, dW, dZ []float64) {
	if i < 0 || i >= len(tp.t) {
		panic(fmt.Sprintf("brownian: Tape.Step(%d) with Len = %d; want 0 <= i < Len", i, len(tp.t)))
	}
	n := tp.n
	return tp.t[i], tp.h[i], tp.w[i*n : (i+1)*n : (i+1)*n], tp.z[i*n : (i+1)*n : (i+1)*n]
}
