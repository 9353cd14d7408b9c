package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeDataset writes a small four-file data set into dir; gz selects per
// file whether it is gzip-compressed and named with ".gz".
func writeDataset(t *testing.T, dir string, nTrain, nTest, rows, cols int, gz [4]bool) (trainPix, trainLab, testPix, testLab []byte) {
	t.Helper()
	trainPix = randomPixels(nTrain*rows*cols, 11)
	trainLab = randomLabels(nTrain, 12)
	testPix = randomPixels(nTest*rows*cols, 13)
	testLab = randomLabels(nTest, 14)
	files := [4][]byte{
		encodeImages(uint32(nTrain), uint32(rows), uint32(cols), trainPix),
		encodeLabels(trainLab),
		encodeImages(uint32(nTest), uint32(rows), uint32(cols), testPix),
		encodeLabels(testLab),
	}
	names := [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}
	for i := range files {
		name, data := names[i], files[i]
		if gz[i] {
			name, data = name+".gz", gzipBytes(t, data)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return
}

func TestLoadSynthetic(t *testing.T) {
	for _, gz := range [][4]bool{{false, false, false, false}, {true, true, true, true}, {true, false, false, true}} {
		dir := t.TempDir()
		const nTrain, nTest, rows, cols = 50, 20, 4, 6
		trainPix, trainLab, testPix, testLab := writeDataset(t, dir, nTrain, nTest, rows, cols, gz)
		ds, err := Load(dir)
		if err != nil {
			t.Fatalf("gzip %v: %v", gz, err)
		}
		for _, c := range []struct {
			name string
			s    *Set
			n    int
			pix  []byte
			lab  []byte
		}{{"train", ds.Train, nTrain, trainPix, trainLab}, {"test", ds.Test, nTest, testPix, testLab}} {
			s := c.s
			if s.N != c.n || s.Rows != rows || s.Cols != cols || len(s.Images) != c.n*rows*cols || len(s.Labels) != c.n {
				t.Fatalf("%s: N=%d %dx%d, %d pixels, %d labels; want N=%d %dx%d", c.name, s.N, s.Rows, s.Cols, len(s.Images), len(s.Labels), c.n, rows, cols)
			}
			for i, b := range c.pix {
				if s.Images[i] != float64(b)/255 {
					t.Fatalf("%s: pixel %d = %v, want %d/255", c.name, i, s.Images[i], b)
				}
			}
			if string(s.Labels) != string(c.lab) {
				t.Errorf("%s: labels differ from the file", c.name)
			}
			img := s.Image(c.n - 1)
			if len(img) != rows*cols || &img[0] != &s.Images[(c.n-1)*rows*cols] {
				t.Errorf("%s: Image(%d) is not the last row of Images", c.name, c.n-1)
			}
		}
	}
}

func TestNewSetScaling(t *testing.T) {
	s, err := NewSet(&Images{N: 1, Rows: 1, Cols: 3, Pixels: []byte{0, 51, 255}}, []uint8{4})
	if err != nil {
		t.Fatal(err)
	}
	if s.Images[0] != 0 || s.Images[1] != 0.2 || s.Images[2] != 1 {
		t.Errorf("pixels 0, 51, 255 scaled to %v, want 0, 0.2, 1", s.Images)
	}
	if _, err := NewSet(&Images{N: 1, Rows: 1, Cols: 1, Pixels: []byte{0}}, []uint8{1, 2}); err == nil || !strings.HasPrefix(err.Error(), "mnist: 1 images but 2 labels") {
		t.Errorf("count mismatch: error %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		dir := t.TempDir()
		writeDataset(t, dir, 5, 5, 2, 2, [4]bool{})
		os.Remove(filepath.Join(dir, TestLabelsFile))
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), "neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz found") || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v, want it to name the missing file and the directory", err)
		}
	})
	t.Run("count mismatch", func(t *testing.T) {
		dir := t.TempDir()
		writeDataset(t, dir, 5, 5, 2, 2, [4]bool{})
		if err := os.WriteFile(filepath.Join(dir, TrainLabelsFile), encodeLabels([]byte{1, 2, 3}), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), "holds 5 images but") || !strings.Contains(err.Error(), "holds 3 labels") {
			t.Errorf("error %v, want a count mismatch naming both files", err)
		}
	})
	t.Run("shape mismatch", func(t *testing.T) {
		dir := t.TempDir()
		writeDataset(t, dir, 5, 5, 2, 2, [4]bool{})
		if err := os.WriteFile(filepath.Join(dir, TestImagesFile), encodeImages(5, 3, 2, make([]byte, 30)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), "training images are 2x2 but test images 3x2") {
			t.Errorf("error %v, want a shape mismatch", err)
		}
	})
	t.Run("damaged test file", func(t *testing.T) {
		dir := t.TempDir()
		writeDataset(t, dir, 5, 5, 2, 2, [4]bool{})
		p := filepath.Join(dir, TestImagesFile)
		if err := os.WriteFile(p, encodeImages(5, 2, 2, make([]byte, 19)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), "mnist: "+p+": truncated") {
			t.Errorf("error %v, want a truncation error naming %s", err, p)
		}
	})
}
