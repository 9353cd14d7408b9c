// Package report turns the runs of a reproduction into what every
// `whitebox reproduce` command writes: a results JSON file with a fixed
// schema, a markdown table beside the paper's numbers, and PNG figures drawn
// with gonum/plot.
//
// # Results JSON
//
//	{"task": str, "paper": {...}, "config": {...},
//	 "runs": [{"method", "seed", "iterations", "train_time_s", "predict_time_s",
//	           "nfe", "train_loss", "test_loss" (null), "test_accuracy" (null)}],
//	 "summary": [{"method", "n", "nfe_mean", "nfe_std", "train_time_mean_s",
//	              "predict_time_mean_s", "train_loss_mean", "test_loss_mean" (null),
//	              "test_accuracy_mean" (null), and the matching *_std fields}],
//	 "notes": [str], "checks": [{"name", "pass", "text"}], "verdict": str}
//
// Results, Run and Summary are that schema; nullable fields are *float64.
// Summarize computes the per-method statistics with gonum/stat: the mean and
// the sample standard deviation (n-1 in the denominator; 0 for a single
// run). Paper holds the published numbers a reproduction is compared with.
// Notes, Checks and Verdict are what a task prints under its table: remarks,
// its acceptance checks (the effect the paper claims) and their verdict.
// WriteJSON writes atomically; ReadJSON reads a file back.
//
// # Markdown
//
// Table writes one row per method: mean ± std of the training loss (and of
// the test metrics when the task has them), training time, prediction time
// and NFE, the ratios of NFE, loss and training time to the baseline method
// (vanilla), and the paper's numbers for the same method where it gives
// them.
//
// # Figures
//
// Panels draws a grid of small plots (points and lines per panel), used for
// fitted trajectories against the data; a series may carry a ± spread per
// point (Series.YErr), drawn as error bars on points and as a shaded band
// around a line, used for the means ± standard deviations of stochastic
// trajectories. Lines draws curves on one plot, used for NFE over training. Both write a PNG atomically. MeanCurve and Smooth
// prepare per-iteration series for plotting.
package report
