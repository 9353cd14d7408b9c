package tasks

import (
	"fmt"
	"math"
	"strconv"

	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/train"
)

// FlagSet is what the harness gives a task to declare its flags on: the
// declaring methods of *flag.FlagSet, and IsSet, valid after parsing.
type FlagSet interface {
	IntVar(p *int, name string, value int, usage string)
	Float64Var(p *float64, name string, value float64, usage string)
	StringVar(p *string, name string, value string, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
	// IsSet reports whether the flag was given on the command line.
	IsSet(name string) bool
}

// Overrides declares flags for fields of a configuration C: each flag shows
// the field's value in the defaults given to NewOverrides (the default
// scale) and, after parsing, Apply copies into a configuration only the
// flags given on the command line, so that they override the chosen scale
// and the others keep its values.
type Overrides[C any] struct {
	fs       FlagSet
	defaults C
	apply    []func(*C) error
}

// NewOverrides returns an Overrides declaring its flags on fs with the
// values of defaults as the flags' defaults.
func NewOverrides[C any](fs FlagSet, defaults C) *Overrides[C] {
	return &Overrides[C]{fs: fs, defaults: defaults}
}

// Int declares --name for the int field, checked by check when given.
func (o *Overrides[C]) Int(name string, field func(*C) *int, usage string, check func(int) error) {
	v := new(int)
	o.fs.IntVar(v, name, *field(&o.defaults), usage)
	o.apply = append(o.apply, func(c *C) error {
		if !o.fs.IsSet(name) {
			return nil
		}
		if check != nil {
			if err := check(*v); err != nil {
				return fmt.Errorf("--%s %d: %v", name, *v, err)
			}
		}
		*field(c) = *v
		return nil
	})
}

// Float declares --name for the float64 field, checked by check when given.
func (o *Overrides[C]) Float(name string, field func(*C) *float64, usage string, check func(float64) error) {
	v := new(float64)
	o.fs.Float64Var(v, name, *field(&o.defaults), usage)
	o.apply = append(o.apply, func(c *C) error {
		if !o.fs.IsSet(name) {
			return nil
		}
		if check != nil {
			if err := check(*v); err != nil {
				return fmt.Errorf("--%s %s: %v", name, strconv.FormatFloat(*v, 'g', -1, 64), err)
			}
		}
		*field(c) = *v
		return nil
	})
}

// Aggregation declares --name for an ode.Aggregation field, spelled sum,
// mean or max.
func (o *Overrides[C]) Aggregation(name string, field func(*C) *ode.Aggregation, usage string) {
	v := new(string)
	o.fs.StringVar(v, name, field(&o.defaults).String(), usage)
	o.apply = append(o.apply, func(c *C) error {
		if !o.fs.IsSet(name) {
			return nil
		}
		a, err := train.ParseAggregation(*v)
		if err != nil {
			return fmt.Errorf("--%s %q: use sum, mean or max", name, *v)
		}
		*field(c) = a
		return nil
	})
}

// Bool declares --name for the bool field.
func (o *Overrides[C]) Bool(name string, field func(*C) *bool, usage string) {
	v := new(bool)
	o.fs.BoolVar(v, name, *field(&o.defaults), usage)
	o.apply = append(o.apply, func(c *C) error {
		if o.fs.IsSet(name) {
			*field(c) = *v
		}
		return nil
	})
}

// Apply copies the flags given on the command line into c, in the order
// they were declared, and returns the first invalid one's error.
func (o *Overrides[C]) Apply(c *C) error {
	for _, a := range o.apply {
		if err := a(c); err != nil {
			return err
		}
	}
	return nil
}

// Configure is what a task's Setup starts with. It takes the
// configuration of the settings' scale: the defaults given to
// NewOverrides, which are the default scale's, or full with --scale full.
// It applies the flags given on the command line (Apply), then prepare
// (nil: none), which sets what comes from elsewhere (the settings' step
// bound, a data path) and may reject the whole configuration, and then
// check for each method of the settings, which rejects a method the task
// cannot train or a configuration invalid for it (check gets a copy of the
// configuration and sets the method itself). It returns the configuration
// without a method, or the first error.
func (o *Overrides[C]) Configure(s Settings, full C, prepare func(*C) error, check func(C, train.Method) error) (C, error) {
	c := o.defaults
	if s.Scale == Full {
		c = full
	}
	if err := o.Apply(&c); err != nil {
		return c, err
	}
	if prepare != nil {
		if err := prepare(&c); err != nil {
			return c, err
		}
	}
	for _, m := range s.Methods {
		if err := check(c, m); err != nil {
			return c, err
		}
	}
	return c, nil
}

// AtLeast returns a check that an int is at least n.
func AtLeast(n int) func(int) error {
	return func(v int) error {
		if v < n {
			return fmt.Errorf("give at least %d", n)
		}
		return nil
	}
}

// Positive checks that a float is positive and finite.
func Positive(v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("must be positive and finite")
	}
	return nil
}

