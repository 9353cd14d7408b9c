package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"gonum.org/v1/gonum/stat"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
)

// Results is the results JSON of a reproduction.
type Results struct {
	Task    string    `json:"task"`
	Paper   Paper     `json:"paper"`
	Config  any       `json:"config"`
	Runs    []Run     `json:"runs"`
	Summary []Summary `json:"summary"`
	// Notes are printed under the table: what the table leaves out.
	Notes []string `json:"notes,omitempty"`
	// Checks are the task's acceptance checks (the effect the paper
	// claims), and Verdict sums them up in one sentence.
	Checks  []Check `json:"checks,omitempty"`
	Verdict string  `json:"verdict,omitempty"`
	// Extras holds a task's further measurements (such as training
	// throughput and memory per method), as it documents them.
	Extras any `json:"extras,omitempty"`
}

// Check is one acceptance check: a name ("error vs vanilla"), whether it
// passed, and the sentence that states it with its numbers.
type Check struct {
	Name string `json:"name"`
	Pass bool   `json:"pass"`
	Text string `json:"text"`
}

// Passed reports whether every check passed (true when there are none).
func (r *Results) Passed() bool {
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// Run is one training run of one method and seed.
type Run struct {
	Method     string `json:"method"`
	Seed       int    `json:"seed"`
	Iterations int    `json:"iterations"`
	// TrainTimeS is the training wall time, PredictTimeS the wall time of
	// one prediction (seconds).
	TrainTimeS   float64 `json:"train_time_s"`
	PredictTimeS float64 `json:"predict_time_s"`
	// NFE is the prediction's number of function evaluations.
	NFE       int     `json:"nfe"`
	TrainLoss float64 `json:"train_loss"`
	// TestLoss and TestAccuracy are nil for tasks without a test set.
	TestLoss     *float64 `json:"test_loss"`
	TestAccuracy *float64 `json:"test_accuracy"`
	// Budget is set for a run trained to a prediction budget.
	Budget *Budget `json:"budget,omitempty"`
}

// Summary holds the statistics of one method over its runs (seeds).
type Summary struct {
	Method           string   `json:"method"`
	N                int      `json:"n"`
	NFEMean          float64  `json:"nfe_mean"`
	NFEStd           float64  `json:"nfe_std"`
	TrainTimeMeanS   float64  `json:"train_time_mean_s"`
	TrainTimeStdS    float64  `json:"train_time_std_s"`
	PredictTimeMeanS float64  `json:"predict_time_mean_s"`
	PredictTimeStdS  float64  `json:"predict_time_std_s"`
	TrainLossMean    float64  `json:"train_loss_mean"`
	TrainLossStd     float64  `json:"train_loss_std"`
	TestLossMean     *float64 `json:"test_loss_mean"`
	TestLossStd      *float64 `json:"test_loss_std"`
	TestAccuracyMean *float64 `json:"test_accuracy_mean"`
	TestAccuracyStd  *float64 `json:"test_accuracy_std"`
}

// Paper is what the paper reports for the task.
type Paper struct {
	// Source names the table or figure, e.g. "Pal et al. 2021, Figure 2".
	Source string `json:"source"`
	// Notes say how the paper's numbers relate to this reproduction.
	Notes []string   `json:"notes,omitempty"`
	Rows  []PaperRow `json:"rows"`
}

// PaperRow is the paper's result for one method; nil fields are not
// reported there. Times are in seconds.
type PaperRow struct {
	Method string `json:"method"`
	// Label is the paper's name for the method ("SRNODE + ERNODE").
	Label        string `json:"label,omitempty"`
	NFE          *Stat  `json:"nfe,omitempty"`
	TrainTimeS   *Stat  `json:"train_time_s,omitempty"`
	PredictTimeS *Stat  `json:"predict_time_s,omitempty"`
	TrainLoss    *Stat  `json:"train_loss,omitempty"`
	TestLoss     *Stat  `json:"test_loss,omitempty"`
	TestAccuracy *Stat  `json:"test_accuracy,omitempty"`
}

// Stat is a reported mean with its standard deviation (0 when not given).
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Row returns the paper's row for method, or nil.
func (p *Paper) Row(method string) *PaperRow {
	for i := range p.Rows {
		if p.Rows[i].Method == method {
			return &p.Rows[i]
		}
	}
	return nil
}

// meanStd returns the mean and sample standard deviation (0 for fewer than
// two values).
func meanStd(x []float64) (float64, float64) {
	if len(x) == 0 {
		return math.NaN(), 0
	}
	if len(x) == 1 {
		return x[0], 0
	}
	return stat.MeanStdDev(x, nil)
}

// Summarize returns one Summary per method, in the order given by order and
// then in order of first appearance for methods order does not list.
// Nullable statistics are set when every run of the method has the value.
func Summarize(runs []Run, order []string) []Summary {
	var methods []string
	seen := map[string]bool{}
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			methods = append(methods, m)
		}
	}
	present := map[string]bool{}
	for _, r := range runs {
		present[r.Method] = true
	}
	for _, m := range order {
		if present[m] {
			add(m)
		}
	}
	for _, r := range runs {
		add(r.Method)
	}
	out := make([]Summary, 0, len(methods))
	for _, m := range methods {
		var nfe, tt, pt, tl, xl, xa []float64
		allLoss, allAcc := true, true
		for _, r := range runs {
			if r.Method != m {
				continue
			}
			nfe = append(nfe, float64(r.NFE))
			tt = append(tt, r.TrainTimeS)
			pt = append(pt, r.PredictTimeS)
			tl = append(tl, r.TrainLoss)
			if r.TestLoss != nil {
				xl = append(xl, *r.TestLoss)
			} else {
				allLoss = false
			}
			if r.TestAccuracy != nil {
				xa = append(xa, *r.TestAccuracy)
			} else {
				allAcc = false
			}
		}
		s := Summary{Method: m, N: len(nfe)}
		s.NFEMean, s.NFEStd = meanStd(nfe)
		s.TrainTimeMeanS, s.TrainTimeStdS = meanStd(tt)
		s.PredictTimeMeanS, s.PredictTimeStdS = meanStd(pt)
		s.TrainLossMean, s.TrainLossStd = meanStd(tl)
		if allLoss {
			m, sd := meanStd(xl)
			s.TestLossMean, s.TestLossStd = &m, &sd
		}
		if allAcc {
			m, sd := meanStd(xa)
			s.TestAccuracyMean, s.TestAccuracyStd = &m, &sd
		}
		out = append(out, s)
	}
	return out
}

