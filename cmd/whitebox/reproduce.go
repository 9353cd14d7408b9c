package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/train"
)

// A reproduction is one `whitebox reproduce <name>` task. Adding one is a
// file that calls register from an init function: the task declares its own
// flags in setup and returns the function that trains its runs through the
// harness (h.each) and returns the results; the harness owns the common
// flags, progress, metrics, checkpoints, the table, the JSON and the exit
// status.
type reproduction struct {
	name, summary string
	// methods are the methods run by default, in table order.
	methods []string
	// workers is the default of --workers, the number of runs trained at
	// once (0 means 1).
	workers int
	// setup declares the task's flags on f and returns its runner.
	setup func(f *flags) runner
}

// runner trains the task's runs and returns the results (the harness fills
// in Task and Summary when they are empty), notes to print under the table,
// and the figures it wrote.
type runner func(ctx context.Context, h *harness) (*outcome, error)

type outcome struct {
	results *report.Results
	notes   []string
	figures []string
}

var reproductions []*reproduction

func register(r *reproduction) { reproductions = append(reproductions, r) }

func findReproduction(name string) *reproduction {
	for _, r := range reproductions {
		if r.name == name {
			return r
		}
	}
	return nil
}

// harness holds the common flags of every reproduction and runs its runs.
type harness struct {
	*env
	f     *flags
	task  *reproduction
	seeds int
	seed  uint64
	scale string
	json  string
	out   string
	// metrics, checkpoints
	metricsPath string
	ckptDir     string
	ckptEvery   int
	resume      bool
	methodsFlag string
	workers     int

	metrics *train.JSONL
}

func helpReproduce(w io.Writer) {
	fmt.Fprint(w, "Usage: whitebox reproduce <task> [flags]\n\nTasks:\n")
	for _, r := range sortedReproductions() {
		fmt.Fprintf(w, "  %-12s %s\n", r.name, r.summary)
	}
	fmt.Fprint(w, "\nRun 'whitebox reproduce <task> --help' for the task's flags and their defaults.\n")
}

func cmdReproduce(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			helpReproduce(e.stdout)
			return exitOK
		}
		return usageErr(e, "whitebox reproduce", errors.New("name a task, e.g. 'whitebox reproduce spiral'"), "whitebox help reproduce")
	}
	task := findReproduction(args[0])
	if task == nil {
		var names []string
		for _, r := range sortedReproductions() {
			names = append(names, r.name)
		}
		return usageErr(e, "whitebox reproduce", fmt.Errorf("unknown task %q (known: %s)", args[0], strings.Join(names, ", ")), "whitebox help reproduce")
	}
	cmd := "whitebox reproduce " + task.name
	h := &harness{env: e, task: task}
	f := newFlags(cmd, sentence(task.summary)+"\nThe table goes to stdout, progress to stderr. Flag defaults are those of --scale default.")
	h.f = f
	f.IntVar(&h.seeds, "seeds", 3, "number of seeds per method")
	f.Uint64Var(&h.seed, "seed", 1999, "first seed; the runs use seed, seed+1, ...")
	f.StringVar(&h.scale, "scale", "default", "protocol size: default (minutes on 2 cores) or full (the paper-sized protocol)")
	f.StringVar(&h.methodsFlag, "methods", strings.Join(task.methods, ","), "comma-separated methods: vanilla or '+'-joined error, stiffness, steer")
	f.StringVar(&h.json, "json", "", "write the results JSON to this file")
	f.StringVar(&h.out, "out", filepath.Join("results", task.name), "directory for the PNG figures (created if missing; empty: no figures)")
	f.StringVar(&h.metricsPath, "metrics", "", "write per-iteration metrics of every run as JSON lines to this file")
	f.StringVar(&h.ckptDir, "checkpoint-dir", "", "write a checkpoint per run to this directory (created if missing)")
	f.IntVar(&h.ckptEvery, "checkpoint-every", 500, "with --checkpoint-dir: checkpoint every N iterations (and on Ctrl-C)")
	f.BoolVar(&h.resume, "resume", false, "with --checkpoint-dir: continue each run from its checkpoint; finished runs are only re-predicted")
	f.IntVar(&h.workers, "workers", max(1, task.workers), "runs trained at once (above 1 they share the cores, which lengthens each run's training time, and progress is logged as lines)")
	run := task.setup(f)
	if status, stop := f.parse(args[1:], e); stop {
		return status
	}
	if err := h.check(); err != nil {
		return usageErr(e, cmd, err, cmd+" --help")
	}
	start := time.Now()
	status := h.run(ctx, run)
	if status == exitOK {
		fmt.Fprintf(e.stderr, "%s: done in %s\n", cmd, time.Since(start).Round(100*time.Millisecond))
	}
	return status
}

