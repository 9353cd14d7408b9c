package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Magic numbers of the two IDX layouts this package reads: the first two
// bytes are zero, the third is the element type (0x08, unsigned byte) and the
// fourth the number of dimensions.
const (
	ImageMagic = 0x00000803 // 2051: unsigned bytes, 3 dimensions (count, rows, cols)
	LabelMagic = 0x00000801 // 2049: unsigned bytes, 1 dimension (count)
)

// Size limits checked on the header before any buffer is sized from it. They
// are far above MNIST (60000 images of 28x28 = 47 million pixels) and keep a
// corrupt header from asking for gigabytes. The pixel bytes are in addition
// read in growing chunks, so memory follows the data actually present, not
// the size the header claims.
const (
	MaxCount  = 1 << 24 // images or labels in one file
	MaxSide   = 1 << 12 // rows and columns of one image
	MaxPixels = 1 << 28 // count*rows*cols of one image file (2 GiB once stored as float64)
)

// NumClasses is the number of label values: labels are 0..NumClasses-1.
const NumClasses = 10

// FormatError reports a file that is not a valid IDX image or label file.
type FormatError struct {
	File string // the file name, or "" when parsing a reader
	Msg  string // what is wrong and what to do, including the text of Err
	Err  error  // underlying error (gzip, I/O), if any
}

func (e *FormatError) Error() string {
	s := "mnist: "
	if e.File != "" {
		s += e.File + ": "
	}
	return s + e.Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(err error, format string, args ...any) *FormatError {
	return &FormatError{Msg: fmt.Sprintf(format, args...), Err: err}
}

// Images is the content of an IDX image file: N images of Rows x Cols
// unsigned bytes, image after image, each row-major.
type Images struct {
	N, Rows, Cols int
	Pixels        []byte // len N*Rows*Cols
}

// gzipMagic is the first two bytes of every gzip stream (RFC 1952).
var gzipMagic = [2]byte{0x1f, 0x8b}

// decompressed returns r itself, or a gzip reader over it when r starts with
// the gzip magic bytes. The file name plays no role.
func decompressed(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, formatErr(err, "cannot read the file (%v)", err)
	}
	if len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, formatErr(err, "starts like gzip but the gzip header is damaged (%v); download the file again", err)
		}
		return zr, nil
	}
	return br, nil
}

// readHeader reads n big-endian uint32 words.
func readHeader(r io.Reader, words []uint32, kind string) error {
	var buf [16]byte
	b := buf[:4*len(words)]
	if k, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return formatErr(nil, "truncated %s header: %d of %d bytes present; the file is incomplete, download it again", kind, k, len(b))
		}
		return formatErr(err, "cannot read the %s header (%v); the file is damaged, download it again", kind, err)
	}
	for i := range words {
		words[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return nil
}

func checkMagic(got, want uint32, kind string) error {
	if got == want {
		return nil
	}
	switch got {
	case ImageMagic:
		return formatErr(nil, "this is an image file (magic %d), expected a %s file (magic %d); check which file is passed where", got, kind, want)
	case LabelMagic:
		return formatErr(nil, "this is a label file (magic %d), expected an %s file (magic %d); check which file is passed where", got, kind, want)
	}
	return formatErr(nil, "bad magic number 0x%08x, expected 0x%08x (%d) for an IDX %s file; the file is not MNIST-format or is damaged", got, want, want, kind)
}

// readBody reads exactly n bytes and then checks that the stream ends there.
// The buffer grows with the data read, so a header announcing more data than
// the stream holds costs no more memory than the stream itself.
func readBody(r io.Reader, n int64, what string) ([]byte, error) {
	const first = 64 << 10
	buf := make([]byte, 0, min(n, first))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if errors.Is(err, io.EOF) && int64(len(buf)) == n {
				break
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, formatErr(nil, "truncated: the header announces %d bytes of %s but only %d are present; the file is incomplete, download it again", n, what, len(buf))
			}
			return nil, formatErr(err, "cannot read the %s (%v); the file is damaged, download it again", what, err)
		}
	}
	// The stream must end here. Reading to EOF also makes a gzip reader
	// verify its checksum and length trailer.
	var extra [1]byte
	for {
		k, err := r.Read(extra[:])
		if k > 0 {
			return nil, formatErr(nil, "trailing data after the %d bytes of %s announced by the header; the file is damaged or not what its header says", n, what)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, formatErr(err, "damaged after the %s (%v); download the file again", what, err)
		}
	}
	return buf, nil
}

