package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
	"github.com/whitebox-de/whitebox/tasks"
)

// tiny flags keep the runs of these tests to a fraction of a second.
var (
	tinySpiral = []string{"--iters", "3", "--predict-repeats", "1"}
	tinySDE    = []string{"--iters", "3", "--trajectories", "20", "--data-trajectories", "300", "--predict-passes", "1"}
)

func args(parts ...[]string) []string { return slices.Concat(parts...) }

// trained reports whether stderr shows that training started.
func trained(stderr string) bool { return strings.Contains(stderr, "iterations") }

// Every registered task works with `whitebox train`, the SDE included.
func TestTrainEveryTask(t *testing.T) {
	for _, c := range []struct {
		task string
		tiny []string
	}{{"spiral", tinySpiral}, {"spiral-sde", tinySDE}} {
		status, stdout, stderr := runCLI(context.Background(), args([]string{"train", c.task, "--method", "error"}, c.tiny)...)
		if status != 0 || !strings.HasPrefix(stdout, c.task+" error seed 1999: 3 iterations, train loss ") {
			t.Errorf("train %s: status %d, stdout %q, stderr %q", c.task, status, stdout, stderr)
		}
	}
}

// A metrics file that cannot be written fails the command (status 1, a
// clear line) and stops the training.
func TestMetricsWriteFailureExits1(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, a := range [][]string{
		args([]string{"train", "spiral", "--metrics", "/dev/full"}, tinySpiral),
		args([]string{"reproduce", "spiral", "--methods", "vanilla", "--seeds", "1", "--out", "", "--metrics", "/dev/full"}, tinySpiral),
	} {
		status, stdout, stderr := runCLI(context.Background(), a...)
		if status != exitFailure || stdout != "" || !strings.Contains(stderr, "--metrics /dev/full: ") || !strings.Contains(stderr, "no space left on device") {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want status 1 naming --metrics", a[:2], status, stdout, stderr)
		}
	}
}

// Output paths that cannot be written are found before any training.
func TestUnwritableOutputsFoundBeforeTraining(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc, where nobody can create files")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{args([]string{"train", "spiral", "--save", "/proc/m.wb"}, tinySpiral), "--save /proc/m.wb: cannot create files in /proc"},
		{args([]string{"train", "spiral", "--checkpoint", "/proc/run.ckpt"}, tinySpiral), "--checkpoint /proc/run.ckpt: cannot create files in /proc"},
		{args([]string{"reproduce", "spiral", "--seeds", "1", "--out", "", "--json", "/proc/r.json"}, tinySpiral), "--json /proc/r.json: cannot create files in /proc"},
		{args([]string{"reproduce", "spiral", "--seeds", "1", "--out", "/proc/figures"}, tinySpiral), "--out /proc/figures: cannot create the directory"},
		{args([]string{"reproduce", "spiral", "--seeds", "1", "--out", "", "--checkpoint-dir", "/proc"}, tinySpiral), "--checkpoint-dir /proc: cannot create files there"},
	} {
		status, _, stderr := runCLI(context.Background(), c.args...)
		if status != exitUsage || trained(stderr) || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: status %d, stderr %q; want status 2 before training, containing %q", c.args, status, stderr, c.want)
		}
	}
}

// STEER's half-width must be below the span (T = 1.5 for the spiral), or
// an iteration's end time can fall at 0 and it fits nothing.
func TestSteerBBelowSpan(t *testing.T) {
	for _, a := range [][]string{
		{"train", "spiral", "--method", "steer", "--steer-b", "1.5"},
		{"reproduce", "spiral", "--out", "", "--steer-b", "2"},
	} {
		status, _, stderr := runCLI(context.Background(), args(a, tinySpiral)...)
		if status != exitUsage || trained(stderr) || !strings.Contains(stderr, "must be below the span's length (1.5)") {
			t.Errorf("%v: status %d, stderr %q", a, status, stderr)
		}
	}
	if status, _, stderr := runCLI(context.Background(), args([]string{"train", "spiral", "--method", "steer", "--steer-b", "1.4"}, tinySpiral)...); status != 0 {
		t.Errorf("--steer-b 1.4: status %d, stderr %q", status, stderr)
	}
}

