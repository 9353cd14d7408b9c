package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/mnist"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
)

// smallMNIST writes the first 600 training and 200 test images of real
// MNIST as an IDX folder.
func smallMNIST(t *testing.T) string {
	t.Helper()
	src, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := mnist.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, set *mnist.Set, n int) {
		var img, lab bytes.Buffer
		binary.Write(&img, binary.BigEndian, []uint32{2051, uint32(n), 28, 28})
		binary.Write(&lab, binary.BigEndian, []uint32{2049, uint32(n)})
		for _, v := range set.Images[:n*784] {
			img.WriteByte(byte(math.Round(v * 255)))
		}
		lab.Write(set.Labels[:n])
		for file, b := range map[string][]byte{name + "-images-idx3-ubyte": img.Bytes(), name + "-labels-idx1-ubyte": lab.Bytes()} {
			if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("train", ds.Train, 600)
	write("t10k", ds.Test, 200)
	return dir
}

// `whitebox train mnist-node --save` on real MNIST images, then `whitebox
// eval mnist-node` of the saved model on the same data, and a model of
// another task refused.
func TestMNISTNodeTrainSaveEval(t *testing.T) {
	data := smallMNIST(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "model.wbm")
	status, stdout, stderr := runCLI(context.Background(), "train", "mnist-node", "--method", "error", "--data", data, "--epochs", "1",
		"--epoch-iters", "3", "--batch", "16", "--tol", "1e-3", "--eval-images", "50", "--predict-repeats", "1", "--save", model)
	if status != 0 || !strings.HasPrefix(stdout, "mnist-node error seed 1999: 3 iterations") {
		t.Fatalf("train: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	js := filepath.Join(dir, "eval.json")
	status, stdout, stderr = runCLI(context.Background(), "eval", "mnist-node", "--model", model, "--data", data, "--repeats", "1", "--json", js)
	if status != 0 || !strings.Contains(stdout, "mnist-node error seed 1999 on ") || !strings.Contains(stdout, "(200 examples): accuracy") {
		t.Fatalf("eval: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var ev tasks.Evaluation
	if err := json.Unmarshal(b, &ev); err != nil || ev.TestAccuracy == nil || *ev.TestAccuracy < 0.2 || ev.NFE < 9 {
		t.Errorf("eval JSON %s: %v", b, err)
	}
	// A spiral model is refused with a usage error naming its task.
	spiral := filepath.Join(dir, "spiral.wbm")
	status, _, stderr = runCLI(context.Background(), "train", "spiral", "--iters", "2", "--save", spiral)
	if status != 0 {
		t.Fatalf("train spiral: status %d, stderr %q", status, stderr)
	}
	status, _, stderr = runCLI(context.Background(), "eval", "mnist-node", "--model", spiral, "--data", data)
	if status != exitUsage || !strings.Contains(stderr, "not one of this task's") {
		t.Errorf("eval of a spiral model: status %d, stderr %q", status, stderr)
	}
}

// `whitebox train mnist-node` to a budget: the verdict is printed and the
// metrics carry the controller's coefficient.
func TestMNISTNodeBudgetTrain(t *testing.T) {
	data := smallMNIST(t)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	status, stdout, stderr := runCLI(context.Background(), "train", "mnist-node", "--method", "error", "--data", data, "--epochs", "1",
		"--epoch-iters", "4", "--batch", "16", "--tol", "1e-3", "--eval-images", "50", "--test-images", "50", "--predict-repeats", "1",
		"--nfe-budget", "5", "--budget-smoothing", "2", "--metrics", metrics)
	if status != 0 || !strings.Contains(stdout, "budget 5 NFE on error: NOT met") || !strings.Contains(stdout, "coefficient 100 -> ") {
		t.Fatalf("train: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	ms := readMetricsFile(t, metrics)
	if len(ms) != 4 || ms[3].Budget == nil || ms[3].Budget.NFE != 5 || ms[3].Coefficients["error"] != ms[3].Budget.Coefficient || !(ms[3].Budget.Coefficient > 100) {
		t.Fatalf("metrics: %d lines, last %+v", len(ms), ms[len(ms)-1])
	}
}

// mnist-node's budget sweep defaults to one budget at 0.7x vanilla's NFE
// and the error coefficient held at 10, 30, 100 and 300; other
// regularizers keep the command's defaults.
func TestMNISTNodeSweepDefaults(t *testing.T) {
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out}
	h, status := newHarness([]string{"mnist-node", "--sweep-budget", "--out", ""}, e)
	if h == nil {
		t.Fatalf("status %d: %s", status, out.String())
	}
	if fmt.Sprint(h.sweep.fracs) != "[0.7]" || fmt.Sprint(h.sweep.coefVals) != "[10 30 100 300]" {
		t.Errorf("mnist-node sweep: fractions %v, coefficients %v", h.sweep.fracs, h.sweep.coefVals)
	}
	h, status = newHarness([]string{"mnist-node", "--sweep-budget", "--budget-regularizer", "stiffness", "--out", ""}, e)
	if h == nil {
		t.Fatalf("status %d: %s", status, out.String())
	}
	if fmt.Sprint(h.sweep.coefVals) != "[0.001 0.003 0.01 0.03 0.1 0.3]" {
		t.Errorf("stiffness sweep: coefficients %v", h.sweep.coefVals)
	}
	h, status = newHarness([]string{"spiral", "--sweep-budget", "--out", ""}, e)
	if h == nil {
		t.Fatalf("status %d: %s", status, out.String())
	}
	if fmt.Sprint(h.sweep.fracs) != "[0.8 0.6 0.5]" || fmt.Sprint(h.sweep.coefVals) != "[0.001 0.003 0.01 0.03 0.1 0.3]" {
		t.Errorf("spiral sweep: fractions %v, coefficients %v", h.sweep.fracs, h.sweep.coefVals)
	}
	status, stdout, _ := runCLI(context.Background(), "reproduce", "mnist-node", "--help")
	if status != 0 || !strings.Contains(stdout, `(default "0.7")`) || !strings.Contains(stdout, "10,30,100,300 for error") {
		t.Errorf("help: status %d, stdout %s", status, stdout)
	}
}

// A tiny budget sweep of mnist-node end to end: vanilla, two fixed
// coefficients and the default budget, with the loss and accuracy fronts.
func TestMNISTNodeBudgetSweep(t *testing.T) {
	data := smallMNIST(t)
	dir := t.TempDir()
	js, out := filepath.Join(dir, "r.json"), filepath.Join(dir, "fig")
	status, stdout, stderr := runCLI(context.Background(), "reproduce", "mnist-node", "--sweep-budget", "--seeds", "1", "--data", data, "--epochs", "1",
		"--epoch-iters", "3", "--batch", "16", "--tol", "1e-3", "--eval-images", "50", "--test-images", "50", "--predict-repeats", "1",
		"--budget-smoothing", "2", "--sweep-coefs", "10,300", "--json", js, "--out", out)
	if status != 0 {
		t.Fatalf("status %d, stderr:\n%s", status, stderr)
	}
	for _, w := range []string{"## mnist-node budget sweep (default scale, 1 seeds)", "| vanilla | 1 |", "| error coef=10 | 1 |", "| error coef=300 | 1 |",
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
	b := res.Runs[3].Budget
	if res.Runs[3].Method != "error budget=0.7x" || b == nil || b.NFE != roundSig(0.7*float64(res.Runs[0].NFE)) || b.CoefStart != 100 ||
		res.Runs[1].Budget != nil || res.Runs[3].TestAccuracy == nil {
		t.Fatalf("runs %+v", res.Runs)
	}
	checkFigures(t, out, "budget-front.png", "budget-accuracy.png", "budget-coef.png")
}
