package report_test

import (
	"fmt"
	"os"

	"github.com/whitebox-de/whitebox/report"
)

// Summarizing runs and printing them beside the paper's numbers.
func Example() {
	runs := []report.Run{
		{Method: "vanilla", Seed: 1, NFE: 320, TrainTimeS: 3.1, PredictTimeS: 0.0005, TrainLoss: 1e-3},
		{Method: "vanilla", Seed: 2, NFE: 330, TrainTimeS: 3.3, PredictTimeS: 0.0005, TrainLoss: 2e-3},
		{Method: "error+stiffness", Seed: 1, NFE: 200, TrainTimeS: 2.5, PredictTimeS: 0.0003, TrainLoss: 2e-3},
		{Method: "error+stiffness", Seed: 2, NFE: 220, TrainTimeS: 2.7, PredictTimeS: 0.0003, TrainLoss: 2e-3},
	}
	r := &report.Results{
		Task: "spiral",
		Paper: report.Paper{Source: "Pal et al. 2021, Figure 2", Rows: []report.PaperRow{
			{Method: "vanilla", NFE: &report.Stat{Mean: 1083.0, Std: 57.55}},
			{Method: "error+stiffness", NFE: &report.Stat{Mean: 676.2, Std: 68.20}},
		}},
		Runs:    runs,
		Summary: report.Summarize(runs, []string{"vanilla", "error+stiffness"}),
	}
	if err := report.Table(os.Stdout, r, nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	// | method | n | train loss | train time (s) | predict time (ms) | NFE | NFE / vanilla | loss / vanilla | train time / vanilla | paper NFE |
	// | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
	// | vanilla | 2 | 0.0015 ± 0.000707 | 3.2 ± 0.141 | 0.5 ± 0 | 325.0 ± 7.1 | 1.00 | 1.00 | 1.00 | 1083 ± 57.55 |
	// | error+stiffness | 2 | 0.002 ± 0 | 2.6 ± 0.141 | 0.3 ± 0 | 210.0 ± 14.1 | 0.65 | 1.33 | 0.81 | 676.2 ± 68.2 |
	//
	// Paper: Pal et al. 2021, Figure 2.
}
