package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden model file in testdata")

// models returns one module of every kind, with nonzero biases.
func models() []Module {
	rng := seeded(21)
	ms := []Module{
		NewChain(Cube(), NewDense(2, 50, Tanh, rng), NewDense(50, 2, Identity, rng)),
		NewChain(NewTimeDense(6, 4, Tanh, rng), NewTimeDense(4, 6, Tanh, rng)),
		NewGRU(3, 5, rng),
		NewGroup([]string{"encoder", "head", "dynamics"}, NewGRU(3, 4, rng), NewDense(4, 2, Identity, rng),
			NewChain(NewDense(1, 3, Relu, rng), NewChain(NewDense(3, 1, Softplus, rng)))),
		NewMap(FnCube),
	}
	for _, m := range ms {
		for _, p := range m.Params() {
			for i := range p.Value.Data {
				p.Value.Data[i] += 0.01 * rng.NormFloat64()
			}
		}
	}
	return ms
}

func sameModule(t *testing.T, got, want Module) {
	t.Helper()
	if !got.Spec().Equal(want.Spec()) {
		t.Fatalf("architecture %s, want %s", got.Spec(), want.Spec())
	}
	gp, wp := got.Params(), want.Params()
	for i := range wp {
		if !equalBits(gp[i].Value.Data, wp[i].Value.Data) || !gp[i].Value.SameShape(wp[i].Value) {
			t.Fatalf("parameter %d differs after the round trip", i)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, m := range models() {
		path := filepath.Join(dir, "m.wb")
		if err := Save(path, m); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		sameModule(t, got, m)
		// LoadInto a freshly initialised module of the same architecture.
		fresh, _ := Build(m.Spec(), seeded(99))
		if err := LoadInto(path, fresh); err != nil {
			t.Fatal(err)
		}
		sameModule(t, fresh, m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries after saving, want only m.wb (temporary files left behind?)", len(entries))
	}
	if st, _ := os.Stat(filepath.Join(dir, "m.wb")); st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", st.Mode().Perm())
	}
}

// TestLoadIntoMismatch: loading weights into another architecture says both.
func TestLoadIntoMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spiral.wb")
	if err := Save(path, models()[0]); err != nil {
		t.Fatal(err)
	}
	other := NewChain(Cube(), NewDense(2, 40, Tanh, seeded(1)), NewDense(40, 2, Identity, seeded(1)))
	err := LoadInto(path, other)
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("error %v, want ErrMismatch", err)
	}
	for _, w := range []string{"nn: model file " + path, "dense(2->50,tanh)", "dense(2->40,tanh)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// TestLoadDamagedFiles: every truncation, every flipped byte, appended
// bytes, foreign files and other versions give the right *FileError.
func TestLoadDamagedFiles(t *testing.T) {
	good, err := Marshal(models()[3])
	if err != nil {
		t.Fatal(err)
	}
	kind := func(data []byte) error {
		_, err := Unmarshal(data)
		var fe *FileError
		if err != nil && (!errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "nn: model data ")) {
			t.Fatalf("error %q is not a *FileError with the nn: prefix", err)
		}
		return err
	}
	for n := range len(good) {
		if err := kind(good[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("truncated to %d of %d bytes: error %v, want ErrTruncated", n, len(good), err)
		}
	}
	hlen := int(binary.LittleEndian.Uint32(good[12:]))
	plen := len(good) - prefixSize - hlen - checksumSize
	err = kind(good[:prefixSize+hlen+100])
	if want := fmt.Sprintf("truncated (expected %d bytes", plen) + " of parameters, found 100); it may be from an interrupted write"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x20
		err := kind(bad)
		if err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
		if i >= prefixSize && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipping byte %d: error %v, want ErrCorrupt", i, err)
		}
	}
	if err := kind(append(append([]byte(nil), good...), 0)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "1 unexpected bytes") {
		t.Errorf("appended byte: %v", err)
	}
	if err := kind([]byte("{\"type\":\"dense\"} this is JSON, not a model")); !errors.Is(err, ErrNotModel) {
		t.Errorf("foreign data: %v", err)
	}
	newer := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(newer[8:], FormatVersion+1)
	if err := kind(newer); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "update Whitebox") {
		t.Errorf("newer version: %v", err)
	}
	// A well-formed file whose header lies about the parameters.
	forged := reseal(bytes.Replace(good, []byte(`"shape":[1,12]`), []byte(`"shape":[1,13]`), 1))
	if err := kind(forged); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "lists parameter") {
		t.Errorf("forged shape: %v", err)
	}
	path := filepath.Join(t.TempDir(), "x.wb")
	os.WriteFile(path, good[:len(good)-10], 0o644)
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), "nn: model file "+path+" is truncated") {
		t.Errorf("Load of a truncated file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.wb")); err == nil || !strings.HasPrefix(err.Error(), "nn: ") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// reseal recomputes the checksum of a modified model.
