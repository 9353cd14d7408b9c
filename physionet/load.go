package physionet

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Dataset holds N records on the hourly grid, each RecordSize values,
// record after record.
type Dataset struct {
	// IDs holds the RecordID of each record.
	IDs []int
	// Values holds len(IDs)*RecordSize values, row-major
	// [record][time][feature]: record i at Values[i*RecordSize:(i+1)*RecordSize],
	// laid out as Record.Values. Unobserved entries are 0.
	Values []float64
	// Mask has the layout of Values: 1 for an observed entry, 0 elsewhere.
	Mask []float64
	// Stats is nil while Values are in the files' units and the statistics
	// used once Normalize has produced the Dataset.
	Stats *Stats
}

// Len returns the number of records.
func (d *Dataset) Len() int { return len(d.IDs) }

// Record returns record i; its Values and Mask are subslices of the
// Dataset's (not copies).
func (d *Dataset) Record(i int) Record {
	lo, hi := i*RecordSize, (i+1)*RecordSize
	return Record{ID: d.IDs[i], Values: d.Values[lo:hi:hi], Mask: d.Mask[lo:hi:hi]}
}

// Subset returns a new Dataset holding copies of the records idx, in that
// order. It panics if an index is out of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{
		IDs:    make([]int, len(idx)),
		Values: make([]float64, len(idx)*RecordSize),
		Mask:   make([]float64, len(idx)*RecordSize),
		Stats:  d.Stats,
	}
	for r, i := range idx {
		if i < 0 || i >= d.Len() {
			panic(fmt.Sprintf("physionet: Dataset.Subset: index %d out of range for %d records", i, d.Len()))
		}
		s.IDs[r] = d.IDs[i]
		copy(s.Values[r*RecordSize:(r+1)*RecordSize], d.Values[i*RecordSize:(i+1)*RecordSize])
		copy(s.Mask[r*RecordSize:(r+1)*RecordSize], d.Mask[i*RecordSize:(i+1)*RecordSize])
	}
	return s
}

// Times returns the NumTimes time points of the grid rescaled to [0, 1]:
// hour t at t/Hours.
func Times() []float64 {
	ts := make([]float64, NumTimes)
	for t := range ts {
		ts[t] = float64(t) / Hours
	}
	return ts
}

// IsRecordFile reports whether a file name (without directory) is that of
// a record file, <RecordID>.txt with a decimal RecordID. Other files in a
// folder or archive, such as Outcomes-a.txt, are ignored by the loaders.
func IsRecordFile(name string) bool {
	stem, ok := strings.CutSuffix(name, ".txt")
	if !ok || stem == "" || len(stem) > 9 {
		return false
	}
	for _, c := range []byte(stem) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Load reads every record file of path, which is either a folder of
// <RecordID>.txt files (such as set-a of the challenge) or a gzip-compressed
// tar archive of one (such as set-a.tar.gz, see DefaultArchive). The
// records are sorted by RecordID. A nil opts means the defaults.
func Load(path string, opts *Options) (*Dataset, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("physionet: %w; pass a folder of PhysioNet 2012 record files or a .tar.gz of one", err)
	}
	if st.IsDir() {
		return ReadDir(path, opts)
	}
	return ReadArchive(path, opts)
}

// ReadDir reads the record files <RecordID>.txt of a folder (not its
// subfolders), sorted by RecordID.
func ReadDir(dir string, opts *Options) (*Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("physionet: %w", err)
	}
	var b builder
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsRecordFile(e.Name()) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("physionet: %w", err)
		}
		if err := b.add(name, e.Name(), data, opts); err != nil {
			return nil, err
		}
	}
	return b.finish(dir)
}

// ReadArchive reads the record files <RecordID>.txt of a gzip-compressed
// tar archive, at any depth inside it, sorted by RecordID. Errors name the
// file as archive:member.
func ReadArchive(archive string, opts *Options) (*Dataset, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, fmt.Errorf("physionet: %w", err)
	}
	defer f.Close()
	return readArchive(archive, f, opts)
}

func readArchive(archive string, r io.Reader, opts *Options) (*Dataset, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("physionet: %s is not a gzip-compressed archive (%v); pass a folder of record files or a .tar.gz of one", archive, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var b builder
	var data []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("physionet: reading archive %s: %w", archive, err)
		}
		base := path.Base(h.Name)
		if h.Typeflag != tar.TypeReg || !IsRecordFile(base) {
			continue
		}
		if h.Size < 0 || h.Size > maxRecordBytes {
			return nil, fmt.Errorf("physionet: %s:%s: %d bytes, more than the %d a record file may hold", archive, h.Name, h.Size, maxRecordBytes)
		}
		data = slices.Grow(data[:0], int(h.Size))[:h.Size]
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, fmt.Errorf("physionet: reading %s:%s: %w", archive, h.Name, err)
		}
		if err := b.add(archive+":"+h.Name, base, data, opts); err != nil {
			return nil, err
		}
	}
	return b.finish(archive)
}

// maxRecordBytes bounds one record file in an archive; the largest file
// of set-a has about 30 KB.
const maxRecordBytes = 64 << 20

// builder collects parsed records, sparsely until finish.
type builder struct {
	p     parser
	ids   []int
	start []int // start[i]: first entry of record i in obs
	obs   []observed
	name  map[int]string // file of each RecordID, to report duplicates
}

func (b *builder) add(name, base string, data []byte, opts *Options) error {
	id, err := b.p.parse(name, data, opts)
	if err != nil {
		return err
	}
	if want, _ := strconv.Atoi(strings.TrimSuffix(base, ".txt")); id != want {
		return &ParseError{File: name, Kind: ErrRecordID, Msg: fmt.Sprintf("RecordID %d does not match the file name; a file <RecordID>.txt holds that stay", id)}
	}
	if b.name == nil {
		b.name = make(map[int]string)
	}
	if prev, dup := b.name[id]; dup {
		return &ParseError{File: name, Kind: ErrRecordID, Msg: fmt.Sprintf("RecordID %d also in %s; each stay must appear once", id, prev)}
	}
	b.name[id] = name
	b.ids = append(b.ids, id)
	b.start = append(b.start, len(b.obs))
	b.obs = b.p.appendObserved(b.obs)
	return nil
}

// finish lays the records out densely, sorted by RecordID.
func (b *builder) finish(src string) (*Dataset, error) {
	n := len(b.ids)
	if n == 0 {
		return nil, fmt.Errorf("physionet: %s holds no record files <RecordID>.txt; pass a folder of PhysioNet 2012 record files or a .tar.gz of one", src)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return b.ids[i] - b.ids[j] })
	b.start = append(b.start, len(b.obs))
	d := &Dataset{IDs: make([]int, n), Values: make([]float64, n*RecordSize), Mask: make([]float64, n*RecordSize)}
	for r, i := range order {
		d.IDs[r] = b.ids[i]
		vals, mask := d.Values[r*RecordSize:(r+1)*RecordSize], d.Mask[r*RecordSize:(r+1)*RecordSize]
		for _, o := range b.obs[b.start[i]:b.start[i+1]] {
			vals[o.k], mask[o.k] = o.mean, 1
		}
	}
	return d, nil
}
