package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
)

// Round robin over the global run list puts every run in exactly one
// shard; bad --shard values name the fix.
func TestShardAssignment(t *testing.T) {
	for n := 1; n <= 5; n++ {
		for g := range 17 {
			count := 0
			for i := 1; i <= n; i++ {
				if (shard{I: i, N: n}).has(g) {
					count++
				}
			}
			if count != 1 {
				t.Errorf("run %d is in %d of %d shards", g, count, n)
			}
		}
	}
	if s, err := parseShard("2/4"); err != nil || s != (shard{2, 4}) || s.runsFile() != "runs-2-of-4.json" {
		t.Errorf("2/4: %v %v", s, err)
	}
	for _, bad := range []string{"", "2", "0/4", "5/4", "a/b", "1/0", "-1/2"} {
		if _, err := parseShard(bad); err == nil {
			t.Errorf("--shard %q accepted", bad)
		}
	}
}

// The spiral reproduction split into 4 shards (of 2, 2, 1 and 1 runs,
// dealt round robin from the seed-major run order, so a shard mixes
// methods) and merged gives the unsharded run's results JSON, NFE and
// losses to the last bit (only measured times differ), its runs grouped by
// method, and the same figures byte for byte; the merge does not depend on
// the order of its arguments.
func TestShardsMergeBitForBit(t *testing.T) {
	dir := t.TempDir()
	base := []string{"reproduce", "spiral", "--iters", "20", "--seeds", "2", "--methods", "vanilla,error,steer", "--predict-repeats", "1"}
	ref, refFigs := filepath.Join(dir, "ref.json"), filepath.Join(dir, "ref")
	status, refMD, stderr := runCLI(context.Background(), args(base, []string{"--json", ref, "--out", refFigs})...)
	if status != 0 {
		t.Fatalf("unsharded: status %d: %s", status, stderr)
	}
	// The runs in order: 0 vanilla/1999, 1 error/1999, 2 steer/1999,
	// then seed 2000's methods one further along: 3 error/2000,
	// 4 steer/2000, 5 vanilla/2000; shard I owns those whose index is I-1
	// modulo 4.
	owns := [][]string{
		{"0 vanilla/1999", "4 steer/2000"},
		{"1 error/1999", "5 vanilla/2000"},
		{"2 steer/1999"},
		{"3 error/2000"},
	}
	var shards []string
	for i := 1; i <= 4; i++ {
		out := filepath.Join(dir, "shard", string(rune('0'+i)))
		shards = append(shards, out)
		status, stdout, stderr := runCLI(context.Background(), args(base, []string{"--shard", string(rune('0'+i)) + "/4", "--out", out})...)
		if status != 0 || stdout != "" || !strings.Contains(stderr, "of the 6 runs written to") {
			t.Fatalf("shard %d: status %d, stdout %q, stderr %s", i, status, stdout, stderr)
		}
		rf, err := readRunsFile(filepath.Join(out, (shard{i, 4}).runsFile()))
		if err != nil || rf.Format != "whitebox-runs/2" || rf.Shard != i || rf.Shards != 4 {
			t.Fatalf("shard %d: %v, %+v", i, err, rf)
		}
		var got []string
		for _, r := range rf.Runs {
			got = append(got, fmt.Sprintf("%d %s/%d", r.Index, r.Method, r.Seed))
			if r.Record.Run.Method != r.Method || r.Record.Run.Seed != int(r.Seed) {
				t.Errorf("shard %d: run %d %s/%d holds the record of %s/%d", i, r.Index, r.Method, r.Seed, r.Record.Run.Method, r.Record.Run.Seed)
			}
		}
		if !slices.Equal(got, owns[i-1]) {
			t.Errorf("shard %d/4 holds the runs %q, want %q", i, got, owns[i-1])
		}
		if rf.Protocol.Tasks[0].Flags["iters"] != "20" || rf.Execution.Flags["shard"] != string(rune('0'+i))+"/4" || rf.Build.Go == "" || rf.Machine.Cores < 1 {
			t.Errorf("shard %d: protocol %+v, execution %+v, build %+v", i, rf.Protocol, rf.Execution, rf.Build)
		}
	}
	merged, figs := filepath.Join(dir, "merged.json"), filepath.Join(dir, "figs")
	status, md, stderr := runCLI(context.Background(), "merge", "--json", merged, "--out", figs, shards[2], shards[0], shards[3], shards[1])
	if status != 0 {
		t.Fatalf("merge: status %d: %s", status, stderr)
	}
	a, err := report.ReadJSON(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := report.ReadJSON(merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Runs) != 6 || len(b.Runs) != 6 {
		t.Fatalf("%d and %d runs", len(a.Runs), len(b.Runs))
	}
	// Both list the runs grouped by method, though they were made seed by
	// seed.
	for i, w := range []string{"vanilla/1999", "vanilla/2000", "error/1999", "error/2000", "steer/1999", "steer/2000"} {
		for name, res := range map[string]*report.Results{"unsharded": a, "merged": b} {
			if got := fmt.Sprintf("%s/%d", res.Runs[i].Method, res.Runs[i].Seed); got != w {
				t.Errorf("%s results JSON: run %d is %s, want %s", name, i, got, w)
			}
		}
	}
	for i := range a.Runs {
		x, y := a.Runs[i], b.Runs[i]
		if x.Method != y.Method || x.Seed != y.Seed || x.Iterations != y.Iterations || x.NFE != y.NFE || x.TrainLoss != y.TrainLoss {
			t.Errorf("run %d: unsharded %+v, merged %+v", i, x, y)
		}
	}
	for i := range a.Summary {
		x, y := a.Summary[i], b.Summary[i]
		if x.Method != y.Method || x.N != y.N || x.NFEMean != y.NFEMean || x.NFEStd != y.NFEStd || x.TrainLossMean != y.TrainLossMean || x.TrainLossStd != y.TrainLossStd {
			t.Errorf("summary %d: unsharded %+v, merged %+v", i, x, y)
		}
	}
	if !reflect.DeepEqual(a.Config, b.Config) || !reflect.DeepEqual(a.Paper, b.Paper) || !reflect.DeepEqual(a.Notes, b.Notes) {
		t.Errorf("config, paper or notes differ:\n%v\n%v", a.Config, b.Config)
	}
	for _, f := range []string{"trajectories.png", "nfe.png", "loss.png"} {
		x, _ := os.ReadFile(filepath.Join(refFigs, f))
		y, _ := os.ReadFile(filepath.Join(figs, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between the unsharded run and the merge", f)
		}
	}
	firstLine := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	if firstLine(md) != firstLine(refMD) || !strings.Contains(md, "| steer | 2 |") {
		t.Errorf("merged table:\n%s\nunsharded:\n%s", md, refMD)
	}

	// The same shards in another order give the same bytes.
	again := filepath.Join(dir, "again.json")
	if status, _, stderr := runCLI(context.Background(), "merge", "--json", again, "--out", "", shards[0], shards[1], shards[2], shards[3]); status != 0 {
		t.Fatalf("merge again: %d %s", status, stderr)
	}
	x, _ := os.ReadFile(merged)
	y, _ := os.ReadFile(again)
	if !bytes.Equal(x, y) {
		t.Error("merging the shards in another order changed the results JSON")
	}

	// Refusals: a shard of another protocol, a missing shard, a shard given
	// twice, and shards of two splits.
	other := filepath.Join(dir, "other")
	if status, _, stderr := runCLI(context.Background(), args(base, []string{"--iters", "21", "--shard", "2/4", "--out", other})...); status != 0 {
		t.Fatalf("other shard: %d %s", status, stderr)
	}
	whole := filepath.Join(dir, "whole")
	if status, _, stderr := runCLI(context.Background(), args(base, []string{"--shard", "1/1", "--out", whole})...); status != 0 {
		t.Fatalf("shard 1/1: %d %s", status, stderr)
	}
	// Shard 1 as a build before the seed-major order wrote it: the same
	// runs file in format whitebox-runs/1, whose indices mean other runs.
	old := filepath.Join(dir, "old")
	rf, err := readRunsFile(filepath.Join(shards[0], "runs-1-of-4.json"))
	if err != nil {
		t.Fatal(err)
	}
	rf.Format = "whitebox-runs/1"
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeRunsFile(filepath.Join(old, "runs-1-of-4.json"), rf); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dirs []string
		want []string
	}{
		{[]string{shards[0], other, shards[2], shards[3]}, []string{"different protocols", "runs-1-of-4.json has --iters=20", "runs-2-of-4.json has --iters=21"}},
		{[]string{shards[0], shards[1], shards[3]}, []string{"1 of the 6 runs are in none of the files: spiral/steer/seed=1999 (shard 3 of 4)"}},
		{[]string{shards[0], shards[1], shards[2], shards[3], shards[1]}, []string{"2 run(s) are in two shards' files",
			"spiral/error/seed=1999 in " + filepath.Join(shards[1], "runs-2-of-4.json"), "spiral/vanilla/seed=2000 in "}},
		{[]string{old, shards[1], shards[2], shards[3]}, []string{filepath.Join(old, "runs-1-of-4.json") + ` has format "whitebox-runs/1"`,
			"numbered the runs method by method", `this build reads "whitebox-runs/2"`, "re-run shard 1/4"}},
		{[]string{shards[0], whole}, []string{"are in two shards' files", "spiral/vanilla/seed=1999 in " + filepath.Join(shards[0], "runs-1-of-4.json") + " and " + filepath.Join(whole, "runs-1-of-1.json")}},
		{[]string{dir}, []string{"holds no runs file"}},
		{[]string{filepath.Join(dir, "nowhere")}, []string{"no such file or directory"}},
		{[]string{ref}, []string{"is not a runs file"}},
	} {
		status, stdout, stderr := runCLI(context.Background(), append([]string{"merge", "--out", ""}, c.dirs...)...)
		if status != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("merge %v: status %d, stdout %q, stderr %q; want status 2 and one line", c.dirs, status, stdout, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("merge %v: stderr %q lacks %q", c.dirs, stderr, w)
			}
		}
	}
}

