package ad

import (
	"fmt"

	"github.com/whitebox-de/whitebox/tensor"
)

// Products holds the values of the matrix-product nodes (MatMul and Dense)
// of one recording, and with CaptureCombinations also of its linear
// combinations and norms, in recording order, so that a later recording of the
// same computation can take them instead of computing them again. It is the
// checkpointing policy that keeps the costly values (products) and recomputes
// the cheap elementwise ones, which the ODE adjoint uses to avoid
// re-evaluating the dynamics' matrix products in its reverse sweep.
//
// The zero value is empty and ready to use.
//
// Solver hook: see Solver hooks in the package doc.
type Products struct {
	vals []*tensor.Dense
	// combos: the capture kept combinations too (CaptureCombinations).
	combos bool
}

// Len is the number of captured product values.
//
// Solver hook: see Solver hooks in the package doc.
func (p *Products) Len() int { return len(p.vals) }

// Floats is the number of float64 values the captured products hold.
//
// Solver hook: see Solver hooks in the package doc.
func (p *Products) Floats() int {
	n := 0
	for _, v := range p.vals {
		n += len(v.Data)
	}
	return n
}

// Append moves the values of q to the end of p, leaving q empty. Both must
// have been captured the same way (products only, or with combinations).
//
// Solver hook: see Solver hooks in the package doc.
func (p *Products) Append(q *Products) {
	if len(q.vals) == 0 {
		return
	}
	if len(p.vals) == 0 {
		p.combos = q.combos
	} else if p.combos != q.combos {
		panic("ad: Products.Append: values captured with CaptureProducts and with CaptureCombinations do not mix")
	}
	p.vals = append(p.vals, q.vals...)
	clear(q.vals)
	q.vals = q.vals[:0]
}

// Release returns p's buffers to tp's pool, where later recordings on tp
// reuse them, and empties p. Nothing may use values taken from p afterwards.
//
// Solver hook: see Solver hooks in the package doc.
func (p *Products) Release(tp *Tape) {
	for _, v := range p.vals {
		tp.put(v)
	}
	clear(p.vals)
	p.vals = p.vals[:0]
}

type productMode uint8

const (
	productsOff productMode = iota
	productsCapture
	productsReuse
)

// CaptureProducts makes every product node recorded from now on (until
// StopProducts or Reset) keep its value in p: the value stays valid after
// Reset, owned by p. p must be empty or hold values captured the same way.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) CaptureProducts(p *Products) {
	tp.prodMode, tp.prod, tp.prodPos = productsCapture, p, 0
	p.combos = false
}

// CaptureCombinations is CaptureProducts that also keeps the values of the
// linear combinations and norms (LinComb, RMS, RMSDiff, ErrorNorm): the whole
// arithmetic of a Runge-Kutta step outside the dynamics' elementwise ops.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) CaptureCombinations(p *Products) {
	tp.CaptureProducts(p)
	p.combos = true
}

// ReuseProducts makes the product nodes recorded from now on (until
// StopProducts or Reset) take their values from p, in order, without
// computing them. The recording must repeat the one that captured p:
// the same products of the same inputs. A product whose shape differs from
// the captured one panics, as does running out of captured values. p keeps
// ownership of the values.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) ReuseProducts(p *Products) {
	tp.prodMode, tp.prod, tp.prodPos = productsReuse, p, 0
}

// StopProducts ends capturing or reusing products.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) StopProducts() {
	tp.prodMode, tp.prod, tp.prodPos = productsOff, nil, 0
}

// ProvideCombinations makes the combination nodes (LinComb, RMS, RMSDiff,
// ErrorNorm) recorded from now on (until StopProviding or Reset) take their
// values from vals, in order, without computing them; products are
// unaffected (they may be captured or reused meanwhile). The caller has
// computed the values by other means (fused, say) and vouches that they are
// what the nodes would compute; it keeps ownership of them and must keep them
// alive until the tape is Reset. Running out of values, or a value of the
// wrong shape, panics, as does providing values while the tape reuses
// combinations captured with CaptureCombinations (the two would compete for
// the same nodes).
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) ProvideCombinations(vals []*tensor.Dense) {
	if tp.prodMode == productsReuse && tp.prod.combos {
		panic("ad: ProvideCombinations while reusing captured combinations (CaptureCombinations)")
	}
	tp.provide, tp.providePos = vals, 0
}

// StopProviding ends ProvideCombinations and reports how many values the
// recording took.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) StopProviding() int {
	n := tp.providePos
	tp.provide, tp.providePos = nil, 0
	return n
}

// pushCombination is pushProduct for the nodes CaptureCombinations keeps.
func (tp *Tape) pushCombination(op opKind, a, b int32, r, c int) (Var, *tensor.Dense, bool) {
	if tp.provide != nil {
		if tp.providePos >= len(tp.provide) {
			panic(fmt.Sprintf("ad: ProvideCombinations: the recording has more combinations than the %d values provided", len(tp.provide)))
		}
		v := tp.provide[tp.providePos]
		if v.Rows != r || v.Cols != c {
			panic(fmt.Sprintf("ad: ProvideCombinations: value %d is %s for a %dx%d combination", tp.providePos, v.Shape(), r, c))
		}
		tp.providePos++
		return tp.pushVal(op, a, b, v, false), v, true
	}
	if tp.prodMode == productsOff || !tp.prod.combos {
		out, d := tp.push(op, a, b, r, c)
		return out, d, false
	}
	return tp.pushProduct(op, a, b, r, c)
}

// pushProduct records a product node with an r x c value, captured or
// reused when the tape is in one of those modes. It reports whether the
// value was taken from captured products (then the caller must not compute
// it).
func (tp *Tape) pushProduct(op opKind, a, b int32, r, c int) (Var, *tensor.Dense, bool) {
	switch tp.prodMode {
	case productsReuse:
		p := tp.prod
		if tp.prodPos >= len(p.vals) {
			panic(fmt.Sprintf("ad: ReuseProducts: the recording has more products than the %d captured; the computation must repeat the captured one", len(p.vals)))
		}
		v := p.vals[tp.prodPos]
		if v.Rows != r || v.Cols != c {
			panic(fmt.Sprintf("ad: ReuseProducts: kept value %d is %dx%d but the captured one is %s; the computation must repeat the captured one", tp.prodPos, r, c, v.Shape()))
		}
		tp.prodPos++
		return tp.pushVal(op, a, b, v, false), v, true
	case productsCapture:
		d := tp.get(r, c)
		tp.prod.vals = append(tp.prod.vals, d)
		return tp.pushVal(op, a, b, d, false), d, false
	}
	out, d := tp.push(op, a, b, r, c)
	return out, d, false
}
