package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/atomicfile"
)

// Model file format, version 1. All integers are little endian.
//
//	offset      size  content
//	0           8     magic "\x89WBM\r\n\x1a\n"
//	8           4     format version (1)
//	12          4     H, length of the JSON header
//	16          8     P, length of the parameter data (8 bytes per value)
//	24          H     JSON header {"format":"whitebox-nn-model","arch":Spec,"params":[{"name":..,"shape":[r,c]},...]}
//	24+H        P     parameter values, float64 bits, in Params order, each row-major
//	24+H+P      32    SHA-256 of everything before it
//
// The magic's first byte is non-ASCII and it holds CR LF and ^Z, so text-mode
// transfers and truncation to 7 bits are caught as in PNG.
const (
	// FormatVersion is the model file version this package writes and reads.
	FormatVersion = 1
	// MaxHeaderBytes bounds the JSON architecture header (16 MiB).
	MaxHeaderBytes = 1 << 24

	formatName   = "whitebox-nn-model"
	prefixSize   = 24
	checksumSize = sha256.Size
)

var magic = [8]byte{0x89, 'W', 'B', 'M', '\r', '\n', 0x1a, '\n'}

// Sentinel errors, matched with errors.Is against the *FileError that Load,
// Unmarshal and friends return.
var (
	ErrNotModel  = errors.New("nn: not a model file")
	ErrVersion   = errors.New("nn: unsupported model file version")
	ErrTruncated = errors.New("nn: model file truncated")
	ErrCorrupt   = errors.New("nn: model file corrupted")
	ErrMismatch  = errors.New("nn: model file holds another architecture")
)

// FileError is a problem with a model file or model bytes. Kind is one of
// ErrNotModel, ErrVersion, ErrTruncated, ErrCorrupt and ErrMismatch.
type FileError struct {
	Path   string // file name, "" for bytes given to Unmarshal
	Kind   error
	Detail string // what is wrong and what to do, completing "nn: model file <Path> "
}

func (e *FileError) Error() string {
	if e.Path == "" {
		return "nn: model data " + e.Detail
	}
	return "nn: model file " + e.Path + " " + e.Detail
}

// Unwrap returns Kind.
func (e *FileError) Unwrap() error { return e.Kind }

type fileHeader struct {
	Format string       `json:"format"`
	Arch   Spec         `json:"arch"`
	Params []paramEntry `json:"params"`
	// Meta is the caller's description of the model (SaveMeta), such as
	// the task that trained it and its data normalization; absent in files
	// written by Save.
	Meta json.RawMessage `json:"meta,omitempty"`
}

type paramEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// moduleParams validates m's Spec and checks that m.Params agrees with it.
func moduleParams(m Module) (Spec, []paramInfo, []*ad.Param, error) {
	spec := m.Spec()
	var total int64
	infos, err := spec.params("", nil, &total)
	if err != nil {
		return spec, nil, nil, fmt.Errorf("nn: the module's Spec is invalid: %w", err)
	}
	ps := m.Params()
	if len(ps) != len(infos) {
		return spec, nil, nil, fmt.Errorf("nn: the module has %d parameters but its Spec %s implies %d", len(ps), spec, len(infos))
	}
	for i, p := range ps {
		if p.Value.Rows != infos[i].Rows || p.Value.Cols != infos[i].Cols {
			return spec, nil, nil, fmt.Errorf("nn: parameter %d (%s) is %s but the module's Spec implies %dx%d",
				i, infos[i].Name, p.Value.Shape(), infos[i].Rows, infos[i].Cols)
		}
	}
	return spec, infos, ps, nil
}

// Marshal encodes m's architecture and parameters in the model file format.
func Marshal(m Module) ([]byte, error) { return MarshalMeta(m, nil) }

