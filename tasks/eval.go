package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/whitebox-de/whitebox/nn"
)

// Evaluator is implemented by a task whose saved models (RunSpec.Save) can
// be evaluated again on any data set of the task's format: `whitebox eval
// <task> --model M [--data D]`.
type Evaluator interface {
	// Evaluate loads the model file spec.Model, which must have been saved
	// by this task (see SaveModel and LoadModel), and evaluates it on the
	// data at spec.Data ("": the task's default test data).
	Evaluate(ctx context.Context, spec EvalSpec) (*Evaluation, error)
}

// EvalSpec says what to evaluate.
type EvalSpec struct {
	// Model is the model file.
	Model string
	// Data is the data set's path ("": the task's default).
	Data string
	// Repeats is the number of timed predictions whose median is reported
	// (0: the task's default).
	Repeats int
	// MaxSteps bounds the attempted steps of every solve (0: the solver's
	// default).
	MaxSteps int
}

// Evaluation is what Evaluate measured.
type Evaluation struct {
	Task   string `json:"task"`
	Method string `json:"method"`
	Seed   uint64 `json:"seed"`
	// Data names the data set evaluated, Examples its size.
	Data     string `json:"data"`
	Examples int    `json:"examples"`
	// TestAccuracy and TestLoss are the task's metrics (nil: not defined
	// for the task).
	TestAccuracy *float64 `json:"test_accuracy,omitempty"`
	TestLoss     *float64 `json:"test_loss,omitempty"`
	// NFE and PredictTimeS are those of the task's prediction batch, as in
	// its results table.
	NFE          int     `json:"nfe"`
	PredictTimeS float64 `json:"predict_time_s"`
	// Notes are further lines for the user.
	Notes []string `json:"notes,omitempty"`
}

// ModelMeta is stored with every model a task saves, so that a model is
// evaluated only by the task and architecture it was trained for.
type ModelMeta struct {
	Task   string `json:"task"`
	Method string `json:"method"`
	Seed   uint64 `json:"seed"`
	// Config is the task's own description of the model and its data
	// (for example the normalization statistics of its training split).
	Config json.RawMessage `json:"config,omitempty"`
}

// ErrWrongModel is matched (errors.Is) by LoadModel's error for a model
// file saved by another task or with no task recorded.
var ErrWrongModel = errors.New("tasks: the model file is not one of this task's")

// SaveModel saves m with meta (its Config set from config when that is not
// nil) atomically to path.
func SaveModel(path string, m nn.Module, meta ModelMeta, config any) error {
	if config != nil {
		b, err := json.Marshal(config)
		if err != nil {
			return fmt.Errorf("tasks: encoding the model's configuration: %w", err)
		}
		meta.Config = b
	}
	return nn.SaveMeta(path, m, meta)
}

// LoadModel loads a model file saved by SaveModel for the task named task,
// decoding its Config into config when that is not nil. A file saved by
// another task, or by nn.Save without a task, gives an error matching
// ErrWrongModel that says which task saved it.
func LoadModel(path, task string, config any) (nn.Module, ModelMeta, error) {
	var meta ModelMeta
	m, raw, err := nn.LoadMeta(path)
	if err != nil {
		return nil, meta, err
	}
	if raw == nil {
		return nil, meta, fmt.Errorf("%w: %s records no task (was it written by nn.Save?); evaluate a model saved by `whitebox train %s --save`", ErrWrongModel, path, task)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, meta, fmt.Errorf("%w: %s has unreadable metadata (%v)", ErrWrongModel, path, err)
	}
	if meta.Task != task {
		return nil, meta, fmt.Errorf("%w: %s was saved by task %q, not %q; run `whitebox eval %s --model %s`", ErrWrongModel, path, meta.Task, task, meta.Task, path)
	}
	if config != nil {
		if len(meta.Config) == 0 {
			return nil, meta, fmt.Errorf("%w: %s records no configuration for task %q", ErrWrongModel, path, task)
		}
		if err := json.Unmarshal(meta.Config, config); err != nil {
			return nil, meta, fmt.Errorf("%w: %s: its configuration does not decode (%v)", ErrWrongModel, path, err)
		}
	}
	return m, meta, nil
}
