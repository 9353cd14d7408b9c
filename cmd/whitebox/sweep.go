package main

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotutil"

	"github.com/whitebox-de/whitebox/internal/numfmt"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// The acceptance check of a budget sweep: each budgeted run's prediction
// NFE between sweepNFELow and 1+tolerance times its budget, and its loss at
// most sweepLossFactor times that of the fixed-coefficient run (of the same
// seed) whose prediction NFE is closest.
const (
	sweepNFELow     = 0.8
	sweepLossFactor = 1.2
)

// sweepMultipliers scale the budgeted regularizer's coefficient flag into
// the default fixed coefficients of a sweep.
var sweepMultipliers = []float64{0.01, 0.03, 0.1, 0.3, 1, 3}

// sweepFractions are the default budgets of a sweep, as fractions of
// vanilla's prediction NFE (a task's tasks.SweepDefaults may replace them).
var sweepFractions = []float64{0.8, 0.6, 0.5}

// sweepFlags are the flags of `whitebox reproduce <task> --sweep-budget`.
type sweepFlags struct {
	on               bool
	fractions, coefs string
	// taskCoefs are the task's default fixed coefficients by regularizer
	// (tasks.SweepDefaults).
	taskCoefs map[string][]float64

	// Parsed by checkSweep.
	part     string
	fracs    []float64
	coefVals []float64
	baseCoef float64
	coefFlag string
}

// declare declares the sweep's flags, with task's defaults when it has its
// own (tasks.BudgetSweeper).
func (s *sweepFlags) declare(f *flags, task tasks.Task) {
	fracs := sweepFractions
	coefsUsage := "with --sweep-budget: comma-separated fixed coefficients of the budgeted regularizer (default: "
	if bs, ok := task.(tasks.BudgetSweeper); ok {
		d := bs.SweepDefaults()
		if len(d.Fractions) > 0 {
			fracs = d.Fractions
		}
		s.taskCoefs = d.Coefs
		parts := slices.Sorted(maps.Keys(d.Coefs))
		for _, p := range parts {
			coefsUsage += fmt.Sprintf("%s for %s; ", strings.ReplaceAll(joinFloats(d.Coefs[p]), " ", ""), p)
		}
		if len(parts) > 0 {
			coefsUsage += "otherwise "
		}
	}
	coefsUsage += "its --<regularizer>-coef times 0.01, 0.03, 0.1, 0.3, 1 and 3)"
	f.BoolVar(&s.on, "sweep-budget", false, "draw the budget trade-off: train vanilla, the budgeted regularizer at fixed coefficients (--sweep-coefs) and at budgets (--sweep-fractions of vanilla's prediction NFE), and plot loss (and test accuracy, for tasks with a test set) against prediction NFE (budget-front.png, budget-accuracy.png)")
	f.StringVar(&s.fractions, "sweep-fractions", strings.ReplaceAll(joinFloats(fracs), " ", ""), "with --sweep-budget: the budgets, as fractions of vanilla's mean prediction NFE measured in the same command")
	f.StringVar(&s.coefs, "sweep-coefs", "", coefsUsage)
}

// sweepPoint is one configuration of a sweep, trained for every seed.
type sweepPoint struct {
	label, slug string
	method      string
	kind        pointKind
	coef        float64 // fixedPoint
	fraction    float64 // budgetPoint
	budget      float64 // budgetPoint, once vanilla is measured
	recs        []tasks.Record
}

type pointKind int

const (
	vanillaPoint pointKind = iota
	fixedPoint
	budgetPoint
)

// parsePositives reads a comma-separated list of positive, finite numbers.
func parsePositives(flagName, s string) ([]float64, error) {
	var out []float64
	for _, p := range splitList(s) {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("--%s %q: %q is not a positive number", flagName, s, p)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--%s is empty; give at least one value", flagName)
	}
	return out, nil
}