// SummaryOf returns the summary of method, or nil.
func (r *Results) SummaryOf(method string) *Summary {
	for i := range r.Summary {
		if r.Summary[i].Method == method {
			return &r.Summary[i]
		}
	}
	return nil
}

// Validate checks that the results can be written: a task name, and finite
// numbers (JSON has no NaN or infinity).
func (r *Results) Validate() error {
	if r.Task == "" {
		return fmt.Errorf("report: the results have no task name")
	}
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	badp := func(v *float64) bool { return v != nil && bad(*v) }
	for _, x := range r.Runs {
		if bad(x.TrainTimeS) || bad(x.PredictTimeS) || bad(x.TrainLoss) || badp(x.TestLoss) || badp(x.TestAccuracy) {
			return fmt.Errorf("report: run %s seed %d has a NaN or infinite value; JSON cannot hold it (the run probably diverged: lower the learning rate)", x.Method, x.Seed)
		}
	}
	for _, s := range r.Summary {
		if bad(s.NFEMean) || bad(s.TrainLossMean) || bad(s.TrainTimeMeanS) || bad(s.PredictTimeMeanS) || badp(s.TestLossMean) || badp(s.TestAccuracyMean) {
			return fmt.Errorf("report: the summary of %s has a NaN or infinite value", s.Method)
		}
	}
	return nil
}

// MarshalIndent returns the results as indented JSON.
func (r *Results) MarshalIndent() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encoding results: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteJSON writes the results to path atomically.
func (r *Results) WriteJSON(path string) error {
	b, err := r.MarshalIndent()
	if err != nil {
		return err
	}
	return atomicfile.Write("report", path, b)
}

// ReadJSON reads a results file; unknown fields are an error, so a file of
// another format is not mistaken for results. Config comes back as generic
// JSON values.
func ReadJSON(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: reading results: %w", err)
	}
	var r Results
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("report: %s is not a results file: %v", path, err)
	}
	if r.Task == "" {
		return nil, fmt.Errorf("report: %s has no task name; is it a results file?", path)
	}
	return &r, nil
}
