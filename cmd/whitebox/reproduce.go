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
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// harness runs a task for `whitebox reproduce`: it owns the common flags,
// enumerates the runs (every method with every seed), trains them with
// progress, metrics and checkpoints, and turns the records into the table,
// the results JSON and the figures through the task.
type harness struct {
	*env
	f    *flags
	cmd  string // "whitebox reproduce spiral"
	task tasks.Task
	info tasks.Info
	set  tasks.Settings

	seeds       int
	seed        uint64
	scale       string
	methodsFlag string
	maxSteps    int
	json        string
	out         string
	metricsPath string
	ckptDir     string
	ckptEvery   int
	resume      bool
	force       bool
	workers     int
	sweep       sweepFlags // --sweep-budget (sweep.go)
	label       string     // a sweep point's label, appended to run names

	metrics *train.JSONL
}

func helpReproduce(w io.Writer) {
	fmt.Fprint(w, "Usage: whitebox reproduce <task> [flags]\n\nTasks:\n")
	listTasks(w)
	fmt.Fprint(w, "\nRun 'whitebox reproduce <task> --help' for the task's flags and their defaults.\n")
}

func cmdReproduce(ctx context.Context, args []string, e *env) int {
	h, status := newHarness(args, e)
	if h == nil {
		return status
	}
	start := time.Now()
	if h.sweep.on {
		status = h.runSweep(ctx)
	} else {
		status = h.run(ctx)
	}
	if status == exitOK {
		fmt.Fprintf(e.stderr, "%s: done in %s\n", h.cmd, time.Since(start).Round(100*time.Millisecond))
	}
	return status
}

// newHarness parses the command line of `whitebox reproduce <task>` and
// sets the task up, checking every flag and output path. It returns nil and
// the status to exit with when the command should stop (help, usage
// errors).
func newHarness(args []string, e *env) (*harness, int) {
	task, status := findTask(args, e, "reproduce", helpReproduce)
	if task == nil {
		return nil, status
	}
	info := task.Info()
	h := &harness{env: e, task: task, info: info, cmd: "whitebox reproduce " + info.Name}
	f := newFlags(h.cmd, sentence(info.Summary)+"\nThe table goes to stdout, progress to stderr. Flag defaults are those of --scale default.")
	h.f = f
	f.IntVar(&h.seeds, "seeds", 3, "number of seeds per method")
	f.Uint64Var(&h.seed, "seed", 1999, "first seed; the runs use seed, seed+1, ...")
	f.StringVar(&h.scale, "scale", "default", "protocol size: default (minutes on 2 cores) or full (the paper-sized protocol)")
	f.StringVar(&h.methodsFlag, "methods", strings.Join(info.Methods, ","), "comma-separated methods: vanilla or '+'-joined "+partsList())
	f.IntVar(&h.maxSteps, "max-steps", 0, "bound on the attempted steps of every solve of the model (0: the solver's default, 100000)")
	f.StringVar(&h.json, "json", "", "write the results JSON to this file")
	f.StringVar(&h.out, "out", filepath.Join("results", info.Name), "directory for the PNG figures (created if missing; empty: no figures)")
	f.StringVar(&h.metricsPath, "metrics", "", "write per-iteration metrics of every run as JSON lines to this file")
	f.StringVar(&h.ckptDir, "checkpoint-dir", "", "write a checkpoint per run to this directory (created if missing)")
	f.IntVar(&h.ckptEvery, "checkpoint-every", 500, "with --checkpoint-dir: checkpoint every N iterations (and on Ctrl-C)")
	f.BoolVar(&h.resume, "resume", false, "with --checkpoint-dir: continue each run from its checkpoint; finished runs are only re-predicted")
	f.BoolVar(&h.force, "force", false, "with --checkpoint-dir: overwrite the checkpoints of an earlier reproduction instead of refusing")
	f.IntVar(&h.workers, "workers", max(1, info.Workers), "runs trained at once (above 1 they share the cores, which lengthens each run's training time, and progress is logged as lines)")
	h.sweep.declare(f)
	task.Flags(f)
	if status, stop := f.parse(args[1:], e); stop {
		return nil, status
	}
	bad := func(err error) (*harness, int) { return nil, usageErr(e, h.cmd, err, h.cmd+" --help") }
	if err := h.settings(); err != nil {
		return bad(err)
	}
	if err := task.Setup(h.set); err != nil {
		return bad(err)
	}
	if err := h.checkSweep(); err != nil {
		return bad(err)
	}
	if !h.sweep.on {
		if err := h.checkOutputs(); err != nil {
			return bad(err)
		}
	}
	return h, 0
}