// MarshalMeta is Marshal with meta, any value encoding/json can encode (nil:
// none), stored in the file's header; UnmarshalMeta and LoadMeta return it
// as JSON.
func MarshalMeta(m Module, meta any) ([]byte, error) {
	spec, infos, ps, err := moduleParams(m)
	if err != nil {
		return nil, err
	}
	h := fileHeader{Format: formatName, Arch: spec.canonical(), Params: make([]paramEntry, len(infos))}
	if meta != nil {
		b, err := json.Marshal(meta)
		if err != nil {
			return nil, fmt.Errorf("nn: encoding the model's metadata: %w", err)
		}
		h.Meta = b
	}
	n := 0
	for i, in := range infos {
		h.Params[i] = paramEntry{Name: in.Name, Shape: []int{in.Rows, in.Cols}}
		n += in.Rows * in.Cols
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("nn: encoding the architecture: %w", err)
	}
	if len(js) > MaxHeaderBytes {
		return nil, fmt.Errorf("nn: the architecture description takes %d bytes, more than the format's %d", len(js), MaxHeaderBytes)
	}
	buf := make([]byte, prefixSize, prefixSize+len(js)+8*n+checksumSize)
	copy(buf, magic[:])
	binary.LittleEndian.PutUint32(buf[8:], FormatVersion)
	binary.LittleEndian.PutUint32(buf[12:], uint32(len(js)))
	binary.LittleEndian.PutUint64(buf[16:], uint64(8*n))
	buf = append(buf, js...)
	for _, p := range ps {
		for _, v := range p.Value.Data {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	sum := sha256.Sum256(buf)
	return append(buf, sum[:]...), nil
}

// Unmarshal decodes model bytes written by Marshal or Save and builds the
// module they describe. Truncated, corrupted or foreign data gives a
// *FileError; it never panics.
func Unmarshal(data []byte) (Module, error) {
	m, _, err := decode(data, "")
	return m, err
}

// UnmarshalMeta is Unmarshal that also returns the metadata stored by
// MarshalMeta (nil when there is none).
func UnmarshalMeta(data []byte) (Module, json.RawMessage, error) { return decode(data, "") }

// UnmarshalInto decodes model bytes into m, whose architecture must equal the
// stored one (else a *FileError with Kind ErrMismatch).
func UnmarshalInto(data []byte, m Module) error { return decodeInto(data, "", m) }

// Save writes m to path atomically: to a temporary file in the same
// directory, synced, then renamed over path, so that a crash leaves either
// the old file or the new one, never a mixture.
func Save(path string, m Module) error { return SaveMeta(path, m, nil) }

// SaveMeta is Save with metadata stored in the file's header (see
// MarshalMeta): what a program needs besides the weights to use the model,
// such as the task that trained it or its input normalization.
func SaveMeta(path string, m Module, meta any) error {
	data, err := MarshalMeta(m, meta)
	if err != nil {
		return err
	}
	return atomicfile.Write("nn: saving model", path, data)
}

// Load reads a model file and builds the module it describes; the concrete
// type follows the architecture (*Chain, *Dense, *GRU, *Group, ...).
func Load(path string) (Module, error) {
	m, _, err := LoadMeta(path)
	return m, err
}

// LoadMeta is Load that also returns the metadata stored by SaveMeta (nil
// when there is none).
func LoadMeta(path string) (Module, json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("nn: reading model: %w", err)
	}
	return decode(data, path)
}

// LoadInto reads a model file into m, whose architecture must equal the
// stored one.
func LoadInto(path string, m Module) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("nn: reading model: %w", err)
	}
	return decodeInto(data, path, m)
}

func decodeInto(data []byte, path string, m Module) error {
	got, _, err := decode(data, path)
	if err != nil {
		return err
	}
	want, _, ps, err := moduleParams(m)
	if err != nil {
		return err
	}
	if gs := got.Spec(); !gs.Equal(want) {
		return &FileError{path, ErrMismatch, fmt.Sprintf("holds a %s but the model is a %s; build the model from the file with Load, or load a file saved from this architecture", gs, want)}
	}
	for i, p := range got.Params() {
		copy(ps[i].Value.Data, p.Value.Data)
	}
	return nil
}

