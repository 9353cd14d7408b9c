package tasks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/whitebox-de/whitebox/train"
)

// BudgetFlags declares the flags of training to a prediction budget,
// spelled the same in every task that supports budgets: --nfe-budget,
// --predict-time-budget, --budget-regularizer, --budget-gain and
// --budget-smoothing, into the train.Budget of a configuration C. A task
// that declares them hands the budget to train.NewBudgetController for each
// run and calls CheckBudget in Setup. reg gives the configuration's
// regularization, whose annealing flag --error-coef-final a budget on the
// error regularizer replaces.
func BudgetFlags[C any](o *Overrides[C], budget func(*C) *train.Budget) {
	o.Float("nfe-budget", func(c *C) *float64 { return &budget(c).NFE },
		"train to this prediction NFE: the coefficient of --budget-regularizer is adapted online from the training NFE (0: no budget; --error-coef is the starting value)", atLeastOneOrZero)
	pt := new(string)
	o.fs.StringVar(pt, "predict-time-budget", "", "train to this prediction time (e.g. 0.2ms), converted to an NFE budget by the measured time per NFE of the prediction solve (empty: none)")
	o.apply = append(o.apply, func(c *C) error {
		if !o.fs.IsSet("predict-time-budget") {
			return nil
		}
		d, err := time.ParseDuration(strings.TrimSpace(*pt))
		if err != nil || d <= 0 {
			return fmt.Errorf("--predict-time-budget %q: give a positive duration such as 0.2ms or 1.5s", *pt)
		}
		budget(c).PredictTime = d
		return nil
	})
	reg := new(string)
	o.fs.StringVar(reg, "budget-regularizer", "error", "the regularizer whose coefficient a budget sets: "+orList(train.BudgetRegularizers()))
	o.apply = append(o.apply, func(c *C) error {
		if !o.fs.IsSet("budget-regularizer") {
			return nil
		}
		b := train.Budget{NFE: 1, Regularizer: *reg}
		if err := b.Validate(); err != nil {
			return fmt.Errorf("--budget-regularizer %q: use %s", *reg, orList(train.BudgetRegularizers()))
		}
		budget(c).Regularizer = *reg
		return nil
	})
	o.Float("budget-gain", func(c *C) *float64 { return &budget(c).Gain },
		fmt.Sprintf("budget controller's integral gain: change of ln(coefficient) per iteration per unit ln(NFE/setpoint) (0: %g)", float64(train.DefaultBudgetGain)), NonNegative)
	o.Float("budget-smoothing", func(c *C) *float64 { return &budget(c).Smoothing },
		fmt.Sprintf("time constant in iterations of the moving average of the training NFE the budget controller acts on (0: %g)", float64(train.DefaultBudgetSmoothing)), NonNegative)
}

// orList is "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// atLeastOneOrZero checks an NFE budget: 0 (none), or at least 1.
func atLeastOneOrZero(v float64) error {
	if err := NonNegative(v); err != nil {
		return err
	}
	if v != 0 && v < 1 {
		return errors.New("give at least 1 evaluation, or 0 for no budget")
	}
	return nil
}

// CheckBudget checks a budget against the methods of a command, with
// errors naming the flags: one budget at most, and at least one method with
// the budget's regularizer (a budget cannot hold vanilla to anything). fs
// tells whether --error-coef-final was given, which a budget on the error
// regularizer replaces. Methods without the regularizer train as usual (in
// `reproduce`, vanilla stays the reference).
func CheckBudget(fs FlagSet, b train.Budget, methods []train.Method) error {
	if !b.IsSet() {
		return nil
	}
	if b.NFE != 0 && b.PredictTime != 0 {
		return errors.New("--nfe-budget and --predict-time-budget: give one budget, not both")
	}
	flag := "--nfe-budget " + strconv.FormatFloat(b.NFE, 'g', -1, 64)
	if b.PredictTime != 0 {
		flag = "--predict-time-budget " + b.PredictTime.String()
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("%s: %v", flag, strings.TrimPrefix(err.Error(), train.ErrBudget.Error()+": "))
	}
	applies := false
	names := make([]string, len(methods))
	for i, m := range methods {
		applies = applies || b.Applies(m)
		names[i] = m.String()
	}
	if !applies {
		return fmt.Errorf("%s: a budget sets the coefficient of the %s regularizer, which %s does not use; train a method with %s (--method %s, or --methods vanilla,%s), or set --budget-regularizer",
			flag, b.Part(), strings.Join(names, ", "), b.Part(), b.Part(), b.Part())
	}
	if b.Part() == "error" && fs != nil && fs.IsSet("error-coef-final") {
		return fmt.Errorf("--error-coef-final: with %s the error coefficient is set online, starting from --error-coef; drop --error-coef-final", flag)
	}
	return nil
}

// FlagSet returns the flag set the overrides are declared on (for IsSet).
func (o *Overrides[C]) FlagSet() FlagSet { return o.fs }

// SweepDefaults are a task's defaults for a budget sweep (`whitebox
// reproduce <task> --sweep-budget`), where the command's own suit the task
// less well: their --sweep-fractions and --sweep-coefs.
type SweepDefaults struct {
	// Fractions are the budgets, as fractions of vanilla's mean
	// prediction NFE measured in the same command (nil: the command's,
	// 0.8, 0.6 and 0.5).
	Fractions []float64
	// Coefs holds the fixed coefficients of the sweep by budgeted
	// regularizer ("error"); a regularizer without an entry takes the
	// command's default, its --<regularizer>-coef times 0.01 ... 3.
	Coefs map[string][]float64
}

// BudgetSweeper is implemented by a task whose budget sweep has defaults
// of its own.
type BudgetSweeper interface {
	SweepDefaults() SweepDefaults
}