// checkSweep checks the sweep flags after parsing and, for a sweep, every
// output path (in place of checkOutputs): the sweep keeps each point's
// checkpoints in a subdirectory of --checkpoint-dir.
func (h *harness) checkSweep() error {
	s := &h.sweep
	if !s.on {
		for _, name := range []string{"sweep-fractions", "sweep-coefs"} {
			if h.f.IsSet(name) {
				return fmt.Errorf("--%s needs --sweep-budget", name)
			}
		}
		return nil
	}
	rf := h.f.Lookup("budget-regularizer")
	if rf == nil {
		return fmt.Errorf("--sweep-budget: task %s does not support training to a budget", h.parts[0].info.Name)
	}
	if h.f.IsSet("shard") {
		return errors.New("--sweep-budget cannot be sharded (its budgets depend on vanilla's runs); drop --shard")
	}
	for _, name := range []string{"nfe-budget", "predict-time-budget", "methods"} {
		if h.f.IsSet(name) {
			return fmt.Errorf("--sweep-budget chooses the methods and budgets itself; drop --%s", name)
		}
	}
	s.part = rf.Value.String()
	s.coefFlag = s.part + "-coef"
	cf := h.f.Lookup(s.coefFlag)
	if cf == nil {
		return fmt.Errorf("--sweep-budget: task %s has no --%s flag for the fixed coefficients", h.parts[0].info.Name, s.coefFlag)
	}
	base, err := strconv.ParseFloat(cf.Value.String(), 64)
	if err != nil || !(base > 0) {
		return fmt.Errorf("--sweep-budget: --%s %s is not a positive coefficient", s.coefFlag, cf.Value.String())
	}
	s.baseCoef = base
	if s.fracs, err = parsePositives("sweep-fractions", s.fractions); err != nil {
		return err
	}
	if s.coefs == "" {
		s.coefVals = slices.Clone(s.taskCoefs[s.part])
		if len(s.coefVals) == 0 {
			for _, m := range sweepMultipliers {
				s.coefVals = append(s.coefVals, roundSig(base*m))
			}
		}
	} else if s.coefVals, err = parsePositives("sweep-coefs", s.coefs); err != nil {
		return err
	}
	if err := h.checkOutputFiles(); err != nil {
		return err
	}
	if h.ckptDir == "" {
		return nil
	}
	var existing []string
	for _, p := range h.sweepPoints() {
		sub, sp := h.pointHarness(p)
		for _, r := range sp.set.Runs() {
			if path := sub.checkpointPath(sp, r); fileExists(path) {
				existing = append(existing, path)
			}
		}
	}
	if h.resume && len(existing) == 0 {
		return fmt.Errorf("--resume: %s holds no checkpoint of this sweep; check --checkpoint-dir and the flags, or drop --resume to start afresh", h.ckptDir)
	}
	if !h.resume && len(existing) > 0 && !h.force {
		return fmt.Errorf("--checkpoint-dir %s already holds checkpoints of this sweep (%s%s); add --resume to continue them, or --force to start over and overwrite them",
			h.ckptDir, existing[0], more(len(existing)-1))
	}
	return writableDir("checkpoint-dir", h.ckptDir)
}

// roundSig rounds v to 12 significant digits, so that 0.1*0.03 prints as
// 0.003.
func roundSig(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}

// sweepPoints lists the sweep's configurations: vanilla, the fixed
// coefficients, then the budgets (their NFE set once vanilla is measured).
func (h *harness) sweepPoints() []*sweepPoint {
	s := &h.sweep
	pts := []*sweepPoint{{label: "vanilla", slug: "vanilla", method: "vanilla", kind: vanillaPoint}}
	for _, c := range s.coefVals {
		pts = append(pts, &sweepPoint{label: fmt.Sprintf("%s coef=%g", s.part, c), slug: fmt.Sprintf("coef-%g", c),
			method: s.part, kind: fixedPoint, coef: c})
	}
	for _, f := range s.fracs {
		pts = append(pts, &sweepPoint{label: fmt.Sprintf("%s budget=%gx", s.part, f), slug: fmt.Sprintf("budget-%gx", f),
			method: s.part, kind: budgetPoint, fraction: f})
	}
	return pts
}

