package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Metrics is what one iteration reports. Step fills the measurements; the
// loop sets Run, Iteration, WallTime and Elapsed.
type Metrics struct {
	// Run names the run (Loop.Name), so one metrics file can hold several.
	Run string `json:"run,omitempty"`
	// Iteration is the number of completed iterations, 1 for the first.
	Iteration int `json:"iteration"`
	// Loss is the data loss of the iteration (without regularization).
	Loss float64 `json:"loss"`
	// Objective is what the gradient is of: the loss plus the weighted
	// regularizers.
	Objective float64 `json:"objective"`
	// Regularizers holds the unweighted value of each regularizer ("error"
	// for R_E, "stiffness" for R_S), whether or not it is weighted into the
	// objective; Coefficients holds the weights used this iteration.
	Regularizers map[string]float64 `json:"regularizers,omitempty"`
	Coefficients map[string]float64 `json:"coefficients,omitempty"`
	// EndTime is the end of the integration span (STEER varies it).
	EndTime float64 `json:"end_time,omitempty"`
	// NFE and BackwardNFE count the evaluations of the dynamics in the
	// forward solve and in the adjoint.
	NFE         int `json:"nfe"`
	BackwardNFE int `json:"backward_nfe"`
	// BudgetNFE is the count of the forward solve a budget is on, when it
	// is not NFE (0: NFE): mnist-nsde's table and budget count the drift's
	// evaluations alone, while NFE holds drift plus diffusion.
	BudgetNFE int `json:"budget_nfe,omitempty"`
	// BudgetLoss is the loss a budget's loss guards compare, when Loss does
	// not suit them (0: Loss): the guards take ratios to the best loss, so
	// they need a positive loss, and physionet's Loss, a negative
	// log-likelihood, has a constant that makes it negative once the fit
	// is good; it gives its masked squared error here.
	BudgetLoss float64 `json:"budget_loss,omitempty"`
	// Budget is the budget controller's state after the iteration (nil
	// without a budget; see BudgetController).
	Budget *BudgetMetrics `json:"budget,omitempty"`
	// WallTime is this iteration's wall time and Elapsed the training time
	// so far (the sum of all iterations' wall times), in seconds.
	WallTime float64 `json:"wall_time_s"`
	Elapsed  float64 `json:"elapsed_s"`
}

// Step performs iteration it (0 for the first) and reports its metrics. Its
// random draws must come from rng (IterationRNG(seed, it)). It should pass
// ctx to the solver, and must leave the training state (parameters,
// optimizer) unchanged when it returns an error.
type Step func(ctx context.Context, it int, rng *rand.Rand) (Metrics, error)

// Loop runs a training loop. Set the fields, optionally Restore a
// checkpoint, then Run.
type Loop struct {
	// Name labels the run in progress output, metrics and checkpoints.
	Name string
	// Iterations is the total number of iterations of the run (> 0).
	Iterations int
	// Seed roots every random draw (see IterationRNG).
	Seed uint64
	// Fingerprint is an opaque description of the run's configuration,
	// stored in checkpoints; Restore refuses a checkpoint whose fingerprint
	// differs. Empty: not checked.
	Fingerprint string
	// Step does one iteration.
	Step Step
	// State is what a checkpoint holds besides the iteration count, such as
	// {"model", ModuleState(m)} and {"optimizer", opt}.
	State []Section
	// CheckpointPath is where checkpoints are written; "" writes none.
	CheckpointPath string
	// CheckpointEvery writes a checkpoint after every CheckpointEvery
	// iterations (and at the end of the run); 0 only on interrupt.
	CheckpointEvery int
	// Recorders receive progress and metrics.
	Recorders []Recorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	start   int
	elapsed time.Duration
}

// Info describes a run to Recorders when it begins.
type Info struct {
	Name string
	// Total is the run's number of iterations; Start the number already
	// done (non-zero after Restore).
	Total, Start int
}

// Result describes a finished (or interrupted) run.
type Result struct {
	// Iterations is the number of completed iterations, including those
	// before a resume; Start is where this Run began.
	Iterations, Start int
	// Elapsed is the training time: the sum of the iterations' wall times,
	// including those recorded in a restored checkpoint.
	Elapsed time.Duration
	// Checkpoint is the last checkpoint written, "" if none.
	Checkpoint string
}

