package physionet

import (
	"errors"
	"strings"
	"testing"
)

// small is a hand-written record. Its bins (nearest hour, exact halves to
// the even hour) are worked out in TestParseRecordSmall.
const small = `Time,Parameter,Value
00:00,RecordID,7
00:00,Age,54
00:00,Gender,0
00:00,Height,-1
00:00,ICUType,4
00:00,Weight,-1
00:07,HR,73
00:30,HR,75
00:31,HR,80
01:29,HR,90
01:30,HR,100
02:30,HR,110
02:31,Temp,36.6
47:31,Urine,1.5e+02
48:00,Urine,50
48:29,Urine,10
`

func TestParseRecordSmall(t *testing.T) {
	rec, err := ParseRecord("small.txt", strings.NewReader(small), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != 7 {
		t.Errorf("ID = %d, want 7", rec.ID)
	}
	hr, temp, urine, weight := FeatureIndex("HR"), FeatureIndex("Temp"), FeatureIndex("Urine"), FeatureIndex("Weight")
	want := map[[2]int]float64{
		{0, weight}: -1,                    // the 00:00 descriptor, a measurement by default
		{0, hr}:     (73 + 75) / 2,         // 00:07 and 00:30 (0.5 rounds to the even 0)
		{1, hr}:     (80 + 90) / 2,         // 00:31 and 01:29
		{2, hr}:     (100 + 110) / 2,       // 01:30 (1.5 -> 2) and 02:30 (2.5 -> 2)
		{3, temp}:   36.6,                  // 02:31
		{48, urine}: (150 + 50 + 10) / 3.0, // 47:31, 48:00 and 48:29
	}
	for k := range RecordSize {
		tt, f := k/NumFeatures, k%NumFeatures
		w, obs := want[[2]int{tt, f}]
		if obs {
			if rec.Mask[k] != 1 || rec.Values[k] != w {
				t.Errorf("hour %d %s: value %v mask %v, want %v mask 1", tt, Features[f], rec.Values[k], rec.Mask[k], w)
			}
		} else if rec.Mask[k] != 0 || rec.Values[k] != 0 {
			t.Errorf("hour %d %s: value %v mask %v, want 0 mask 0", tt, Features[f], rec.Values[k], rec.Mask[k])
		}
	}

	// The challenge's -1 marker as missing.
	rec2, err := ParseRecord("small.txt", strings.NewReader(small), &Options{MinusOneMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	if rec2.Mask[weight] != 0 || rec2.Values[weight] != 0 {
		t.Errorf("MinusOneMissing: Weight at 00:00 value %v mask %v, want 0 mask 0", rec2.Values[weight], rec2.Mask[weight])
	}
	if rec2.Values[hr] != rec.Values[hr] {
		t.Errorf("MinusOneMissing changed HR at hour 0: %v, want %v", rec2.Values[hr], rec.Values[hr])
	}
}

func TestParseRecordVariants(t *testing.T) {
	// CRLF line ends, a byte-order mark, blank lines and no final newline
	// read the same as the plain file.
	base, err := ParseRecord("a", strings.NewReader(small), nil)
	if err != nil {
		t.Fatal(err)
	}
	variant := "\uFEFF" + strings.ReplaceAll(strings.TrimSuffix(small, "\n"), "\n", "\r\n\r\n")
	got, err := ParseRecord("b", strings.NewReader(variant), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := range RecordSize {
		if got.Values[k] != base.Values[k] || got.Mask[k] != base.Mask[k] {
			t.Fatalf("entry %d: %v/%v, want %v/%v", k, got.Values[k], got.Mask[k], base.Values[k], base.Mask[k])
		}
	}
}

func TestRoundHour(t *testing.T) {
	for _, c := range []struct{ minutes, hour int }{
		{0, 0}, {29, 0}, {30, 0}, {31, 1}, {89, 1}, {90, 2}, {150, 2}, {151, 3}, {210, 4},
		{47*60 + 30, 48}, {46*60 + 30, 46}, {48*60 + 29, 48},
	} {
		if got := roundHour(c.minutes); got != c.hour {
			t.Errorf("roundHour(%d) = %d, want %d", c.minutes, got, c.hour)
		}
	}
}

func TestParseRecordErrors(t *testing.T) {
	const head = "Time,Parameter,Value\n00:00,RecordID,7\n"
	for _, c := range []struct {
		name, text string
		kind       error
		line       int
		msg        string
	}{
		{"empty", "", ErrEmpty, 0, "empty"},
		{"blank", " \n\n", ErrEmpty, 0, "empty"},
		{"no header", "00:00,RecordID,7\n", ErrHeader, 1, "header"},
		{"bad header", "Time,Param,Value\n", ErrHeader, 1, "header"},
		{"header only", "Time,Parameter,Value\n", ErrRecordID, 0, "no RecordID"},
		{"truncated line", head + "00:07,HR\n", ErrLine, 3, "2 fields"},
		{"truncated line 2", head + "00:07\n", ErrLine, 3, "no comma"},
		{"extra field", head + "00:07,HR,73,1\n", ErrLine, 3, "more than 3"},
		{"bad time", head + "0007,HR,73\n", ErrTime, 3, "hh:mm"},
		{"bad minutes", head + "00:61,HR,73\n", ErrTime, 3, "hh:mm"},
		{"one-digit minutes", head + "00:7,HR,73\n", ErrTime, 3, "hh:mm"},
		{"negative time", head + "-1:00,HR,73\n", ErrTime, 3, "hh:mm"},
		{"no hours", head + ":07,HR,73\n", ErrTime, 3, "hh:mm"},
		{"past window", head + "48:30,HR,73\n", ErrTime, 3, "48-hour window"},
		{"unknown parameter", head + "00:07,HeartRate,73\n", ErrParameter, 3, `"HeartRate"`},
		{"case matters", head + "00:07,hr,73\n", ErrParameter, 3, `"hr"`},
		{"non-numeric", head + "00:07,HR,seventy\n", ErrValue, 3, `"seventy"`},
		{"empty value", head + "00:07,HR,\n", ErrValue, 3, `""`},
		{"NaN", head + "00:07,HR,NaN\n", ErrValue, 3, "finite"},
		{"Inf", head + "00:07,HR,+Inf\n", ErrValue, 3, "finite"},
		{"overflow", head + "00:07,HR,1e999\n", ErrValue, 3, "finite"},
		{"huge", head + "00:07,HR,-1e100\n", ErrValue, 3, "1e100"},
		{"bad descriptor", head + "00:00,Age,old\n", ErrValue, 3, "Age"},
		{"no RecordID", "Time,Parameter,Value\n00:07,HR,73\n", ErrRecordID, 0, "no RecordID"},
		{"two RecordIDs", head + "00:00,RecordID,8\n", ErrRecordID, 3, "second"},
		{"fractional RecordID", "Time,Parameter,Value\n00:00,RecordID,7.5\n", ErrRecordID, 2, "integer"},
		{"negative RecordID", "Time,Parameter,Value\n00:00,RecordID,-1\n", ErrRecordID, 2, "integer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := ParseRecord("r.txt", strings.NewReader(c.text), nil)
			if err == nil {
				t.Fatalf("no error, record %+v", rec.ID)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %v is not %v", err, c.kind)
			}
			if pe.File != "r.txt" || pe.Line != c.line {
				t.Errorf("error at %s:%d, want r.txt:%d", pe.File, pe.Line, c.line)
			}
			prefix := "physionet: r.txt:"
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q, want prefix %q and %q in it", err, prefix, c.msg)
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	seen := map[string]bool{}
	for i, f := range Features {
		if seen[f] {
			t.Errorf("feature %q twice", f)
		}
		seen[f] = true
		if FeatureIndex(f) != i {
			t.Errorf("FeatureIndex(%q) = %d, want %d", f, FeatureIndex(f), i)
		}
	}
	for _, d := range append(Descriptors[:], "RecordID", "Nope") {
		if FeatureIndex(d) != -1 {
			t.Errorf("FeatureIndex(%q) = %d, want -1", d, FeatureIndex(d))
		}
	}
}