// A requeued shard resumes its runs from its checkpoints (a fresh start
// over them is refused without --resume) and writes the same records,
// training times included: a finished run is only re-predicted, with the
// training time its checkpoint holds.
func TestShardResume(t *testing.T) {
	dir := t.TempDir()
	out, ckpt := filepath.Join(dir, "out"), filepath.Join(dir, "ckpt")
	a := []string{"reproduce", "spiral", "--iters", "6", "--seeds", "2", "--methods", "vanilla,error", "--predict-repeats", "1",
		"--shard", "2/3", "--out", out, "--checkpoint-dir", ckpt, "--checkpoint-every", "3"}
	if status, _, stderr := runCLI(context.Background(), a...); status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	path := filepath.Join(out, "runs-2-of-3.json")
	first, err := readRunsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(ckpt)
	// The runs in order are vanilla/1999, error/1999, error/2000 and
	// vanilla/2000: shard 2/3 owns the second (index 1).
	if len(first.Runs) != 1 || first.Runs[0].Index != 1 || first.Runs[0].Method != "error" || first.Runs[0].Seed != 1999 ||
		len(entries) != 1 || entries[0].Name() != "spiral-error-seed1999.ckpt" {
		t.Fatalf("shard 2/3 made %d runs and %d checkpoints (%v); want the one run error seed 1999", len(first.Runs), len(entries), entries)
	}
	// Without --resume the checkpoints are not overwritten.
	if status, _, stderr := runCLI(context.Background(), a...); status != exitUsage || !strings.Contains(stderr, "--resume") {
		t.Errorf("rerun without --resume: status %d, %s", status, stderr)
	}
	status, _, stderr := runCLI(context.Background(), append(a, "--resume")...)
	if status != 0 || !strings.Contains(stderr, "resuming at iteration 6 of 6") {
		t.Fatalf("resume: status %d: %s", status, stderr)
	}
	second, err := readRunsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, y := first.Runs[0].Record.Run, second.Runs[0].Record.Run
	if x.NFE != y.NFE || x.TrainLoss != y.TrainLoss || x.TrainTimeS != y.TrainTimeS || !bytes.Equal(first.Runs[0].Record.Extra, second.Runs[0].Record.Extra) {
		t.Errorf("resumed run differs: %+v vs %+v", x, y)
	}
	if !reflect.DeepEqual(first.Protocol, second.Protocol) || second.Execution.Flags["resume"] != "true" {
		t.Errorf("protocol %+v vs %+v, execution %+v", first.Protocol, second.Protocol, second.Execution)
	}
}