// InterruptedError reports a run stopped by its context. errors.Is matches
// it against the context's error (context.Canceled or DeadlineExceeded).
type InterruptedError struct {
	// Iteration is the number of completed iterations, Total the run's.
	Iteration, Total int
	// Checkpoint is the checkpoint written on interrupt ("" when the loop
	// has no CheckpointPath).
	Checkpoint string
	Cause      error
}

func (e *InterruptedError) Error() string {
	if e.Checkpoint == "" {
		return fmt.Sprintf("train: interrupted after iteration %d of %d (no checkpoint path was set, so the run cannot be resumed)", e.Iteration, e.Total)
	}
	return fmt.Sprintf("train: interrupted after iteration %d of %d; checkpoint written to %s: resume from it to continue", e.Iteration, e.Total, e.Checkpoint)
}

// Unwrap returns the context's error.
func (e *InterruptedError) Unwrap() error { return e.Cause }

func (l *Loop) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Start is the iteration the next Run begins at: 0, or the checkpoint's
// after Restore.
func (l *Loop) Start() int { return l.start }

// Run runs iterations Start() .. Iterations-1. On cancellation it writes a
// checkpoint (when CheckpointPath is set) and returns an *InterruptedError; a
// Step error ends the run with that error and no checkpoint.
func (l *Loop) Run(ctx context.Context) (res Result, err error) {
	if l.Step == nil {
		return res, errors.New("train: Loop.Step is nil; give the loop a step function")
	}
	if l.Iterations <= 0 {
		return res, fmt.Errorf("train: Loop.Iterations = %d; it must be positive", l.Iterations)
	}
	if l.CheckpointEvery < 0 {
		return res, fmt.Errorf("train: Loop.CheckpointEvery = %d; use 0 for checkpoints only on interrupt", l.CheckpointEvery)
	}
	if l.start > l.Iterations {
		return res, fmt.Errorf("train: the restored checkpoint is at iteration %d, beyond the run's %d iterations; raise the number of iterations", l.start, l.Iterations)
	}
	res.Start = l.start
	res.Iterations = l.start
	res.Elapsed = l.elapsed
	for _, r := range l.Recorders {
		r.Begin(Info{Name: l.Name, Total: l.Iterations, Start: l.start})
	}
	defer func() {
		l.start, l.elapsed = res.Iterations, res.Elapsed
		for _, r := range l.Recorders {
			r.End(res, err)
		}
	}()
	checkpoint := func() error {
		if l.CheckpointPath == "" {
			return nil
		}
		if err := l.writeCheckpoint(l.CheckpointPath, res.Iterations, res.Elapsed); err != nil {
			return err
		}
		res.Checkpoint = l.CheckpointPath
		return nil
	}
	interrupted := func(cause error) error {
		ie := &InterruptedError{Iteration: res.Iterations, Total: l.Iterations, Cause: cause}
		if err := checkpoint(); err != nil {
			return fmt.Errorf("%w (and writing the checkpoint failed: %v)", ie, err)
		}
		ie.Checkpoint = res.Checkpoint
		return ie
	}
	for it := l.start; it < l.Iterations; it++ {
		if cerr := ctx.Err(); cerr != nil {
			return res, interrupted(cerr)
		}
		t0 := l.now()
		m, serr := l.Step(ctx, it, IterationRNG(l.Seed, it))
		dt := l.now().Sub(t0)
		if serr != nil {
			if cerr := ctx.Err(); cerr != nil && errors.Is(serr, cerr) {
				return res, interrupted(cerr)
			}
			return res, fmt.Errorf("train: iteration %d of %s: %w", it+1, l.Name, serr)
		}
		res.Iterations = it + 1
		res.Elapsed += dt
		m.Run = l.Name
		m.Iteration = it + 1
		m.WallTime = dt.Seconds()
		m.Elapsed = res.Elapsed.Seconds()
		for _, r := range l.Recorders {
			r.Record(m)
		}
		if l.CheckpointEvery > 0 && (res.Iterations%l.CheckpointEvery == 0 || res.Iterations == l.Iterations) {
			if err := checkpoint(); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
