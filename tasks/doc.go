// Package tasks is the shape every experiment of the command line takes,
// and their registry. Each experiment is one package under tasks/ (spiral,
// spiralsde, ...) that owns all of it: its configuration (whose zero value
// is the default scale, with a named full scale), its data, model and
// methods, the paper's numbers for its table, its acceptance checks and its
// figures. It implements Task and registers itself from an init function:
//
//	func init() { tasks.Register(func() tasks.Task { return new(task) }) }
//
// and the command imports the package for that effect (cmd/whitebox keeps
// the one list of such imports). Nothing else is per task: the harness in
// cmd/whitebox owns the common flags, the enumeration of the runs, progress,
// metrics, checkpoints, the workers, the table, the JSON and the exit
// status, as gonum's optimize.Minimize owns the loop that any
// optimize.Method plugs into.
//
// # The life of a task
//
// The harness calls Flags, parses the command line, calls Setup with the
// Settings (scale, methods, seeds, workers, the solvers' step bound), then
// Run for each run of Settings.Runs (every method with every seed, seed by
// seed: every method of the first seed before the next seed, whose methods
// start one further along), and finally
// Report and Figures on the runs' Records, grouped by method
// (Settings.ByMethod). A Record is
// a run's row of the results JSON (report.Run) plus the task's own
// measurements as JSON (Record.Extra: histories, moments, fitted curves),
// so Report and Figures need nothing but the flags, the settings and the
// records: runs made in other processes and saved as JSON give the same
// table, notes, checks, results JSON and figures, bit for bit.
//
// # Vocabulary
//
// Methods are train.Method values ("vanilla", "error", "stiffness",
// "error+stiffness", "steer", ...; in packages ode and sde, Method names a
// solver tableau instead) and their coefficients a train.Regularization, for
// ODE and SDE tasks alike; RegularizationFlags declares their flags with one
// spelling for every task (--error-coef, --error-coef-final, --error-agg,
// --stiffness-coef, --stiffness-agg, --steer-b). A run's name, recorders,
// checkpoint and resume travel as one train.RunOptions. BudgetFlags
// declares the flags of training to a prediction budget (--nfe-budget,
// --predict-time-budget, --budget-regularizer, --budget-gain,
// --budget-smoothing) into a train.Budget; a task that declares them calls
// CheckBudget in Setup, builds each run's train.BudgetController (its At in
// place of the Regularization's, its Attach on the loop, its Run to run the
// loop with the run options and the prediction to time) and records its
// Outcome as the run's report.Run.Budget (report.Budget is
// train.BudgetOutcome); a step whose budget is on another count than its
// Metrics.NFE, or whose loss is not positive, gives the controller
// Metrics.BudgetNFE and BudgetLoss. The harness's --sweep-budget then works for it
// too (with the task's own default budgets and fixed coefficients when it
// implements BudgetSweeper). Overrides declares a task's protocol flags over its configuration
// type so that flags given on the command line override the chosen scale;
// its Configure does the common part of Setup (the scale's configuration,
// the flags given, a check for each method).
// A training step whose solve failed asks SkipFailedSolve whether to skip
// the iteration (a failed solve, fewer than MaxFailedSolves in a row) or
// to end the run, and steps its optimizer through StepFinite, which
// refuses a gradient with NaN or infinite entries.
package tasks