// ParseImages reads an IDX image file (magic 2051), gzip-compressed or raw;
// compression is detected from the gzip magic bytes. It checks the magic
// number, the dimensions against MaxCount, MaxSide and MaxPixels, and that
// the data has exactly the announced length. Errors are *FormatError.
func ParseImages(r io.Reader) (*Images, error) {
	r, err := decompressed(r)
	if err != nil {
		return nil, err
	}
	var h [4]uint32
	if err := readHeader(r, h[:1], "image"); err != nil {
		return nil, err
	}
	if err := checkMagic(h[0], ImageMagic, "image"); err != nil {
		return nil, err
	}
	if err := readHeader(r, h[1:], "image"); err != nil {
		return nil, err
	}
	n, rows, cols := int64(h[1]), int64(h[2]), int64(h[3])
	switch {
	case n == 0:
		return nil, formatErr(nil, "the header announces 0 images; the file holds no data")
	case n > MaxCount:
		return nil, formatErr(nil, "the header announces %d images, more than the limit MaxCount = %d; the header is damaged", n, MaxCount)
	case rows == 0 || cols == 0:
		return nil, formatErr(nil, "the header announces images of %dx%d pixels; both sides must be positive", rows, cols)
	case rows > MaxSide || cols > MaxSide:
		return nil, formatErr(nil, "the header announces images of %dx%d pixels, above the limit MaxSide = %d; the header is damaged", rows, cols, MaxSide)
	case n*rows*cols > MaxPixels:
		return nil, formatErr(nil, "the header announces %d images of %dx%d = %d pixels, above the limit MaxPixels = %d", n, rows, cols, n*rows*cols, MaxPixels)
	}
	pix, err := readBody(r, n*rows*cols, "pixels")
	if err != nil {
		return nil, err
	}
	return &Images{N: int(n), Rows: int(rows), Cols: int(cols), Pixels: pix}, nil
}

// ParseLabels reads an IDX label file (magic 2049), gzip-compressed or raw.
// It checks the magic number, the count against MaxCount, the exact length
// and that every label is in 0..NumClasses-1. Errors are *FormatError.
func ParseLabels(r io.Reader) ([]uint8, error) {
	r, err := decompressed(r)
	if err != nil {
		return nil, err
	}
	var h [2]uint32
	if err := readHeader(r, h[:1], "label"); err != nil {
		return nil, err
	}
	if err := checkMagic(h[0], LabelMagic, "label"); err != nil {
		return nil, err
	}
	if err := readHeader(r, h[1:], "label"); err != nil {
		return nil, err
	}
	n := int64(h[1])
	switch {
	case n == 0:
		return nil, formatErr(nil, "the header announces 0 labels; the file holds no data")
	case n > MaxCount:
		return nil, formatErr(nil, "the header announces %d labels, more than the limit MaxCount = %d; the header is damaged", n, MaxCount)
	}
	labels, err := readBody(r, n, "labels")
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= NumClasses {
			return nil, formatErr(nil, "label %d at index %d is outside 0..%d; this is not an MNIST-style label file", l, i, NumClasses-1)
		}
	}
	return labels, nil
}

// ReadImagesFile opens and parses an IDX image file; see ParseImages.
// Format errors carry the file name.
func ReadImagesFile(path string) (*Images, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: cannot open image file: %w", err)
	}
	defer f.Close()
	img, err := ParseImages(f)
	return img, withFile(err, path)
}

// ReadLabelsFile opens and parses an IDX label file; see ParseLabels.
// Format errors carry the file name.
func ReadLabelsFile(path string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: cannot open label file: %w", err)
	}
	defer f.Close()
	labels, err := ParseLabels(f)
	return labels, withFile(err, path)
}

func withFile(err error, path string) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.File = path
	}
	return err
}
