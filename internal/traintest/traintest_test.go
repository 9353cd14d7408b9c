package traintest

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/train"
)

// A Recorder keeps the Begin and each iteration's metrics, and with StopAt
// cancels the run once that iteration is recorded: the loop then stops with
// an *train.InterruptedError after exactly StopAt iterations.
func TestRecorderStopsAt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &Recorder{StopAt: 3, Cancel: cancel}
	l := &train.Loop{
		Name:       "toy",
		Iterations: 5,
		Step: func(_ context.Context, it int, _ *rand.Rand) (train.Metrics, error) {
			return train.Metrics{Loss: float64(10 - it)}, nil
		},
		Recorders: []train.Recorder{rec},
	}
	res, err := l.Run(ctx)
	var ie *train.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want an *train.InterruptedError matching context.Canceled", err)
	}
	if ie.Iteration != 3 || ie.Total != 5 || res.Iterations != 3 {
		t.Errorf("interrupted at %d of %d (result %d iterations), want 3 of 5", ie.Iteration, ie.Total, res.Iterations)
	}
	if len(rec.Begins) != 1 || rec.Begins[0] != (train.Info{Name: "toy", Total: 5}) {
		t.Errorf("begins %+v, want one for toy of 5 iterations", rec.Begins)
	}
	if len(rec.Metrics) != 3 {
		t.Fatalf("%d metrics, want 3", len(rec.Metrics))
	}
	for i, m := range rec.Metrics {
		if m.Iteration != i+1 || m.Loss != float64(10-i) || m.Run != "toy" {
			t.Errorf("metrics %d: %+v, want iteration %d, loss %v", i, m, i+1, float64(10-i))
		}
	}
}

// Without StopAt a Recorder keeps every iteration and never calls Cancel
// (nil here, so calling it would panic).
func TestRecorderKeepsAll(t *testing.T) {
	rec := &Recorder{}
	l := &train.Loop{
		Iterations: 4,
		Step: func(context.Context, int, *rand.Rand) (train.Metrics, error) {
			return train.Metrics{Loss: 1}, nil
		},
		Recorders: []train.Recorder{rec, rec},
	}
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.Begins) != 2 || len(rec.Metrics) != 8 {
		t.Errorf("%d begins and %d metrics, want 2 and 8 (the recorder is given twice)", len(rec.Begins), len(rec.Metrics))
	}
}
