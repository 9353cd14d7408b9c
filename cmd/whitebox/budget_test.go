package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// Bad budget flags are usage errors that name the flag and the fix.
func TestBudgetUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "spiral", "--nfe-budget", "300"}, "--nfe-budget 300: a budget sets the coefficient of the error regularizer, which vanilla does not use; train a method with error"},
		{[]string{"train", "spiral-sde", "--nfe-budget", "300"}, "which vanilla does not use"},
		{[]string{"train", "physionet", "--method", "steer", "--nfe-budget", "100"}, "--nfe-budget 100: a budget sets the coefficient of the error regularizer, which steer does not use"},
		{[]string{"train", "physionet", "--method", "error", "--nfe-budget", "100", "--error-coef-final", "10"}, "--error-coef-final: with --nfe-budget 100 the error coefficient is set online"},
		{[]string{"train", "mnist-nsde", "--nfe-budget", "150"}, "--nfe-budget 150: a budget sets the coefficient of the error regularizer, which vanilla does not use"},
		{[]string{"train", "mnist-nsde", "--method", "error", "--nfe-budget", "150", "--budget-regularizer", "stiffness"}, "the stiffness regularizer, which error does not use"},
		{[]string{"train", "mnist-node", "--nfe-budget", "30"}, "--nfe-budget 30: a budget sets the coefficient of the error regularizer, which vanilla does not use"},
		{[]string{"reproduce", "mnist-node", "--methods", "vanilla,steer", "--predict-time-budget", "1ms"}, "which vanilla, steer does not use"},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "-5"}, "--nfe-budget -5: must be 0 or positive"},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "0.5"}, "--nfe-budget 0.5: give at least 1 evaluation"},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "300", "--predict-time-budget", "1ms"}, "--nfe-budget and --predict-time-budget: give one budget, not both"},
		{[]string{"train", "spiral", "--method", "error", "--predict-time-budget", "fast"}, `--predict-time-budget "fast": give a positive duration`},
		{[]string{"train", "spiral", "--method", "error", "--predict-time-budget", "-1ms"}, "--predict-time-budget"},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "300", "--budget-regularizer", "steer"}, `--budget-regularizer "steer": use error, stiffness, taynode or rnode`},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "300", "--budget-regularizer", "stiffness"}, "the stiffness regularizer, which error does not use"},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "300", "--error-coef-final", "1e-4"}, "--error-coef-final: with --nfe-budget 300 the error coefficient is set online"},
		{[]string{"train", "spiral", "--method", "error", "--nfe-budget", "300", "--budget-gain", "-1"}, "--budget-gain -1"},
		{[]string{"reproduce", "spiral", "--methods", "vanilla,steer", "--nfe-budget", "300"}, "which vanilla, steer does not use"},
		{[]string{"reproduce", "spiral", "--sweep-fractions", "0.5"}, "--sweep-fractions needs --sweep-budget"},
		{[]string{"reproduce", "spiral", "--sweep-budget", "--nfe-budget", "300"}, "--sweep-budget chooses the methods and budgets itself; drop --nfe-budget"},
		{[]string{"reproduce", "spiral", "--sweep-budget", "--methods", "error"}, "drop --methods"},
		{[]string{"reproduce", "spiral", "--sweep-budget", "--shard", "1/2", "--out", t.TempDir()}, "--sweep-budget cannot be sharded"},
		{[]string{"reproduce", "spiral", "--sweep-budget", "--sweep-coefs", "0.1,0"}, `--sweep-coefs "0.1,0": "0" is not a positive number`},
		{[]string{"reproduce", "spiral", "--sweep-budget", "--sweep-fractions", ""}, "--sweep-fractions is empty"},
		{[]string{"reproduce", "spiral", "--sweep-budget", "--resume", "--checkpoint-dir", t.TempDir()}, "holds no checkpoint of this sweep"},
	}
	for _, c := range cases {
		status, out, errOut := runCLI(context.Background(), c.args...)
		if status != exitUsage || out != "" {
			t.Errorf("%v: status %d, stdout %q, want %d and nothing (stderr %q)", c.args, status, out, exitUsage, errOut)
			continue
		}
		if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, errOut, c.want)
		}
	}
}

