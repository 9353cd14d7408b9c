package physionet

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(""))
	f.Add([]byte("Time,Parameter,Value"))
	f.Add([]byte("Time,Parameter,Value\r\n00:00,RecordID,1\r\n00:30,HR,1e3\r\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n48:29,Urine,-1\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n48:30,Urine,5\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n00:07,HR\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n00:07,HR,NaN\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n00:07,Foo,1\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n9999:07,HR,1\n"))
	f.Add([]byte("Time,Parameter,Value\n00:00,RecordID,1\n00:07,HR,1e99\n00:08,HR,9e99\n"))
	f.Add([]byte("\uFEFFTime,Parameter,Value\n00:00,RecordID,0x1p3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecord("fuzz.txt", bytes.NewReader(data), nil)
		rec2, err2 := ParseRecord("fuzz.txt", bytes.NewReader(data), &Options{MinusOneMissing: true})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("the options change whether the input is accepted: %v / %v", err, err2)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.txt" || !strings.HasPrefix(err.Error(), "physionet: fuzz.txt") {
				t.Fatalf("error %v (%T) is not a *ParseError naming the file", err, err)
			}
			if pe.Kind == nil || !errors.Is(err, pe.Kind) || err.Error() != err2.Error() {
				t.Fatalf("error %v has no kind, or differs from %v", err, err2)
			}
			return
		}
		if rec.ID != rec2.ID || rec.ID < 0 {
			t.Fatalf("IDs %d and %d", rec.ID, rec2.ID)
		}
		for _, r := range []*Record{rec, rec2} {
			if len(r.Values) != RecordSize || len(r.Mask) != RecordSize {
				t.Fatalf("record with %d values and %d mask entries", len(r.Values), len(r.Mask))
			}
			for k, m := range r.Mask {
				v := r.Values[k]
				switch {
				case m != 0 && m != 1:
					t.Fatalf("mask entry %d is %v", k, m)
				case m == 0 && v != 0:
					t.Fatalf("unobserved entry %d holds %v", k, v)
				case math.IsNaN(v) || math.IsInf(v, 0):
					t.Fatalf("entry %d is %v", k, v)
				}
			}
		}
		for k := range rec2.Mask {
			if rec2.Mask[k] > rec.Mask[k] {
				t.Fatalf("entry %d observed only with MinusOneMissing", k)
			}
		}
	})
}
