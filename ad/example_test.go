package ad_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// Reverse mode gives the gradient of a loss; forward mode (JVP) gives a
// directional derivative through the same recording.
func Example() {
	w := ad.NewParam("w", 2, 1)
	copy(w.Value.Data, []float64{0.5, -1})
	x := tensor.FromSlice(1, 2, []float64{1, 2})

	tp := ad.NewTape()
	wv := tp.Param(w)
	tp.SetTangent(wv, tp.Const(tensor.FromSlice(2, 1, []float64{1, 0})))
	mark := tp.Len()
	loss := ad.Sum(ad.Square(ad.Tanh(ad.MatMul(tp.Const(x), wv))))
	tp.JVP(mark)
	dir, _ := tp.Tangent(loss)
	tp.Backward(loss)

	// By hand: x*w = -1.5, loss = tanh(-1.5)^2, dloss/dw = 2 tanh (1-tanh^2) x.
	fmt.Printf("loss %.6f\n", loss.Scalar())
	fmt.Printf("gradient [%.6f %.6f]\n", w.Grad.Data[0], w.Grad.Data[1])
	fmt.Printf("directional derivative along w1: %.6f\n", dir.Scalar())
	// Output:
	// loss 0.819293
	// gradient [-0.327133 -0.654265]
	// directional derivative along w1: -0.327133
}
