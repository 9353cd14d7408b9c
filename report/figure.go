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
	// YErr, if set, holds a half-width per point (such as a standard
	// deviation): drawn as Y ± YErr error bars on a point set and as a
	// shaded band from Y - YErr to Y + YErr behind a curve. It is ignored
	// on a LogY panel.
	YErr []float64
	// Color, if set, replaces the series' automatic colour.
	Color color.Color
}

// xyErrs returns the finite points of s and, when s has YErr, their
// half-widths (points whose half-width is not finite are dropped too).
func (s Series) xyErrs() (plotter.XYs, []float64, error) {
	if len(s.X) != len(s.Y) {
		return nil, nil, fmt.Errorf("report: series %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
	}
	if s.YErr != nil && len(s.YErr) != len(s.Y) {
		return nil, nil, fmt.Errorf("report: series %q has %d y values and %d y errors", s.Name, len(s.Y), len(s.YErr))
	}
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	xy := make(plotter.XYs, 0, len(s.X))
	var errs []float64
	for i := range s.X {
		if bad(s.X[i]) || bad(s.Y[i]) || (s.YErr != nil && bad(s.YErr[i])) {
			continue
		}
		xy = append(xy, plotter.XY{X: s.X[i], Y: s.Y[i]})
		if s.YErr != nil {
			errs = append(errs, math.Abs(s.YErr[i]))
		}
	}
	return xy, errs, nil
}

// errorBars returns ± errs bars at the points xy in colour c.
func errorBars(xy plotter.XYs, errs []float64, c color.Color) (*plotter.YErrorBars, error) {
	ye := make(plotter.YErrors, len(errs))
	for i, e := range errs {
		ye[i].Low, ye[i].High = e, e
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{xy, ye})
	if err != nil {
		return nil, err
	}
	eb.LineStyle.Color = c
	return eb, nil
}

// band returns the region between the curve xy - errs and xy + errs,
// filled in a translucent c.
func band(xy plotter.XYs, errs []float64, c color.Color) (*plotter.Polygon, error) {
	ring := make(plotter.XYs, 0, 2*len(xy))
	for i, p := range xy {
		ring = append(ring, plotter.XY{X: p.X, Y: p.Y + errs[i]})
	}
	for i := len(xy) - 1; i >= 0; i-- {
		ring = append(ring, plotter.XY{X: xy[i].X, Y: xy[i].Y - errs[i]})
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil, err
	}
	r, g, b, _ := c.RGBA()
	poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x40}
	poly.LineStyle.Width = 0
	return poly, nil
}

// Panel is one plot of a grid: points drawn as markers (data) and lines
// (fits), each series in its own colour with a legend entry when named. A
// series with YErr gets error bars (points) or a shaded band (lines) in its
// colour.
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
		xy, errs, err := s.xyErrs()
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
		if s.Color != nil {
			sc.GlyphStyle.Color = s.Color
		}
		if errs != nil && !p.LogY {
			eb, err := errorBars(xy, errs, sc.GlyphStyle.Color)
			if err != nil {
				return nil, fmt.Errorf("report: series %q: %v", s.Name, err)
			}
			pl.Add(eb)
		}
		pl.Add(sc)
		if s.Name != "" {
			pl.Legend.Add(s.Name, sc)
		}
	}
	for i, s := range p.Lines {
		xy, errs, err := s.xyErrs()
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
			xy, errs = pos, nil
		}
		ln, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("report: series %q: %v", s.Name, err)
		}
		ln.LineStyle.Color = plotutil.Color(i)
		if s.Color != nil {
			ln.LineStyle.Color = s.Color
		}
		ln.LineStyle.Width = vg.Points(1.3)
		thumbs := []plot.Thumbnailer{ln}
		if errs != nil && len(xy) > 0 {
			poly, err := band(xy, errs, ln.LineStyle.Color)
			if err != nil {
				return nil, fmt.Errorf("report: series %q: %v", s.Name, err)
			}
			pl.Add(poly)
			thumbs = append(thumbs, poly)
		}
		pl.Add(ln)
		if s.Name != "" {
			pl.Legend.Add(s.Name, thumbs...)
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