func decode(data []byte, path string) (Module, json.RawMessage, error) {
	fail := func(kind error, format string, args ...any) (Module, json.RawMessage, error) {
		return nil, nil, &FileError{path, kind, fmt.Sprintf(format, args...)}
	}
	const retry = "it may be from an interrupted write or copy: save it again"
	n := min(len(data), len(magic))
	if !bytes.Equal(data[:n], magic[:n]) {
		return fail(ErrNotModel, "is not a Whitebox model file (it does not start with the model magic bytes); pass a file written by nn.Save")
	}
	if len(data) == 0 {
		return fail(ErrTruncated, "is empty; %s", retry)
	}
	if len(data) < prefixSize {
		return fail(ErrTruncated, "is truncated (%d bytes, shorter than its %d-byte prefix); %s", len(data), prefixSize, retry)
	}
	version := binary.LittleEndian.Uint32(data[8:])
	if version != FormatVersion {
		if version > FormatVersion {
			return fail(ErrVersion, "has format version %d but this build reads version %d; update Whitebox to read it", version, FormatVersion)
		}
		return fail(ErrVersion, "has format version %d, which no Whitebox release wrote (this build reads version %d); the file is corrupted", version, FormatVersion)
	}
	hlen := uint64(binary.LittleEndian.Uint32(data[12:]))
	plen := binary.LittleEndian.Uint64(data[16:])
	if hlen > MaxHeaderBytes {
		return fail(ErrCorrupt, "declares a %d-byte architecture header, more than the format's %d; the file is corrupted", hlen, MaxHeaderBytes)
	}
	if plen%8 != 0 || plen > 8*maxParamValues {
		return fail(ErrCorrupt, "declares %d bytes of parameters, not a whole number of float64 values within the format's limit; the file is corrupted", plen)
	}
	have := uint64(len(data)) - prefixSize
	switch want := hlen + plen + checksumSize; {
	case have < hlen:
		return fail(ErrTruncated, "is truncated inside its architecture header (expected %d bytes, found %d); %s", hlen, have, retry)
	case have-hlen < plen:
		return fail(ErrTruncated, "is truncated (expected %d bytes of parameters, found %d); %s", plen, have-hlen, retry)
	case have < want:
		return fail(ErrTruncated, "is truncated (its %d-byte checksum is missing %d bytes); %s", checksumSize, want-have, retry)
	case have > want:
		return fail(ErrCorrupt, "has %d unexpected bytes after its checksum; it was damaged or appended to", have-want)
	}
	body := data[:len(data)-checksumSize]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return fail(ErrCorrupt, "is corrupted (SHA-256 checksum mismatch); restore it from a backup or save the model again")
	}

	var h fileHeader
	dec := json.NewDecoder(bytes.NewReader(data[prefixSize : prefixSize+hlen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return fail(ErrCorrupt, "has an unreadable architecture header (%v); it was not written by nn.Save", err)
	}
	if dec.More() {
		return fail(ErrCorrupt, "has data after its JSON architecture header; it was not written by nn.Save")
	}
	if h.Format != formatName {
		return fail(ErrCorrupt, "has header format %q, want %q", h.Format, formatName)
	}
	var total int64
	infos, err := h.Arch.params("", nil, &total)
	if err != nil {
		return fail(ErrCorrupt, "describes an invalid architecture: %v", err)
	}
	if len(infos) != len(h.Params) {
		return fail(ErrCorrupt, "lists %d parameters but its architecture %s has %d", len(h.Params), h.Arch, len(infos))
	}
	for i, in := range infos {
		e := h.Params[i]
		if e.Name != in.Name || len(e.Shape) != 2 || e.Shape[0] != in.Rows || e.Shape[1] != in.Cols {
			return fail(ErrCorrupt, "lists parameter %d as %q with shape %v but its architecture has %q of shape [%d %d]",
				i, e.Name, e.Shape, in.Name, in.Rows, in.Cols)
		}
	}
	if uint64(total)*8 != plen {
		return fail(ErrCorrupt, "holds %d bytes of parameters but its architecture needs %d", plen, total*8)
	}

	m := build(h.Arch, nil)
	off := prefixSize + int(hlen)
	for _, p := range m.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[off:]))
			off += 8
		}
	}
	return m, h.Meta, nil
}
