package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
)

// Recorder receives a run's progress: Begin once, Record after every
// completed iteration, End once with the run's result and error.
type Recorder interface {
	Begin(info Info)
	Record(m Metrics)
	End(res Result, err error)
}

var (
	_ Recorder = (*Progress)(nil)
	_ Recorder = (*JSONL)(nil)
)

// IsTerminal reports whether f is a terminal (a character device), the test
// for drawing a progress bar rather than printing log lines.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Progress shows a run's progress on w. On a terminal it redraws one line
// (bar, iteration, loss, NFE, elapsed time, ETA) at most every Refresh; on
// anything else it prints a plain log line every Every iterations and at the
// end.
type Progress struct {
	w        io.Writer
	terminal bool
	// Every is the log-line interval off a terminal; 0 means a tenth of
	// the run.
	Every int
	// Refresh is the shortest time between redraws on a terminal; 0 means
	// 100 ms.
	Refresh time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	info     Info
	begin    time.Time
	lastDraw time.Time
	last     Metrics
	drawn    bool
}

// NewProgress returns a Progress writing to w; terminal selects the
// redrawn bar (use IsTerminal(os.Stderr)).
func NewProgress(w io.Writer, terminal bool) *Progress {
	return &Progress{w: w, terminal: terminal}
}

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Begin starts the display of a run.
func (p *Progress) Begin(info Info) {
	p.info = info
	p.begin = p.now()
	p.lastDraw = time.Time{}
	p.drawn = false
	if !p.terminal {
		if info.Start > 0 {
			fmt.Fprintf(p.w, "%s: resuming at iteration %d of %d\n", info.Name, info.Start, info.Total)
		} else {
			fmt.Fprintf(p.w, "%s: %d iterations\n", info.Name, info.Total)
		}
	}
}

// eta estimates the time left from this session's pace.
func (p *Progress) eta(now time.Time) time.Duration {
	done := p.last.Iteration - p.info.Start
	if done <= 0 {
		return 0
	}
	per := now.Sub(p.begin) / time.Duration(done)
	return per * time.Duration(p.info.Total-p.last.Iteration)
}

func (p *Progress) line(now time.Time, bar bool) string {
	var b strings.Builder
	if p.info.Name != "" {
		b.WriteString(p.info.Name)
		b.WriteString(" ")
	}
	if bar {
		const width = 24
		fill := 0
		if p.info.Total > 0 {
			fill = width * p.last.Iteration / p.info.Total
		}
		b.WriteString("[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "] ")
	}
	fmt.Fprintf(&b, "%d/%d loss %.4g NFE %d elapsed %s ETA %s", p.last.Iteration, p.info.Total,
		p.last.Loss, p.last.NFE, clock(time.Duration(p.last.Elapsed*float64(time.Second))), clock(p.eta(now)))
	return b.String()
}

// clock formats d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Record shows the iteration's metrics.
func (p *Progress) Record(m Metrics) {
	p.last = m
	now := p.now()
	if p.terminal {
		refresh := p.Refresh
		if refresh == 0 {
			refresh = 100 * time.Millisecond
		}
		if m.Iteration == p.info.Total || now.Sub(p.lastDraw) >= refresh {
			fmt.Fprintf(p.w, "\r\x1b[K%s", p.line(now, true))
			p.lastDraw = now
			p.drawn = true
		}
		return
	}
	every := p.Every
	if every <= 0 {
		every = max(1, p.info.Total/10)
	}
	if m.Iteration%every == 0 || m.Iteration == p.info.Total {
		fmt.Fprintln(p.w, p.line(now, false))
	}
}

// End closes the display with the run's outcome.
func (p *Progress) End(res Result, err error) {
	if p.terminal && p.drawn {
		fmt.Fprintln(p.w)
	}
	var ie *InterruptedError
	switch {
	case errors.As(err, &ie):
		fmt.Fprintf(p.w, "%s: interrupted after iteration %d of %d\n", p.info.Name, ie.Iteration, ie.Total)
	case err != nil:
		fmt.Fprintf(p.w, "%s: failed: %v\n", p.info.Name, err)
	}
}

// JSONL writes every iteration's Metrics as one JSON object per line.
// Write errors are kept: check Err after the run.
type JSONL struct {
	w   io.Writer
	err error
}

// NewJSONL returns a JSONL recorder writing to w.
func NewJSONL(w io.Writer) *JSONL { return &JSONL{w: w} }

// Begin does nothing.
func (j *JSONL) Begin(Info) {}

// Record writes m as one line.
func (j *JSONL) Record(m Metrics) {
	if j.err != nil {
		return
	}
	b, err := json.Marshal(m)
	if err != nil {
		j.err = fmt.Errorf("train: encoding metrics: %w", err)
		return
	}
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		j.err = fmt.Errorf("train: writing metrics: %w", err)
	}
}

// End flushes w if it has a Flush method.
func (j *JSONL) End(Result, error) {
	if f, ok := j.w.(interface{ Flush() error }); ok && j.err == nil {
		if err := f.Flush(); err != nil {
			j.err = fmt.Errorf("train: writing metrics: %w", err)
		}
	}
}

// Err returns the first error met while writing.
func (j *JSONL) Err() error { return j.err }

// ReadMetrics parses a JSONL metrics stream written by JSONL.
func ReadMetrics(r io.Reader) ([]Metrics, error) {
	var out []Metrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(b, &m); err != nil {
			return out, fmt.Errorf("train: metrics line %d: %v", line, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("train: reading metrics: %w", err)
	}
	return out, nil
}

// TrimMetrics rewrites the JSONL metrics file at path (atomically) keeping
// only the lines for which keep is true, for example the lines of a run up to
// the iteration its checkpoint holds before resuming it. A missing file is
// not an error.
func TrimMetrics(path string, keep func(Metrics) bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: reading metrics: %w", err)
	}
	var out bytes.Buffer
	for i, b := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(b, &m); err != nil {
			// A line cut by a crash can only be the last one.
			if i == bytes.Count(data, []byte("\n")) {
				break
			}
			return fmt.Errorf("train: metrics file %s line %d: %v; fix or remove the file", path, i+1, err)
		}
		if keep(m) {
			out.Write(b)
			out.WriteByte('\n')
		}
	}
	return atomicfile.Write("train", path, out.Bytes())
}