// tinyAll runs every task of `reproduce all` in a fraction of a second:
// --iters is shared by every task, the other flags are per task.
var tinyAll = []string{"--iters", "3", "--seeds", "2", "--spiral.predict-repeats", "1", "--spiral.methods", "vanilla,error",
	"--spiral-sde.trajectories", "20", "--spiral-sde.data-trajectories", "300", "--spiral-sde.predict-passes", "1", "--spiral-sde.methods", "vanilla,error",
	"--physionet.batch", "16", "--physionet.train-records", "32", "--physionet.test-records", "16", "--physionet.tol", "1e-5", "--physionet.predict-repeats", "1", "--physionet.methods", "vanilla,error",
	"--mnist-nsde.batch", "16", "--mnist-nsde.train-subset", "64", "--mnist-nsde.test-subset", "32", "--mnist-nsde.trajectories", "2",
	"--mnist-nsde.predict-repeats", "1", "--mnist-nsde.methods", "vanilla,error",
	"--mnist-node.methods", "vanilla,error", "--mnist-node.batch", "8", "--mnist-node.tol", "1e-2", "--mnist-node.eval-images", "20",
	"--mnist-node.test-images", "20", "--mnist-node.predict-repeats", "1"}

// partOf returns the part of task name in h.
func partOf(t *testing.T, h *harness, name string) *part {
	t.Helper()
	for _, p := range h.parts {
		if p.info.Name == name {
			return p
		}
	}
	t.Fatalf("no task %s in %v", name, tasks.Names())
	return nil
}