func (h *harness) check() error {
	if h.scale != "default" && h.scale != "full" {
		return fmt.Errorf("--scale %q: use default or full", h.scale)
	}
	if h.seeds < 1 {
		return fmt.Errorf("--seeds %d: give at least 1", h.seeds)
	}
	if h.workers < 1 {
		return fmt.Errorf("--workers %d: give at least 1", h.workers)
	}
	if h.ckptEvery < 0 {
		return fmt.Errorf("--checkpoint-every %d must not be negative", h.ckptEvery)
	}
	if h.resume && h.ckptDir == "" {
		return errors.New("--resume needs --checkpoint-dir, where the checkpoints are")
	}
	if _, err := h.methods(); err != nil {
		return err
	}
	if err := fileInExistingDir("json", h.json); err != nil {
		return err
	}
	if err := fileInExistingDir("metrics", h.metricsPath); err != nil {
		return err
	}
	if err := makeDir("out", h.out); err != nil {
		return err
	}
	return makeDir("checkpoint-dir", h.ckptDir)
}

// full reports whether --scale full was chosen.
func (h *harness) full() bool { return h.scale == "full" }

// methods returns the canonical names of the --methods list.
func (h *harness) methods() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, s := range splitList(h.methodsFlag) {
		m, err := train.ParseMethod(s)
		if err != nil {
			return nil, fmt.Errorf("--methods: %v", strings.TrimPrefix(err.Error(), "train: "))
		}
		if !seen[m.String()] {
			seen[m.String()] = true
			out = append(out, m.String())
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--methods is empty")
	}
	return out, nil
}

// seedList returns the seeds of the runs.
func (h *harness) seedList() []uint64 {
	s := make([]uint64, h.seeds)
	for i := range s {
		s[i] = h.seed + uint64(i)
	}
	return s
}

// runSpec is what the harness hands a task for one run.
type runSpec struct {
	// Index is the run's position in the order methods x seeds (runs may
	// be trained concurrently: keep per-run results by Index).
	Index           int
	Method          train.Method
	Seed            uint64
	Name            string
	Checkpoint      string
	CheckpointEvery int
	Resume          string
	Recorders       []train.Recorder
}

func (h *harness) runName(method string, seed uint64) string {
	return fmt.Sprintf("%s/%s/seed=%d", h.task.name, method, seed)
}

func (h *harness) checkpointPath(method string, seed uint64) string {
	if h.ckptDir == "" {
		return ""
	}
	return filepath.Join(h.ckptDir, fmt.Sprintf("%s-%s-seed%d.ckpt", h.task.name, strings.ReplaceAll(method, "+", "_"), seed))
}

