package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// content returns the IDX bytes an accepted input stands for: the input
// itself, or its decompression when it is gzip.
func content(t *testing.T, data []byte) []byte {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("accepted input does not decompress: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("accepted input does not decompress: %v", err)
	}
	return raw
}

func checkRejection(t *testing.T, err error) {
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "mnist: ") {
		t.Fatalf("error %v (%T) is not a mnist: *FormatError", err, err)
	}
}

// seedVariants adds valid, to the corpus with its gzip form and damaged
// variants of both.
func seedVariants(f *testing.F, valid []byte) {
	gz := gzipBytes(f, valid)
	for _, b := range [][]byte{valid, gz} {
		f.Add(b)
		f.Add(b[:len(b)-1])              // truncated body
		f.Add(b[:min(len(b), 10)])       // truncated header
		f.Add(append(bytes.Clone(b), 0)) // trailing byte
		f.Add(corrupt(b, len(b)/2, b[len(b)/2]^0x5a))
	}
}

func FuzzParseImages(f *testing.F) {
	valid := encodeImages(3, 2, 5, randomPixels(30, 21))
	seedVariants(f, valid)
	f.Add(corrupt(valid, 7, 0xff))                                   // count far above the data
	f.Add(encodeImages(MaxCount, MaxSide, MaxSide, []byte{1, 2, 3})) // above MaxPixels
	f.Add(encodeImages(1, 0, 3, nil))
	f.Add(encodeLabels([]byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := ParseImages(bytes.NewReader(data))
		if err != nil {
			checkRejection(t, err)
			return
		}
		if img.N < 1 || img.N > MaxCount || img.Rows < 1 || img.Rows > MaxSide || img.Cols < 1 || img.Cols > MaxSide ||
			img.N*img.Rows*img.Cols > MaxPixels || len(img.Pixels) != img.N*img.Rows*img.Cols {
			t.Fatalf("accepted %d images of %dx%d with %d pixel bytes", img.N, img.Rows, img.Cols, len(img.Pixels))
		}
		raw := content(t, data)
		if want := encodeImages(uint32(img.N), uint32(img.Rows), uint32(img.Cols), img.Pixels); !bytes.Equal(raw, want) {
			t.Fatalf("re-encoding %d images of %dx%d does not give the accepted content back", img.N, img.Rows, img.Cols)
		}
		if binary.BigEndian.Uint32(raw) != ImageMagic || len(raw) != 16+img.N*img.Rows*img.Cols {
			t.Fatalf("accepted content of %d bytes does not match its header", len(raw))
		}
	})
}

func FuzzParseLabels(f *testing.F) {
	valid := encodeLabels(randomLabels(12, 22))
	seedVariants(f, valid)
	f.Add(corrupt(valid, 5, 0xff))        // count far above the data
	f.Add(encodeLabels([]byte{0, 10, 3})) // label out of range
	f.Add(encodeImages(1, 1, 1, []byte{4}))
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ParseLabels(bytes.NewReader(data))
		if err != nil {
			checkRejection(t, err)
			return
		}
		if len(labels) < 1 || len(labels) > MaxCount {
			t.Fatalf("accepted %d labels", len(labels))
		}
		for i, l := range labels {
			if l >= NumClasses {
				t.Fatalf("accepted label %d at index %d", l, i)
			}
		}
		if raw := content(t, data); !bytes.Equal(raw, encodeLabels(labels)) {
			t.Fatalf("re-encoding %d labels does not give the accepted content back", len(labels))
		}
	})
}