// partsList is "error, stiffness and steer", the parts of a method.
func partsList() string {
	p := train.MethodParts()
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}

// settings checks the common flags and fills h.set.
func (h *harness) settings() error {
	scale, err := tasks.ParseScale(h.scale)
	if err != nil {
		return fmt.Errorf("--scale %q: use default or full", h.scale)
	}
	if h.seeds < 1 {
		return fmt.Errorf("--seeds %d: give at least 1", h.seeds)
	}
	if h.workers < 1 {
		return fmt.Errorf("--workers %d: give at least 1", h.workers)
	}
	if h.maxSteps < 0 {
		return fmt.Errorf("--max-steps %d: give a positive bound, or 0 for the solver's default", h.maxSteps)
	}
	if h.ckptEvery < 0 {
		return fmt.Errorf("--checkpoint-every %d must not be negative", h.ckptEvery)
	}
	if h.resume && h.ckptDir == "" {
		return errors.New("--resume needs --checkpoint-dir, where the checkpoints are")
	}
	var methods []train.Method
	seen := map[train.Method]bool{}
	for _, s := range splitList(h.methodsFlag) {
		m, err := train.ParseMethod(s)
		if err != nil {
			return fmt.Errorf("--methods: %v", strings.TrimPrefix(err.Error(), "train: "))
		}
		if !seen[m] {
			seen[m] = true
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 {
		return errors.New("--methods is empty")
	}
	seeds := make([]uint64, h.seeds)
	for i := range seeds {
		seeds[i] = h.seed + uint64(i)
	}
	h.set = tasks.Settings{Scale: scale, Methods: methods, Seeds: seeds, Workers: h.workers, MaxSteps: h.maxSteps}
	return nil
}

// checkOutputs checks every output path before any training: that the
// results JSON and metrics files can be written, that the figure and
// checkpoint directories exist (created if missing) and take files, that
// --resume has checkpoints to resume and that a fresh start does not
// overwrite another reproduction's checkpoints without --force.
func (h *harness) checkOutputs() error {
	if err := writableFile("json", h.json); err != nil {
		return err
	}
	if err := writableFile("metrics", h.metricsPath); err != nil {
		return err
	}
	if err := writableDir("out", h.out); err != nil {
		return err
	}
	if h.ckptDir == "" {
		return nil
	}
	var existing []string
	for _, s := range h.set.Runs() {
		if _, err := os.Stat(h.checkpointPath(s)); err == nil {
			existing = append(existing, h.checkpointPath(s))
		}
	}
	if h.resume {
		if st, err := os.Stat(h.ckptDir); err != nil || !st.IsDir() {
			return fmt.Errorf("--resume: the checkpoint directory %s does not exist, so there is nothing to resume; check --checkpoint-dir, or drop --resume to start afresh", h.ckptDir)
		}
		if len(existing) == 0 {
			return fmt.Errorf("--resume: %s holds no checkpoint of these runs (e.g. %s); check --checkpoint-dir and the flags, or drop --resume to start afresh",
				h.ckptDir, filepath.Base(h.checkpointPath(h.set.Runs()[0])))
		}
	} else if len(existing) > 0 && !h.force {
		return fmt.Errorf("--checkpoint-dir %s already holds checkpoints of these runs (%s%s); add --resume to continue them, or --force to start over and overwrite them",
			h.ckptDir, existing[0], more(len(existing)-1))
	}
	return writableDir("checkpoint-dir", h.ckptDir)
}

// more is " and N more" for n > 0.
func more(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

func (h *harness) checkpointPath(s tasks.RunSpec) string {
	if h.ckptDir == "" {
		return ""
	}
	return filepath.Join(h.ckptDir, fmt.Sprintf("%s-%s-seed%d.ckpt", h.info.Name, strings.ReplaceAll(s.Method.String(), "+", "_"), s.Seed))
}

func (h *harness) runName(s tasks.RunSpec) string {
	if h.label != "" {
		return tasks.RunName(h.info.Name, s.Method, s.Seed) + " [" + h.label + "]"
	}
	return tasks.RunName(h.info.Name, s.Method, s.Seed)
}

// openMetrics opens the metrics file: truncated for a fresh start; on
// --resume, trimmed to the iterations the checkpoints hold.
func (h *harness) openMetrics() (*os.File, error) {
	if h.metricsPath == "" {
		return nil, nil
	}
	mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if h.resume {
		upTo := map[string]int{}
		for _, s := range h.set.Runs() {
			n := 0
			if info, err := train.ReadCheckpointInfo(h.checkpointPath(s)); err == nil {
				n = info.Iteration
			}
			upTo[h.runName(s)] = n
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

// metricsError is a failed write of the metrics file.
func metricsError(path string, err error) error {
	return fmt.Errorf("--metrics %s: %v; the run was stopped (free space or choose another file)", path, err)
}

// stopOnError passes metrics on to a JSONL recorder and cancels the runs as
// soon as a write fails, rather than training on without metrics.
type stopOnError struct {
	j      *train.JSONL
	cancel context.CancelFunc
}

func (s stopOnError) Begin(i train.Info) { s.j.Begin(i) }
func (s stopOnError) Record(m train.Metrics) {
	s.j.Record(m)
	if s.j.Err() != nil {
		s.cancel()
	}
}
func (s stopOnError) End(r train.Result, err error) {
	s.j.End(r, err)
	if s.j.Err() != nil {
		s.cancel()
	}
}

// each runs fn for every run of the settings and returns the records in
// that order, printing one line per finished run to stderr. With --workers
// above 1 it trains that many runs at once: fn must then be safe for
// concurrent use; the recorders and the output are serialized, and
// progress is logged as lines rather than redrawn. When a run fails the
// others are cancelled and the failure is returned.
func (h *harness) each(ctx context.Context, fn func(ctx context.Context, s tasks.RunSpec) (tasks.Record, error)) ([]tasks.Record, error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	specs := h.set.Runs()
	workers := max(1, min(h.set.Workers, len(specs)))
	var mu sync.Mutex // serializes recorders and output across concurrent runs
	wrap := func(r train.Recorder) train.Recorder {
		if workers == 1 {
			return r
		}
		return lockedRecorder{&mu, r}
	}
	for i := range specs {
		s := &specs[i]
		s.Options = train.RunOptions{Name: h.runName(*s), Checkpoint: h.checkpointPath(*s), CheckpointEvery: h.ckptEvery}
		if h.resume {
			if _, err := os.Stat(s.Options.Checkpoint); err == nil {
				s.Options.Resume = s.Options.Checkpoint
			}
		}
		s.Options.Recorders = append(s.Options.Recorders, wrap(progress{train.NewProgress(h.stderr, h.terminal && workers == 1)}))
		for _, r := range h.extra {
			s.Options.Recorders = append(s.Options.Recorders, wrap(r))
		}
		if h.metrics != nil {
			s.Options.Recorders = append(s.Options.Recorders, wrap(stopOnError{h.metrics, cancel}))
		}
	}
	recs := make([]tasks.Record, len(specs))
	errs := make([]error, len(specs))
	do := func(k int) {
		s := specs[k]
		r, err := fn(runCtx, s)
		mu.Lock()
		defer mu.Unlock()
		if h.metrics != nil && h.metrics.Err() != nil {
			err = metricsError(h.metricsPath, h.metrics.Err())
		}
		if err != nil {
			errs[k] = err
			cancel()
			return
		}
		fmt.Fprintf(h.stderr, "%s: train loss %.4g, NFE %d, train time %.3g s, predict time %.3g ms\n",
			s.Options.Name, r.Run.TrainLoss, r.Run.NFE, r.Run.TrainTimeS, r.Run.PredictTimeS*1e3)
		if r.Run.Budget != nil {
			fmt.Fprintf(h.stderr, "%s: %s\n", s.Options.Name, r.Run.Budget.Verdict)
		}
		recs[k] = r
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
	return recs, nil
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

func (h *harness) run(ctx context.Context) int {
	mf, err := h.openMetrics()
	if err != nil {
		return usageErr(h.env, h.cmd, fmt.Errorf("--metrics %s: %v", h.metricsPath, oneLine(err)), h.cmd+" --help")
	}
	if mf != nil {
		defer mf.Close()
		h.metrics = train.NewJSONL(mf)
	}
	recs, err := h.each(ctx, h.task.Run)
	if err != nil {
		var ie *train.InterruptedError
		if errors.As(err, &ie) || errors.Is(err, context.Canceled) {
			if h.ckptDir != "" {
				fmt.Fprintf(h.stderr, "%s: interrupted; checkpoints are in %s: run the same command with --resume to continue\n", h.cmd, h.ckptDir)
			} else {
				fmt.Fprintf(h.stderr, "%s: interrupted (without --checkpoint-dir nothing was saved)\n", h.cmd)
			}
			return exitInterrupted
		}
		return failure(h.env, h.cmd, err)
	}
	res, err := h.report(recs)
	if err != nil {
		return failure(h.env, h.cmd, err)
	}
	if err := writeMarkdown(h.stdout, res, h.scale, len(h.set.Seeds)); err != nil {
		return failure(h.env, h.cmd, err)
	}
	if h.json != "" {
		if err := res.WriteJSON(h.json); err != nil {
			return failure(h.env, h.cmd, err)
		}
		fmt.Fprintf(h.stderr, "%s: results written to %s\n", h.cmd, h.json)
	}
	if h.out != "" {
		figs, err := h.task.Figures(ctx, h.out, recs)
		if err != nil {
			return failure(h.env, h.cmd, err)
		}
		if len(figs) > 0 {
			fmt.Fprintf(h.stderr, "%s: figures written to %s\n", h.cmd, strings.Join(figs, ", "))
		}
	}
	return exitOK
}

// report asks the task for the results of the records and fills in what it
// left empty.
func (h *harness) report(recs []tasks.Record) (*report.Results, error) {
	res, err := h.task.Report(recs)
	if err != nil {
		return nil, err
	}
	if res.Task == "" {
		res.Task = h.info.Name
	}
	if res.Runs == nil {
		res.Runs = tasks.Runs(recs)
	}
	if res.Summary == nil {
		res.Summary = report.Summarize(res.Runs, h.set.MethodNames())
	}
	for _, r := range res.Runs {
		if r.Budget != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("Budget of %s seed %d: %s", r.Method, r.Seed, r.Budget.Verdict))
		}
	}
	return res, nil
}

// writeMarkdown prints the results: a heading, the table beside the
// paper's numbers, then the notes, the checks and the verdict.
func writeMarkdown(w io.Writer, res *report.Results, scale string, seeds int) error {
	fmt.Fprintf(w, "## %s (%s scale, %d seeds)\n\n", res.Task, scale, seeds)
	if err := report.Table(w, res, nil); err != nil {
		return err
	}
	lines := append([]string(nil), res.Notes...)
	for _, c := range res.Checks {
		lines = append(lines, c.Text)
	}
	if res.Verdict != "" {
		lines = append(lines, res.Verdict)
	}
	if len(lines) > 0 {
		fmt.Fprintln(w)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
	return nil
}
