package atomicfile

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
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

// A killed writer's temporary file is removed by the next write of the same
// target; a live writer's (this process's), a recent one of another host's
// and other targets' temporary files are kept, and another host's is
// removed once older than StaleAge.
func TestWriteRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	// The process id of a process that has exited.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	touch := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	killed := touch(filepath.Base(TempName(path, dead, "123")))
	live := touch(filepath.Base(TempName(path, os.Getpid(), "456")))
	otherHost := touch(".run.ckpt.tmp.elsewhere.1.789")
	oldOtherHost := touch(".run.ckpt.tmp.faraway.1.790")
	day := time.Now().Add(-StaleAge - time.Hour)
	if err := os.Chtimes(oldOtherHost, day, day); err != nil {
		t.Fatal(err)
	}
	otherTarget := touch(fmt.Sprintf(".run.ckpt.1.tmp.%s.%d.1", host, dead))
	notOurs := touch(".run.ckpt.tmp.notes")

	if err := Write("test", path, []byte("data")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{killed, oldOtherHost} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("stale %s was not removed", filepath.Base(p))
		}
	}
	for _, p := range []string{live, otherHost, otherTarget, notOurs, path} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", filepath.Base(p))
		}
	}
}

// A failed write removes its own temporary file.
func TestFailedWriteLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	// Renaming a file over a non-empty directory fails after the data is
	// written.
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write("test", target, []byte("data")); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want only the directory", len(entries))
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "ok.json")); err != nil {
		t.Errorf("writable: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the probe left %d files", len(entries))
	}
	cases := []struct{ path, want string }{
		{dir, "is a directory"},
		{filepath.Join(dir, "no", "x.json"), "does not exist"},
	}
	if runtime.GOOS == "linux" {
		// Nobody, root included, creates files in /proc.
		cases = append(cases, struct{ path, want string }{"/proc/x.json", "cannot create files in /proc"})
	}
	for _, c := range cases {
		if err := CheckWritable(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
	}
}