// --resume with a checkpoint directory that does not exist, or holds no
// checkpoint of the runs, is an error rather than a fresh start.
func TestReproduceResumeNeedsCheckpoints(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	base := args([]string{"reproduce", "spiral", "--seeds", "1", "--methods", "vanilla", "--out", ""}, tinySpiral)
	status, _, stderr := runCLI(context.Background(), args(base, []string{"--checkpoint-dir", missing, "--resume"})...)
	if status != exitUsage || trained(stderr) || !strings.Contains(stderr, "does not exist, so there is nothing to resume") {
		t.Errorf("missing directory: status %d, stderr %q", status, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("--resume created the missing checkpoint directory")
	}
	status, _, stderr = runCLI(context.Background(), args(base, []string{"--checkpoint-dir", dir, "--resume"})...)
	if status != exitUsage || trained(stderr) || !strings.Contains(stderr, "holds no checkpoint of these runs") {
		t.Errorf("empty directory: status %d, stderr %q", status, stderr)
	}
}

// A second run with the same checkpoint and no --resume is refused unless
// --force: it would overwrite the first run's checkpoint and metrics.
func TestCheckpointOverwriteNeedsForce(t *testing.T) {
	dir := t.TempDir()
	ckpt, metrics := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "m.jsonl")
	first := args([]string{"train", "spiral", "--checkpoint", ckpt, "--metrics", metrics}, tinySpiral)
	if status, _, stderr := runCLI(context.Background(), first...); status != 0 {
		t.Fatalf("first run: %d %s", status, stderr)
	}
	before, _ := os.ReadFile(metrics)
	second := args([]string{"train", "spiral", "--method", "error", "--checkpoint", ckpt, "--metrics", metrics}, tinySpiral)
	status, _, stderr := runCLI(context.Background(), second...)
	if status != exitUsage || trained(stderr) || !strings.Contains(stderr, "--checkpoint "+ckpt+" already exists") || !strings.Contains(stderr, "--force") {
		t.Errorf("second run: status %d, stderr %q", status, stderr)
	}
	if after, _ := os.ReadFile(metrics); !bytes.Equal(before, after) {
		t.Error("the refused run touched the first run's metrics")
	}
	if status, _, stderr := runCLI(context.Background(), append(second, "--force")...); status != 0 {
		t.Errorf("--force: status %d, stderr %q", status, stderr)
	}
	// Resuming the checkpoint it writes is not an overwrite.
	if status, _, stderr := runCLI(context.Background(), args(second, []string{"--resume", ckpt})...); status != 0 {
		t.Errorf("--resume: status %d, stderr %q", status, stderr)
	}

	ckdir := filepath.Join(dir, "ck")
	repro := args([]string{"reproduce", "spiral", "--seeds", "1", "--methods", "vanilla", "--out", "", "--checkpoint-dir", ckdir}, tinySpiral)
	if status, _, stderr := runCLI(context.Background(), repro...); status != 0 {
		t.Fatalf("first reproduction: %d %s", status, stderr)
	}
	status, _, stderr = runCLI(context.Background(), repro...)
	if status != exitUsage || trained(stderr) || !strings.Contains(stderr, "already holds checkpoints of these runs") {
		t.Errorf("second reproduction: status %d, stderr %q", status, stderr)
	}
	if status, _, stderr := runCLI(context.Background(), append(repro, "--force")...); status != 0 {
		t.Errorf("--force: status %d, stderr %q", status, stderr)
	}
}

// A killed writer's temporary checkpoint file is removed by the next run
// that writes the same checkpoint.
func TestStaleTemporaryFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run.ckpt")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	stale := atomicfile.TempName(ckpt, cmd.Process.Pid, "42")
	if err := os.WriteFile(stale, []byte("half a checkpoint"), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, _, stderr := runCLI(context.Background(), args([]string{"train", "spiral", "--checkpoint", ckpt}, tinySpiral)...); status != 0 {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "run.ckpt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only run.ckpt", names)
	}
}

