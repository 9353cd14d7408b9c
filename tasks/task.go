package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/train"
)

// Task is one experiment of the paper, as the command line's harness drives
// it. The harness calls, in order: Info (at any time), Flags before parsing
// the command line, Setup after parsing, then Run for each (method, seed)
// run it chose (possibly several at once, possibly in separate processes),
// and Report and Figures on the runs' records. Report and Figures must
// depend only on the flags, the Settings and the records (never on state
// left by Run), so that the records of runs made elsewhere (saved as JSON)
// give the same results, bit for bit.
type Task interface {
	// Info describes the task.
	Info() Info
	// Flags declares the task's own flags on fs, with the defaults of the
	// default scale.
	Flags(fs FlagSet)
	// Setup reads the parsed flags for the settings' scale and checks them
	// against every method of the settings. Its errors are usage errors and
	// should name the flag ("--iters 0: give at least 1").
	Setup(s Settings) error
	// Run trains and evaluates one run. It must be safe for concurrent use
	// (the harness trains Settings.Workers runs at once), return the
	// *train.InterruptedError of an interrupted run, and save the trained
	// model to spec.Save when that is set.
	Run(ctx context.Context, spec RunSpec) (Record, error)
	// Report returns the results of the runs: the paper's numbers, the
	// configuration, the runs and their summary, the notes, the acceptance
	// checks and their verdict. The harness passes the records grouped by
	// method (Settings.ByMethod), not in the order the runs were made.
	Report(recs []Record) (*report.Results, error)
	// Figures draws the task's figures from the records (grouped by
	// method, as for Report) into the existing directory dir and returns
	// the files written.
	Figures(ctx context.Context, dir string, recs []Record) ([]string, error)
}

// Info describes a task.
type Info struct {
	// Name is the command-line name ("spiral", "spiral-sde").
	Name string
	// Summary is one line saying what the task reproduces.
	Summary string
	// Methods are the methods run by default, in the table's order.
	Methods []string
	// Workers is the default number of runs trained at once (0 means 1).
	Workers int
}

// Scale is a protocol size.
type Scale string

// The scales: Default is every task's configuration zero value (minutes on 2
// cores), Full the paper-sized protocol.
const (
	Default Scale = "default"
	Full    Scale = "full"
)

// ParseScale reads "default" or "full".
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case Default, Full:
		return Scale(s), nil
	}
	return "", fmt.Errorf("tasks: unknown scale %q; use default or full", s)
}

// Settings are the harness's choices for one command.
type Settings struct {
	Scale Scale
	// Methods and Seeds span the runs: every method with every seed, in
	// the order seeds x methods (Runs).
	Methods []train.Method
	Seeds   []uint64
	// Workers is the number of runs trained at once.
	Workers int
	// MaxSteps bounds the attempted steps of every solve of the models
	// (0: the solver's default).
	MaxSteps int
}

// Runs enumerates the (method, seed) runs of the settings in the order the
// harness makes them, seed-major: the first seed with every method, then
// the next seed, the j-th seed (from 0) starting at method j of Methods
// and going round (seeds 1999, 2000 of vanilla, error, stiffness: vanilla,
// error, stiffness, then error, stiffness, vanilla). Index is the position
// in that order. A drift of the machine's speed during a reproduction then
// touches every method about alike instead of falling on the methods
// trained last, so the ratios of training times to vanilla's stay
// comparable; the rotation keeps any one method from always starting a
// seed, and mixes the methods within the shares of shards that deal the
// runs round robin (without it, when N shards evenly divide a task's
// method count, each shard would train only some of its methods for every
// seed: one each when N equals the method count). The results are presented grouped by method all the
// same (ByMethod).
func (s Settings) Runs() []RunSpec {
	var out []RunSpec
	n := len(s.Methods)
	for j, seed := range s.Seeds {
		for i := range s.Methods {
			out = append(out, RunSpec{Index: len(out), Method: s.Methods[(i+j)%n], Seed: seed})
		}
	}
	return out
}