// A budgeted run through `train` and `reproduce`: the verdict is printed,
// the results JSON holds each budgeted run's outcome and the notes state
// it, and vanilla runs unbudgeted beside it.
func TestBudgetTrainAndReproduce(t *testing.T) {
	dir := t.TempDir()
	metrics := filepath.Join(dir, "m.jsonl")
	status, stdout, stderr := runCLI(context.Background(), "train", "spiral", "--method", "error", "--iters", "30", "--predict-repeats", "1",
		"--nfe-budget", "80", "--budget-smoothing", "3", "--metrics", metrics)
	if status != 0 || !strings.Contains(stdout, "budget 80 NFE on error: ") {
		t.Fatalf("train: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	ms := readMetricsFile(t, metrics)
	if len(ms) != 30 || ms[29].Budget == nil || ms[29].Budget.NFE != 80 || ms[29].Coefficients["error"] != ms[29].Budget.Coefficient {
		t.Fatalf("metrics: %d lines, last %+v", len(ms), ms[len(ms)-1])
	}

	js := filepath.Join(dir, "r.json")
	status, stdout, stderr = runCLI(context.Background(), "reproduce", "spiral", "--methods", "vanilla,error", "--seeds", "1", "--iters", "20",
		"--predict-repeats", "1", "--nfe-budget", "80", "--json", js, "--out", "")
	if status != 0 {
		t.Fatalf("reproduce: status %d, stderr %q", status, stderr)
	}
	if !strings.Contains(stdout, "Budget of error seed 1999: budget 80 NFE on error") || !strings.Contains(stderr, "spiral/error/seed=1999: budget 80 NFE") {
		t.Errorf("the budget's verdict is missing:\nstdout %s\nstderr %s", stdout, stderr)
	}
	res, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs[0].Budget != nil || res.Runs[1].Budget == nil || res.Runs[1].Budget.NFE != 80 || len(res.Runs[1].Budget.Coefficients) == 0 {
		t.Errorf("runs %+v", res.Runs)
	}
	if b := res.Config.(map[string]any)["budget"]; b == nil {
		t.Errorf("the config lacks the budget: %v", res.Config)
	}
}

// A small budget sweep: vanilla, two fixed coefficients and one budget, the
// table, checks, results JSON, figures and metrics; resumed from its
// checkpoints it gives the same runs.
func TestBudgetSweep(t *testing.T) {
	dir := t.TempDir()
	js, out, metrics, ckpt := filepath.Join(dir, "r.json"), filepath.Join(dir, "fig"), filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "ck")
	args := []string{"reproduce", "spiral", "--sweep-budget", "--seeds", "1", "--iters", "30", "--predict-repeats", "1", "--budget-smoothing", "3",
		"--sweep-coefs", "0.01,0.3", "--sweep-fractions", "0.7", "--json", js, "--out", out, "--metrics", metrics, "--checkpoint-dir", ckpt}
	status, stdout, stderr := runCLI(context.Background(), args...)
	if status != 0 {
		t.Fatalf("status %d, stderr:\n%s", status, stderr)
	}
	for _, w := range []string{"## spiral budget sweep (default scale, 1 seeds)", "| vanilla | 1 |", "| error coef=0.01 | 1 |", "| error coef=0.3 | 1 |",
		"| error budget=0.7x | 1 |", "Vanilla's mean prediction NFE is", "Check error budget=0.7x seed 1999: prediction NFE"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	res, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 4 || len(res.Checks) != 2 || res.Verdict == "" {
		t.Fatalf("results: %d runs, checks %+v, verdict %q", len(res.Runs), res.Checks, res.Verdict)
	}
	vn := float64(res.Runs[0].NFE)
	b := res.Runs[3].Budget
	if res.Runs[3].Method != "error budget=0.7x" || b == nil || b.NFE != roundSig(0.7*vn) || res.Runs[1].Budget != nil {
		t.Fatalf("runs %+v", res.Runs)
	}
	checkFigures(t, out, "budget-front.png", "budget-coef.png")
	ms := readMetricsFile(t, metrics)
	if len(ms) != 4*30 || ms[len(ms)-1].Run != "spiral/error/seed=1999 [error budget=0.7x]" {
		t.Fatalf("%d metrics lines, last of run %q", len(ms), ms[len(ms)-1].Run)
	}
	info, err := train.ReadCheckpointInfo(filepath.Join(ckpt, "budget-0.7x", "spiral-error-seed1999.ckpt"))
	if err != nil || info.Iteration != 30 {
		t.Fatalf("checkpoint: %+v %v", info, err)
	}
	// Without --resume or --force the checkpoints are not overwritten.
	if status, _, stderr := runCLI(context.Background(), args...); status != exitUsage || !strings.Contains(stderr, "already holds checkpoints of this sweep") {
		t.Errorf("second sweep: status %d, stderr %q", status, stderr)
	}
	status, _, stderr = runCLI(context.Background(), append(args, "--resume")...)
	if status != 0 {
		t.Fatalf("resume: status %d, stderr:\n%s", status, stderr)
	}
	again, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Runs {
		a, b := res.Runs[i], again.Runs[i]
		if a.NFE != b.NFE || a.TrainLoss != b.TrainLoss || a.Method != b.Method {
			t.Errorf("run %d changed on resume: %+v vs %+v", i, a, b)
		}
	}
	if ms := readMetricsFile(t, metrics); len(ms) != 4*30 {
		t.Errorf("%d metrics lines after resume", len(ms))
	}
}

// The sweep's checks compare each budgeted run with the fixed run of its
// seed closest in NFE.
func TestSweepChecks(t *testing.T) {
	run := func(seed, nfe int, loss float64, b *report.Budget) report.Run {
		return report.Run{Method: "x", Seed: seed, NFE: nfe, TrainLoss: loss, Budget: b}
	}
	rec := func(r report.Run) tasks.Record { return tasks.Record{Run: r} }
	recs := func(r ...tasks.Record) []tasks.Record { return r }
	s := &sweepFlags{part: "error", fracs: []float64{0.5}, coefVals: []float64{0.01, 0.1}}
	pts := []*sweepPoint{
		{label: "vanilla", kind: vanillaPoint, recs: recs(rec(run(1, 400, 1e-5, nil)), rec(run(2, 400, 1e-5, nil)))},
		{label: "error coef=0.01", kind: fixedPoint, coef: 0.01, recs: recs(rec(run(1, 260, 1e-3, nil)), rec(run(2, 300, 1e-4, nil)))},
		{label: "error coef=0.1", kind: fixedPoint, coef: 0.1, recs: recs(rec(run(1, 190, 1e-2, nil)), rec(run(2, 205, 1e-3, nil)))},
		{label: "error budget=0.5x", kind: budgetPoint, fraction: 0.5, budget: 200, recs: recs(
			rec(run(1, 210, 1.1e-3, &report.Budget{Met: true, Tolerance: 0.1})),   // closest 190 (1e-2): holds
			rec(run(2, 215, 1.3e-3, &report.Budget{Met: true, Tolerance: 0.1})))}, // closest 205 (1e-3): 1.3x fails
	}
	res := sweepResults("spiral", s, pts, nil)
	if len(res.Checks) != 3 || !res.Checks[0].Pass || !res.Checks[1].Pass || res.Checks[2].Pass {
		t.Fatalf("checks %+v", res.Checks)
	}
	if !strings.Contains(res.Checks[0].Text, "mean over 2 seeds: prediction NFE 212.5 = 1.06x the budget 200") ||
		!strings.Contains(res.Checks[0].Text, "0.22x that of error coef=0.1 (mean NFE 197.5") ||
		!strings.Contains(res.Checks[1].Text, "that of error coef=0.1 (NFE 190") || !strings.Contains(res.Checks[2].Text, "1.30x that of error coef=0.1 (NFE 205") {
		t.Errorf("checks %+v", res.Checks)
	}
	if !strings.Contains(res.Verdict, "every budget ends") || !strings.Contains(res.Verdict, "it holds for 1 of 2 (not for error budget=0.5x seed 2)") {
		t.Errorf("verdict %q", res.Verdict)
	}
	if res.Runs[6].Method != "error budget=0.5x" || len(res.Summary) != 4 {
		t.Errorf("runs %+v", res.Runs)
	}
}
