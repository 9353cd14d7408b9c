package taylor_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/taylor"
)

// BenchmarkJet times one Taylor-mode evaluation of d^K z/dt^K of the MNIST
// dynamics (TimeDense(784,100,tanh), TimeDense(100,784,tanh), batch 512)
// and one plain evaluation of the same dynamics, alternately in one loop so
// both see the same machine speed, and reports their ratio jet/plain.
func BenchmarkJet(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewChain(nn.NewTimeDense(784, 100, nn.Tanh, rng), nn.NewTimeDense(100, 784, nn.Tanh, rng))
	f, err := taylor.FromLayer(model)
	if err != nil {
		b.Fatal(err)
	}
	z := randDense(rng, 512, 784, 1)
	for _, k := range []int{2, 3} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			tp := ad.NewTape()
			plain := func() {
				tp.Reset()
				model.ForwardT(tp.Const(z), 0.5)
			}
			jet := func() {
				tp.Reset()
				taylor.Derivative(f, 0.5, tp.Const(z), k)
			}
			var tPlain, tJet time.Duration
			for i := 0; b.Loop(); i++ {
				first, second := plain, jet
				tf, ts := &tPlain, &tJet
				if i%2 == 1 {
					first, second, tf, ts = jet, plain, &tJet, &tPlain
				}
				t0 := time.Now()
				first()
				*tf += time.Since(t0)
				t0 = time.Now()
				second()
				*ts += time.Since(t0)
			}
			n := float64(b.N)
			b.ReportMetric(tPlain.Seconds()*1e3/n, "ms-plain")
			b.ReportMetric(tJet.Seconds()*1e3/n, "ms-jet")
			b.ReportMetric(tJet.Seconds()/tPlain.Seconds(), "jet/plain")
		})
	}
}
