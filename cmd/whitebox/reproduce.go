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

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// harness runs `whitebox reproduce <task|all>`: it owns the common flags,
// enumerates the runs (every task's methods with every seed), trains its
// share of them (all, or one shard) with progress, metrics and checkpoints,
// and turns the records into the tables, the results JSON and the figures
// through the tasks.
type harness struct {
	*env
	f     *flags
	cmd   string // "whitebox reproduce spiral", "whitebox reproduce all"
	all   bool   // reproduce every registered task
	parts []*part
	argv  []string // the arguments after "reproduce"

	seeds       int
	seed        uint64
	scale       string
	maxSteps    int
	json        string
	out         string
	metricsPath string
	ckptDir     string
	ckptEvery   int
	resume      bool
	force       bool
	workers     int
	shardFlag   string

	// shard is the share of the runs this process trains (1 of 1 without
	// --shard).
	shard  shard
	shared []*sharedFlag // `reproduce all`: task flags given for every task
	sweep  sweepFlags    // --sweep-budget (sweep.go)

	metrics *train.JSONL
}

// part is one task of a reproduction.
type part struct {
	task tasks.Task
	info tasks.Info
	set  tasks.Settings
	// prefix is the task's flag prefix under `reproduce all` ("spiral."),
	// "" when the command reproduces the one task.
	prefix      string
	methodsFlag string
	// flagNames are the task's own flags (without prefix), as declared.
	flagNames []string
	// label is a budget sweep's point, appended to the run names.
	label string
}

// job is one run of a reproduction: a task's run and its position in the
// global run list (every task's runs in order), which assigns it a shard.
type job struct {
	part   *part
	spec   tasks.RunSpec
	global int
}

