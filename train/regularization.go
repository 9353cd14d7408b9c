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
// error-estimate regularizer (ERNODE, ERNSDE), the stiffness regularizer
// (SRNODE, SRNSDE), STEER and one of the higher-order baselines TayNODE
// (Kelly et al. 2020) and RNODE (Finlay et al. 2020). The zero value is the
// unregularized "vanilla" model. (In package ode and sde, Method names a
// solver tableau instead.)
type Method struct {
	Error, Stiffness, STEER bool
	// TayNODE and RNODE augment the state with the integrals of their
	// regularizers (Regularization.Augment); they exclude each other.
	TayNODE, RNODE bool
}

// methodParts are the parts a Method combines, in the order of its
// canonical name. Adding a part is a field of Method, a row here and its
// coefficients in Regularization.
var methodParts = []struct {
	name string
	flag func(*Method) *bool
}{
	{"steer", func(m *Method) *bool { return &m.STEER }},
	{"error", func(m *Method) *bool { return &m.Error }},
	{"stiffness", func(m *Method) *bool { return &m.Stiffness }},
	{"taynode", func(m *Method) *bool { return &m.TayNODE }},
	{"rnode", func(m *Method) *bool { return &m.RNODE }},
}

// MethodParts returns the names of the parts a Method combines, in the
// order of its canonical name ("steer", "error", "stiffness", "taynode",
// "rnode").
func MethodParts() []string {
	out := make([]string, len(methodParts))
	for i, p := range methodParts {
		out[i] = p.name
	}
	return out
}

// Method names of the paper's tables, in the order the reports list them.
var MethodNames = []string{"vanilla", "error", "stiffness", "error+stiffness", "steer", "steer+error", "steer+stiffness", "taynode", "rnode"}

