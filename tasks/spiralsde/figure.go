package spiralsde

import (
	"fmt"

	"github.com/whitebox-de/whitebox/report"
)

// MomentPanels returns the two panels of the paper's Figure 5 for one
// trained run, u1 and u2 against t: the data's mean as points with ± one
// standard deviation bars, and the model's mean as a line inside a shaded
// ± one standard deviation band (from the first prediction pass). label
// starts each panel's title.
func MomentPanels(r *Result, label string) ([]report.Panel, error) {
	n := len(r.T)
	if n == 0 || len(r.ModelMean) != n || len(r.ModelStd) != n || len(r.DataMean) != n || len(r.DataStd) != n {
		return nil, fmt.Errorf("spiralsde: MomentPanels needs a finished run with the data's and the model's moments at each of its %d times", n)
	}
	panels := make([]report.Panel, 2)
	for c := range 2 {
		dm, ds, mm, ms := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			dm[i], ds[i] = r.DataMean[i][c], r.DataStd[i][c]
			mm[i], ms[i] = r.ModelMean[i][c], r.ModelStd[i][c]
		}
		panels[c] = report.Panel{
			Title:  fmt.Sprintf("%s: u%d", label, c+1),
			XLabel: "t", YLabel: fmt.Sprintf("u%d (mean ± std)", c+1),
			Points: []report.Series{{Name: "data", X: r.T, Y: dm, YErr: ds}},
			Lines:  []report.Series{{Name: "model", X: r.T, Y: mm, YErr: ms}},
		}
	}
	return panels, nil
}

// WriteFigure draws MomentPanels of each run, one row (u1, u2) per run
// titled "<method>, seed <seed>" with its loss and prediction NFE, and
// writes the PNG to path atomically.
func WriteFigure(path string, runs []*Result) error {
	if len(runs) == 0 {
		return fmt.Errorf("spiralsde: WriteFigure needs at least one run")
	}
	var panels []report.Panel
	for _, r := range runs {
		p, err := MomentPanels(r, fmt.Sprintf("%s, seed %d", r.Config.Reg.Method, r.Config.Seed))
		if err != nil {
			return err
		}
		p[1].Title += fmt.Sprintf(" (loss %.3g, NFE %.0f)", r.Loss, r.PredictNFE)
		panels = append(panels, p...)
	}
	return report.Panels(path, panels, 2)
}