// openMetrics opens the metrics file: truncated for a fresh start; on
// --resume, trimmed to the iterations the checkpoints hold.
func (h *harness) openMetrics(methods []string) (*os.File, error) {
	if h.metricsPath == "" {
		return nil, nil
	}
	mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if h.resume {
		upTo := map[string]int{}
		for _, m := range methods {
			for _, s := range h.seedList() {
				n := 0
				if info, err := train.ReadCheckpointInfo(h.checkpointPath(m, s)); err == nil {
					n = info.Iteration
				}
				upTo[h.runName(m, s)] = n
			}
		}
		err := train.TrimMetrics(h.metricsPath, func(m train.Metrics) bool {
			n, ours := upTo[m.Run]
			return !ours || m.Iteration <= n
		})
		if err != nil {
			return nil, err
		}
		mode = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(h.metricsPath, mode, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the metrics file: %v", errors.Unwrap(err))
	}
	return f, nil
}

// each runs fn for every method and seed and returns the runs in that
// order, printing one line per finished run to stderr. With --workers above
// 1 it trains that many runs at once: fn must then be safe for concurrent
// use (keep per-run results by runSpec.Index); the recorders and the output
// are serialized, and progress is logged as lines rather than redrawn. When
// a run fails the others are cancelled and the failure is returned.
func (h *harness) each(ctx context.Context, fn func(ctx context.Context, s runSpec) (report.Run, error)) ([]report.Run, error) {
	methods, _ := h.methods()
	var specs []runSpec
	for _, name := range methods {
		m, _ := train.ParseMethod(name)
		for _, seed := range h.seedList() {
			s := runSpec{Index: len(specs), Method: m, Seed: seed, Name: h.runName(name, seed), Checkpoint: h.checkpointPath(name, seed), CheckpointEvery: h.ckptEvery}
			if h.resume {
				if _, err := os.Stat(s.Checkpoint); err == nil {
					s.Resume = s.Checkpoint
				}
			}
			specs = append(specs, s)
		}
	}
	workers := max(1, min(h.workers, len(specs)))
	var mu sync.Mutex // serializes recorders and output across concurrent runs
	wrap := func(r train.Recorder) train.Recorder {
		if workers == 1 {
			return r
		}
		return lockedRecorder{&mu, r}
	}
	for i := range specs {
		s := &specs[i]
		s.Recorders = append(s.Recorders, wrap(train.NewProgress(h.stderr, h.terminal && workers == 1)))
		for _, r := range h.extra {
			s.Recorders = append(s.Recorders, wrap(r))
		}
		if h.metrics != nil {
			s.Recorders = append(s.Recorders, wrap(h.metrics))
		}
	}
	runs := make([]report.Run, len(specs))
	errs := make([]error, len(specs))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	do := func(k int) {
		s := specs[k]
		r, err := fn(runCtx, s)
		mu.Lock()
		defer mu.Unlock()
		if err == nil && h.metrics != nil && h.metrics.Err() != nil {
			err = h.metrics.Err()
		}
		if err != nil {
			errs[k] = err
			cancel()
			return
		}
		fmt.Fprintf(h.stderr, "%s: train loss %.4g, NFE %d, train time %.3g s, predict time %.3g ms\n",
			s.Name, r.TrainLoss, r.NFE, r.TrainTimeS, r.PredictTimeS*1e3)
		runs[k] = r
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				if runCtx.Err() == nil { // not after a failure or Ctrl-C
					do(k)
				}
			}
		}()
	}
	for k := range specs {
		if runCtx.Err() != nil {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	// A failure cancels the runs beside it: report the failure, not their
	// interruption (unless the whole reproduction was interrupted).
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ie *train.InterruptedError
		if ctx.Err() == nil && (errors.As(err, &ie) || errors.Is(err, context.Canceled)) {
			if first == nil {
				first = err
			}
			continue
		}
		return nil, err
	}
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	return runs, nil
}

// lockedRecorder serializes a recorder shared by concurrent runs.
type lockedRecorder struct {
	mu *sync.Mutex
	r  train.Recorder
}

func (l lockedRecorder) Begin(i train.Info) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.Begin(i)
}

func (l lockedRecorder) Record(m train.Metrics) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.Record(m)
}

func (l lockedRecorder) End(res train.Result, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.End(res, err)
}

func (h *harness) run(ctx context.Context, run runner) int {
	cmd := "whitebox reproduce " + h.task.name
	methods, _ := h.methods()
	mf, err := h.openMetrics(methods)
	if err != nil {
		return usageErr(h.env, cmd, fmt.Errorf("--metrics %s: %v", h.metricsPath, oneLine(err)), cmd+" --help")
	}
	if mf != nil {
		defer mf.Close()
		h.metrics = train.NewJSONL(mf)
	}
	o, err := run(ctx, h)
	if err != nil {
		var bf badFlags
		if errors.As(err, &bf) {
			return failure(h.env, cmd, err)
		}
		var ie *train.InterruptedError
		if errors.As(err, &ie) || errors.Is(err, context.Canceled) {
			if h.ckptDir != "" {
				fmt.Fprintf(h.stderr, "%s: interrupted; checkpoints are in %s: run the same command with --resume to continue\n", cmd, h.ckptDir)
			} else {
				fmt.Fprintf(h.stderr, "%s: interrupted (without --checkpoint-dir nothing was saved)\n", cmd)
			}
			return exitInterrupted
		}
		return failure(h.env, cmd, err)
	}
	res := o.results
	if res.Task == "" {
		res.Task = h.task.name
	}
	if res.Summary == nil {
		res.Summary = report.Summarize(res.Runs, train.MethodNames)
	}
	fmt.Fprintf(h.stdout, "## %s (%s scale, %d seeds)\n\n", h.task.name, h.scale, h.seeds)
	if err := report.Table(h.stdout, res, nil); err != nil {
		return failure(h.env, cmd, err)
	}
	if len(o.notes) > 0 {
		fmt.Fprintln(h.stdout)
		for _, n := range o.notes {
			fmt.Fprintln(h.stdout, n)
		}
	}
	if h.json != "" {
		if err := res.WriteJSON(h.json); err != nil {
			return failure(h.env, cmd, err)
		}
		fmt.Fprintf(h.stderr, "%s: results written to %s\n", cmd, h.json)
	}
	if len(o.figures) > 0 {
		fmt.Fprintf(h.stderr, "%s: figures written to %s\n", cmd, strings.Join(o.figures, ", "))
	}
	return exitOK
}