// A solve that runs out of steps says how to raise the bound from the
// command line (--max-steps), not through the library's Options.MaxSteps.
func TestMaxStepsHint(t *testing.T) {
	for _, a := range [][]string{
		{"train", "spiral", "--max-steps", "5"},
		{"reproduce", "spiral", "--seeds", "1", "--methods", "vanilla", "--out", "", "--max-steps", "5"},
	} {
		status, _, stderr := runCLI(context.Background(), args(a, tinySpiral)...)
		if status != exitFailure || !strings.Contains(stderr, "5 steps attempted; raise --max-steps") || strings.Contains(stderr, "Options.") {
			t.Errorf("%v: status %d, stderr %q", a, status, stderr)
		}
	}
	// The SDE task takes the flag as well (its training skips a failed
	// solve; ten in a row end the run with the same hint).
	status, _, stderr := runCLI(context.Background(), args([]string{"train", "spiral-sde", "--max-steps", "3"}, tinySDE, []string{"--iters", "12"})...)
	if status != exitFailure || !strings.Contains(stderr, "raise --max-steps") {
		t.Errorf("spiral-sde: status %d, stderr %q", status, stderr)
	}
}

// The report, the results JSON and the figures come from the runs' records
// alone: records saved as JSON and read back by a fresh task instance give
// the same bytes (what merging the outputs of sharded runs relies on).
func TestReportFromRecordsAlone(t *testing.T) {
	for _, c := range []struct {
		task string
		tiny []string
	}{{"spiral", tinySpiral}, {"spiral-sde", tinySDE}} {
		t.Run(c.task, func(t *testing.T) {
			dir := t.TempDir()
			a := args([]string{"reproduce", c.task, "--seeds", "2", "--methods", "vanilla,error", "--out", filepath.Join(dir, "a")}, c.tiny)
			e := &env{stdout: &bytes.Buffer{}, stderr: &lockedBuilder{}}
			h, status := newHarness(a[1:], e)
			if h == nil {
				t.Fatalf("status %d: %s", status, e.stderr.(*lockedBuilder).b.String())
			}
			p := h.parts[0]
			recs, err := h.each(context.Background(), p, p.set.Runs(), p.task.Run)
			if err != nil {
				t.Fatal(err)
			}
			saved, err := json.Marshal(recs)
			if err != nil {
				t.Fatal(err)
			}
			b := slices.Clone(a)
			b[slices.Index(b, "--out")+1] = filepath.Join(dir, "b")
			h2, _ := newHarness(b[1:], e)
			var back []tasks.Record
			if err := json.Unmarshal(saved, &back); err != nil {
				t.Fatal(err)
			}
			outputs := func(h *harness, recs []tasks.Record) (md, js []byte, figs [][]byte) {
				res, err := h.report(h.parts[0], recs)
				if err != nil {
					t.Fatal(err)
				}
				var w bytes.Buffer
				if err := writeMarkdown(&w, res, h.scale, len(h.parts[0].set.Seeds)); err != nil {
					t.Fatal(err)
				}
				js, err = res.MarshalIndent()
				if err != nil {
					t.Fatal(err)
				}
				files, err := h.parts[0].task.Figures(context.Background(), h.out, recs)
				if err != nil || len(files) == 0 {
					t.Fatalf("figures %v: %v", files, err)
				}
				for _, f := range files {
					b, _ := os.ReadFile(f)
					figs = append(figs, b)
				}
				return w.Bytes(), js, figs
			}
			md1, js1, f1 := outputs(h, recs)
			md2, js2, f2 := outputs(h2, back)
			if !bytes.Equal(md1, md2) || !bytes.Equal(js1, js2) {
				t.Errorf("the report differs when made from saved records:\n%s\n%s", md1, md2)
			}
			for i := range f1 {
				if !bytes.Equal(f1[i], f2[i]) {
					t.Errorf("figure %d differs when drawn from saved records", i)
				}
			}
		})
	}
}
