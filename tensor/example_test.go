package tensor_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/tensor"
)

func ExampleMatMul() {
	a := tensor.FromSlice(2, 2, []float64{1, 2, 3, 4})
	b := tensor.FromSlice(2, 2, []float64{5, 6, 7, 8})
	c := tensor.New(2, 2)
	tensor.MatMul(c, 1, a, false, b, false, 0) // c = a*b
	fmt.Println(c.Data)
	tensor.MatMul(c, 1, a, true, b, false, 0) // c = a^T*b
	fmt.Println(c.Data)
	// Output:
	// [19 22 43 50]
	// [26 30 38 44]
}