// pointHarness is a harness with the point's checkpoint directory and a
// part with its runs and run names, for naming only (not set up).
func (h *harness) pointHarness(p *sweepPoint) (*harness, *part) {
	m, _ := train.ParseMethod(p.method)
	p0 := h.parts[0]
	sp := &part{info: p0.info, set: p0.set, label: p.label}
	sp.set.Methods = []train.Method{m}
	sub := &harness{env: h.env}
	if h.ckptDir != "" {
		sub.ckptDir = filepath.Join(h.ckptDir, p.slug)
	}
	return sub, sp
}

// sweepArgs are the command-line flags the user gave, for every point of
// the sweep, without those the sweep sets itself.
func (h *harness) sweepArgs() []string {
	skip := map[string]bool{"sweep-budget": true, "sweep-fractions": true, "sweep-coefs": true, "methods": true, "shard": true,
		"json": true, "out": true, "metrics": true, "checkpoint-dir": true, "checkpoint-every": true, "resume": true, "force": true}
	var args []string
	for name := range h.f.explicit {
		if !skip[name] {
			args = append(args, "--"+name+"="+h.f.Lookup(name).Value.String())
		}
	}
	slices.Sort(args)
	return args
}

// runPoint trains one configuration of the sweep for every seed through a
// harness of its own.
func (h *harness) runPoint(ctx context.Context, p *sweepPoint) (*harness, error) {
	args := append([]string{h.parts[0].info.Name}, h.sweepArgs()...)
	args = append(args, "--methods", p.method, "--out", "", "--json", "")
	switch p.kind {
	case fixedPoint:
		args = append(args, "--"+h.sweep.coefFlag, strconv.FormatFloat(p.coef, 'g', -1, 64))
		if h.sweep.part == "error" && h.f.Lookup("error-coef-final") != nil {
			args = append(args, "--error-coef-final", "0")
		}
	case budgetPoint:
		args = append(args, "--nfe-budget", strconv.FormatFloat(p.budget, 'g', -1, 64))
	}
	if h.ckptDir != "" {
		dir := filepath.Join(h.ckptDir, p.slug)
		args = append(args, "--checkpoint-dir", dir, "--checkpoint-every", strconv.Itoa(h.ckptEvery))
		if h.force {
			args = append(args, "--force")
		}
		if h.resume {
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				args = append(args, "--resume")
			}
		}
	}
	sub, status := newHarness(args, h.env)
	if sub == nil {
		return nil, errUsage{status}
	}
	sp := sub.parts[0]
	sp.label = p.label
	sub.metrics = h.metrics
	sub.metricsPath = h.metricsPath
	recs, err := sub.each(ctx, sp, sp.set.Runs(), sp.task.Run)
	if err != nil {
		return nil, err
	}
	p.recs = recs
	return sub, nil
}

// errUsage is a point's usage error, already printed.
type errUsage struct{ status int }

func (e errUsage) Error() string { return fmt.Sprintf("usage error (status %d)", e.status) }

// openSweepMetrics opens the metrics file of a sweep's runs.
func (h *harness) openSweepMetrics(pts []*sweepPoint) (*os.File, error) {
	return h.openMetricsOf(func(run func(*harness, *part, tasks.RunSpec)) {
		for _, p := range pts {
			sub, sp := h.pointHarness(p)
			for _, s := range sp.set.Runs() {
				run(sub, sp, s)
			}
		}
	})
}