func helpReproduce(w io.Writer) {
	fmt.Fprint(w, `Usage: whitebox reproduce <task> [flags]
       whitebox reproduce all [flags]
       whitebox reproduce <task|all> --shard I/N --out DIR [flags]

Tasks:
`)
	listTasks(w)
	fmt.Fprint(w, `
'all' runs every task and writes one report folder (--out, default results):
REPORT.md with every task's table beside the paper's, its checks, the
protocol and the machine, and per task its results JSON and figures.

--shard I/N trains only the I-th of N shares of the runs (round robin over
every task's runs in order, each task's seed by seed: every method of a
seed before the next seed, each seed's methods starting one further
along) and writes them with the protocol to
DIR/runs-I-of-N.json; 'whitebox merge DIR...' combines the shards into the
report and results JSON of the unsharded reproduction.

Run 'whitebox reproduce <task|all> --help' for the flags and their defaults.
`)
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

// newHarness parses the command line of `whitebox reproduce <task|all>` and
// sets the tasks up, checking every flag and output path. It returns nil
// and the status to exit with when the command should stop (help, usage
// errors).
func newHarness(args []string, e *env) (*harness, int) {
	var h *harness
	if len(args) > 0 && args[0] == "all" {
		h = declareAll(e)
	} else {
		task, status := findTask(args, e, "reproduce", helpReproduce)
		if task == nil {
			return nil, status
		}
		h = declareOne(task, e)
	}
	h.argv = args
	if status, stop := h.f.parse(args[1:], e); stop {
		return nil, status
	}
	bad := func(err error) (*harness, int) { return nil, usageErr(e, h.cmd, err, h.cmd+" --help") }
	if err := h.setup(); err != nil {
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

// declareOne returns the harness of `whitebox reproduce <task>` with its
// flags declared.
func declareOne(task tasks.Task, e *env) *harness {
	info := task.Info()
	p := &part{task: task, info: info}
	h := &harness{env: e, parts: []*part{p}, cmd: "whitebox reproduce " + info.Name}
	h.f = newFlags(h.cmd, sentence(info.Summary)+"\nThe table goes to stdout, progress to stderr. Flag defaults are those of --scale default.")
	h.declareCommon(filepath.Join("results", info.Name), "directory for the PNG figures (created if missing; empty: no figures); with --shard, the shard's output directory")
	h.f.StringVar(&h.json, "json", "", "write the results JSON to this file")
	h.f.StringVar(&p.methodsFlag, "methods", strings.Join(info.Methods, ","), "comma-separated methods: vanilla or '+'-joined "+partsList())
	h.f.IntVar(&h.workers, "workers", max(1, info.Workers), "runs trained at once (above 1 they share the cores, which lengthens each run's training time, and progress is logged as lines)")
	h.sweep.declare(h.f, task)
	rec := &recordingFlags{flags: h.f}
	task.Flags(rec)
	p.flagNames = rec.names
	return h
}

// declareCommon declares the flags of every reproduction, with out's
// default and usage.
func (h *harness) declareCommon(outDefault, outUsage string) {
	f := h.f
	f.IntVar(&h.seeds, "seeds", 3, "number of seeds per method")
	f.Uint64Var(&h.seed, "seed", 1999, "first seed; the runs use seed, seed+1, ...")
	f.StringVar(&h.scale, "scale", "default", "protocol size: default (minutes on 2 cores) or full (the paper-sized protocol)")
	f.IntVar(&h.maxSteps, "max-steps", 0, "bound on the attempted steps of every solve of the model (0: the solver's default, 100000)")
	f.StringVar(&h.out, "out", outDefault, outUsage)
	f.StringVar(&h.metricsPath, "metrics", "", "write per-iteration metrics of every run as JSON lines to this file")
	f.StringVar(&h.ckptDir, "checkpoint-dir", "", "write a checkpoint per run to this directory (created if missing)")
	f.IntVar(&h.ckptEvery, "checkpoint-every", 500, "with --checkpoint-dir: checkpoint every N iterations (and on Ctrl-C)")
	f.BoolVar(&h.resume, "resume", false, "with --checkpoint-dir: continue each run from its checkpoint (runs without one start afresh); finished runs are only re-predicted")
	f.BoolVar(&h.force, "force", false, "with --checkpoint-dir: overwrite the checkpoints of an earlier reproduction instead of refusing")
	f.StringVar(&h.shardFlag, "shard", "", "train only share I of N of the runs (I/N, 1 <= I <= N; round robin over every task's runs) and write them to --out for 'whitebox merge'")
}

// partsList is "error, stiffness and steer", the parts of a method.
func partsList() string {
	p := train.MethodParts()
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}

// setup checks the common flags and sets every task up with its settings.
func (h *harness) setup() error {
	if err := h.applyShared(); err != nil {
		return err
	}
	scale, err := tasks.ParseScale(h.scale)
	if err != nil {
		return fmt.Errorf("--scale %q: use default or full", h.scale)
	}
	if h.seeds < 1 {
		return fmt.Errorf("--seeds %d: give at least 1", h.seeds)
	}
	if h.workers < 1 && (!h.all || h.f.IsSet("workers")) {
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
	h.shard = shard{I: 1, N: 1}
	if h.f.IsSet("shard") {
		if h.shard, err = parseShard(h.shardFlag); err != nil {
			return err
		}
		if !h.f.IsSet("out") || h.out == "" {
			return errors.New("--shard needs --out DIR, the directory the shard's runs are written to (for 'whitebox merge DIR...')")
		}
		if h.json != "" {
			return errors.New("--json with --shard: a shard holds only part of the runs; write the results JSON with 'whitebox merge --json FILE DIR...'")
		}
	}
	if h.all && h.out == "" {
		return errors.New("--out is empty: 'reproduce all' writes its report folder there")
	}
	seeds := make([]uint64, h.seeds)
	for i := range seeds {
		seeds[i] = h.seed + uint64(i)
	}
	for _, p := range h.parts {
		methods, err := parseMethods(p.prefix+"methods", p.methodsFlag)
		if err != nil {
			return err
		}
		workers := h.workers
		if h.all && !h.f.IsSet("workers") {
			workers = max(1, p.info.Workers)
		}
		p.set = tasks.Settings{Scale: scale, Methods: methods, Seeds: seeds, Workers: workers, MaxSteps: h.maxSteps}
		if err := p.task.Setup(p.set); err != nil {
			if h.all {
				return fmt.Errorf("%s: %v", p.info.Name, err)
			}
			return err
		}
	}
	return nil
}

// parseMethods reads the value of the methods flag name (methods or
// <task>.methods).
func parseMethods(name, s string) ([]train.Method, error) {
	var methods []train.Method
	seen := map[train.Method]bool{}
	for _, s := range splitList(s) {
		m, err := train.ParseMethod(s)
		if err != nil {
			return nil, fmt.Errorf("--%s: %v", name, strings.TrimPrefix(err.Error(), "train: "))
		}
		if !seen[m] {
			seen[m] = true
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 {
		return nil, fmt.Errorf("--%s is empty", name)
	}
	return methods, nil
}

// jobs returns every run of the reproduction in the global order: each
// task's runs (seeds x methods, Settings.Runs) in turn.
func (h *harness) jobs() []job {
	var out []job
	for _, p := range h.parts {
		for _, s := range p.set.Runs() {
			out = append(out, job{part: p, spec: s, global: len(out)})
		}
	}
	return out
}

// mine returns the runs of this process's shard, in the global order.
func (h *harness) mine() []job {
	var out []job
	for _, j := range h.jobs() {
		if h.shard.has(j.global) {
			out = append(out, j)
		}
	}
	return out
}

// checkOutputs checks every output path before any training: that the
// results JSON and metrics files can be written, that the figure or shard
// and checkpoint directories exist (created if missing) and take files,
// that --resume has checkpoints to resume and that a fresh start does not
// overwrite another reproduction's checkpoints without --force.
func (h *harness) checkOutputs() error {
	if err := h.checkOutputFiles(); err != nil {
		return err
	}
	if h.ckptDir == "" {
		return nil
	}
	var existing []string
	mine := h.mine()
	for _, j := range mine {
		if path := h.checkpointPath(j.part, j.spec); fileExists(path) {
			existing = append(existing, path)
		}
	}
	if h.resume {
		if st, err := os.Stat(h.ckptDir); err != nil || !st.IsDir() {
			return fmt.Errorf("--resume: the checkpoint directory %s does not exist, so there is nothing to resume; check --checkpoint-dir, or drop --resume to start afresh", h.ckptDir)
		}
		if len(existing) == 0 {
			eg := ""
			if len(mine) > 0 {
				eg = " (e.g. " + filepath.Base(h.checkpointPath(mine[0].part, mine[0].spec)) + ")"
			}
			return fmt.Errorf("--resume: %s holds no checkpoint of these runs%s; check --checkpoint-dir and the flags, or drop --resume to start afresh", h.ckptDir, eg)
		}
	} else if len(existing) > 0 && !h.force {
		return fmt.Errorf("--checkpoint-dir %s already holds checkpoints of these runs (%s%s); add --resume to continue them, or --force to start over and overwrite them",
			h.ckptDir, existing[0], more(len(existing)-1))
	}
	return writableDir("checkpoint-dir", h.ckptDir)
}

// checkOutputFiles checks that the results JSON and metrics files can be
// written and that the figure or shard directory exists (created if
// missing) and takes files.
func (h *harness) checkOutputFiles() error {
	if err := writableFile("json", h.json); err != nil {
		return err
	}
	if err := writableFile("metrics", h.metricsPath); err != nil {
		return err
	}
	return writableDir("out", h.out)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// more is " and N more" for n > 0.
func more(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

func (h *harness) checkpointPath(p *part, s tasks.RunSpec) string {
	if h.ckptDir == "" {
		return ""
	}
	return filepath.Join(h.ckptDir, fmt.Sprintf("%s-%s-seed%d.ckpt", p.info.Name, strings.ReplaceAll(s.Method.String(), "+", "_"), s.Seed))
}

func runName(p *part, s tasks.RunSpec) string {
	if p.label != "" {
		return tasks.RunName(p.info.Name, s.Method, s.Seed) + " [" + p.label + "]"
	}
	return tasks.RunName(p.info.Name, s.Method, s.Seed)
}

// openMetrics opens the metrics file of the runs this process trains.
func (h *harness) openMetrics() (*os.File, error) {
	return h.openMetricsOf(func(run func(*harness, *part, tasks.RunSpec)) {
		for _, j := range h.mine() {
			run(h, j.part, j.spec)
		}
	})
}

// openMetricsOf opens the metrics file: truncated for a fresh start; on
// --resume, trimmed to the iterations the checkpoints hold. runs calls run
// for each run (the harness whose checkpoints hold it, its part and spec);
// it is called on --resume only.
func (h *harness) openMetricsOf(runs func(run func(*harness, *part, tasks.RunSpec))) (*os.File, error) {
	if h.metricsPath == "" {
		return nil, nil
	}
	mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if h.resume {
		upTo := map[string]int{}
		runs(func(ch *harness, p *part, s tasks.RunSpec) {
			n := 0
			if info, err := train.ReadCheckpointInfo(ch.checkpointPath(p, s)); err == nil {
				n = info.Iteration
			}
			upTo[runName(p, s)] = n
		})
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

// each runs fn for the runs specs of the task p and returns the records in
// that order, printing one line per finished run to stderr. With p's
// workers above 1 it trains that many runs at once: fn must then be safe
// for concurrent use; the recorders and the output are serialized, and
// progress is logged as lines rather than redrawn. When a run fails the
// others are cancelled and the failure is returned.
func (h *harness) each(ctx context.Context, p *part, specs []tasks.RunSpec, fn func(ctx context.Context, s tasks.RunSpec) (tasks.Record, error)) ([]tasks.Record, error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	specs = append([]tasks.RunSpec(nil), specs...)
	workers := max(1, min(p.set.Workers, len(specs)))
	var mu sync.Mutex // serializes recorders and output across concurrent runs
	wrap := func(r train.Recorder) train.Recorder {
		if workers == 1 {
			return r
		}
		return lockedRecorder{&mu, r}
	}
	for i := range specs {
		s := &specs[i]
		s.Options = train.RunOptions{Name: runName(p, *s), Checkpoint: h.checkpointPath(p, *s), CheckpointEvery: h.ckptEvery}
		if h.resume && fileExists(s.Options.Checkpoint) {
			s.Options.Resume = s.Options.Checkpoint
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
		// The solvers' pooled tapes shed the shapes they stop using only
		// after dozens of solves (package ad bounds them so); until then
		// the next run (of another task, batch or evaluation size) would
		// hold its working set beside this run's. Draining hands it back
		// at once. Runs beside this one keep their tapes in use.
		ad.DrainTapePool()
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
		if ctx.Err() == nil && interrupted(err) {
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

// interrupted reports whether err is an interruption (Ctrl-C, SIGTERM or a
// cancelled context) rather than a failure.
func interrupted(err error) bool {
	var ie *train.InterruptedError
	return errors.As(err, &ie) || errors.Is(err, context.Canceled)
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
	if h.all || h.f.IsSet("shard") {
		return h.runShard(ctx)
	}
	p := h.parts[0]
	recs, err := h.each(ctx, p, p.set.Runs(), p.task.Run)
	if err != nil {
		if interrupted(err) {
			return h.interrupted()
		}
		return failure(h.env, h.cmd, err)
	}
	return h.writeOne(ctx, recs)
}

// interrupted says where the checkpoints of an interrupted reproduction
// are and returns exitInterrupted.
func (h *harness) interrupted() int {
	if h.ckptDir != "" {
		fmt.Fprintf(h.stderr, "%s: interrupted; checkpoints are in %s: run the same command with --resume to continue\n", h.cmd, h.ckptDir)
	} else {
		fmt.Fprintf(h.stderr, "%s: interrupted (without --checkpoint-dir nothing was saved)\n", h.cmd)
	}
	return exitInterrupted
}

// writeJSON writes the results JSON to --json, if given, and says so.
func (h *harness) writeJSON(res *report.Results) error {
	if h.json == "" {
		return nil
	}
	if err := res.WriteJSON(h.json); err != nil {
		return err
	}
	fmt.Fprintf(h.stderr, "%s: results written to %s\n", h.cmd, h.json)
	return nil
}

// writeOne writes the outputs of a one-task reproduction from all of its
// records (in any order; they are presented grouped by method): the table
// to stdout, the results JSON (--json) and the figures (--out).
func (h *harness) writeOne(ctx context.Context, recs []tasks.Record) int {
	p := h.parts[0]
	recs = p.set.ByMethod(recs)
	res, err := h.report(p, recs)
	if err != nil {
		return failure(h.env, h.cmd, err)
	}
	if err := writeMarkdown(h.stdout, res, h.scale, len(p.set.Seeds)); err != nil {
		return failure(h.env, h.cmd, err)
	}
	if err := h.writeJSON(res); err != nil {
		return failure(h.env, h.cmd, err)
	}
	if h.out != "" {
		if err := os.MkdirAll(h.out, 0o755); err != nil {
			return failure(h.env, h.cmd, fmt.Errorf("--out %s: %v", h.out, errors.Unwrap(err)))
		}
		figs, err := p.task.Figures(ctx, h.out, recs)
		if err != nil {
			return failure(h.env, h.cmd, err)
		}
		if len(figs) > 0 {
			fmt.Fprintf(h.stderr, "%s: figures written to %s\n", h.cmd, strings.Join(figs, ", "))
		}
	}
	return exitOK
}

// report asks the task for the results of the records, which its callers
// (writeOne, merged.writeTask) have grouped by method for the figures too,
// and fills in what it left empty.
func (h *harness) report(p *part, recs []tasks.Record) (*report.Results, error) {
	res, err := p.task.Report(recs)
	if err != nil {
		return nil, err
	}
	if res.Task == "" {
		res.Task = p.info.Name
	}
	if res.Runs == nil {
		res.Runs = tasks.Runs(recs)
	}
	if res.Summary == nil {
		res.Summary = report.Summarize(res.Runs, p.set.MethodNames())
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
