package optim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
)

// Optimizer state encoding, version 1, little endian:
//
//	"WBOS"  version(u32)  len(kind)(u8) kind  nhyper(u32) hyper(f64...)
//	t(u64)  bound(u8)  nsizes(u32) sizes(u64...)  nbufs(u32) moments(f64...)
//	CRC-32 (IEEE) of everything before it (u32)
//
// The moments are nbufs buffers of sum(sizes) values each, in the order of
// the parameters.
const stateVersion = 1

var stateMagic = [4]byte{'W', 'B', 'O', 'S'}

// ErrState is wrapped by every error of UnmarshalBinary.
var ErrState = errors.New("optim: bad optimizer state")

type stateError struct{ msg string }

func (e *stateError) Error() string { return "optim: " + e.msg }
func (e *stateError) Unwrap() error { return ErrState }

func stateErr(format string, args ...any) error {
	return &stateError{fmt.Sprintf(format, args...)}
}

func marshal(r rule, s *state) []byte {
	total := 0
	for _, k := range s.sizes {
		total += k
	}
	b := make([]byte, 0, 64+8*len(s.sizes)+8*total*len(s.bufs))
	b = append(b, stateMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, stateVersion)
	b = append(b, byte(len(r.kind())))
	b = append(b, r.kind()...)
	hp := r.hyper()
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hp)))
	for _, h := range hp {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(h.v))
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(s.t))
	bound := byte(0)
	if s.sizes != nil {
		bound = 1
	}
	b = append(b, bound)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.sizes)))
	for _, k := range s.sizes {
		b = binary.LittleEndian.AppendUint64(b, uint64(k))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.bufs)))
	for _, buf := range s.bufs {
		for _, v := range buf {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// reader reads little-endian fields, remembering the first overrun.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func unmarshal(r rule, s *state, data []byte) error {
	const truncated = "optimizer state is truncated (%d bytes); it may be from an interrupted write: save it again"
	if len(data) < len(stateMagic)+8 {
		if bytes.HasPrefix(stateMagic[:], data[:min(len(data), 4)]) {
			return stateErr(truncated, len(data))
		}
		return stateErr("data is not optimizer state written by MarshalBinary")
	}
	if !bytes.Equal(data[:4], stateMagic[:]) {
		return stateErr("data is not optimizer state written by MarshalBinary")
	}
	if v := binary.LittleEndian.Uint32(data[4:]); v != stateVersion {
		return stateErr("optimizer state has version %d but this build reads version %d", v, stateVersion)
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(body):]) {
		return stateErr("optimizer state is corrupted or truncated (CRC-32 mismatch, %d bytes); restore it from a backup", len(data))
	}
	rd := &reader{b: body[8:]}
	kind := string(rd.take(uint64(rd.u8())))
	if rd.bad {
		return stateErr(truncated, len(data))
	}
	if kind != r.kind() {
		return stateErr("the state was saved by %s, not %s; restore it into a %s", kind, r.kind(), kind)
	}
	hp := r.hyper()
	if n := rd.u32(); rd.bad || int(n) != len(hp) {
		return stateErr("the %s state holds %d hyperparameters, want %d; the data is corrupted", kind, n, len(hp))
	}
	var diffs []string
	for _, h := range hp {
		v := math.Float64frombits(rd.u64())
		if !rd.bad && math.Float64bits(v) != math.Float64bits(h.v) {
			diffs = append(diffs, fmt.Sprintf("%s %g (this optimizer has %g)", h.name, v, h.v))
		}
	}
	if rd.bad {
		return stateErr(truncated, len(data))
	}
	if diffs != nil {
		return stateErr("the %s state was saved with %s; set the same hyperparameters to resume", kind, strings.Join(diffs, ", "))
	}
	t := rd.u64()
	bound := rd.u8()
	nsizes := uint64(rd.u32())
	if rd.bad || t > math.MaxInt64 || bound > 1 || nsizes > uint64(len(rd.b))/8 || (bound == 0 && nsizes != 0) {
		return stateErr("the %s state has an invalid header (step %d, %d parameter sizes); the data is corrupted", kind, t, nsizes)
	}
	var sizes []int
	if bound == 1 {
		sizes = make([]int, nsizes)
	}
	var total uint64
	for i := range sizes {
		k := rd.u64()
		total += k
		if rd.bad || k > uint64(len(rd.b)) || total > uint64(len(rd.b))/8 {
			return stateErr("the %s state lists more parameter values than it holds; the data is corrupted", kind)
		}
		sizes[i] = int(k)
	}
	nbufs := rd.u32()
	if rd.bad || (bound == 1 && int(nbufs) != r.nbufs()) || (bound == 0 && nbufs != 0) {
		return stateErr("the %s state holds %d moment buffers, want %d; the data is corrupted", kind, nbufs, r.nbufs())
	}
	if uint64(len(rd.b)) != 8*total*uint64(nbufs) {
		return stateErr("the %s state holds %d bytes of moments, want %d for %d values; the data is corrupted", kind, len(rd.b), 8*total*uint64(nbufs), total)
	}
	var bufs [][]float64
	if bound == 1 {
		bufs = make([][]float64, nbufs)
		for i := range bufs {
			bufs[i] = make([]float64, total)
			for j := range bufs[i] {
				bufs[i][j] = math.Float64frombits(rd.u64())
			}
		}
	}
	s.t, s.sizes, s.bufs = int(t), sizes, bufs
	return nil
}

// MarshalBinary encodes the step count, moments and hyperparameters.
func (o *Momentum) MarshalBinary() ([]byte, error) { return marshal(o, &o.st), nil }

// UnmarshalBinary restores state written by MarshalBinary of a Momentum with
// the same Rho.
func (o *Momentum) UnmarshalBinary(data []byte) error { return unmarshal(o, &o.st, data) }

// MarshalBinary encodes the step count, moments and hyperparameters.
func (o *Adam) MarshalBinary() ([]byte, error) { return marshal(o, &o.st), nil }

// UnmarshalBinary restores state written by MarshalBinary of an Adam with the
// same Beta1, Beta2 and Eps.
func (o *Adam) UnmarshalBinary(data []byte) error { return unmarshal(o, &o.st, data) }

// MarshalBinary encodes the step count, moments and hyperparameters.
func (o *AdaBelief) MarshalBinary() ([]byte, error) { return marshal(o, &o.st), nil }

// UnmarshalBinary restores state written by MarshalBinary of an AdaBelief
// with the same Beta1, Beta2 and Eps.
func (o *AdaBelief) UnmarshalBinary(data []byte) error { return unmarshal(o, &o.st, data) }

// MarshalBinary encodes the step count, moments and hyperparameters.
func (o *Adamax) MarshalBinary() ([]byte, error) { return marshal(o, &o.st), nil }

// UnmarshalBinary restores state written by MarshalBinary of an Adamax with
// the same Beta1, Beta2 and Eps.
func (o *Adamax) UnmarshalBinary(data []byte) error { return unmarshal(o, &o.st, data) }
