package physionet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// ArchivePath is the place of the set-a archive in the Whitebox source
// tree, relative to the module root (the folder of go.mod).
const ArchivePath = "data/physionet2012/set-a.tar.gz"

// ErrNoArchive reports that DefaultArchive found no archive.
var ErrNoArchive = errors.New("physionet: set-a archive not found")

// DefaultArchive returns the path of the set-a archive committed with
// Whitebox (ArchivePath under the module root). It looks next to this
// package's source as compiled (which works for `go test`, `go run` and
// binaries built from a clone without -trimpath), then in the current
// folder and its parents. It only locates the file; pass the path to Load.
func DefaultArchive() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(filepath.Dir(file)), filepath.FromSlash(ArchivePath))
		if isFile(p) {
			return p, nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; {
			p := filepath.Join(dir, filepath.FromSlash(ArchivePath))
			if isFile(p) {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("%w: looked for %s beside the physionet package's source and above the current folder; run from a clone of Whitebox, or pass the path of a folder or .tar.gz of PhysioNet 2012 record files to Load", ErrNoArchive, ArchivePath)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