// NonNegative checks that a float is 0 or positive and finite.
func NonNegative(v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("must be 0 or positive and finite")
	}
	return nil
}

// Below returns a check that a float is positive and below limit; what
// names the limit in the message.
func Below(limit float64, what string) func(float64) error {
	return func(v float64) error {
		if err := Positive(v); err != nil {
			return err
		}
		if !(v < limit) {
			return fmt.Errorf("must be below %s (%g)", what, limit)
		}
		return nil
	}
}

// RegularizationFlags declares the regularization flags, spelled the same
// in every task: --error-coef, --error-coef-final, --error-agg,
// --stiffness-coef, --stiffness-agg, the higher-order baselines'
// --taynode-coef, --taynode-order, --rnode-kinetic-coef,
// --rnode-jacobian-coef and --augmented-in-norm, and, when span > 0 (the
// task supports STEER over an integration span of that length), --steer-b,
// which must be below span. --error-coef-final 0 keeps the error
// coefficient constant. The defaults shown are the task's (those of the
// configuration given to NewOverrides); a task that cannot run taynode or
// rnode rejects those methods in its Setup.
func RegularizationFlags[C any](o *Overrides[C], reg func(*C) *train.Regularization, span float64) {
	o.Float("error-coef", func(c *C) *float64 { return &reg(c).ErrorCoef },
		"coefficient of the error regularizer R_E = agg_j E_j |h_j| (methods with error); at the first iteration when --error-coef-final is set", Positive)
	o.Float("error-coef-final", func(c *C) *float64 { return &reg(c).ErrorCoefFinal },
		"error coefficient at the last iteration, annealed exponentially from --error-coef (0: constant --error-coef)", NonNegative)
	o.Aggregation("error-agg", func(c *C) *ode.Aggregation { return &reg(c).ErrorAgg }, "aggregation of E_j*|h_j| over the accepted steps: sum, mean or max")
	o.Float("stiffness-coef", func(c *C) *float64 { return &reg(c).StiffnessCoef },
		"coefficient of the stiffness regularizer R_S = agg_j S_j (methods with stiffness)", Positive)
	o.Aggregation("stiffness-agg", func(c *C) *ode.Aggregation { return &reg(c).StiffnessAgg }, "aggregation of S_j over the accepted steps: sum, mean or max")
	o.Float("taynode-coef", func(c *C) *float64 { return &reg(c).TayNODECoef },
		"coefficient of TayNODE's R_K, the batch mean of the integral of mean((d^K z/dt^K)^2) (methods with taynode; Kelly et al. 2020)", Positive)
	o.Int("taynode-order", func(c *C) *int { return &reg(c).TayNODEOrder },
		"K, the order of the time derivative TayNODE regularizes (Kelly et al. use 2 and 3)", AtLeast(1))
	o.Float("rnode-kinetic-coef", func(c *C) *float64 { return &reg(c).RNODEKineticCoef },
		"coefficient of RNODE's kinetic energy, the batch mean of the integral of ||f||^2 (methods with rnode; Finlay et al. 2020; 0: off)", NonNegative)
	o.Float("rnode-jacobian-coef", func(c *C) *float64 { return &reg(c).RNODEJacobianCoef },
		"coefficient of RNODE's Jacobian term, the batch mean of the integral of ||(df/dz) eps||^2, eps ~ N(0, I) per solve (methods with rnode; 0: off)", NonNegative)
	o.Bool("augmented-in-norm", func(c *C) *bool { return &reg(c).AugmentedInNorm },
		"let the integrals of taynode and rnode enter the solver's error norm (default: the steps follow the model's state alone)")
	if span > 0 {
		o.Float("steer-b", func(c *C) *float64 { return &reg(c).SteerB },
			fmt.Sprintf("STEER half-width b: each iteration's end time ~ U(T-b, T+b); below the span's length %g", span), Below(span, "the span's length"))
	}
}
