package physionettest

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/whitebox-de/whitebox/physionet"
)

// RecordFolder writes the first n record files of the committed set-a
// archive (physionet.DefaultArchive) into a new temporary folder of t and
// returns it. It skips the test when the archive is not found.
func RecordFolder(t testing.TB, n int) string {
	t.Helper()
	path, err := physionet.DefaultArchive()
	if err != nil {
		t.Skip(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	dir := t.TempDir()
	for k := 0; k < n; {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !physionet.IsRecordFile(filepath.Base(h.Name)) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(h.Name)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		k++
	}
	return dir
}
