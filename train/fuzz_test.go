package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRestore: whatever bytes a checkpoint file holds, Restore returns an
// error or restores a consistent state; it never panics.
func FuzzRestore(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.ckpt")
	s := newToy(1)
	l := s.loop(3, good)
	l.CheckpointEvery = 3
	if _, err := l.Run(context.Background()); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:40])
	f.Add([]byte{})
	f.Add(append([]byte(nil), checkpointMagic[:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "c.ckpt")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		l := newToy(1).loop(3, "")
		if err := l.Restore(path); err == nil && (l.Start() < 0 || l.Start() > 3) {
			t.Fatalf("restored at iteration %d of 3", l.Start())
		}
		ReadCheckpointInfo(path)
	})
}
