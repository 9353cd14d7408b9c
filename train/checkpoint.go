package train

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
	"github.com/whitebox-de/whitebox/nn"
)

// Stateful is a part of the training state that a checkpoint saves and
// restores, such as an optimizer (its MarshalBinary) or a model
// (ModuleState).
type Stateful interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Section is one named part of a checkpoint.
type Section struct {
	Name  string
	State Stateful
}

// ModuleState saves a model's parameters in the nn model format
// (nn.Marshal) and restores them into the same model (nn.UnmarshalInto),
// which checks that the architecture matches.
func ModuleState(m nn.Module) Stateful { return moduleState{m} }

type moduleState struct{ m nn.Module }

func (s moduleState) MarshalBinary() ([]byte, error) { return nn.Marshal(s.m) }
func (s moduleState) UnmarshalBinary(data []byte) error {
	return nn.UnmarshalInto(data, s.m)
}

// CheckpointVersion is the checkpoint format version this package writes
// and reads.
const CheckpointVersion = 1

const (
	checkpointFormat = "whitebox-train-checkpoint"
	maxHeader        = 1 << 20
)

var checkpointMagic = [8]byte{0x89, 'W', 'B', 'C', '\r', '\n', 0x1a, '\n'}

// ErrCheckpoint is matched (errors.Is) by every error about a checkpoint
// file that cannot be read or does not belong to the run.
var ErrCheckpoint = errors.New("train: bad checkpoint")

// CheckpointInfo is the header of a checkpoint.
type CheckpointInfo struct {
	Format      string `json:"format"`
	Name        string `json:"name"`
	Seed        uint64 `json:"seed"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Iteration is the number of completed iterations; Total the run's.
	Iteration int `json:"iteration"`
	Total     int `json:"total"`
	// ElapsedNS is the training time so far in nanoseconds.
	ElapsedNS int64           `json:"elapsed_ns"`
	Sections  []sectionHeader `json:"sections"`
}

type sectionHeader struct {
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
}

// Elapsed is the training time recorded in the checkpoint.
func (c *CheckpointInfo) Elapsed() time.Duration { return time.Duration(c.ElapsedNS) }

func checkpointErr(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrCheckpoint, path, fmt.Sprintf(format, args...))
}

func (l *Loop) writeCheckpoint(path string, iteration int, elapsed time.Duration) error {
	h := CheckpointInfo{Format: checkpointFormat, Name: l.Name, Seed: l.Seed, Fingerprint: l.Fingerprint,
		Iteration: iteration, Total: l.Iterations, ElapsedNS: int64(elapsed)}
	var body []byte
	for _, s := range l.State {
		b, err := s.State.MarshalBinary()
		if err != nil {
			return fmt.Errorf("train: checkpoint section %q: %w", s.Name, err)
		}
		h.Sections = append(h.Sections, sectionHeader{Name: s.Name, Bytes: len(b)})
		body = append(body, b...)
	}
	js, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("train: encoding the checkpoint header: %w", err)
	}
	buf := make([]byte, 16, 16+len(js)+len(body)+sha256.Size)
	copy(buf, checkpointMagic[:])
	binary.LittleEndian.PutUint32(buf[8:], CheckpointVersion)
	binary.LittleEndian.PutUint32(buf[12:], uint32(len(js)))
	buf = append(buf, js...)
	buf = append(buf, body...)
	sum := sha256.Sum256(buf)
	buf = append(buf, sum[:]...)
	return atomicfile.Write("train", path, buf)
}

// parseCheckpoint checks a checkpoint's framing and checksum and returns its
// header and the bytes of its sections.
func parseCheckpoint(path string, data []byte) (*CheckpointInfo, [][]byte, error) {
	n := min(len(data), len(checkpointMagic))
	if len(data) == 0 || !bytes.Equal(data[:n], checkpointMagic[:n]) {
		return nil, nil, checkpointErr(path, "is not a Whitebox training checkpoint; pass a file written with a checkpoint path")
	}
	if len(data) < 16+sha256.Size {
		return nil, nil, checkpointErr(path, "is truncated (%d bytes); it may be from an interrupted copy", len(data))
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != CheckpointVersion {
		return nil, nil, checkpointErr(path, "has format version %d, this build reads version %d", v, CheckpointVersion)
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return nil, nil, checkpointErr(path, "is corrupted or truncated (SHA-256 mismatch); use an intact checkpoint or start the run again")
	}
	hl := int(binary.LittleEndian.Uint32(data[12:]))
	if hl > maxHeader || 16+hl > len(body) {
		return nil, nil, checkpointErr(path, "declares a %d-byte header that does not fit in the file", hl)
	}
	var h CheckpointInfo
	dec := json.NewDecoder(bytes.NewReader(body[16 : 16+hl]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || h.Format != checkpointFormat {
		return nil, nil, checkpointErr(path, "has an unreadable header")
	}
	if h.Iteration < 0 || h.Total < 0 || h.Iteration > h.Total || h.ElapsedNS < 0 {
		return nil, nil, checkpointErr(path, "has an inconsistent header (iteration %d of %d)", h.Iteration, h.Total)
	}
	off := 16 + hl
	secs := make([][]byte, len(h.Sections))
	for i, s := range h.Sections {
		if s.Bytes < 0 || s.Bytes > len(body)-off {
			return nil, nil, checkpointErr(path, "section %q runs past the end of the file", s.Name)
		}
		secs[i] = body[off : off+s.Bytes]
		off += s.Bytes
	}
	if off != len(body) {
		return nil, nil, checkpointErr(path, "has %d unexpected bytes after its sections", len(body)-off)
	}
	return &h, secs, nil
}

// ReadCheckpointInfo reads and verifies a checkpoint and returns its header.
func ReadCheckpointInfo(path string) (*CheckpointInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: reading checkpoint: %w", err)
	}
	h, _, err := parseCheckpoint(path, data)
	return h, err
}

// Restore loads a checkpoint into the loop's State and makes the next Run
// continue from its iteration with its training time. It refuses a
// checkpoint whose seed, fingerprint or sections differ from the loop's with
// an error matching ErrCheckpoint, before changing any state. (A section that
// then fails to decode leaves the sections before it restored: do not Run
// after a failed Restore.)
func (l *Loop) Restore(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: reading checkpoint: %w", err)
	}
	h, secs, err := parseCheckpoint(path, data)
	if err != nil {
		return err
	}
	if h.Seed != l.Seed {
		return checkpointErr(path, "was written by a run with seed %d, this run has seed %d; resume with the same seed", h.Seed, l.Seed)
	}
	if h.Fingerprint != l.Fingerprint {
		return checkpointErr(path, "was written by a run with another configuration (%s; this run: %s); resume with the same settings", h.Fingerprint, l.Fingerprint)
	}
	if len(h.Sections) != len(l.State) {
		return checkpointErr(path, "holds %d sections, the run has %d", len(h.Sections), len(l.State))
	}
	for i, s := range l.State {
		if h.Sections[i].Name != s.Name {
			return checkpointErr(path, "holds section %q where the run has %q", h.Sections[i].Name, s.Name)
		}
	}
	if h.Iteration > l.Iterations {
		return checkpointErr(path, "is at iteration %d, beyond the run's %d iterations; raise the number of iterations", h.Iteration, l.Iterations)
	}
	for i, s := range l.State {
		if err := s.State.UnmarshalBinary(secs[i]); err != nil {
			return fmt.Errorf("%w: %s section %q: %v", ErrCheckpoint, path, s.Name, err)
		}
	}
	l.start = h.Iteration
	l.elapsed = h.Elapsed()
	return nil
}