// runSweep is `whitebox reproduce <task> --sweep-budget`: vanilla first
// (its mean prediction NFE sets the budgets), then the fixed coefficients
// and the budgets; then the table, the checks, the results JSON and the
// figures.
func (h *harness) runSweep(ctx context.Context) int {
	pts := h.sweepPoints()
	mf, err := h.openSweepMetrics(pts)
	if err != nil {
		return usageErr(h.env, h.cmd, fmt.Errorf("--metrics %s: %v", h.metricsPath, oneLine(err)), h.cmd+" --help")
	}
	if mf != nil {
		defer mf.Close()
		h.metrics = train.NewJSONL(mf)
	}
	var vanilla *harness
	for i, p := range pts {
		if p.kind == budgetPoint {
			p.budget = roundSig(p.fraction * meanNFE(pts[0].recs))
		}
		sub, err := h.runPoint(ctx, p)
		if err != nil {
			var ue errUsage
			if errors.As(err, &ue) {
				return ue.status
			}
			if interrupted(err) {
				return h.interrupted()
			}
			return failure(h.env, h.cmd, err)
		}
		if i == 0 {
			vanilla = sub
		}
	}
	base, err := vanilla.parts[0].task.Report(pts[0].recs)
	if err != nil {
		return failure(h.env, h.cmd, err)
	}
	res := sweepResults(h.parts[0].info.Name, &h.sweep, pts, base.Config)
	md := *res
	md.Task = res.Task + " budget sweep"
	if err := writeMarkdown(h.stdout, &md, h.scale, len(h.parts[0].set.Seeds)); err != nil {
		return failure(h.env, h.cmd, err)
	}
	if err := h.writeJSON(res); err != nil {
		return failure(h.env, h.cmd, err)
	}
	if h.out != "" {
		figs, err := sweepFigures(h.out, pts)
		if err != nil {
			return failure(h.env, h.cmd, err)
		}
		fmt.Fprintf(h.stderr, "%s: figures written to %s\n", h.cmd, strings.Join(figs, ", "))
	}
	return exitOK
}

// meanNFE is the mean prediction NFE of records.
func meanNFE(recs []tasks.Record) float64 {
	s := 0.0
	for _, r := range recs {
		s += float64(r.Run.NFE)
	}
	return s / float64(max(1, len(recs)))
}

func meanLoss(recs []tasks.Record) float64 {
	s := 0.0
	for _, r := range recs {
		s += r.Run.TrainLoss
	}
	return s / float64(max(1, len(recs)))
}

// closestFixed returns the fixed-coefficient run (of seed, when seed >= 0)
// whose prediction NFE is closest to nfe, the lower loss on a tie, and its
// point.
func closestFixed(pts []*sweepPoint, seed int, nfe float64) (*report.Run, *sweepPoint) {
	var best *report.Run
	var bp *sweepPoint
	for _, p := range pts {
		if p.kind != fixedPoint {
			continue
		}
		for i := range p.recs {
			r := &p.recs[i].Run
			if seed >= 0 && r.Seed != seed {
				continue
			}
			d, bd := math.Abs(float64(r.NFE)-nfe), 0.0
			if best != nil {
				bd = math.Abs(float64(best.NFE) - nfe)
			}
			if best == nil || d < bd || (d == bd && r.TrainLoss < best.TrainLoss) {
				best, bp = r, p
			}
		}
	}
	return best, bp
}

