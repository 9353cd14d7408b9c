package nn

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnmarshal feeds arbitrary bytes to the model file decoder, both as
// given and with the SHA-256 repaired (so that mutations reach the header and
// architecture parsers behind the checksum). It must never panic; every
// failure must be a *FileError; every model it accepts must encode and decode
// back to the same architecture and parameters.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range models() {
		data, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	if golden, err := os.ReadFile(filepath.Join("testdata", "golden-v1.wb")); err == nil {
		f.Add(golden)
	}
	f.Add([]byte{})
	f.Add(magic[:])
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if len(data) >= prefixSize+checksumSize {
			inputs = append(inputs, reseal(data))
		}
		for _, in := range inputs {
			m, err := Unmarshal(in)
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || m != nil {
					t.Fatalf("error %v (%T) is not a *FileError, or came with a module", err, err)
				}
				continue
			}
			out, err := Marshal(m)
			if err != nil {
				t.Fatalf("accepted model does not encode: %v", err)
			}
			back, err := Unmarshal(out)
			if err != nil {
				t.Fatalf("re-encoded model does not decode: %v", err)
			}
			sameModule(t, back, m)
		}
	})
}
