package nn

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
)

// Flat views a list of parameters as one vector of values and one vector of
// gradients, concatenated in order, each parameter row-major. It holds the
// parameters themselves, not copies: CopyFrom writes into them.
type Flat struct {
	params []*ad.Param
	n      int
}

// Flatten returns the flat view of params (for example model.Params()).
func Flatten(params []*ad.Param) *Flat {
	f := &Flat{params: params}
	for _, p := range params {
		f.n += len(p.Value.Data)
	}
	return f
}

// Params returns the viewed parameters.
func (f *Flat) Params() []*ad.Param { return f.params }

// Len is the total number of values.
func (f *Flat) Len() int { return f.n }

func (f *Flat) check(op string, n int) {
	if n != f.n {
		panic(fmt.Sprintf("nn: Flat.%s: vector of length %d for %d parameter values", op, n, f.n))
	}
}

// CopyTo copies the parameter values into dst (length Len()) and returns it;
// a nil dst is allocated.
func (f *Flat) CopyTo(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.n)
	}
	f.check("CopyTo", len(dst))
	off := 0
	for _, p := range f.params {
		off += copy(dst[off:], p.Value.Data)
	}
	return dst
}

// CopyFrom sets the parameter values from src (length Len()).
func (f *Flat) CopyFrom(src []float64) {
	f.check("CopyFrom", len(src))
	off := 0
	for _, p := range f.params {
		off += copy(p.Value.Data, src[off:])
	}
}

// GradTo copies the gradients into dst (length Len()) and returns it; a nil
// dst is allocated. A parameter with a nil Grad reads as zeros.
func (f *Flat) GradTo(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.n)
	}
	f.check("GradTo", len(dst))
	off := 0
	for _, p := range f.params {
		n := len(p.Value.Data)
		if p.Grad != nil {
			copy(dst[off:off+n], p.Grad.Data)
		} else {
			clear(dst[off : off+n])
		}
		off += n
	}
	return dst
}

// ZeroGrad sets every gradient to zero (Backward adds into them).
func (f *Flat) ZeroGrad() { ZeroGrad(f.params) }

// ZeroGrad sets the gradient of every parameter to zero.
func ZeroGrad(params []*ad.Param) {
	for _, p := range params {
		if p.Grad != nil {
			p.Grad.Zero()
		}
	}
}