// taskProtocolOf returns the protocol of task name in p.
func taskProtocolOf(t *testing.T, p protocol, name string) taskProtocol {
	t.Helper()
	for _, tp := range p.Tasks {
		if tp.Task == name {
			return tp
		}
	}
	t.Fatalf("no task %s in the protocol %+v", name, p)
	return taskProtocol{}
}

// failingTask is a task whose runs fail.
type failingTask struct{ tasks.Task }

func (failingTask) Run(context.Context, tasks.RunSpec) (tasks.Record, error) {
	return tasks.Record{}, errors.New("the data went missing")
}

// `reproduce all` writes the report folder: REPORT.md with every task's
// table, checks and verdict, the protocol and the machine, and per task its
// results JSON and figures; merging its runs file again gives the same
// REPORT.md. A task that fails is reported as failed, the others still
// run, and the status is 1.
func TestReproduceAll(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	status, stdout, stderr := runCLI(context.Background(), args([]string{"reproduce", "all", "--out", out}, tinyAll)...)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "REPORT.md"))
	if err != nil || string(md) != stdout {
		t.Fatalf("REPORT.md (%v) is not what was printed", err)
	}
	for _, w := range []string{"# Reproduction of Pal et al. 2021", "in one process", "| spiral | done | 4 |", "| spiral-sde | done | 4 |",
		"--spiral.iters=3", "--spiral-sde.iters=3", "`--data-trajectories 300 --iters 3 --predict-passes 1 --trajectories 20`",
		"Each task's runs were made seed by seed (every method of a seed before the next seed;",
		"## Machine", "- Build: whitebox ", "cores", "(UTC)",
		"## spiral (default scale, 2 seeds)", "| vanilla | 2 |", "1083 ± 57.55", "- Check error vs vanilla: NFE", "![spiral: trajectories](spiral/trajectories.png)",
		"## spiral-sde (default scale, 2 seeds)", "528.67 ± 6.11", "Results JSON: [spiral-sde/results.json](spiral-sde/results.json)."} {
		if !strings.Contains(stdout, w) {
			t.Errorf("REPORT.md lacks %q:\n%s", w, stdout)
		}
	}
	for _, task := range tasks.Names() {
		res, err := report.ReadJSON(filepath.Join(out, task, "results.json"))
		if err != nil || res.Task != task || len(res.Runs) != 4 || res.Runs[0].Iterations != 3 {
			t.Errorf("%s: %v %+v", task, err, res)
		}
	}
	checkFigures(t, filepath.Join(out, "spiral"), "trajectories.png", "nfe.png", "loss.png")
	checkFigures(t, filepath.Join(out, "spiral-sde"), "moments.png", "nfe.png")
	again := filepath.Join(dir, "again")
	if status, _, stderr := runCLI(context.Background(), "merge", "--out", again, out); status != 0 {
		t.Fatalf("merge: %d %s", status, stderr)
	}
	if md2, _ := os.ReadFile(filepath.Join(again, "REPORT.md")); !bytes.Equal(md, md2) {
		t.Errorf("merging the runs file again changed REPORT.md:\n%s", md2)
	}

	// spiral-sde fails; spiral is still reported.
	failed := filepath.Join(dir, "failed")
	e := &env{stdout: &bytes.Buffer{}, stderr: &lockedBuilder{}}
	h, status := newHarness(args([]string{"all", "--out", failed}, tinyAll), e)
	if h == nil {
		t.Fatalf("status %d: %s", status, e.stderr.(*lockedBuilder).b.String())
	}
	sde := partOf(t, h, "spiral-sde")
	sde.task = failingTask{sde.task}
	if status := h.run(context.Background()); status != exitFailure {
		t.Fatalf("status %d, want 1: %s", status, e.stderr.(*lockedBuilder).b.String())
	}
	md, _ = os.ReadFile(filepath.Join(failed, "REPORT.md"))
	for _, w := range []string{"| spiral | done | 4 |", "| spiral-sde | **FAILED** | 0 of 4 | — | the data went missing |",
		"## spiral-sde\n\n**FAILED**: the data went missing\n\n0 of its 4 runs were made.", "## spiral (default scale, 2 seeds)"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("REPORT.md lacks %q:\n%s", w, md)
		}
	}
	if _, err := os.Stat(filepath.Join(failed, "spiral-sde", "results.json")); err == nil {
		t.Error("a failed task has a results JSON")
	}
	if _, err := os.Stat(filepath.Join(failed, "spiral", "results.json")); err != nil {
		t.Errorf("the task that did not fail has no results JSON: %v", err)
	}
	if !strings.Contains(e.stderr.(*lockedBuilder).b.String(), "task spiral-sde failed: the data went missing") {
		t.Errorf("stderr: %s", e.stderr.(*lockedBuilder).b.String())
	}
	// Merging the runs file says the same, with status 1.
	status, _, stderr = runCLI(context.Background(), "merge", "--out", filepath.Join(dir, "failed2"), failed)
	md2, _ := os.ReadFile(filepath.Join(dir, "failed2", "REPORT.md"))
	if status != exitFailure || !bytes.Equal(md, md2) || !strings.Contains(stderr, fmt.Sprintf("1 of the %d tasks failed", len(tasks.Names()))) {
		t.Errorf("merge of a failed reproduction: status %d, stderr %q", status, stderr)
	}
}

