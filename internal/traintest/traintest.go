// Package traintest holds what the tests of the training tasks share: a
// train.Recorder that keeps a run's progress and can cancel it partway, as
// Ctrl-C would.
package traintest

import (
	"context"

	"github.com/whitebox-de/whitebox/train"
)

// Recorder is a train.Recorder for tests: it keeps every Begin and every
// iteration's metrics, and when StopAt is positive it calls Cancel once
// iteration StopAt is recorded, as Ctrl-C would.
type Recorder struct {
	Metrics []train.Metrics
	Begins  []train.Info
	StopAt  int
	Cancel  context.CancelFunc
}

var _ train.Recorder = (*Recorder)(nil)

// Begin keeps info.
func (r *Recorder) Begin(info train.Info) { r.Begins = append(r.Begins, info) }

// Record keeps m and calls Cancel when m is iteration StopAt (StopAt > 0).
func (r *Recorder) Record(m train.Metrics) {
	r.Metrics = append(r.Metrics, m)
	if r.StopAt > 0 && m.Iteration == r.StopAt {
		r.Cancel()
	}
}

// End does nothing.
func (r *Recorder) End(train.Result, error) {}
