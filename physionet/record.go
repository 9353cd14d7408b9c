package physionet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Grid sizes of the preprocessed data.
const (
	// NumFeatures is the number of time-varying parameters kept.
	NumFeatures = 37
	// Hours is the length of the observation window of every record.
	Hours = 48
	// NumTimes is the number of hourly time points 0, 1, ..., Hours.
	NumTimes = Hours + 1
	// RecordSize is the number of values of one record, NumTimes*NumFeatures.
	RecordSize = NumTimes * NumFeatures
)

// Features names the NumFeatures time-varying parameters in the order of
// the feature axis, as spelled in the record files. It is the challenge's
// parameter list without the general descriptors Age, Gender, Height and
// ICUType; Weight, a descriptor that is also measured over time, is kept.
var Features = [NumFeatures]string{
	"Weight", "Albumin", "ALP", "ALT", "AST", "Bilirubin", "BUN", "Cholesterol",
	"Creatinine", "DiasABP", "FiO2", "GCS", "Glucose", "HCO3", "HCT", "HR", "K",
	"Lactate", "Mg", "MAP", "MechVent", "Na", "NIDiasABP", "NIMAP", "NISysABP",
	"PaCO2", "PaO2", "pH", "Platelets", "RespRate", "SaO2", "SysABP", "Temp",
	"TroponinI", "TroponinT", "Urine", "WBC",
}

// Descriptors are the general descriptors that a record file may contain
// besides its RecordID and that are dropped: they do not vary over time.
var Descriptors = [...]string{"Age", "Gender", "Height", "ICUType"}

// Header is the first line of every record file.
const Header = "Time,Parameter,Value"

// Parameter codes beyond the feature indices 0..NumFeatures-1.
const (
	paramRecordID   = -1
	paramDescriptor = -2
)

// params maps every parameter name a record may hold to its feature index,
// paramRecordID or paramDescriptor.
var params = func() map[string]int {
	m := make(map[string]int, NumFeatures+1+len(Descriptors))
	for i, f := range Features {
		m[f] = i
	}
	m["RecordID"] = paramRecordID
	for _, d := range Descriptors {
		m[d] = paramDescriptor
	}
	return m
}()

// FeatureIndex returns the position of the named parameter on the feature
// axis, or -1 if it is not one of Features.
func FeatureIndex(name string) int {
	if i, ok := params[name]; ok && i >= 0 {
		return i
	}
	return -1
}

// Kinds of malformed input, wrapped by every *ParseError: test with
// errors.Is.
var (
	ErrEmpty     = errors.New("physionet: empty record file")
	ErrHeader    = errors.New("physionet: missing header")
	ErrLine      = errors.New("physionet: malformed line")
	ErrTime      = errors.New("physionet: bad time")
	ErrParameter = errors.New("physionet: unknown parameter")
	ErrValue     = errors.New("physionet: bad value")
	ErrRecordID  = errors.New("physionet: bad or missing RecordID")
)

// ParseError reports malformed input: the file, the 1-based line (0 when
// the problem concerns the whole file), what is wrong and how to fix it.
// Kind is one of the Err* values of this package.
type ParseError struct {
	File string
	Line int
	Kind error
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("physionet: %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("physionet: %s: %s", e.File, e.Msg)
}

// Unwrap returns Kind.
func (e *ParseError) Unwrap() error { return e.Kind }

// Options adjusts how records are read. The zero value, and a nil
// *Options, follow the latent-ODE preprocessing of Rubanova et al. (2019)
// as used by Kelly et al. (2020) and Pal et al. (2021).
type Options struct {
	// MinusOneMissing treats a value of exactly -1 as not measured: it
	// gets mask 0 and does not enter the bin mean or the statistics. The
	// challenge uses -1 to mark a missing general descriptor; among the
	// kept features this affects only Weight at 00:00. By default (false)
	// -1 is an ordinary measurement, as in the reference preprocessing.
	MinusOneMissing bool
}

// Record is one ICU stay on the hourly grid.
type Record struct {
	// ID is the stay's RecordID.
	ID int
	// Values holds RecordSize values, row-major [time][feature]: at
	// Values[t*NumFeatures+f] the mean of the measurements of Features[f]
	// whose time rounds to hour t, in the file's units; 0 where there is
	// none.
	Values []float64
	// Mask has the layout of Values: 1 where the bin holds at least one
	// measurement, 0 elsewhere.
	Mask []float64
}

// ParseRecord reads one record file (header line, then lines
// Time,Parameter,Value) from r. The name identifies the file in errors.
// Malformed input yields a *ParseError naming the file and the line.
func ParseRecord(name string, r io.Reader, opts *Options) (*Record, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("physionet: reading %s: %w", name, err)
	}
	var p parser
	id, err := p.parse(name, data, opts)
	if err != nil {
		return nil, err
	}
	rec := &Record{ID: id, Values: make([]float64, RecordSize), Mask: make([]float64, RecordSize)}
	for _, o := range p.appendObserved(nil) {
		rec.Values[o.k], rec.Mask[o.k] = o.mean, 1
	}
	return rec, nil
}

// parser holds the per-record accumulators, reused across records.
type parser struct {
	sum   [RecordSize]float64
	count [RecordSize]int32
}

// maxMagnitude bounds the magnitude of a value: far above any measurement
// (set-a's largest is 18430), and low enough that no bin sum overflows.
const maxMagnitude = 1e100