func reseal(data []byte) []byte {
	out := append([]byte(nil), data...)
	body := out[:len(out)-checksumSize]
	sum := sha256.Sum256(body)
	copy(out[len(body):], sum[:])
	return out
}

// TestSaveIsAtomic: saving over an existing file replaces it whole, and a
// failed save leaves the old file in place.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.wb")
	ms := models()
	if err := Save(path, ms[0]); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, ms[2]); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameModule(t, got, ms[2])
	if err := Save(filepath.Join(dir, "no", "such", "dir.wb"), ms[0]); err == nil || !strings.HasPrefix(err.Error(), "nn: ") {
		t.Errorf("saving into a missing directory: %v", err)
	}
	// A module whose parameters disagree with its Spec is refused.
	bad := NewDense(2, 3, Tanh, seeded(1))
	bad.B = NewDense(2, 4, Tanh, seeded(1)).B
	if err := Save(path, bad); err == nil || !strings.Contains(err.Error(), "Spec implies 1x3") {
		t.Errorf("inconsistent module: %v", err)
	}
	got, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameModule(t, got, ms[2])
}

// TestGoldenFile pins format version 1: the file in testdata must decode to
// the model built from its seed, and encoding that model must reproduce it
// byte for byte. Run with -update to rewrite it after a deliberate change.
func TestGoldenFile(t *testing.T) {
	spec := Spec{Type: TypeChain, Layers: []Spec{
		{Type: TypeMap, Fn: FnCube},
		{Type: TypeTimeDense, In: 2, Out: 3, Act: Tanh},
		{Type: TypeDense, In: 3, Out: 2},
	}}
	m, err := Build(spec, seeded(2021))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden-v1.wb")
	if *update {
		if err := Save(path, m); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenFile -update to create it)", err)
	}
	if !bytes.Equal(data, golden) {
		t.Fatalf("encoding of the golden model changed (%d bytes, golden %d); if deliberate, bump FormatVersion or run with -update", len(data), len(golden))
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameModule(t, got, m)
}

// TestSaveMetaRoundTrip: metadata saved with a model comes back unchanged,
// files without it read as before, and the model part is the same as Save's.
func TestSaveMetaRoundTrip(t *testing.T) {
	dir := t.TempDir()
	type meta struct {
		Task  string    `json:"task"`
		Scale []float64 `json:"scale"`
	}
	want := meta{Task: "mnist-node", Scale: []float64{0.5, 1e-300, 3}}
	m := models()[0]
	path := filepath.Join(dir, "m.wbm")
	if err := SaveMeta(path, m, want); err != nil {
		t.Fatal(err)
	}
	got, raw, err := LoadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	sameModule(t, got, m)
	var back meta
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Task != want.Task || len(back.Scale) != 3 || back.Scale[1] != want.Scale[1] {
		t.Errorf("metadata %+v, want %+v", back, want)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("Load of a file with metadata: %v", err)
	}
	plain := filepath.Join(dir, "plain.wbm")
	if err := Save(plain, m); err != nil {
		t.Fatal(err)
	}
	if _, raw, err := LoadMeta(plain); err != nil || raw != nil {
		t.Errorf("LoadMeta of a file without metadata: %q, %v; want nil, nil", raw, err)
	}
	if _, err := MarshalMeta(m, func() {}); err == nil || !strings.Contains(err.Error(), "metadata") {
		t.Errorf("MarshalMeta of an unencodable value: %v, want an error naming the metadata", err)
	}
}
