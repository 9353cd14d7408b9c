package tasks_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/tasks"
)

// TestLoadModelRefusesOtherTasks: a model comes back only for the task that
// saved it; another task's model, or a plain nn.Save file, is refused with
// an error that says what to do.
func TestLoadModelRefusesOtherTasks(t *testing.T) {
	dir := t.TempDir()
	m := nn.NewDense(3, 2, nn.Tanh, rand.New(rand.NewPCG(1, 2)))
	type cfg struct{ Hidden int }
	path := filepath.Join(dir, "m.wbm")
	if err := tasks.SaveModel(path, m, tasks.ModelMeta{Task: "mnist-node", Method: "error", Seed: 7}, cfg{Hidden: 20}); err != nil {
		t.Fatal(err)
	}
	var c cfg
	got, meta, err := tasks.LoadModel(path, "mnist-node", &c)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Method != "error" || meta.Seed != 7 || c.Hidden != 20 || !got.Spec().Equal(m.Spec()) {
		t.Errorf("loaded %+v config %+v spec %s", meta, c, got.Spec())
	}
	_, _, err = tasks.LoadModel(path, "physionet", nil)
	if !errors.Is(err, tasks.ErrWrongModel) || !strings.Contains(err.Error(), `"mnist-node"`) || !strings.Contains(err.Error(), "whitebox eval mnist-node") {
		t.Errorf("another task's model: %v", err)
	}
	plain := filepath.Join(dir, "plain.wbm")
	if err := nn.Save(plain, m); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tasks.LoadModel(plain, "mnist-node", nil); !errors.Is(err, tasks.ErrWrongModel) || !strings.Contains(err.Error(), "no task") {
		t.Errorf("a model without metadata: %v", err)
	}
}
