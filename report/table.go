package report

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// TableOptions configure Table.
type TableOptions struct {
	// Baseline is the method the ratio columns divide by; default
	// "vanilla". No ratio columns when it has no summary.
	Baseline string
}

// unit picks seconds or milliseconds for a column of times.
func unit(vals []float64) (string, float64) {
	m := 0.0
	for _, v := range vals {
		m = math.Max(m, v)
	}
	if m < 1 {
		return "ms", 1e3
	}
	return "s", 1
}

func pm(mean, std float64, format string) string {
	return fmt.Sprintf(format+" ± "+format, mean, std)
}

func paperStat(s *Stat, format string, scale float64) string {
	if s == nil {
		return "—"
	}
	if s.Std == 0 {
		return fmt.Sprintf(format, s.Mean*scale)
	}
	return pm(s.Mean*scale, s.Std*scale, format)
}

// Table writes the results as a markdown table: for each method the mean ±
// std over its runs of the training loss (and test loss and accuracy when
// the task has them), training time, prediction time and NFE; the ratios of
// NFE, training loss and training time to the baseline; and the paper's
// numbers (NFE, and its loss or accuracy and times when it reports them).
// Times use seconds, or milliseconds for a column below one second.
func Table(w io.Writer, r *Results, opts *TableOptions) error {
	base := "vanilla"
	if opts != nil && opts.Baseline != "" {
		base = opts.Baseline
	}
	b := r.SummaryOf(base)
	var tts, pts []float64
	hasTestLoss, hasAcc := false, false
	for _, s := range r.Summary {
		tts = append(tts, s.TrainTimeMeanS)
		pts = append(pts, s.PredictTimeMeanS)
		hasTestLoss = hasTestLoss || s.TestLossMean != nil
		hasAcc = hasAcc || s.TestAccuracyMean != nil
	}
	tu, tf := unit(tts)
	pu, pf := unit(pts)
	paperHas := func(get func(*PaperRow) *Stat) bool {
		for i := range r.Paper.Rows {
			if get(&r.Paper.Rows[i]) != nil {
				return true
			}
		}
		return false
	}
	type col struct {
		head string
		cell func(s *Summary) string
	}
	cols := []col{
		{"method", func(s *Summary) string { return s.Method }},
		{"n", func(s *Summary) string { return fmt.Sprint(s.N) }},
		{"train loss", func(s *Summary) string { return pm(s.TrainLossMean, s.TrainLossStd, "%.3g") }},
	}
	if hasTestLoss {
		cols = append(cols, col{"test loss", func(s *Summary) string {
			if s.TestLossMean == nil {
				return "—"
			}
			return pm(*s.TestLossMean, *s.TestLossStd, "%.3g")
		}})
	}
	if hasAcc {
		cols = append(cols, col{"test accuracy (%)", func(s *Summary) string {
			if s.TestAccuracyMean == nil {
				return "—"
			}
			return pm(100**s.TestAccuracyMean, 100**s.TestAccuracyStd, "%.2f")
		}})
	}
	cols = append(cols,
		col{"train time (" + tu + ")", func(s *Summary) string { return pm(s.TrainTimeMeanS*tf, s.TrainTimeStdS*tf, "%.3g") }},
		col{"predict time (" + pu + ")", func(s *Summary) string { return pm(s.PredictTimeMeanS*pf, s.PredictTimeStdS*pf, "%.3g") }},
		col{"NFE", func(s *Summary) string { return pm(s.NFEMean, s.NFEStd, "%.1f") }},
	)
	if b != nil {
		ratio := func(a, d float64) string {
			if d == 0 {
				return "—"
			}
			return fmt.Sprintf("%.2f", a/d)
		}
		cols = append(cols,
			col{"NFE / " + base, func(s *Summary) string { return ratio(s.NFEMean, b.NFEMean) }},
			col{"loss / " + base, func(s *Summary) string { return ratio(s.TrainLossMean, b.TrainLossMean) }},
			col{"train time / " + base, func(s *Summary) string { return ratio(s.TrainTimeMeanS, b.TrainTimeMeanS) }},
		)
	}
	paperCols := []struct {
		head   string
		get    func(*PaperRow) *Stat
		format string
		scale  float64
	}{
		{"paper NFE", func(p *PaperRow) *Stat { return p.NFE }, "%g", 1},
		{"paper train loss", func(p *PaperRow) *Stat { return p.TrainLoss }, "%.3g", 1},
		{"paper test loss", func(p *PaperRow) *Stat { return p.TestLoss }, "%.3g", 1},
		{"paper test accuracy (%)", func(p *PaperRow) *Stat { return p.TestAccuracy }, "%.2f", 100},
		{"paper train time (s)", func(p *PaperRow) *Stat { return p.TrainTimeS }, "%.4g", 1},
		{"paper predict time (s)", func(p *PaperRow) *Stat { return p.PredictTimeS }, "%.3g", 1},
	}
	for _, pc := range paperCols {
		if !paperHas(pc.get) {
			continue
		}
		cols = append(cols, col{pc.head, func(s *Summary) string {
			row := r.Paper.Row(s.Method)
			if row == nil {
				return "—"
			}
			return paperStat(pc.get(row), pc.format, pc.scale)
		}})
	}
	var sb strings.Builder
	line := func(cells []string) {
		sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	heads := make([]string, len(cols))
	seps := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
		seps[i] = "---"
		if i > 1 {
			seps[i] = "---:"
		}
	}
	line(heads)
	line(seps)
	for i := range r.Summary {
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = c.cell(&r.Summary[i])
		}
		line(cells)
	}
	if r.Paper.Source != "" {
		sb.WriteString("\nPaper: " + r.Paper.Source + ".")
		for _, n := range r.Paper.Notes {
			sb.WriteString(" " + n)
		}
		sb.WriteString("\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