// Flags of `reproduce all`: a task flag only some tasks have takes their
// prefix, --methods and --json are per task, unknown flags are errors.
func TestReproduceAllUsage(t *testing.T) {
	dir := t.TempDir()
	status, out, _ := runCLI(context.Background(), "reproduce", "all", "--help")
	for _, w := range []string{"Usage: whitebox reproduce all [flags]", "-spiral.iters int", "-spiral-sde.trajectories int", "-iters value",
		"for every task", "-spiral.methods string", "-shard string", `(default "results")`} {
		if status != 0 || !strings.Contains(out, w) {
			t.Errorf("help (status %d) lacks %q:\n%s", status, w, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--trajectories", "5"}, "--spiral-sde.trajectories"},
		{[]string{"--methods", "vanilla"}, "takes the methods per task: --" + strings.Join(tasks.Names(), ".methods, --") + ".methods"},
		{[]string{"--json", "x.json"}, "writes a results JSON per task into the report folder --out"},
		{[]string{"--spiral.bogus", "1"}, "task spiral has no flag --bogus"},
		{[]string{"--bogus"}, "no task has a flag --bogus"},
		{[]string{"--iters", "x"}, `invalid value "x" for flag --iters (`},
		{[]string{"--iters", "0"}, ": --iters 0: give at least 1"},
		{[]string{"--spiral-sde.methods", "steer"}, "spiral-sde: --methods: spiral-sde trains vanilla, error, stiffness or error+stiffness, not steer"},
		{[]string{"--spiral.methods", ""}, "--spiral.methods is empty"},
		{[]string{"--workers", "0"}, "--workers 0: give at least 1"},
		{[]string{"--out", ""}, "--out is empty"},
		{[]string{"--shard", "1/2"}, "--shard needs --out DIR"},
		{[]string{"--shard", "3/2", "--out", dir}, "--shard 3/2: I/N needs 1 <= I <= N"},
	} {
		status, out, errOut := runCLI(context.Background(), append([]string{"reproduce", "all"}, c.args...)...)
		if status != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want status 2 and one line containing %q", c.args, status, out, errOut, c.want)
		}
	}
	// A task flag given with its prefix beats the shared one.
	e := &env{stdout: &bytes.Buffer{}, stderr: &lockedBuilder{}}
	h, status := newHarness([]string{"all", "--out", dir, "--iters", "7", "--spiral.iters", "9"}, e)
	if h == nil {
		t.Fatalf("status %d", status)
	}
	p := h.protocol()
	if taskProtocolOf(t, p, "spiral").Flags["iters"] != "9" || taskProtocolOf(t, p, "spiral-sde").Flags["iters"] != "7" || !slices.Contains(p.Args, "--spiral.iters=9") || !slices.Contains(p.Args, "--spiral-sde.iters=7") {
		t.Errorf("protocol %+v", p)
	}
}

func TestMergeUsage(t *testing.T) {
	for _, a := range [][]string{{"merge", "--help"}, {"help", "merge"}} {
		status, out, _ := runCLI(context.Background(), a...)
		if status != 0 || !strings.Contains(out, "Usage: whitebox merge [--json FILE] [--out DIR] DIR|FILE...") {
			t.Errorf("%v: status %d, output %q", a, status, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"merge"}, "name the output directories of the shards"},
		{[]string{"merge", "--bogus", "x"}, "flag provided but not defined: -bogus"},
		{[]string{"merge", "x", "--json"}, "flag needs an argument: -json"},
	} {
		status, out, errOut := runCLI(context.Background(), c.args...)
		if status != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want status 2 and one line containing %q", c.args, status, out, errOut, c.want)
		}
	}
}

// The report's notes keep their markdown: a note that is itself a list
// item nests under the note before it, and a note of several lines (a
// table) stands as a block, never behind a bullet.
func TestReportItemsMarkdown(t *testing.T) {
	var b bytes.Buffer
	writeItems(&b, []string{
		"Relative to vanilla:",
		"- error: NFE 0.76x.",
		"Ratios:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
		"Check error NFE: pass.",
	})
	want := "\n- Relative to vanilla:\n  - error: NFE 0.76x.\n\nRatios:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n- Check error NFE: pass.\n"
	if got := b.String(); got != want {
		t.Errorf("items written as\n%q\nwant\n%q", got, want)
	}
}
