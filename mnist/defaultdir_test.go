package mnist

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDefaultDir(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	dir, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "data" {
		t.Errorf("DefaultDir() = %s, want a data folder", dir)
	}
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		if _, err := findFile(dir, name); err != nil {
			t.Error(err)
		}
	}
}

// fakeGo puts a shell script named go first on PATH.
func fakeGo(t *testing.T, script string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell-script stand-in for the go command needs a Unix shell")
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
}

func TestDefaultDirErrors(t *testing.T) {
	t.Run("no go command", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := DefaultDir()
		if err == nil || !strings.Contains(err.Error(), "the go command is not on PATH") || !strings.Contains(err.Error(), "pass the directory") {
			t.Errorf("error %v, want it to explain the missing go command and the alternative", err)
		}
	})
	t.Run("go command fails", func(t *testing.T) {
		fakeGo(t, "echo 'go: module lookup disabled by GOPROXY=off' >&2\nexit 1\n")
		_, err := DefaultDir()
		if err == nil || !strings.HasPrefix(err.Error(), "mnist: ") || !strings.Contains(err.Error(), "GOPROXY=off") ||
			!strings.Contains(err.Error(), "go mod download "+DataModule) {
			t.Errorf("error %v, want the go command's message and the advice to run go mod download", err)
		}
	})
	t.Run("download reports an error", func(t *testing.T) {
		fakeGo(t, `if [ "$1" = list ]; then echo '{"Path":"`+DataModule+`","Version":"v1.0.0"}'; exit 0; fi
echo '{"Path":"`+DataModule+`","Error":"simulated: no network"}'
exit 1
`)
		_, err := DefaultDir()
		if err == nil || !strings.Contains(err.Error(), "simulated: no network") {
			t.Errorf("error %v, want the download error", err)
		}
	})
	t.Run("module without data", func(t *testing.T) {
		mod := t.TempDir()
		fakeGo(t, `echo '{"Path":"`+DataModule+`","Version":"v1.0.0","Dir":"`+mod+`"}'`+"\n")
		_, err := DefaultDir()
		if err == nil || !strings.Contains(err.Error(), "has no data folder") || !strings.Contains(err.Error(), mod) {
			t.Errorf("error %v, want it to report the missing data folder in %s", err, mod)
		}
	})
	t.Run("replaced module", func(t *testing.T) {
		mod := t.TempDir()
		if err := os.Mkdir(filepath.Join(mod, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		fakeGo(t, `echo '{"Path":"`+DataModule+`","Version":"v1.0.0","Replace":{"Path":"../local","Dir":"`+mod+`"}}'`+"\n")
		dir, err := DefaultDir()
		if err != nil || dir != filepath.Join(mod, "data") {
			t.Errorf("DefaultDir() = %q, %v; want %s", dir, err, filepath.Join(mod, "data"))
		}
	})
}
