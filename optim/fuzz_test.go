package optim

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// FuzzUnmarshalState feeds arbitrary bytes, and the same bytes with a
// repaired checksum (so that the parser past the CRC is exercised), to every
// optimizer's UnmarshalBinary: it must never panic, and state it accepts must
// encode back to the same bytes and be usable.
func stateOf(o Optimizer) *state {
	switch o := o.(type) {
	case *Momentum:
		return &o.st
	case *Adam:
		return &o.st
	case *AdaBelief:
		return &o.st
	case *Adamax:
		return &o.st
	}
	panic("unknown optimizer")
}

func FuzzUnmarshalState(f *testing.F) {
	for _, o := range all(Constant(0.1)) {
		b, _ := o.MarshalBinary()
		f.Add(b)
		o.StepFlat([]float64{1, 2, 3}, []float64{0.1, -0.2, 0.3})
		b, _ = o.MarshalBinary()
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if len(data) >= 4 {
			fixed := append([]byte(nil), data...)
			body := fixed[:len(fixed)-4]
			binary.LittleEndian.PutUint32(fixed[len(body):], crc32.ChecksumIEEE(body))
			inputs = append(inputs, fixed)
		}
		for _, in := range inputs {
			for _, o := range all(Constant(0.1)) {
				if err := o.UnmarshalBinary(in); err != nil {
					continue
				}
				out, _ := o.MarshalBinary()
				if !bytes.Equal(out, in) {
					t.Fatalf("%T accepted state that does not encode back to itself", o)
				}
				// Accepted state must be usable: step it on vectors of its size.
				st := stateOf(o)
				n := 3
				if st.sizes != nil {
					if len(st.sizes) != 1 || st.sizes[0] > 1<<16 {
						continue
					}
					n = st.sizes[0]
				}
				x := make([]float64, n)
				o.StepFlat(x, x)
				if o.Steps() != st.t {
					t.Fatalf("%T: Steps %d, state step %d", o, o.Steps(), st.t)
				}
			}
		}
	})
}
