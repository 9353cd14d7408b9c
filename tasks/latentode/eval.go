package latentode

import (
	"context"
	"fmt"

	"github.com/whitebox-de/whitebox/physionet"
	"github.com/whitebox-de/whitebox/tasks"
)

// ModelConfig is stored in a saved model's metadata: the architecture, the
// normalization statistics of its training split (so that any other
// records are normalized alike) and the solver settings of its
// prediction.
type ModelConfig struct {
	Arch     Arch             `json:"arch"`
	Stats    *physionet.Stats `json:"stats"`
	Tol      float64          `json:"tol"`
	Batch    int              `json:"batch"`
	DataSeed uint64           `json:"data_seed"`
	Data     string           `json:"data,omitempty"`
}

// SaveModel saves a trained model with its task metadata.
func SaveModel(path string, m *Model, method string, seed uint64, st *physionet.Stats, cfg Config) error {
	return tasks.SaveModel(path, m.Group, tasks.ModelMeta{Task: TaskName, Method: method, Seed: seed},
		ModelConfig{Arch: m.Arch, Stats: st, Tol: cfg.Tol, Batch: cfg.BatchSize, DataSeed: cfg.DataSeed, Data: cfg.Data})
}

// LoadModel loads a model saved by SaveModel (a model of another task is
// refused with an error matching tasks.ErrWrongModel).
func LoadModel(path string) (*Model, tasks.ModelMeta, ModelConfig, error) {
	var mc ModelConfig
	mod, meta, err := tasks.LoadModel(path, TaskName, &mc)
	if err != nil {
		return nil, meta, mc, err
	}
	if mc.Stats == nil {
		return nil, meta, mc, fmt.Errorf("%w: %s records no normalization statistics", tasks.ErrWrongModel, path)
	}
	m, err := FromModule(mod, mc.Arch)
	if err != nil {
		return nil, meta, mc, fmt.Errorf("%w: %s: %v", tasks.ErrWrongModel, path, err)
	}
	if mc.Arch.withDefaults().Features != physionet.NumFeatures {
		return nil, meta, mc, fmt.Errorf("%w: %s has %d features, the records %d", tasks.ErrWrongModel, path, mc.Arch.Features, physionet.NumFeatures)
	}
	return m, meta, mc, nil
}

// Evaluate implements tasks.Evaluator: the test loss of a saved model on
// every record at spec.Data (a folder or .tar.gz of record files,
// normalized with the model's saved statistics), or on the test split of
// the data the model was trained on when spec.Data is empty; its NFE and
// time are those of the prediction pass on the first batch of those
// records.
func (t *task) Evaluate(ctx context.Context, spec tasks.EvalSpec) (*tasks.Evaluation, error) {
	m, meta, mc, err := LoadModel(spec.Model)
	if err != nil {
		return nil, err
	}
	var recs *physionet.Dataset
	name := spec.Data
	if spec.Data == "" {
		d, err := LoadData(mc.Data, mc.DataSeed)
		if err != nil {
			return nil, err
		}
		recs = d.Test
		name = fmt.Sprintf("the test split (seed %d) of %s", mc.DataSeed, dataName(mc.Data))
	} else {
		raw, err := physionet.Load(spec.Data, nil)
		if err != nil {
			return nil, err
		}
		if recs, err = mc.Stats.Normalize(raw); err != nil {
			return nil, err
		}
	}
	if recs.Len() == 0 {
		return nil, fmt.Errorf("latentode: %s holds no records", name)
	}
	batch := mc.Batch
	if batch < 1 {
		batch = PaperBatch
	}
	ec := Config{Tol: mc.Tol, MaxSteps: spec.MaxSteps}.withDefaults()
	opts := ec.solverOptions()
	tl, _, err := TestLoss(ctx, m, recs, batch, opts)
	if err != nil {
		return nil, err
	}
	n := min(batch, recs.Len())
	s := recs.Subset(seq(n))
	repeats := spec.Repeats
	if repeats == 0 {
		repeats = 5
	}
	p, err := Predict(ctx, m, NewBatch(m.Arch, s.Values, s.Mask, n, physionet.Times()), opts, repeats)
	if err != nil {
		return nil, err
	}
	return &tasks.Evaluation{Task: TaskName, Method: meta.Method, Seed: meta.Seed, Data: name, Examples: recs.Len(),
		TestLoss: &tl, NFE: p.NFE, PredictTimeS: p.Time.Seconds(),
		Notes: []string{fmt.Sprintf("test loss: mean over the %d records of sum(mask r^2)/sum(mask), normalized with the model's training statistics; NFE and time: one prediction pass on the first %d records", recs.Len(), n)}}, nil
}

func dataName(p string) string {
	if p == "" {
		return "the committed set-a archive"
	}
	return p
}