// sweepResults turns a finished sweep into results: every run under its
// point's label, the notes (vanilla's NFE, the budgets, how each budget
// went) and the acceptance checks of every budgeted run.
func sweepResults(task string, s *sweepFlags, pts []*sweepPoint, config any) *report.Results {
	var runs []report.Run
	var order []string
	for _, p := range pts {
		order = append(order, p.label)
		for _, r := range p.recs {
			run := r.Run
			run.Method = p.label
			runs = append(runs, run)
		}
	}
	vn := meanNFE(pts[0].recs)
	var budgets []string
	for _, p := range pts {
		if p.kind == budgetPoint {
			budgets = append(budgets, fmt.Sprintf("%gx = %g", p.fraction, p.budget))
		}
	}
	res := &report.Results{Task: task,
		Paper: report.Paper{Source: "training to a prediction budget is not in the paper, whose regularizers take a hand-tuned coefficient per task"},
		Config: map[string]any{"task": config, "sweep": map[string]any{"regularizer": s.part, "fractions": s.fracs, "coefficients": s.coefVals,
			"vanilla_nfe_mean": vn, "budgets": budgetValues(pts), "checks": fmt.Sprintf("prediction NFE %.2f-%.2fx the budget, loss <= %.2fx that of the fixed-coefficient run of the same seed closest in prediction NFE",
				sweepNFELow, 1+train.DefaultBudgetTolerance, sweepLossFactor)}},
		Runs: runs, Summary: report.Summarize(runs, order)}
	res.Notes = append(res.Notes, fmt.Sprintf("Vanilla's mean prediction NFE is %.1f, so the budgets are %s NFE; the fixed runs hold the %s coefficient constant at %s.",
		vn, strings.Join(budgets, ", "), s.part, joinFloats(s.coefVals)))
	var failedMeans, failedRuns []string
	nruns := 0
	for _, p := range pts {
		if p.kind != budgetPoint {
			continue
		}
		met, coefs := 0, []string{}
		for _, r := range p.recs {
			b := r.Run.Budget
			if b == nil {
				continue
			}
			if b.Met {
				met++
			} else {
				res.Notes = append(res.Notes, fmt.Sprintf("%s seed %d: %s", p.label, r.Run.Seed, b.Verdict))
			}
			coefs = append(coefs, fmt.Sprintf("%.3g", b.CoefEnd))
		}
		res.Notes = append(res.Notes, fmt.Sprintf("%s (%g NFE): met by %d of %d runs (prediction NFE at most %.2fx the budget); final coefficients %s.",
			p.label, p.budget, met, len(p.recs), 1+train.DefaultBudgetTolerance, strings.Join(coefs, ", ")))

		// The check on the means over the seeds.
		mn, ml := meanNFE(p.recs), meanLoss(p.recs)
		ok := mn/p.budget >= sweepNFELow && mn/p.budget <= 1+train.DefaultBudgetTolerance
		text := fmt.Sprintf("Check %s, mean over %d seeds: prediction NFE %.1f = %sx the budget %g (want %.2f-%.2f)",
			p.label, len(p.recs), mn, numfmt.Ratio(mn/p.budget, sweepNFELow, 1+train.DefaultBudgetTolerance), p.budget, sweepNFELow, 1+train.DefaultBudgetTolerance)
		if f, fp := closestFixedMean(pts, mn); f != nil {
			lr := ml / f[1]
			ok = ok && lr <= sweepLossFactor
			text += fmt.Sprintf(", loss %.3g = %sx that of %s (mean NFE %.1f, the fixed coefficient closest in mean NFE; want <= %.2f)", ml, numfmt.Ratio(lr, sweepLossFactor), fp, f[0], sweepLossFactor)
		}
		res.Checks = append(res.Checks, report.Check{Name: p.label + " (mean)", Pass: ok, Text: text + ": " + holds(ok) + "."})
		if !ok {
			failedMeans = append(failedMeans, p.label)
		}

		// The check on each run against the fixed runs of its seed.
		for _, r := range p.recs {
			run := r.Run
			nruns++
			ratio := float64(run.NFE) / p.budget
			tol := train.DefaultBudgetTolerance
			if run.Budget != nil {
				tol = run.Budget.Tolerance
			}
			text := fmt.Sprintf("Check %s seed %d: prediction NFE %d = %sx the budget %g (want %.2f-%.2f)", p.label, run.Seed, run.NFE, numfmt.Ratio(ratio, sweepNFELow, 1+tol), p.budget, sweepNFELow, 1+tol)
			ok := ratio >= sweepNFELow && ratio <= 1+tol
			if f, fp := closestFixed(pts, run.Seed, float64(run.NFE)); f != nil {
				lr := run.TrainLoss / f.TrainLoss
				ok = ok && lr <= sweepLossFactor
				text += fmt.Sprintf(", loss %.3g = %sx that of %s (NFE %d, the fixed run of this seed closest in NFE; want <= %.2f)", run.TrainLoss, numfmt.Ratio(lr, sweepLossFactor), fp.label, f.NFE, sweepLossFactor)
			}
			if !ok {
				failedRuns = append(failedRuns, fmt.Sprintf("%s seed %d", p.label, run.Seed))
			}
			res.Checks = append(res.Checks, report.Check{Name: fmt.Sprintf("%s seed %d", p.label, run.Seed), Pass: ok, Text: text + ": " + holds(ok) + "."})
		}
	}
	if len(res.Checks) == 0 {
		return res
	}
	want := fmt.Sprintf("within %.2f-%.2fx its budget at a loss within %.1fx that of the fixed coefficient closest in NFE", sweepNFELow, 1+train.DefaultBudgetTolerance, sweepLossFactor)
	if len(failedMeans) == 0 {
		res.Verdict = "On the means over the seeds, every budget ends " + want + "; "
	} else {
		res.Verdict = "On the means over the seeds, the check does NOT hold for " + strings.Join(failedMeans, ", ") + "; "
	}
	if len(failedRuns) == 0 {
		res.Verdict += fmt.Sprintf("so does every one of the %d budgeted runs against the fixed runs of its seed.", nruns)
	} else {
		res.Verdict += fmt.Sprintf("run by run, against the fixed runs of the same seed, it holds for %d of %d (not for %s).", nruns-len(failedRuns), nruns, strings.Join(failedRuns, ", "))
	}
	return res
}

