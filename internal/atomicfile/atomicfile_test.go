package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := Write("test", path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := Write("test", path, []byte("new contents")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "new contents" {
		t.Fatalf("read %q, want %q", got, "new contents")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the target", len(entries))
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestWriteMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	err := Write("report", path, []byte("x"))
	if err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	if !strings.HasPrefix(err.Error(), "report: ") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q should start with the package and name the path", err)
	}
}
