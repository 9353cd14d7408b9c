package report

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func f64(v float64) *float64 { return &v }

func sampleRuns() []Run {
	return []Run{
		{Method: "error", Seed: 1, Iterations: 10, TrainTimeS: 1, PredictTimeS: 0.001, NFE: 100, TrainLoss: 0.2},
		{Method: "vanilla", Seed: 1, Iterations: 10, TrainTimeS: 2, PredictTimeS: 0.002, NFE: 200, TrainLoss: 0.1},
		{Method: "vanilla", Seed: 2, Iterations: 10, TrainTimeS: 4, PredictTimeS: 0.004, NFE: 300, TrainLoss: 0.3},
		{Method: "error", Seed: 2, Iterations: 10, TrainTimeS: 3, PredictTimeS: 0.003, NFE: 140, TrainLoss: 0.4},
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(sampleRuns(), []string{"vanilla", "stiffness", "error"})
	if len(s) != 2 || s[0].Method != "vanilla" || s[1].Method != "error" {
		t.Fatalf("methods %+v, want vanilla then error (stiffness has no runs)", s)
	}
	v := s[0]
	// Values 200, 300: mean 250, sample std sqrt(((50)^2*2)/1) = 70.71.
	if v.N != 2 || v.NFEMean != 250 || math.Abs(v.NFEStd-50*math.Sqrt2) > 1e-12 {
		t.Errorf("vanilla NFE %v ± %v (n %d)", v.NFEMean, v.NFEStd, v.N)
	}
	if v.TrainTimeMeanS != 3 || math.Abs(v.TrainTimeStdS-math.Sqrt2) > 1e-12 || v.PredictTimeMeanS != 0.003 || math.Abs(v.TrainLossMean-0.2) > 1e-15 {
		t.Errorf("vanilla summary %+v", v)
	}
	if v.TestLossMean != nil || v.TestAccuracyMean != nil {
		t.Error("test statistics of runs without a test set must be null")
	}
	one := Summarize([]Run{{Method: "m", NFE: 7, TestAccuracy: f64(0.9)}}, nil)
	if one[0].NFEStd != 0 || one[0].NFEMean != 7 || one[0].TestAccuracyMean == nil || *one[0].TestAccuracyMean != 0.9 || *one[0].TestAccuracyStd != 0 {
		t.Errorf("single run: %+v", one[0])
	}
	mixed := Summarize([]Run{{Method: "m", TestLoss: f64(1)}, {Method: "m"}}, nil)
	if mixed[0].TestLossMean != nil {
		t.Error("a test mean over runs that do not all have it must be null")
	}
}

func sampleResults() *Results {
	runs := sampleRuns()
	return &Results{
		Task: "toy",
		Paper: Paper{Source: "Figure 0", Notes: []string{"Only NFE is reported."}, Rows: []PaperRow{
			{Method: "vanilla", NFE: &Stat{1083, 57.55}},
			{Method: "error", NFE: &Stat{676.2, 68.2}, PredictTimeS: &Stat{Mean: 0.5}},
		}},
		Config:  map[string]any{"iterations": 10, "tol": 1e-6},
		Runs:    runs,
		Summary: Summarize(runs, []string{"vanilla", "error"}),
	}
}

func TestJSONRoundTripAndSchema(t *testing.T) {
	r := sampleResults()
	r.Runs[0].TestLoss = f64(0.5)
	path := filepath.Join(t.TempDir(), "out.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, key := range []string{`"task": "toy"`, `"paper"`, `"config"`, `"runs"`, `"summary"`, `"train_time_s"`, `"predict_time_s"`,
		`"test_loss": 0.5`, `"test_accuracy": null`, `"nfe_mean"`, `"nfe_std"`, `"train_time_mean_s"`, `"predict_time_mean_s"`,
		`"train_loss_mean"`, `"test_loss_mean": null`, `"test_accuracy_mean": null`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("results JSON lacks %s", key)
		}
	}
	back, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Task != "toy" || len(back.Runs) != 4 || *back.Runs[0].TestLoss != 0.5 || back.Runs[1].TestLoss != nil ||
		back.Summary[0].NFEMean != 250 || back.Paper.Row("error").NFE.Mean != 676.2 || back.Config.(map[string]any)["tol"] != 1e-6 {
		t.Fatalf("read back %+v", back)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"task":"x","extra":1}`), 0o644)
	if _, err := ReadJSON(bad); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("unknown field accepted: %v", err)
	}
	r.Runs[2].TrainLoss = math.NaN()
	if err := r.WriteJSON(path); err == nil || !strings.Contains(err.Error(), "vanilla seed 2") {
		t.Errorf("NaN loss: %v", err)
	}
	if err := (&Results{}).WriteJSON(path); err == nil {
		t.Error("results without a task written")
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	if err := Table(&buf, sampleResults(), nil); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	want := `| method | n | train loss | train time (s) | predict time (ms) | NFE | NFE / vanilla | loss / vanilla | train time / vanilla | paper NFE | paper predict time (s) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| vanilla | 2 | 0.2 ± 0.141 | 3 ± 1.41 | 3 ± 1.41 | 250.0 ± 70.7 | 1.00 | 1.00 | 1.00 | 1083 ± 57.55 | — |
| error | 2 | 0.3 ± 0.141 | 2 ± 1.41 | 2 ± 1.41 | 120.0 ± 28.3 | 0.48 | 1.50 | 0.67 | 676.2 ± 68.2 | 0.5 |

Paper: Figure 0. Only NFE is reported.
`
	if got != want {
		t.Fatalf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableTestColumnsAndNoBaseline(t *testing.T) {
	runs := []Run{{Method: "a", NFE: 10, TrainTimeS: 5, PredictTimeS: 2, TestAccuracy: f64(0.9794), TestLoss: f64(0.1)}}
	r := &Results{Task: "t", Runs: runs, Summary: Summarize(runs, nil),
		Paper: Paper{Rows: []PaperRow{{Method: "a", TestAccuracy: &Stat{0.9794, 0.0002}}}}}
	var buf bytes.Buffer
	if err := Table(&buf, r, &TableOptions{Baseline: "vanilla"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"test loss", "test accuracy (%)", "97.94 ± 0.00", "train time (s)", "predict time (s)", "paper test accuracy (%)", "97.94 ± 0.02"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "/ vanilla") {
		t.Errorf("ratio columns without a baseline:\n%s", out)
	}
}

func TestFigures(t *testing.T) {
	dir := t.TempDir()
	xs := []float64{0, 1, 2, 3}
	panels := []Panel{
		{Title: "a", XLabel: "u1", YLabel: "u2", Points: []Series{{Name: "data", X: xs, Y: xs}}, Lines: []Series{{Name: "fit", X: xs, Y: []float64{0, 1.1, 1.9, 3}}}},
		{Title: "b", Points: []Series{{X: xs, Y: xs}}},
		{Title: "c", Lines: []Series{{Name: "l", X: xs, Y: []float64{1, 10, 100, math.NaN()}}}, LogY: true},
	}
	path := filepath.Join(dir, "p.png")
	if err := Panels(path, panels, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	// Two columns by two rows of 4 x 3.4 inch panels at 96 dpi.
	if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 653 {
		t.Errorf("image %v, want 768 x 653", b)
	}
	// Something was drawn: the image is not one flat colour.
	first := img.At(0, 0)
	varied := false
	for y := 0; y < img.Bounds().Dy() && !varied; y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			if img.At(x, y) != first {
				varied = true
				break
			}
		}
	}
	if !varied {
		t.Error("the figure is blank")
	}
	if err := Lines(filepath.Join(dir, "l.png"), Panel{Lines: []Series{{Name: "x", X: xs, Y: xs[:2]}}}); err == nil || !strings.Contains(err.Error(), `series "x"`) {
		t.Errorf("mismatched series: %v", err)
	}
	if err := Panels(filepath.Join(dir, "none.png"), nil, 1); err == nil {
		t.Error("no panels accepted")
	}
	if err := Lines(filepath.Join(dir, "missing", "l.png"), panels[0]); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestMeanCurveSmoothRange(t *testing.T) {
	m := MeanCurve([][]float64{{1, 2, 3}, {3, 4}})
	if len(m) != 2 || m[0] != 2 || m[1] != 3 {
		t.Errorf("MeanCurve = %v", m)
	}
	s := Smooth([]float64{0, 3, 6, 9}, 1)
	want := []float64{1.5, 3, 6, 7.5}
	for i := range want {
		if math.Abs(s[i]-want[i]) > 1e-12 {
			t.Fatalf("Smooth = %v, want %v", s, want)
		}
	}
	if r := Range(3); r[0] != 1 || r[2] != 3 {
		t.Errorf("Range = %v", r)
	}
}

func TestLinesSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.png")
	xs := []float64{1, 2, 3}
	if err := Lines(path, Panel{Title: "NFE", Lines: []Series{{Name: "a", X: xs, Y: xs}, {Name: "b", X: xs, Y: []float64{3, 2, 1}}}}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 672 || cfg.Height != 432 {
		t.Errorf("PNG %dx%d (%v), want 672x432", cfg.Width, cfg.Height, err)
	}
}

// A series' YErr widens the plotted range to its error bars (points) or
// band (lines), and must match the series' length.
func TestFigureSpread(t *testing.T) {
	xs := []float64{0, 0.5, 1}
	p := Panel{Title: "moments", XLabel: "t", YLabel: "u1",
		Points: []Series{{Name: "data", X: xs, Y: []float64{2, 1, 0}, YErr: []float64{0, 0.5, 3}}},
		Lines:  []Series{{Name: "model", X: xs, Y: []float64{2, 1.2, 0.1}, YErr: []float64{0, -0.4, 0.2}}},
	}
	pl, err := p.plot()
	if err != nil {
		t.Fatal(err)
	}
	// Lowest bar end 0 - 3; highest 2 (both series start at 2 ± 0).
	if pl.Y.Min > -3 || pl.Y.Max < 2 {
		t.Errorf("y range [%g, %g] does not cover the error bars [-3, 2]", pl.Y.Min, pl.Y.Max)
	}
	band := p
	band.Points = nil
	band.Lines = []Series{{X: xs, Y: []float64{2, 1.2, 0.1}, YErr: []float64{0, 5, 0.2}}}
	if pl, err = band.plot(); err != nil {
		t.Fatal(err)
	}
	if pl.Y.Min > 1.2-5 || pl.Y.Max < 1.2+5 {
		t.Errorf("y range [%g, %g] does not cover the band [-3.8, 6.2]", pl.Y.Min, pl.Y.Max)
	}
	plain := band
	plain.Lines = []Series{{X: xs, Y: []float64{2, 1.2, 0.1}}}
	if pl, err = plain.plot(); err != nil {
		t.Fatal(err)
	}
	if pl.Y.Min < 0 || pl.Y.Max > 2.1 {
		t.Errorf("without YErr the range is [%g, %g], want about [0.1, 2]", pl.Y.Min, pl.Y.Max)
	}
	b, err := PanelsPNG([]Panel{p, p}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != 768 {
		t.Errorf("PNG: %v", err)
	}
	bad := p
	bad.Lines = []Series{{Name: "short", X: xs, Y: xs, YErr: xs[:2]}}
	if _, err := PanelsPNG([]Panel{bad}, 1); err == nil || !strings.Contains(err.Error(), `series "short" has 3 y values and 2 y errors`) {
		t.Errorf("mismatched YErr: %v", err)
	}
}