func holds(ok bool) string {
	if ok {
		return "holds"
	}
	return "does not hold"
}

// closestFixedMean returns the (mean NFE, mean loss) of the fixed
// coefficient whose mean prediction NFE is closest to nfe, and its label.
func closestFixedMean(pts []*sweepPoint, nfe float64) ([]float64, string) {
	var best []float64
	label := ""
	for _, p := range pts {
		if p.kind != fixedPoint || len(p.recs) == 0 {
			continue
		}
		n, l := meanNFE(p.recs), meanLoss(p.recs)
		if best == nil || math.Abs(n-nfe) < math.Abs(best[0]-nfe) {
			best, label = []float64{n, l}, p.label
		}
	}
	return best, label
}

func budgetValues(pts []*sweepPoint) []float64 {
	var out []float64
	for _, p := range pts {
		if p.kind == budgetPoint {
			out = append(out, p.budget)
		}
	}
	return out
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, ", ")
}

// sweepFigures draws the trade-off (budget-front.png: training loss
// against prediction NFE of every run, the fixed coefficients' mean front,
// the budgets and the budgeted runs; budget-accuracy.png: the same for the
// test accuracy, when every run has one) and the budgeted coefficient over
// training (budget-coef.png).
func sweepFigures(dir string, pts []*sweepPoint) ([]string, error) {
	frontPath := filepath.Join(dir, "budget-front.png")
	loss := func(r *report.Run) (float64, bool) { return r.TrainLoss, true }
	if err := report.Lines(frontPath, sweepFront(pts, "Training loss against prediction NFE: fixed coefficients and budgets", "training loss", true, loss)); err != nil {
		return nil, err
	}
	out := []string{frontPath}
	acc := func(r *report.Run) (float64, bool) {
		if r.TestAccuracy == nil {
			return 0, false
		}
		return 100 * *r.TestAccuracy, true
	}
	every := true
	for _, p := range pts {
		for i := range p.recs {
			_, ok := acc(&p.recs[i].Run)
			every = every && ok
		}
	}
	if every {
		accPath := filepath.Join(dir, "budget-accuracy.png")
		if err := report.Lines(accPath, sweepFront(pts, "Test accuracy against prediction NFE: fixed coefficients and budgets", "test accuracy (%)", false, acc)); err != nil {
			return nil, err
		}
		out = append(out, accPath)
	}
	coef := report.Panel{Title: "Budgeted coefficient over training", XLabel: "iteration", YLabel: "coefficient", LogY: true}
	k := 0
	for _, p := range pts {
		if p.kind != budgetPoint {
			continue
		}
		c := sweepBudgetColor(k)
		k++
		for i, r := range p.recs {
			if b := r.Run.Budget; b != nil {
				ls := report.Series{Color: c, X: make([]float64, len(b.CoefIterations)), Y: b.Coefficients}
				for j, it := range b.CoefIterations {
					ls.X[j] = float64(it)
				}
				if i == 0 {
					ls.Name = p.label
				}
				coef.Lines = append(coef.Lines, ls)
			}
		}
	}
	if len(coef.Lines) > 0 {
		coefPath := filepath.Join(dir, "budget-coef.png")
		if err := report.Lines(coefPath, coef); err != nil {
			return nil, err
		}
		out = append(out, coefPath)
	}
	return out, nil
}

