package optim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
)

// BenchmarkStep times one update of the MNIST classifier's parameters
// (784x100 + 100 + 100x10 + 10 = 79510 values) per optimizer.
func BenchmarkStep(b *testing.B) {
	for _, o := range all(InverseDecay(0.1, 1e-5)) {
		b.Run(fmt.Sprintf("%T", o)[7:], func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			ps := []*ad.Param{ad.NewParam("W1", 784, 100), ad.NewParam("b1", 1, 100), ad.NewParam("W2", 100, 10), ad.NewParam("b2", 1, 10)}
			randGrads(rng, ps)
			o.Step(ps) // allocate the moments
			b.ReportAllocs()
			for b.Loop() {
				o.Step(ps)
			}
		})
	}
}