// maxMinutes is the last time whose hour rounds into the grid: 48:29.
const maxMinutes = Hours*60 + 29

// parse reads one record file from data into the accumulators and
// returns its RecordID.
func (p *parser) parse(name string, data []byte, opts *Options) (int, error) {
	minusOneMissing := opts != nil && opts.MinusOneMissing
	fail := func(line int, kind error, format string, args ...any) (int, error) {
		return 0, &ParseError{File: name, Line: line, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(0, ErrEmpty, "the file is empty; want the header %q followed by Time,Parameter,Value lines", Header)
	}
	clear(p.sum[:])
	clear(p.count[:])

	id, haveID := 0, false
	lineNo := 0
	header := false
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if !header {
			if string(bytes.TrimSpace(line)) != Header {
				return fail(lineNo, ErrHeader, "first line is %q, want the header %q: is this a PhysioNet 2012 record file?", clip(line), Header)
			}
			header = true
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		c1 := bytes.IndexByte(line, ',')
		if c1 < 0 {
			return fail(lineNo, ErrLine, "line %q has no comma; want Time,Parameter,Value (a truncated line?)", clip(line))
		}
		c2 := bytes.IndexByte(line[c1+1:], ',')
		if c2 < 0 {
			return fail(lineNo, ErrLine, "line %q has 2 fields; want 3, Time,Parameter,Value (a truncated line?)", clip(line))
		}
		c2 += c1 + 1
		if bytes.IndexByte(line[c2+1:], ',') >= 0 {
			return fail(lineNo, ErrLine, "line %q has more than 3 fields; want Time,Parameter,Value", clip(line))
		}
		tf, pf, vf := line[:c1], line[c1+1:c2], line[c2+1:]

		minutes, ok := parseTime(tf)
		if !ok {
			return fail(lineNo, ErrTime, "time %q is not hh:mm (hours, then two digits of minutes below 60)", clip(tf))
		}
		if minutes > maxMinutes {
			return fail(lineNo, ErrTime, "time %q is past the %d-hour window (the last time kept is %02d:29, which rounds to hour %d)", clip(tf), Hours, Hours, Hours)
		}
		param, ok := params[string(pf)]
		if !ok {
			return fail(lineNo, ErrParameter, "parameter %q is not a PhysioNet 2012 parameter; want RecordID, a general descriptor (Age, Gender, Height, ICUType) or one of the %d time series names such as HR", clip(pf), NumFeatures)
		}
		v, err := strconv.ParseFloat(string(vf), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fail(lineNo, ErrValue, "value %q of %s is not a finite decimal number", clip(vf), pf)
		}
		if math.Abs(v) >= maxMagnitude {
			return fail(lineNo, ErrValue, "value %q of %s is beyond +-1e100, not a measurement (and bin sums could overflow)", clip(vf), pf)
		}

		switch {
		case param == paramRecordID:
			if haveID {
				return fail(lineNo, ErrRecordID, "second RecordID line; a file holds one ICU stay")
			}
			if v < 0 || v != math.Trunc(v) || v > math.MaxInt32 {
				return fail(lineNo, ErrRecordID, "RecordID %q is not a non-negative integer", clip(vf))
			}
			id, haveID = int(v), true
		case param == paramDescriptor:
			// Static: dropped.
		case minusOneMissing && v == -1:
			// The challenge's marker for "not measured".
		default:
			k := roundHour(minutes)*NumFeatures + param
			p.sum[k] += v
			p.count[k]++
		}
	}
	if !header {
		return fail(0, ErrHeader, "no header line %q", Header)
	}
	if !haveID {
		return fail(0, ErrRecordID, "no RecordID line; every record file starts with 00:00,RecordID,<id>")
	}
	return id, nil
}

// observed is one observed bin of a record: its index into the record's
// RecordSize values and its mean.
type observed struct {
	k    int32
	mean float64
}

// appendObserved appends the observed bins of the last parsed record, in
// index order.
func (p *parser) appendObserved(dst []observed) []observed {
	for k, n := range p.count {
		if n != 0 {
			dst = append(dst, observed{int32(k), p.sum[k] / float64(n)})
		}
	}
	return dst
}

// parseTime reads "h...h:mm" (one to four digits of hours, exactly two of
// minutes below 60) as minutes since admission.
func parseTime(b []byte) (int, bool) {
	c := bytes.IndexByte(b, ':')
	if c < 1 || c > 4 || len(b)-c-1 != 2 {
		return 0, false
	}
	h := 0
	for _, d := range b[:c] {
		if d < '0' || d > '9' {
			return 0, false
		}
		h = 10*h + int(d-'0')
	}
	m0, m1 := b[c+1], b[c+2]
	if m0 < '0' || m0 > '5' || m1 < '0' || m1 > '9' {
		return 0, false
	}
	return 60*h + 10*int(m0-'0') + int(m1-'0'), true
}

// roundHour returns the hour nearest to the given minutes since admission,
// halves (hh:30) rounded to the even hour. This is Python's round(h + m/60)
// of the reference preprocessing, computed exactly.
func roundHour(minutes int) int {
	h, m := minutes/60, minutes%60
	if m > 30 || (m == 30 && h%2 == 1) {
		h++
	}
	return h
}

// clip returns b as a string of at most 40 bytes for an error message.
func clip(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