// sweepBudgetColor is the colour of the i-th budget of a sweep.
func sweepBudgetColor(i int) color.Color { return plotutil.Color(i + 1) }

// sweepFront is the panel of a measure y of every run (training loss, test
// accuracy) against its prediction NFE: the fixed coefficients' runs and
// their mean front, vanilla's runs, and each budget's runs with the budget
// as a vertical line. Runs without the measure (ok false) are left out.
func sweepFront(pts []*sweepPoint, title, ylabel string, logY bool, y func(*report.Run) (float64, bool)) report.Panel {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		for i := range p.recs {
			if v, ok := y(&p.recs[i].Run); ok && (v > 0 || !logY) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	front := report.Panel{Title: title, XLabel: "prediction NFE", YLabel: ylabel, LogY: logY}
	fixed := report.Series{Name: "fixed coefficient (each seed)"}
	type mean struct{ n, v float64 }
	var means []mean
	for _, p := range pts {
		if p.kind != fixedPoint {
			continue
		}
		sn, sv, n := 0.0, 0.0, 0
		for i := range p.recs {
			r := &p.recs[i].Run
			v, ok := y(r)
			if !ok {
				continue
			}
			fixed.X = append(fixed.X, float64(r.NFE))
			fixed.Y = append(fixed.Y, v)
			sn, sv, n = sn+float64(r.NFE), sv+v, n+1
		}
		if n > 0 {
			means = append(means, mean{sn / float64(n), sv / float64(n)})
		}
	}
	slices.SortFunc(means, func(a, b mean) int { return int(math.Copysign(1, a.n-b.n)) })
	line := report.Series{Name: "fixed coefficients, mean over seeds", Color: color.Gray{Y: 0x60}}
	for _, m := range means {
		line.X = append(line.X, m.n)
		line.Y = append(line.Y, m.v)
	}
	front.Points = append(front.Points, fixed)
	front.Lines = append(front.Lines, line)
	points := func(s report.Series, p *sweepPoint) report.Series {
		for i := range p.recs {
			r := &p.recs[i].Run
			if v, ok := y(r); ok {
				s.X = append(s.X, float64(r.NFE))
				s.Y = append(s.Y, v)
			}
		}
		return s
	}
	front.Points = append(front.Points, points(report.Series{Name: "vanilla", Color: color.NRGBA{R: 0x90, G: 0x90, B: 0x90, A: 0xff}}, pts[0]))
	k := 0
	for _, p := range pts {
		if p.kind != budgetPoint {
			continue
		}
		c := sweepBudgetColor(k)
		k++
		front.Points = append(front.Points, points(report.Series{Name: fmt.Sprintf("%s (%g NFE)", p.label, p.budget), Color: c}, p))
		if lo < hi {
			front.Lines = append(front.Lines, report.Series{Color: c, X: []float64{p.budget, p.budget}, Y: []float64{lo, hi}})
		}
	}
	return front
}
