package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
)

// Series is a named curve or point set.
type Series struct {
	Name string
	X, Y []float64
}

func (s Series) xys() (plotter.XYs, error) {
	if len(s.X) != len(s.Y) {
		return nil, fmt.Errorf("report: series %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
	}
	xy := make(plotter.XYs, 0, len(s.X))
	for i := range s.X {
		if math.IsNaN(s.X[i]) || math.IsNaN(s.Y[i]) || math.IsInf(s.X[i], 0) || math.IsInf(s.Y[i], 0) {
			continue
		}
		xy = append(xy, plotter.XY{X: s.X[i], Y: s.Y[i]})
	}
	return xy, nil
}

// Panel is one plot of a grid: points drawn as markers (data) and lines
// (fits), each series in its own colour with a legend entry when named.
type Panel struct {
	Title          string
	XLabel, YLabel string
	Points         []Series
	Lines          []Series
	// LogY draws the y axis on a log scale (positive values only).
	LogY bool
}

// Figure sizes: one panel of a grid, and the single plot of Lines.
const (
	panelWidth  = 4 * vg.Inch
	panelHeight = 3.4 * vg.Inch
	linesWidth  = 7 * vg.Inch
	linesHeight = 4.5 * vg.Inch
)

func (p *Panel) plot() (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	pl.Add(plotter.NewGrid())
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	pl.Legend.Top = true
	for i, s := range p.Points {
		xy, err := s.xys()
		if err != nil {
			return nil, err
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, fmt.Errorf("report: series %q: %v", s.Name, err)
		}
		sc.GlyphStyle.Color = color.Black
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.2)
		if i > 0 {
			sc.GlyphStyle.Color = plotutil.Color(len(p.Lines) + i)
		}
		pl.Add(sc)
		if s.Name != "" {
			pl.Legend.Add(s.Name, sc)
		}
	}
	for i, s := range p.Lines {
		xy, err := s.xys()
		if err != nil {
			return nil, err
		}
		if p.LogY {
			pos := xy[:0]
			for _, v := range xy {
				if v.Y > 0 {
					pos = append(pos, v)
				}
			}
			xy = pos
		}
		ln, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("report: series %q: %v", s.Name, err)
		}
		ln.LineStyle.Color = plotutil.Color(i)
		ln.LineStyle.Width = vg.Points(1.3)
		pl.Add(ln)
		if s.Name != "" {
			pl.Legend.Add(s.Name, ln)
		}
	}
	named := 0
	for _, s := range append(append([]Series(nil), p.Points...), p.Lines...) {
		if s.Name != "" {
			named++
		}
	}
	if named > 0 {
		// Headroom above the data for the legend.
		if p.LogY && pl.Y.Min > 0 {
			pl.Y.Max *= math.Pow(pl.Y.Max/pl.Y.Min, 0.25)
		} else {
			pl.Y.Max += 0.09 * float64(named) * (pl.Y.Max - pl.Y.Min)
		}
	}
	return pl, nil
}

// PanelsPNG draws panels in a grid of cols columns, each 4 x 3.4 inches at
// 96 dpi, and returns the PNG.
func PanelsPNG(panels []Panel, cols int) ([]byte, error) {
	return panelsPNG(panels, cols, panelWidth, panelHeight)
}

func panelsPNG(panels []Panel, cols int, pw, ph vg.Length) ([]byte, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("report: no panels to draw")
	}
	cols = max(1, min(cols, len(panels)))
	rows := (len(panels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i := range panels {
		pl, err := panels[i].plot()
		if err != nil {
			return nil, err
		}
		plots[i/cols][i%cols] = pl
	}
	img := vgimg.NewWith(vgimg.UseWH(pw*vg.Length(cols), ph*vg.Length(rows)), vgimg.UseDPI(96))
	dc := draw.New(img)
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, t, dc)
	for r := range plots {
		for c := range plots[r] {
			if plots[r][c] != nil {
				plots[r][c].Draw(canvases[r][c])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// Panels draws panels in a grid of cols columns and writes the PNG to path
// atomically.
func Panels(path string, panels []Panel, cols int) error {
	b, err := PanelsPNG(panels, cols)
	if err != nil {
		return err
	}
	return atomicfile.Write("report", path, b)
}

// Lines draws one panel (typically lines only, such as NFE over training for
// each method) at 7 x 4.5 inches and writes the PNG to path atomically.
func Lines(path string, p Panel) error {
	b, err := panelsPNG([]Panel{p}, 1, linesWidth, linesHeight)
	if err != nil {
		return err
	}
	return atomicfile.Write("report", path, b)
}

// MeanCurve returns the elementwise mean of curves over the length of the
// shortest one.
func MeanCurve(curves [][]float64) []float64 {
	if len(curves) == 0 {
		return nil
	}
	n := len(curves[0])
	for _, c := range curves {
		n = min(n, len(c))
	}
	out := make([]float64, n)
	for _, c := range curves {
		for i := range out {
			out[i] += c[i]
		}
	}
	for i := range out {
		out[i] /= float64(len(curves))
	}
	return out
}

// Smooth returns the centred moving average of y over windows of up to
// 2*half+1 values (shorter at the ends).
func Smooth(y []float64, half int) []float64 {
	out := make([]float64, len(y))
	if half <= 0 {
		copy(out, y)
		return out
	}
	pre := make([]float64, len(y)+1)
	for i, v := range y {
		pre[i+1] = pre[i] + v
	}
	for i := range y {
		lo, hi := max(0, i-half), min(len(y), i+half+1)
		out[i] = (pre[hi] - pre[lo]) / float64(hi-lo)
	}
	return out
}

// Range returns 1, 2, ..., n as float64, the x values of per-iteration
// series.
func Range(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}
