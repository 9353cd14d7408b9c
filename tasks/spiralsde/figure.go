package spiralsde

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
)

// componentColors are the colours of u1 and u2.
var componentColors = [2]color.NRGBA{{R: 0x1b, G: 0x9e, B: 0x77, A: 0xff}, {R: 0xd9, G: 0x5f, B: 0x02, A: 0xff}}

// Panel draws one trained run against the data, as the paper's figure does:
// for each component the data's mean as points with +- one standard
// deviation bars, and the model's mean as a line inside a shaded +- one
// standard deviation band.
func Panel(r *Result, title string) (*plot.Plot, error) {
	if len(r.T) == 0 || len(r.ModelMean) != len(r.T) || len(r.DataMean) != len(r.T) {
		return nil, fmt.Errorf("spiralsde: Panel needs a finished run with model and data moments at every time")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "t"
	p.Y.Label.Text = "u (mean +- std)"
	p.Add(plotter.NewGrid())
	p.Legend.Left = true // the bottom left stays clear of the spiral
	for c := range 2 {
		col := componentColors[c]
		band := make(plotter.XYs, 0, 2*len(r.T))
		line := make(plotter.XYs, len(r.T))
		pts := make(plotter.XYs, len(r.T))
		bars := make(plotter.YErrors, len(r.T))
		for i, t := range r.T {
			band = append(band, plotter.XY{X: t, Y: r.ModelMean[i][c] + r.ModelStd[i][c]})
			line[i] = plotter.XY{X: t, Y: r.ModelMean[i][c]}
			pts[i] = plotter.XY{X: t, Y: r.DataMean[i][c]}
			bars[i].Low, bars[i].High = r.DataStd[i][c], r.DataStd[i][c]
		}
		for i := len(r.T) - 1; i >= 0; i-- {
			band = append(band, plotter.XY{X: r.T[i], Y: r.ModelMean[i][c] - r.ModelStd[i][c]})
		}
		poly, err := plotter.NewPolygon(band)
		if err != nil {
			return nil, fmt.Errorf("spiralsde: %w", err)
		}
		fill := col
		fill.A = 0x40
		poly.Color = fill
		poly.LineStyle.Width = 0
		ln, err := plotter.NewLine(line)
		if err != nil {
			return nil, fmt.Errorf("spiralsde: %w", err)
		}
		ln.LineStyle.Color = col
		ln.LineStyle.Width = vg.Points(2)
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("spiralsde: %w", err)
		}
		sc.GlyphStyle.Color = col
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{pts, bars})
		if err != nil {
			return nil, fmt.Errorf("spiralsde: %w", err)
		}
		eb.LineStyle.Color = col
		p.Add(poly, ln, eb, sc)
		p.Legend.Add(fmt.Sprintf("model u%d", c+1), ln, poly)
		p.Legend.Add(fmt.Sprintf("data u%d", c+1), sc)
	}
	// Leave room below the curves for the legend.
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range r.T {
		for c := range 2 {
			lo = min(lo, r.ModelMean[i][c]-r.ModelStd[i][c], r.DataMean[i][c]-r.DataStd[i][c])
			hi = max(hi, r.ModelMean[i][c]+r.ModelStd[i][c], r.DataMean[i][c]+r.DataStd[i][c])
		}
	}
	p.Y.Min, p.Y.Max = lo-0.45*(hi-lo), hi+0.05*(hi-lo)
	return p, nil
}

// FigurePNG stacks one Panel per run (titled by titles) and returns the PNG.
func FigurePNG(runs []*Result, titles []string) ([]byte, error) {
	if len(runs) == 0 || len(titles) != len(runs) {
		return nil, fmt.Errorf("spiralsde: FigurePNG needs one title per run (got %d runs, %d titles)", len(runs), len(titles))
	}
	plots := make([][]*plot.Plot, len(runs))
	for i, r := range runs {
		p, err := Panel(r, titles[i])
		if err != nil {
			return nil, err
		}
		plots[i] = []*plot.Plot{p}
	}
	w, h := 6*vg.Inch, 3.6*vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(w, h*vg.Length(len(runs))), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(runs), Cols: 1, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("spiralsde: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteFigure writes FigurePNG(runs, titles) to path atomically.
func WriteFigure(path string, runs []*Result, titles []string) error {
	b, err := FigurePNG(runs, titles)
	if err != nil {
		return err
	}
	return atomicfile.Write("spiralsde", path, b)
}

// Figure writes the reproduction's figure: for each method, its run from the
// first seed against the data.
func (rep *Report) Figure(path string) error {
	var runs []*Result
	var titles []string
	for _, m := range rep.Config.Methods {
		for _, r := range rep.Runs {
			if r.Config.Method == m {
				runs = append(runs, r)
				titles = append(titles, fmt.Sprintf("%s neural SDE (seed %d): loss %.4f, NFE %.0f", m, r.Config.Seed, r.Loss, r.PredictNFE))
				break
			}
		}
	}
	return WriteFigure(path, runs, titles)
}