// ByMethod returns the records (of any order) grouped by method for
// presentation: the methods in the order of Methods, each method's records
// in the order of Seeds. Records of a method or seed the settings do not
// have follow in their given order. It is the order of the harness's
// tables, results JSON and figures, whatever order the runs were made in;
// recs is not modified.
func (s Settings) ByMethod(recs []Record) []Record {
	const other = math.MaxInt
	method := map[string]int{}
	for i, m := range s.Methods {
		if _, dup := method[m.String()]; !dup {
			method[m.String()] = i
		}
	}
	seed := map[int]int{}
	for i, sd := range s.Seeds {
		if _, dup := seed[int(sd)]; !dup {
			seed[int(sd)] = i
		}
	}
	rank := func(r Record) (int, int) {
		m, ok := method[r.Run.Method]
		if !ok {
			return other, other
		}
		sd, ok := seed[r.Run.Seed]
		if !ok {
			return m, other
		}
		return m, sd
	}
	out := append([]Record(nil), recs...)
	sort.SliceStable(out, func(i, j int) bool {
		mi, si := rank(out[i])
		mj, sj := rank(out[j])
		if mi != mj {
			return mi < mj
		}
		return si < sj
	})
	return out
}

// MethodNames returns the canonical names of the settings' methods.
func (s Settings) MethodNames() []string {
	out := make([]string, len(s.Methods))
	for i, m := range s.Methods {
		out[i] = m.String()
	}
	return out
}

// RunSpec is one run.
type RunSpec struct {
	// Index is the run's position in Settings.Runs.
	Index  int
	Method train.Method
	Seed   uint64
	// Options are the run's name, recorders, checkpoint and resume.
	Options train.RunOptions
	// Save, if set, is where to save the trained model (an nn model file).
	Save string
}

// RunName is the name of a run in progress output, metrics and
// checkpoints: "<task>/<method>/seed=<seed>".
func RunName(task string, m train.Method, seed uint64) string {
	return fmt.Sprintf("%s/%s/seed=%d", task, m, seed)
}

// Record is what remains of a run: its row of the results JSON and any
// further measurements the task's Report and Figures need, as JSON.
type Record struct {
	Run   report.Run      `json:"run"`
	Extra json.RawMessage `json:"extra,omitempty"`
}

// NewRecord returns a record of run with extra encoded as JSON (nil: none).
func NewRecord(run report.Run, extra any) (Record, error) {
	r := Record{Run: run}
	if extra == nil {
		return r, nil
	}
	b, err := json.Marshal(extra)
	if err != nil {
		return r, fmt.Errorf("tasks: encoding the extras of %s seed %d: %w", run.Method, run.Seed, err)
	}
	r.Extra = b
	return r, nil
}

// Decode decodes the record's extras into v.
func (r *Record) Decode(v any) error {
	if len(r.Extra) == 0 {
		return fmt.Errorf("tasks: the record of %s seed %d has no extras", r.Run.Method, r.Run.Seed)
	}
	if err := json.Unmarshal(r.Extra, v); err != nil {
		return fmt.Errorf("tasks: the record of %s seed %d: %w", r.Run.Method, r.Run.Seed, err)
	}
	return nil
}

// Runs returns the records' rows of the results JSON.
func Runs(recs []Record) []report.Run {
	out := make([]report.Run, len(recs))
	for i, r := range recs {
		out[i] = r.Run
	}
	return out
}

// ErrUnknown is matched (errors.Is) by the error of New for a name no task
// registered.
var ErrUnknown = errors.New("tasks: unknown task")

var (
	mu       sync.Mutex
	registry = map[string]func() Task{}
)

// Register makes a task known by its Info().Name; a task package calls it
// from an init function, and a command imports the package for that effect.
// It panics when the name is empty or taken (a programmer error).
func Register(newTask func() Task) {
	name := newTask().Info().Name
	mu.Lock()
	defer mu.Unlock()
	if name == "" {
		panic("tasks: Register of a task with an empty name")
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("tasks: Register called twice for task %q", name))
	}
	registry[name] = newTask
}

// New returns a fresh instance of the named task (each command gets its
// own, since Flags and Setup store their values in it). An unknown name
// gives an error matching ErrUnknown that lists the known ones.
func New(name string) (Task, error) {
	mu.Lock()
	newTask := registry[name]
	mu.Unlock()
	if newTask == nil {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return newTask(), nil
}

// Names returns the registered tasks' names, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Infos returns the registered tasks' descriptions, sorted by name.
func Infos() []Info {
	var out []Info
	for _, n := range Names() {
		t, _ := New(n)
		out = append(out, t.Info())
	}
	return out
}
