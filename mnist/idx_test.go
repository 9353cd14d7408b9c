package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// encodeImages writes an IDX image file by hand, independently of the parser.
func encodeImages(n, rows, cols uint32, pix []byte) []byte {
	var b bytes.Buffer
	for _, w := range []uint32{ImageMagic, n, rows, cols} {
		binary.Write(&b, binary.BigEndian, w)
	}
	b.Write(pix)
	return b.Bytes()
}

func encodeLabels(labels []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(LabelMagic))
	binary.Write(&b, binary.BigEndian, uint32(len(labels)))
	b.Write(labels)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// randomPixels returns n bytes from a seeded generator.
func randomPixels(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.IntN(256))
	}
	return p
}

func randomLabels(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	l := make([]byte, n)
	for i := range l {
		l[i] = byte(r.IntN(NumClasses))
	}
	return l
}

func TestParseImagesRawAndGzip(t *testing.T) {
	const n, rows, cols = 7, 5, 3
	pix := randomPixels(n*rows*cols, 1)
	raw := encodeImages(n, rows, cols, pix)
	for name, data := range map[string][]byte{"raw": raw, "gzip": gzipBytes(t, raw)} {
		img, err := ParseImages(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img.N != n || img.Rows != rows || img.Cols != cols {
			t.Errorf("%s: got %d images of %dx%d, want %d of %dx%d", name, img.N, img.Rows, img.Cols, n, rows, cols)
		}
		if !bytes.Equal(img.Pixels, pix) {
			t.Errorf("%s: pixels differ from the encoded ones", name)
		}
	}
}

func TestParseLabelsRawAndGzip(t *testing.T) {
	labels := randomLabels(1000, 3)
	raw := encodeLabels(labels)
	for name, data := range map[string][]byte{"raw": raw, "gzip": gzipBytes(t, raw)} {
		got, err := ParseLabels(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, labels) {
			t.Errorf("%s: labels differ from the encoded ones", name)
		}
	}
}

// corrupt returns a copy of b with byte i replaced by v.
func corrupt(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	c[i] = v
	return c
}

func TestParseImagesErrors(t *testing.T) {
	valid := encodeImages(2, 3, 4, randomPixels(24, 5))
	gz := gzipBytes(t, valid)
	cases := []struct {
		name string
		data []byte
		want string // substring of the message
	}{
		{"empty", nil, "truncated image header"},
		{"short header", valid[:10], "truncated image header"},
		{"label magic", encodeLabels([]byte{1, 2}), "this is a label file"},
		{"bad magic", corrupt(valid, 3, 0x04), "bad magic number"},
		{"zero count", encodeImages(0, 3, 4, nil), "0 images"},
		{"count above limit", encodeImages(MaxCount+1, 1, 1, nil), "MaxCount"},
		{"zero rows", encodeImages(1, 0, 4, nil), "both sides must be positive"},
		{"side above limit", encodeImages(1, 3, MaxSide+1, nil), "MaxSide"},
		{"pixels above limit", encodeImages(MaxCount, MaxSide, MaxSide, nil), "MaxPixels"},
		{"truncated body", valid[:len(valid)-1], "truncated: the header announces 24 bytes of pixels but only 23"},
		{"trailing byte", append(bytes.Clone(valid), 0), "trailing data"},
		{"truncated gzip", gz[:len(gz)-12], "truncated"},
		{"gzip trailing data", gzipBytes(t, append(bytes.Clone(valid), 9)), "trailing data"},
		{"gzip checksum", corrupt(gz, len(gz)-5, gz[len(gz)-5]^0xff), "checksum"},
		{"gzip header", corrupt(gz, 2, 0x07), "gzip header is damaged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, err := ParseImages(bytes.NewReader(c.data))
			if err == nil {
				t.Fatalf("accepted: %d images of %dx%d", img.N, img.Rows, img.Cols)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *FormatError", err, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "mnist: ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want prefix \"mnist: \" and %q", msg, c.want)
			}
		})
	}
}

func TestParseLabelsErrors(t *testing.T) {
	valid := encodeLabels([]byte{0, 9, 3, 4})
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"short header", valid[:6], "truncated label header"},
		{"image magic", encodeImages(1, 1, 1, []byte{0}), "this is an image file"},
		{"bad magic", corrupt(valid, 0, 1), "bad magic number"},
		{"zero count", encodeLabels(nil), "0 labels"},
		{"count above limit", corrupt(encodeLabels(nil), 4, 0x7f), "MaxCount"},
		{"truncated body", valid[:len(valid)-2], "only 2 are present"},
		{"trailing byte", append(bytes.Clone(valid), 1), "trailing data"},
		{"label 10", encodeLabels([]byte{0, 1, 10, 2}), "label 10 at index 2 is outside 0..9"},
		{"label 255", gzipBytes(t, encodeLabels([]byte{255})), "label 255 at index 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseLabels(bytes.NewReader(c.data))
			if err == nil {
				t.Fatalf("accepted %d labels", len(l))
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *FormatError", err, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "mnist: ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want prefix \"mnist: \" and %q", msg, c.want)
			}
		})
	}
}

// A header that announces a large file but is followed by little data must
// not cost memory in proportion to the announcement.
func TestParseCorruptHeaderDoesNotAllocate(t *testing.T) {
	cases := map[string][]byte{
		"images": encodeImages(MaxPixels/(MaxSide*MaxSide), MaxSide, MaxSide, make([]byte, 100)),
		"labels": encodeLabels(make([]byte, 100)),
	}
	binary.BigEndian.PutUint32(cases["labels"][4:], MaxCount)
	for name, data := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var err error
		if name == "images" {
			_, err = ParseImages(bytes.NewReader(data))
		} else {
			_, err = ParseLabels(bytes.NewReader(data))
		}
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("%s: error %v, want a truncation error", name, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes for a %d-byte input", name, got, len(data))
		}
	}
}

func TestReadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "broken-images.gz")
	if err := os.WriteFile(p, encodeImages(3, 2, 2, make([]byte, 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadImagesFile(p)
	if err == nil || !strings.HasPrefix(err.Error(), "mnist: "+p+": truncated") {
		t.Errorf("ReadImagesFile error %v, want it to start with mnist: %s: truncated", err, p)
	}
	_, err = ReadLabelsFile(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "this is an image file") {
		t.Errorf("ReadLabelsFile error %v, want the path and \"this is an image file\"", err)
	}
	_, err = ReadLabelsFile(filepath.Join(dir, "missing"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "mnist: ") {
		t.Errorf("missing file: error %v, want a mnist: error wrapping os.ErrNotExist", err)
	}
}
