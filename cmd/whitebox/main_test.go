package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

func runCLI(ctx context.Context, args ...string) (status int, stdout, stderr string) {
	return runWith(ctx, nil, args...)
}

func runWith(ctx context.Context, extra []train.Recorder, args ...string) (status int, stdout, stderr string) {
	var out, errb bytes.Buffer
	status = run(ctx, args, &env{stdout: &out, stderr: &errb, extra: extra})
	return status, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		status, out, _ := runCLI(context.Background(), args...)
		if status != 0 || !strings.Contains(out, "reproduce") || !strings.Contains(out, "spiral") || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: status %d, output %q", args, status, out)
		}
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"help", "reproduce"}, []string{"whitebox reproduce <task>", "spiral"}},
		{[]string{"reproduce", "--help"}, []string{"whitebox reproduce <task>", "spiral"}},
		{[]string{"help", "train"}, []string{"whitebox train <task>", "spiral"}},
		{[]string{"reproduce", "spiral", "--help"}, []string{"Usage: whitebox reproduce spiral [flags]", "-seeds int", "(default 3)", "-iters int",
			"(default 4000)", "-scale string", `(default "default")`, "-json string", "-tol float", "(default 1e-06)", `(default "results/spiral")`}},
		{[]string{"train", "spiral", "-h"}, []string{"Usage: whitebox train spiral [flags]", "-resume string", "-method string", `(default "vanilla")`, "-checkpoint-every int"}},
	}
	for _, c := range cases {
		status, out, errOut := runCLI(context.Background(), c.args...)
		if status != 0 || errOut != "" {
			t.Errorf("%v: status %d, stderr %q", c.args, status, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: help lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"frobnicate"}, `whitebox: unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"reproduce"}, "name a task"},
		{[]string{"reproduce", "mnist-ode"}, `unknown task "mnist-ode" (known: ` + strings.Join(tasks.Names(), ", ") + ")"},
		{[]string{"reproduce", "spiral", "--bogus"}, "whitebox reproduce spiral: flag provided but not defined: -bogus"},
		{[]string{"reproduce", "spiral", "--seeds", "two"}, `invalid value "two" for flag -seeds`},
		{[]string{"reproduce", "spiral", "extra"}, `unexpected argument "extra"`},
		{[]string{"reproduce", "spiral", "--seeds", "0"}, "--seeds 0"},
		{[]string{"reproduce", "spiral", "--scale", "huge"}, `--scale "huge"`},
		{[]string{"reproduce", "spiral", "--methods", "vanilla,taylor"}, `--methods: unknown method part "taylor"`},
		{[]string{"reproduce", "spiral", "--json", filepath.Join(dir, "no", "x.json")}, "does not exist"},
		{[]string{"reproduce", "spiral", "--json", dir}, "is a directory"},
		{[]string{"reproduce", "spiral", "--out", file}, "--out " + file + ": cannot create the directory"},
		{[]string{"reproduce", "spiral", "--metrics", filepath.Join(dir, "no", "m.jsonl")}, "does not exist"},
		{[]string{"reproduce", "spiral", "--resume"}, "--resume needs --checkpoint-dir"},
		{[]string{"reproduce", "spiral", "--out", "", "--lr", "-1"}, "--lr -1: must be positive"},
		{[]string{"reproduce", "spiral", "--out", "", "--error-agg", "median"}, `--error-agg "median"`},
		{[]string{"train"}, "name a task"},
		{[]string{"train", "spiral", "--method", "error+error"}, "--method:"},
		{[]string{"train", "spiral", "--resume", filepath.Join(dir, "missing.ckpt")}, "no such file"},
		{[]string{"train", "spiral", "--iters", "0"}, "--iters 0"},
		{[]string{"train", "frobnicate"}, `unknown task "frobnicate" (known: ` + strings.Join(tasks.Names(), ", ") + ")"},
		{[]string{"train", "spiral", "--max-steps", "-1"}, "--max-steps -1"},
		{[]string{"train", "spiral", "--save", filepath.Join(dir, "no", "m.wb")}, "does not exist"},
	}
	for _, c := range cases {
		status, out, errOut := runCLI(context.Background(), c.args...)
		if status != exitUsage {
			t.Errorf("%v: status %d, want %d (stderr %q)", c.args, status, exitUsage, errOut)
			continue
		}
		if out != "" && c.args != nil {
			t.Errorf("%v: wrote %q to stdout", c.args, out)
		}
		if c.args == nil {
			if !strings.Contains(errOut, "Usage:") {
				t.Errorf("no arguments: stderr %q, want the usage", errOut)
			}
			continue
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, errOut, c.want)
		}
	}
}

// A tiny-scale run of the whole reproduce path: results JSON, figures,
// metrics and checkpoints, then --resume from the finished checkpoints.
func TestReproduceSpiralSmoke(t *testing.T) {
	dir := t.TempDir()
	js, out, metrics, ckpt := filepath.Join(dir, "r.json"), filepath.Join(dir, "fig"), filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "ckpt")
	args := []string{"reproduce", "spiral", "--iters", "8", "--seeds", "2", "--methods", "vanilla,error+stiffness", "--predict-repeats", "1",
		"--json", js, "--out", out, "--metrics", metrics, "--checkpoint-dir", ckpt, "--checkpoint-every", "4"}
	status, stdout, stderr := runCLI(context.Background(), args...)
	if status != 0 {
		t.Fatalf("status %d, stderr:\n%s", status, stderr)
	}
	for _, w := range []string{"## spiral (default scale, 2 seeds)", "| vanilla | 2 |", "| error+stiffness | 2 |", "1083 ± 57.55", "Check error+stiffness vs vanilla"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	if !strings.Contains(stderr, "spiral/vanilla/seed=1999: 8 iterations") || !strings.Contains(stderr, "results written to "+js) {
		t.Errorf("stderr:\n%s", stderr)
	}
	res, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if res.Task != "spiral" || len(res.Runs) != 4 || len(res.Summary) != 2 || res.Runs[0].Iterations != 8 || res.Runs[3].Method != "error+stiffness" || res.Runs[3].Seed != 2000 {
		t.Fatalf("results %+v", res)
	}
	// The results JSON lists the runs grouped by method, in the order of
	// --methods, though they were trained seed by seed.
	for i, w := range []string{"vanilla/1999", "vanilla/2000", "error+stiffness/1999", "error+stiffness/2000"} {
		if got := fmt.Sprintf("%s/%d", res.Runs[i].Method, res.Runs[i].Seed); got != w {
			t.Errorf("results JSON: run %d is %s, want %s", i, got, w)
		}
	}
	for _, r := range res.Runs {
		if r.NFE <= 0 || r.TrainTimeS <= 0 || r.PredictTimeS <= 0 || !(r.TrainLoss > 0) || r.TestLoss != nil || r.TestAccuracy != nil {
			t.Errorf("run %+v", r)
		}
	}
	cfg := res.Config.(map[string]any)
	if cfg["iterations"].(float64) != 8 || cfg["rtol"].(float64) != 1e-6 || cfg["scale"] != "default" {
		t.Errorf("config %v", cfg)
	}
	checkFigures(t, out, "trajectories.png", "nfe.png", "loss.png")
	readMetrics := func() []train.Metrics { return readMetricsFile(t, metrics) }
	ms := readMetrics()
	if len(ms) != 32 || ms[31].Iteration != 8 {
		t.Fatalf("%d metrics lines", len(ms))
	}
	// The runs were trained seed-major, one after the other (8 lines
	// each): every method of seed 1999, then of seed 2000, starting one
	// method further along.
	for k, w := range []string{"spiral/vanilla/seed=1999", "spiral/error+stiffness/seed=1999", "spiral/error+stiffness/seed=2000", "spiral/vanilla/seed=2000"} {
		if ms[8*k].Run != w || ms[8*k].Iteration != 1 || ms[8*k+7].Run != w {
			t.Errorf("metrics lines %d-%d: %s iteration %d to %s; want the %d-th run trained, %s", 8*k, 8*k+7, ms[8*k].Run, ms[8*k].Iteration, ms[8*k+7].Run, k+1, w)
		}
	}
	info, err := train.ReadCheckpointInfo(filepath.Join(ckpt, "spiral-error_stiffness-seed2000.ckpt"))
	if err != nil || info.Iteration != 8 {
		t.Fatalf("checkpoint: %+v %v", info, err)
	}

	// Resuming finished runs re-predicts without training: same numbers.
	status, _, stderr = runCLI(context.Background(), append(args, "--resume")...)
	if status != 0 {
		t.Fatalf("resume: status %d, stderr:\n%s", status, stderr)
	}
	if !strings.Contains(stderr, "resuming at iteration 8 of 8") {
		t.Errorf("resume stderr:\n%s", stderr)
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
	if ms := readMetrics(); len(ms) != 32 {
		t.Errorf("%d metrics lines after resume, want 32", len(ms))
	}
}

func TestTrainInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	ckpt, model, metrics := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "m.wb"), filepath.Join(dir, "m.jsonl")
	base := []string{"train", "spiral", "--method", "steer+error", "--iters", "6", "--predict-repeats", "1"}

	status, want, stderr := runCLI(context.Background(), base...)
	if status != 0 || !strings.HasPrefix(want, "spiral steer+error seed 1999: 6 iterations, train loss ") {
		t.Fatalf("uninterrupted: status %d, stdout %q, stderr %q", status, want, stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status, _, stderr = runWith(ctx, []train.Recorder{&traintest.Recorder{StopAt: 3, Cancel: cancel}}, append(base, "--checkpoint", ckpt, "--metrics", metrics)...)
	if status != exitInterrupted || !strings.Contains(stderr, "interrupted after iteration 3 of 6; checkpoint written to "+ckpt) {
		t.Fatalf("interrupted: status %d, stderr %q", status, stderr)
	}
	status, got, stderr := runCLI(context.Background(), append(base, "--checkpoint", ckpt, "--resume", ckpt, "--metrics", metrics, "--save", model)...)
	if status != 0 {
		t.Fatalf("resume: status %d, stderr %q", status, stderr)
	}
	// Same loss and NFE as the uninterrupted run (times differ).
	cut := func(s string) string { return s[:strings.Index(s, ", train time")] }
	if cut(got) != cut(want) {
		t.Errorf("resumed %q, uninterrupted %q", got, want)
	}
	if st, err := os.Stat(model); err != nil || st.Size() == 0 {
		t.Errorf("model file: %v", err)
	}
	raw, _ := os.ReadFile(metrics)
	var first train.Metrics
	if err := json.Unmarshal(raw[:bytes.IndexByte(raw, '\n')], &first); err != nil || first.Iteration != 1 || strings.Count(string(raw), "\n") != 6 {
		t.Errorf("metrics file:\n%s", raw)
	}
	// Another configuration cannot resume this checkpoint.
	status, _, stderr = runCLI(context.Background(), "train", "spiral", "--method", "error", "--iters", "6", "--resume", ckpt)
	if status != exitFailure || !strings.Contains(stderr, "another configuration") {
		t.Errorf("mismatched resume: status %d, stderr %q", status, stderr)
	}
}

// Ctrl-C in the middle of a reproduction, then --resume: the results equal
// those of an uninterrupted reproduction.
func TestReproduceInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	common := []string{"reproduce", "spiral", "--iters", "6", "--seeds", "1", "--methods", "vanilla,steer+error", "--predict-repeats", "1", "--out", ""}
	whole := filepath.Join(dir, "whole.json")
	if status, _, stderr := runCLI(context.Background(), append(common, "--json", whole)...); status != 0 {
		t.Fatalf("uninterrupted: %d %s", status, stderr)
	}
	js, ckpt := filepath.Join(dir, "r.json"), filepath.Join(dir, "ckpt")
	args := append(common, "--json", js, "--checkpoint-dir", ckpt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel during the second run (the first reaching iteration 6 is the
	// vanilla run's end; the recorder sees the steer+error run's 4th).
	stop := recordHook(func(m train.Metrics) {
		if m.Run == "spiral/steer+error/seed=1999" && m.Iteration == 4 {
			cancel()
		}
	})
	status, stdout, stderr := runWith(ctx, []train.Recorder{stop}, args...)
	if status != exitInterrupted || stdout != "" || !strings.Contains(stderr, "run the same command with --resume") {
		t.Fatalf("interrupted: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	if _, err := os.Stat(js); err == nil {
		t.Error("an interrupted reproduction wrote results")
	}
	status, _, stderr = runCLI(context.Background(), append(args, "--resume")...)
	if status != 0 || !strings.Contains(stderr, "spiral/steer+error/seed=1999: resuming at iteration 4 of 6") {
		t.Fatalf("resume: status %d, stderr:\n%s", status, stderr)
	}
	a, err := report.ReadJSON(whole)
	if err != nil {
		t.Fatal(err)
	}
	b, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Runs {
		if a.Runs[i].NFE != b.Runs[i].NFE || a.Runs[i].TrainLoss != b.Runs[i].TrainLoss || a.Runs[i].Iterations != b.Runs[i].Iterations {
			t.Errorf("run %d: uninterrupted %+v, resumed %+v", i, a.Runs[i], b.Runs[i])
		}
	}
}

type recordHook func(train.Metrics)

func (h recordHook) Begin(train.Info)        {}
func (h recordHook) Record(m train.Metrics)  { h(m) }
func (h recordHook) End(train.Result, error) {}

// readMetricsFile reads a JSONL metrics file written by a run.
func readMetricsFile(t *testing.T, path string) []train.Metrics {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := train.ReadMetrics(f)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// checkFigures asserts that each named PNG exists in dir and is not trivial.
func checkFigures(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, f := range names {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() < 1000 {
			t.Errorf("figure %s: %v", f, err)
		}
	}
}
