package main

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// A tiny-scale run of `reproduce spiral-sde`, two runs at a time: table
// beside the paper's, checks, results JSON, figures, metrics and
// checkpoints, then --resume from the finished checkpoints.
func TestReproduceSpiralSDESmoke(t *testing.T) {
	dir := t.TempDir()
	js, out, metrics, ckpt := filepath.Join(dir, "r.json"), filepath.Join(dir, "fig"), filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "ckpt")
	tiny := []string{"reproduce", "spiral-sde", "--iters", "3", "--trajectories", "20", "--data-trajectories", "300", "--predict-passes", "1", "--seeds", "2"}
	args := append(slices.Clone(tiny), "--json", js, "--out", out, "--metrics", metrics, "--checkpoint-dir", ckpt)
	status, stdout, stderr := runCLI(context.Background(), args...)
	if status != 0 {
		t.Fatalf("status %d, stderr:\n%s", status, stderr)
	}
	for _, w := range []string{"## spiral-sde (default scale, 2 seeds)", "| vanilla | 2 |", "| stiffness | 2 |", "| error | 2 |",
		"528.67 ± 6.11", "0.0204 ± 0.0091", "Table 3", "Prediction drift NFE", "trained 2 at a time",
		"Check stiffness vs vanilla: NFE", "Check error vs vanilla: NFE", "(paper: 502 vs 529 NFE, loss within 4%)"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	if !strings.Contains(stderr, "spiral-sde/error/seed=2000: 3 iterations") || !strings.Contains(stderr, "results written to "+js) {
		t.Errorf("stderr:\n%s", stderr)
	}
	res, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if res.Task != "spiral-sde" || len(res.Runs) != 6 || len(res.Summary) != 3 || res.Summary[1].Method != "stiffness" {
		t.Fatalf("results %+v", res)
	}
	for i, r := range res.Runs {
		if want := []string{"vanilla", "stiffness", "error"}[i/2]; r.Method != want || r.Seed != 1999+i%2 || r.Iterations != 3 {
			t.Errorf("run %d is %s seed %d with %d iterations; want %s seed %d, 3 iterations", i, r.Method, r.Seed, r.Iterations, want, 1999+i%2)
		}
		if r.NFE <= 0 || r.TrainTimeS <= 0 || r.PredictTimeS <= 0 || !(r.TrainLoss > 0) || r.TestLoss != nil {
			t.Errorf("run %+v", r)
		}
	}
	cfg := res.Config.(map[string]any)
	if cfg["iterations"].(float64) != 3 || cfg["trajectories"].(float64) != 20 || cfg["rtol"].(float64) != 0.3 || cfg["workers"].(float64) != 2 ||
		cfg["data"].(map[string]any)["trajectories"].(float64) != 300 {
		t.Errorf("config %v", cfg)
	}
	checkFigures(t, out, "moments.png", "nfe.png")
	readMetrics := func() []train.Metrics { return readMetricsFile(t, metrics) }
	perRun := map[string]int{}
	for _, m := range readMetrics() {
		perRun[m.Run]++
	}
	if len(perRun) != 6 || perRun["spiral-sde/stiffness/seed=2000"] != 3 {
		t.Errorf("metrics lines per run: %v", perRun)
	}
	info, err := train.ReadCheckpointInfo(filepath.Join(ckpt, "spiral-sde-error-seed2000.ckpt"))
	if err != nil || info.Iteration != 3 {
		t.Fatalf("checkpoint: %+v %v", info, err)
	}

	// Resuming finished runs re-predicts without training: same numbers.
	status, _, stderr = runCLI(context.Background(), append(args, "--resume")...)
	if status != 0 || !strings.Contains(stderr, "resuming at iteration 3 of 3") {
		t.Fatalf("resume: status %d, stderr:\n%s", status, stderr)
	}
	again, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Runs {
		a, b := res.Runs[i], again.Runs[i]
		if a.NFE != b.NFE || a.TrainLoss != b.TrainLoss || a.TrainTimeS != b.TrainTimeS {
			t.Errorf("run %d changed on resume: %+v vs %+v", i, a, b)
		}
	}
	if ms := readMetrics(); len(ms) != 18 {
		t.Errorf("%d metrics lines after resume, want 18", len(ms))
	}

	// One run at a time gives the same runs (times apart).
	one := filepath.Join(dir, "one.json")
	status, stdout, stderr = runCLI(context.Background(), append(tiny, "--workers", "1", "--out", "", "--json", one)...)
	if status != 0 || strings.Contains(stdout, "at a time") {
		t.Fatalf("--workers 1: status %d, stdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	seq, err := report.ReadJSON(one)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Runs {
		a, b := res.Runs[i], seq.Runs[i]
		if a.Method != b.Method || a.Seed != b.Seed || a.NFE != b.NFE || a.TrainLoss != b.TrainLoss {
			t.Errorf("run %d: 2 workers %+v, 1 worker %+v", i, a, b)
		}
	}
}

func TestReproduceSpiralSDEUsage(t *testing.T) {
	status, out, _ := runCLI(context.Background(), "reproduce", "spiral-sde", "--help")
	for _, w := range []string{"Usage: whitebox reproduce spiral-sde [flags]", "-iters int", "(default 500)", "-error-coef float", "(default 0.05)", "-lr float", "(default 0.05)",
		"-workers int", "(default 2)", `(default "results/spiral-sde")`, `(default "vanilla,stiffness,error")`} {
		if status != 0 || !strings.Contains(out, w) {
			t.Errorf("help (status %d) lacks %q:\n%s", status, w, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--methods", "vanilla,steer"}, "--methods: spiral-sde trains vanilla, error, stiffness or error+stiffness, not steer"},
		{[]string{"--iters", "0"}, "--iters 0: give at least 1"},
		{[]string{"--trajectories", "1"}, "--trajectories 1: give at least 2"},
		{[]string{"--error-coef", "-1"}, "--error-coef -1: must be positive"},
		{[]string{"--workers", "0"}, "--workers 0: give at least 1"},
		{[]string{"--tol", "x"}, `invalid value "x" for flag -tol`},
	} {
		status, out, errOut := runCLI(context.Background(), append([]string{"reproduce", "spiral-sde", "--out", ""}, c.args...)...)
		if status != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want status 2 and one line containing %q", c.args, status, out, errOut, c.want)
		}
	}
}

// With --workers 2 the harness returns the runs in the order of the specs
// given, here Runs' seed-major order (vanilla/1, error/1, error/2,
// vanilla/2), whatever order they finish in, and a failed run cancels the
// one beside it and is what the reproduction reports.
func TestEachConcurrent(t *testing.T) {
	p := &part{info: tasks.Info{Name: "t"}, set: tasks.Settings{Methods: []train.Method{{}, {Error: true}}, Seeds: []uint64{1, 2}, Workers: 2}}
	newHarness := func() *harness {
		return &harness{env: &env{stdout: &strings.Builder{}, stderr: &lockedBuilder{}}, parts: []*part{p}}
	}
	first := make(chan struct{})
	recs, err := newHarness().each(context.Background(), p, p.set.Runs(), func(ctx context.Context, s tasks.RunSpec) (tasks.Record, error) {
		if s.Index == 0 {
			<-first // finish after run 1
		}
		if s.Index == 1 {
			defer close(first)
		}
		return tasks.Record{Run: report.Run{Method: s.Method.String(), Seed: int(s.Seed), NFE: 10 + s.Index}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Run.NFE != 10+i || r.Run.Seed != 1+i/2 || r.Run.Method != []string{"vanilla", "error", "error", "vanilla"}[i] {
			t.Errorf("run %d: %+v", i, r)
		}
	}

	var mu sync.Mutex
	started := map[int]bool{}
	boom := errors.New("boom")
	_, err = newHarness().each(context.Background(), p, p.set.Runs(), func(ctx context.Context, s tasks.RunSpec) (tasks.Record, error) {
		mu.Lock()
		started[s.Index] = true
		mu.Unlock()
		if s.Index == 1 {
			return tasks.Record{}, boom
		}
		<-ctx.Done()
		return tasks.Record{}, &train.InterruptedError{Cause: ctx.Err()}
	})
	if !errors.Is(err, boom) {
		t.Errorf("each returned %v, want the failure", err)
	}
	if started[2] || started[3] {
		t.Errorf("runs after the failure were started: %v", started)
	}
}

// lockedBuilder is a strings.Builder safe for concurrent writes.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
