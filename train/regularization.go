package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/optim"
)

// Method is a composable regularization recipe: any subset of the
// error-estimate regularizer (ERNODE), the stiffness regularizer (SRNODE) and
// STEER. The zero value is the unregularized "vanilla" model.
type Method struct {
	Error, Stiffness, STEER bool
}

// Method names of the paper's tables, in the order the reports list them.
var MethodNames = []string{"vanilla", "error", "stiffness", "error+stiffness", "steer", "steer+error", "steer+stiffness"}

// ParseMethod reads "vanilla" or a '+'-separated combination of "error",
// "stiffness" and "steer" in any order ("error+stiffness",
// "stiffness+steer"). Its String is the canonical spelling.
func ParseMethod(s string) (Method, error) {
	var m Method
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "vanilla" {
		return m, nil
	}
	if s == "" {
		return m, fmt.Errorf("train: empty method name; use vanilla or a '+'-joined combination of error, stiffness and steer")
	}
	for _, part := range strings.Split(s, "+") {
		var f *bool
		switch strings.TrimSpace(part) {
		case "error":
			f = &m.Error
		case "stiffness":
			f = &m.Stiffness
		case "steer":
			f = &m.STEER
		default:
			return m, fmt.Errorf("train: unknown method part %q in %q; use vanilla or a '+'-joined combination of error, stiffness and steer", part, s)
		}
		if *f {
			return m, fmt.Errorf("train: method %q names %q twice", s, part)
		}
		*f = true
	}
	return m, nil
}

// String returns the canonical name: "vanilla", or the parts in the order
// steer, error, stiffness joined by '+' ("steer+error", "error+stiffness").
func (m Method) String() string {
	var parts []string
	if m.STEER {
		parts = append(parts, "steer")
	}
	if m.Error {
		parts = append(parts, "error")
	}
	if m.Stiffness {
		parts = append(parts, "stiffness")
	}
	if len(parts) == 0 {
		return "vanilla"
	}
	return strings.Join(parts, "+")
}

// ParseAggregation reads "sum", "mean" or "max".
func ParseAggregation(s string) (ode.Aggregation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sum":
		return ode.Sum, nil
	case "mean":
		return ode.Mean, nil
	case "max":
		return ode.Max, nil
	}
	return ode.Sum, fmt.Errorf("train: unknown aggregation %q; use sum, mean or max", s)
}

// Regularization is a Method with its coefficients. Fields of parts the
// Method does not use are ignored.
type Regularization struct {
	Method Method
	// ErrorFrom and ErrorTo are the coefficient lambda of R_E: annealed
	// exponentially from ErrorFrom at the first iteration to ErrorTo at the
	// last (optim.ExpAnneal), constant when they are equal.
	ErrorFrom, ErrorTo float64
	// ErrorAgg aggregates E_j*|h_j| over accepted steps (paper eq. 9: Sum).
	ErrorAgg ode.Aggregation
	// Stiffness is the coefficient of R_S, constant over the run.
	Stiffness float64
	// StiffnessAgg aggregates S_j over accepted steps (paper eq. 11: Sum).
	StiffnessAgg ode.Aggregation
	// SteerB is STEER's half-width b: the end time of each iteration is
	// drawn from U(T-b, T+b).
	SteerB float64
}

// Validate checks the coefficients of the parts the Method uses.
func (r *Regularization) Validate() error {
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("train: %s = %v; it must be positive and finite for method %s", name, v, r.Method)
		}
		return nil
	}
	if r.Method.Error {
		if err := pos("the error coefficient lambda0", r.ErrorFrom); err != nil {
			return err
		}
		if err := pos("the error coefficient lambda1", r.ErrorTo); err != nil {
			return err
		}
	}
	if r.Method.Stiffness {
		if err := pos("the stiffness coefficient", r.Stiffness); err != nil {
			return err
		}
	}
	if r.Method.STEER {
		if err := pos("STEER's half-width b", r.SteerB); err != nil {
			return err
		}
	}
	for _, a := range []ode.Aggregation{r.ErrorAgg, r.StiffnessAgg} {
		if a != ode.Sum && a != ode.Mean && a != ode.Max {
			return fmt.Errorf("train: unknown aggregation %v; use ode.Sum, ode.Mean or ode.Max", a)
		}
	}
	return nil
}

// ErrorCoefficient returns lambda of iteration it (0-based) of a run of n
// iterations: ErrorFrom * exp(-k it) with k = ln(ErrorFrom/ErrorTo)/(n-1),
// so the last iteration uses ErrorTo; 0 when the Method has no error term.
func (r *Regularization) ErrorCoefficient(it, n int) float64 {
	if !r.Method.Error {
		return 0
	}
	if r.ErrorFrom == r.ErrorTo {
		return r.ErrorFrom
	}
	return optim.ExpAnneal(r.ErrorFrom, r.ErrorTo, max(1, n-1)).At(it)
}

// At returns the ode.Regularization of iteration it of n.
func (r *Regularization) At(it, n int) ode.Regularization {
	o := ode.Regularization{ErrorAgg: r.ErrorAgg, StiffnessAgg: r.StiffnessAgg}
	o.Error = r.ErrorCoefficient(it, n)
	if r.Method.Stiffness {
		o.Stiffness = r.Stiffness
	}
	return o
}

// EndTime returns the end of the integration span for one iteration: t1,
// or with STEER a draw from U(t1-b, t1+b) using rng, kept above t0.
func (r *Regularization) EndTime(t0, t1 float64, rng *rand.Rand) float64 {
	if !r.Method.STEER {
		return t1
	}
	t := t1 + r.SteerB*(2*rng.Float64()-1)
	return math.Max(t, t0+1e-3*(t1-t0))
}

// String describes the regularization compactly, e.g.
// "error+stiffness (lambda 100->10 sum, stiffness 0.1 max)".
func (r *Regularization) String() string {
	var d []string
	if r.Method.Error {
		if r.ErrorFrom == r.ErrorTo {
			d = append(d, fmt.Sprintf("lambda %g %v", r.ErrorFrom, r.ErrorAgg))
		} else {
			d = append(d, fmt.Sprintf("lambda %g->%g %v", r.ErrorFrom, r.ErrorTo, r.ErrorAgg))
		}
	}
	if r.Method.Stiffness {
		d = append(d, fmt.Sprintf("stiffness %g %v", r.Stiffness, r.StiffnessAgg))
	}
	if r.Method.STEER {
		d = append(d, fmt.Sprintf("steer b %g", r.SteerB))
	}
	if len(d) == 0 {
		return r.Method.String()
	}
	return r.Method.String() + " (" + strings.Join(d, ", ") + ")"
}
