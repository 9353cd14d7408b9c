package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/internal/physionettest"
	"github.com/whitebox-de/whitebox/report"
)

// A tiny `reproduce physionet` on the real records (table, results JSON with
// test losses, figures), then `train physionet --save` and `eval physionet`
// on a folder of records, and the refusal of another task's model.
func TestPhysionetReproduceTrainEval(t *testing.T) {
	dir := t.TempDir()
	tiny := []string{"--epochs", "1", "--batch", "16", "--train-records", "32", "--test-records", "16", "--tol", "1e-5", "--predict-repeats", "1"}
	js, out := filepath.Join(dir, "r.json"), filepath.Join(dir, "fig")
	status, stdout, stderr := runCLI(context.Background(), append([]string{"reproduce", "physionet", "--methods", "vanilla,error", "--seeds", "1", "--json", js, "--out", out}, tiny...)...)
	if status != 0 {
		t.Fatalf("reproduce: status %d, stderr:\n%s", status, stderr)
	}
	for _, w := range []string{"## physionet (default scale, 1 seeds)", "| vanilla | 1 |", "| error | 1 |", "Table 2", "Check error vs vanilla: prediction NFE"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	res, err := report.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if res.Task != "physionet" || len(res.Runs) != 2 {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res.Runs {
		if r.TestLoss == nil || !(*r.TestLoss > 0) || r.NFE <= 0 || r.Iterations != 2 {
			t.Errorf("run %+v", r)
		}
	}
	checkFigures(t, out, "reconstructions.png", "nfe.png", "train_nfe.png")

	model := filepath.Join(dir, "m.model")
	if status, _, stderr := runCLI(context.Background(), append([]string{"train", "physionet", "--method", "stiffness", "--seed", "3", "--save", model}, tiny...)...); status != 0 {
		t.Fatalf("train: status %d, stderr:\n%s", status, stderr)
	}
	recs := physionettest.RecordFolder(t, 10)
	status, stdout, stderr = runCLI(context.Background(), "eval", "physionet", "--model", model, "--data", recs, "--repeats", "1")
	if status != 0 || !strings.Contains(stdout, "physionet stiffness seed 3 on "+recs+" (10 examples)") || !strings.Contains(stdout, "loss ") {
		t.Errorf("eval: status %d, stdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	spiral := filepath.Join(dir, "spiral.model")
	if status, _, stderr := runCLI(context.Background(), "train", "spiral", "--iters", "2", "--save", spiral); status != 0 {
		t.Fatalf("train spiral: status %d, stderr:\n%s", status, stderr)
	}
	status, _, stderr = runCLI(context.Background(), "eval", "physionet", "--model", spiral, "--data", recs)
	if status != 2 || !strings.Contains(stderr, "not one of this task's") {
		t.Errorf("eval of a spiral model: status %d, stderr:\n%s", status, stderr)
	}
}
