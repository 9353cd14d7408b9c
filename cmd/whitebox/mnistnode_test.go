package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/mnist"
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
