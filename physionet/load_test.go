package physionet

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func record(id, body string) string {
	return "Time,Parameter,Value\n00:00,RecordID," + id + "\n" + body
}

// writeArchive writes files (name -> content) as a .tar.gz and returns its path.
func writeArchive(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	if err := tw.WriteHeader(&tar.Header{Name: "set-x/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "set-x.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadFolderAndArchive(t *testing.T) {
	files := map[string]string{
		"set-x/30.txt":       record("30", "00:10,HR,70\n"),
		"set-x/4.txt":        record("4", "01:00,HR,80\n01:10,HR,90\n"),
		"set-x/Outcomes.txt": "RecordID,SAPS-I\n4,10\n", // not a record file: ignored
		"set-x/._4.txt":      "\x00\x05junk",            // nor this
	}
	for _, path := range []string{writeArchive(t, files), writeDir(t, files)} {
		d, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.IDs, []int{4, 30}) {
			t.Fatalf("%s: IDs %v, want [4 30] (sorted by RecordID)", path, d.IDs)
		}
		hr := FeatureIndex("HR")
		if v := d.Record(0).Values[1*NumFeatures+hr]; v != 85 {
			t.Errorf("%s: record 4 hour 1 HR %v, want 85", path, v)
		}
		if v := d.Record(1).Values[hr]; v != 70 {
			t.Errorf("%s: record 30 hour 0 HR %v, want 70", path, v)
		}
		if got := sum(d.Mask); got != 2 {
			t.Errorf("%s: %v observed entries, want 2", path, got)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	good := record("5", "00:10,HR,70\n")
	for _, c := range []struct {
		name  string
		files map[string]string
		kind  error  // nil: not a *ParseError
		where string // in the message: file and line
	}{
		{"malformed line", map[string]string{"set-x/5.txt": good, "set-x/6.txt": record("6", "00:10,HR,70\n00:20,HR\n")}, ErrLine, "6.txt:4:"},
		{"bad time", map[string]string{"set-x/6.txt": record("6", "0:1,HR,70\n")}, ErrTime, "6.txt:3:"},
		{"unknown parameter", map[string]string{"set-x/6.txt": record("6", "00:10,XX,70\n")}, ErrParameter, "6.txt:3:"},
		{"bad value", map[string]string{"set-x/6.txt": record("6", "00:10,HR,7O\n")}, ErrValue, "6.txt:3:"},
		{"empty file", map[string]string{"set-x/6.txt": ""}, ErrEmpty, "6.txt:"},
		{"missing header", map[string]string{"set-x/6.txt": "00:00,RecordID,6\n"}, ErrHeader, "6.txt:1:"},
		{"ID differs from name", map[string]string{"set-x/6.txt": good}, ErrRecordID, "6.txt:"},
		{"same ID twice", map[string]string{"set-x/5.txt": good, "set-x/05.txt": good}, ErrRecordID, "also in"},
		{"no records", map[string]string{"set-x/readme.md": "hi"}, nil, "holds no record files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{writeArchive(t, c.files), writeDir(t, c.files)} {
				_, err := Load(path, nil)
				if err == nil {
					t.Fatalf("%s: no error", path)
				}
				if !strings.HasPrefix(err.Error(), "physionet: ") || !strings.Contains(err.Error(), c.where) {
					t.Errorf("message %q, want %q in it", err, c.where)
				}
				if c.kind == nil {
					continue
				}
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, c.kind) {
					t.Errorf("error %v, want a *ParseError of kind %v", err, c.kind)
				}
				if strings.HasSuffix(path, ".tar.gz") && !strings.Contains(err.Error(), "set-x.tar.gz:set-x/") {
					t.Errorf("message %q does not name the archive member", err)
				}
			}
		})
	}

	dir := t.TempDir()
	notGzip := filepath.Join(dir, "set.tar.gz")
	if err := os.WriteFile(notGzip, []byte("Time,Parameter,Value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(notGzip, nil); err == nil || !strings.Contains(err.Error(), "not a gzip") {
		t.Errorf("plain file: %v, want a 'not a gzip' error", err)
	}
	if _, err := Load(filepath.Join(dir, "absent"), nil); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent path: %v, want os.ErrNotExist", err)
	}
	// A truncated archive.
	p := writeArchive(t, map[string]string{"set-x/5.txt": good})
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "set-x.tar.gz") {
		t.Errorf("truncated archive: %v, want an error naming it", err)
	}
}

func TestIsRecordFile(t *testing.T) {
	for name, want := range map[string]bool{
		"132539.txt": true, "1.txt": true, ".txt": false, "Outcomes-a.txt": false,
		"._132539.txt": false, "132539.txt~": false, "132539.TXT": false, "1234567890.txt": false,
	} {
		if IsRecordFile(name) != want {
			t.Errorf("IsRecordFile(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestDefaultArchive(t *testing.T) {
	p, err := DefaultArchive()
	if errors.Is(err, ErrNoArchive) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(filepath.ToSlash(p), ArchivePath) {
		t.Errorf("DefaultArchive() = %s, want a path ending in %s", p, ArchivePath)
	}
}
