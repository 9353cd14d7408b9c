package train

// RunOptions say how one training run reports and saves itself; every task
// takes them as one value. The zero value trains without recorders or
// checkpoints.
type RunOptions struct {
	// Name labels the run in progress output, metrics and checkpoints
	// ("" keeps the task's default name, "<task>/<method>/seed=<seed>").
	Name string
	// Recorders receive the run's progress and per-iteration metrics.
	Recorders []Recorder
	// Checkpoint, if set, is the checkpoint file, written every
	// CheckpointEvery iterations (0: only on interrupt) and at the end.
	Checkpoint      string
	CheckpointEvery int
	// Resume, if set, is a checkpoint of the same configuration to continue
	// from; the continued run is bit-identical to an uninterrupted one.
	Resume string
}

// Apply sets the options on l (its Name only when o.Name is set) and, when
// o.Resume is set, restores l from that checkpoint.
func (o RunOptions) Apply(l *Loop) error {
	if o.Name != "" {
		l.Name = o.Name
	}
	l.Recorders = o.Recorders
	l.CheckpointPath = o.Checkpoint
	l.CheckpointEvery = o.CheckpointEvery
	if o.Resume != "" {
		return l.Restore(o.Resume)
	}
	return nil
}