// partsList is "steer, error, stiffness, taynode and rnode" for error
// messages.
func partsList() string {
	names := MethodParts()
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// ParseMethod reads "vanilla" or a '+'-separated combination of the parts
// ("error", "stiffness", "steer", "taynode", "rnode") in any order
// ("error+stiffness", "stiffness+steer"). Its String is the canonical
// spelling. Whether a combination is usable (taynode and rnode exclude each
// other) is Regularization.Validate's to say.
func ParseMethod(s string) (Method, error) {
	var m Method
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "vanilla" {
		return m, nil
	}
	if s == "" {
		return m, fmt.Errorf("train: empty method name; use vanilla or a '+'-joined combination of %s", partsList())
	}
	for _, part := range strings.Split(s, "+") {
		part = strings.TrimSpace(part)
		var f *bool
		for _, p := range methodParts {
			if p.name == part {
				f = p.flag(&m)
			}
		}
		if f == nil {
			return m, fmt.Errorf("train: unknown method part %q in %q; use vanilla or a '+'-joined combination of %s", part, s, partsList())
		}
		if *f {
			return m, fmt.Errorf("train: method %q names %q twice", s, part)
		}
		*f = true
	}
	return m, nil
}

// String returns the canonical name: "vanilla", or the parts in the order
// steer, error, stiffness, taynode, rnode joined by '+' ("steer+error",
// "error+stiffness", "steer+taynode").
func (m Method) String() string {
	var parts []string
	for _, p := range methodParts {
		if *p.flag(&m) {
			parts = append(parts, p.name)
		}
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
// Method does not use are ignored. The command line spells them
// --error-coef, --error-coef-final, --error-agg, --stiffness-coef,
// --stiffness-agg, --steer-b, --taynode-coef, --taynode-order,
// --rnode-kinetic-coef, --rnode-jacobian-coef and --augmented-in-norm in
// every task.
type Regularization struct {
	Method Method
	// ErrorCoef is the coefficient lambda of R_E = agg_j E_j |h_j|. With
	// ErrorCoefFinal > 0 (and different) it is annealed exponentially from
	// ErrorCoef at the first iteration to ErrorCoefFinal at the last
	// (optim.ExpAnneal); with ErrorCoefFinal = 0 it is constant.
	ErrorCoef, ErrorCoefFinal float64
	// ErrorAgg aggregates E_j*|h_j| over accepted steps (paper eq. 9: Sum).
	ErrorAgg ode.Aggregation
	// StiffnessCoef is the coefficient of R_S = agg_j S_j, constant over
	// the run.
	StiffnessCoef float64
	// StiffnessAgg aggregates S_j over accepted steps (paper eq. 11: Sum).
	StiffnessAgg ode.Aggregation
	// SteerB is STEER's half-width b: the end time of each iteration is
	// drawn from U(T-b, T+b). It must be below the span's length (CheckSpan).
	SteerB float64
	// TayNODECoef is the coefficient lambda of Kelly et al.'s R_K: the
	// batch mean of the integral over the solve of rho = mean over the
	// features of (d^K z/dt^K)^2. TayNODEOrder is K (Kelly et al.: 3 on
	// MNIST, 2 on PhysioNet); tasks set their own default. Both constant.
	TayNODECoef  float64
	TayNODEOrder int
	// RNODEKineticCoef and RNODEJacobianCoef weight Finlay et al.'s
	// integrals of the kinetic energy ||f||^2 and of the Hutchinson
	// estimate ||(df/dz) eps||^2 of the Jacobian's squared Frobenius norm
	// (batch means; Finlay et al. use 0.01 each). Either may be 0, not
	// both. Both constant.
	RNODEKineticCoef, RNODEJacobianCoef float64
	// AugmentedInNorm lets the integrals of taynode and rnode enter the
	// solver's norms (ode.Options.NormColumns 0). By default they stay out,
	// so the steps are chosen by the model's state alone, as in Kelly et
	// al.'s MNIST code (see Augment).
	AugmentedInNorm bool
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
		if err := pos("the error coefficient", r.ErrorCoef); err != nil {
			return err
		}
		if r.ErrorCoefFinal != 0 {
			if err := pos("the final error coefficient", r.ErrorCoefFinal); err != nil {
				return err
			}
		}
	}
	if r.Method.Stiffness {
		if err := pos("the stiffness coefficient", r.StiffnessCoef); err != nil {
			return err
		}
	}
	if r.Method.STEER {
		if err := pos("STEER's half-width b", r.SteerB); err != nil {
			return err
		}
	}
	if r.Method.TayNODE && r.Method.RNODE {
		return fmt.Errorf("train: method %s: taynode and rnode cannot be combined (each is a baseline of its own); run them as separate methods", r.Method)
	}
	if r.Method.TayNODE {
		if err := pos("the taynode coefficient", r.TayNODECoef); err != nil {
			return err
		}
		if r.TayNODEOrder < 1 {
			return fmt.Errorf("train: the taynode order K = %d; it must be at least 1 for method %s (Kelly et al. use 2 and 3)", r.TayNODEOrder, r.Method)
		}
	}
	if r.Method.RNODE {
		for _, c := range []struct {
			name string
			v    float64
		}{{"kinetic", r.RNODEKineticCoef}, {"Jacobian", r.RNODEJacobianCoef}} {
			if !(c.v >= 0) || math.IsInf(c.v, 0) {
				return fmt.Errorf("train: the rnode %s coefficient = %v; it must be 0 or positive and finite for method %s", c.name, c.v, r.Method)
			}
		}
		if r.RNODEKineticCoef == 0 && r.RNODEJacobianCoef == 0 {
			return fmt.Errorf("train: method %s has both rnode coefficients 0; give the kinetic or the Jacobian coefficient a positive value", r.Method)
		}
	}
	for _, a := range []ode.Aggregation{r.ErrorAgg, r.StiffnessAgg} {
		if a != ode.Sum && a != ode.Mean && a != ode.Max {
			return fmt.Errorf("train: unknown aggregation %v; use ode.Sum, ode.Mean or ode.Max", a)
		}
	}
	return nil
}

// CheckSpan checks STEER's half-width against the span [t0, t1] it
// perturbs: b must be below t1-t0, or the drawn end time could fall at or
// before t0 and an iteration would fit nothing.
func (r *Regularization) CheckSpan(t0, t1 float64) error {
	if r.Method.STEER && !(r.SteerB < t1-t0) {
		return fmt.Errorf("train: STEER's half-width b = %v must be below the span's length %v (end times are drawn from U(T-b, T+b))", r.SteerB, t1-t0)
	}
	return nil
}

// ErrorCoefficient returns lambda of iteration it (0-based) of a run of n
// iterations: ErrorCoef * exp(-k it) with
// k = ln(ErrorCoef/ErrorCoefFinal)/(n-1), so the last iteration uses
// ErrorCoefFinal; ErrorCoef when ErrorCoefFinal is 0 or equal; 0 when the
// Method has no error term.
func (r *Regularization) ErrorCoefficient(it, n int) float64 {
	if !r.Method.Error {
		return 0
	}
	if r.ErrorCoefFinal == 0 || r.ErrorCoefFinal == r.ErrorCoef {
		return r.ErrorCoef
	}
	return optim.ExpAnneal(r.ErrorCoef, r.ErrorCoefFinal, max(1, n-1)).At(it)
}

// At returns the ode.Regularization of iteration it of n.
func (r *Regularization) At(it, n int) ode.Regularization {
	o := ode.Regularization{ErrorAgg: r.ErrorAgg, StiffnessAgg: r.StiffnessAgg}
	o.Error = r.ErrorCoefficient(it, n)
	if r.Method.Stiffness {
		o.Stiffness = r.StiffnessCoef
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
// "error+stiffness (error 100->10 sum, stiffness 0.1 max)" or
// "taynode (taynode 0.01 K=2)".
func (r *Regularization) String() string {
	var d []string
	if r.Method.Error {
		if r.ErrorCoefFinal == 0 || r.ErrorCoefFinal == r.ErrorCoef {
			d = append(d, fmt.Sprintf("error %g %v", r.ErrorCoef, r.ErrorAgg))
		} else {
			d = append(d, fmt.Sprintf("error %g->%g %v", r.ErrorCoef, r.ErrorCoefFinal, r.ErrorAgg))
		}
	}
	if r.Method.Stiffness {
		d = append(d, fmt.Sprintf("stiffness %g %v", r.StiffnessCoef, r.StiffnessAgg))
	}
	if r.Method.STEER {
		d = append(d, fmt.Sprintf("steer b %g", r.SteerB))
	}
	if r.Method.TayNODE {
		d = append(d, fmt.Sprintf("taynode %g K=%d", r.TayNODECoef, r.TayNODEOrder))
	}
	if r.Method.RNODE {
		d = append(d, fmt.Sprintf("rnode kinetic %g jacobian %g", r.RNODEKineticCoef, r.RNODEJacobianCoef))
	}
	if r.Augments() && r.AugmentedInNorm {
		d = append(d, "augmented states in the norm")
	}
	if len(d) == 0 {
		return r.Method.String()
	}
	return r.Method.String() + " (" + strings.Join(d, ", ") + ")"
}
