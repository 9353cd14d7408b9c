package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fakeClock(step time.Duration) func() time.Time {
	var t time.Time
	return func() time.Time { t = t.Add(step); return t }
}

func TestProgressLogLines(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false)
	p.Every = 2
	p.Now = fakeClock(time.Second)
	p.Begin(Info{Name: "run", Total: 5})
	for i := 1; i <= 5; i++ {
		p.Record(Metrics{Iteration: i, Loss: 0.5 / float64(i), NFE: 100 + i, Elapsed: float64(i)})
	}
	p.End(Result{Iterations: 5}, nil)
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"run: 5 iterations",
		"run 2/5 loss 0.25 NFE 102 elapsed 0:02 ETA 0:03",
		"run 4/5 loss 0.125 NFE 104 elapsed 0:04 ETA 0:01",
		"run 5/5 loss 0.1 NFE 105 elapsed 0:05 ETA 0:00",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProgressTerminalBar(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, true)
	p.Now = fakeClock(time.Second)
	p.Begin(Info{Name: "run", Total: 4, Start: 2})
	p.Record(Metrics{Iteration: 3, Loss: 1, NFE: 7, Elapsed: 30})
	p.Record(Metrics{Iteration: 4, Loss: 1, NFE: 7, Elapsed: 31})
	p.End(Result{Iterations: 4}, nil)
	out := buf.String()
	if strings.Count(out, "\r\x1b[K") != 2 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("terminal output %q: want two redraws and a final newline", out)
	}
	if !strings.Contains(out, "[==================      ] 3/4 loss 1 NFE 7 elapsed 0:30 ETA 0:01") {
		t.Errorf("first redraw missing or wrong in %q", out)
	}
	if !strings.Contains(out, "[========================] 4/4") {
		t.Errorf("final bar missing in %q", out)
	}
}

func TestProgressReportsInterrupt(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false)
	p.Begin(Info{Name: "r", Total: 9})
	p.End(Result{}, &InterruptedError{Iteration: 3, Total: 9, Cause: context.Canceled})
	if !strings.Contains(buf.String(), "r: interrupted after iteration 3 of 9") {
		t.Fatalf("output %q", buf.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file reported as a terminal")
	}
	if dev, err := os.Open(os.DevNull); err == nil {
		defer dev.Close()
		if !IsTerminal(dev) {
			t.Error("the null device is a character device and should count as one")
		}
	}
}

func TestJSONLRoundTripAndTrim(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONL(&buf)
	ms := []Metrics{
		{Run: "a", Iteration: 1, Loss: 0.1, Objective: 0.2, Regularizers: map[string]float64{"error": 0.3, "stiffness": 4}, NFE: 50, BackwardNFE: 40, WallTime: 0.01, Elapsed: 0.01},
		{Run: "a", Iteration: 2, Loss: 0.05, NFE: 56, Elapsed: 0.02},
		{Run: "b", Iteration: 1, Loss: 1, NFE: 20, EndTime: 1.25},
	}
	j.Begin(Info{})
	for _, m := range ms {
		j.Record(m)
	}
	j.End(Result{}, nil)
	if j.Err() != nil {
		t.Fatal(j.Err())
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d lines, want 3", n)
	}
	got, err := ReadMetrics(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Regularizers["stiffness"] != 4 || got[0].BackwardNFE != 40 || got[2].EndTime != 1.25 || got[1].Elapsed != 0.02 {
		t.Fatalf("read back %+v", got)
	}

	path := filepath.Join(t.TempDir(), "m.jsonl")
	// A crash may cut the last line short.
	os.WriteFile(path, append(bytes.Clone(buf.Bytes()), []byte(`{"run":"a","itera`)...), 0o644)
	if err := TrimMetrics(path, func(m Metrics) bool { return m.Run != "a" || m.Iteration <= 1 }); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	kept, err := ReadMetrics(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || kept[0].Run != "a" || kept[0].Iteration != 1 || kept[1].Run != "b" {
		t.Fatalf("kept %+v", kept)
	}
	if err := TrimMetrics(filepath.Join(t.TempDir(), "none"), nil); err != nil {
		t.Errorf("missing metrics file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("not json\n{}\n"), 0o644)
	if err := TrimMetrics(bad, func(Metrics) bool { return true }); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("garbled metrics file: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONLKeepsWriteError(t *testing.T) {
	j := NewJSONL(failWriter{})
	j.Record(Metrics{Iteration: 1})
	j.Record(Metrics{Iteration: 2})
	if err := j.Err(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Err() = %v", err)
	}
}
