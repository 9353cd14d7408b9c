package train

import (
	"math"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ode"
)

func TestParseMethod(t *testing.T) {
	for _, name := range MethodNames {
		m, err := ParseMethod(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.String() != name {
			t.Errorf("ParseMethod(%q).String() = %q", name, m.String())
		}
	}
	m, err := ParseMethod(" Stiffness+STEER+error ")
	if err != nil || m != (Method{Error: true, Stiffness: true, STEER: true}) || m.String() != "steer+error+stiffness" {
		t.Errorf("any order: %+v %v", m, err)
	}
	if m, err := ParseMethod("TayNODE+steer"); err != nil || m != (Method{TayNODE: true, STEER: true}) || m.String() != "steer+taynode" {
		t.Errorf("taynode with steer: %+v %v", m, err)
	}
	for _, bad := range []string{"", "taylor", "error+error", "error+", "vanilla+error", "rnode+rnode"} {
		if _, err := ParseMethod(bad); err == nil || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("ParseMethod(%q): %v", bad, err)
		}
	}
}

func TestParseAggregation(t *testing.T) {
	for s, want := range map[string]ode.Aggregation{"sum": ode.Sum, "Mean": ode.Mean, "max": ode.Max} {
		if got, err := ParseAggregation(s); err != nil || got != want {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if _, err := ParseAggregation("median"); err == nil {
		t.Error("median accepted")
	}
}

func TestErrorCoefficientAnneals(t *testing.T) {
	r := Regularization{Method: Method{Error: true}, ErrorCoef: 100, ErrorCoefFinal: 10}
	const n = 76
	if got := r.ErrorCoefficient(0, n); got != 100 {
		t.Errorf("first iteration %v, want 100", got)
	}
	if got := r.ErrorCoefficient(n-1, n); math.Abs(got-10) > 1e-12 {
		t.Errorf("last iteration %v, want 10", got)
	}
	// Exponential: equal ratios over equal intervals.
	a, b, c := r.ErrorCoefficient(10, n), r.ErrorCoefficient(20, n), r.ErrorCoefficient(30, n)
	if math.Abs(b/a-c/b) > 1e-12 {
		t.Errorf("not exponential: %v %v %v", a, b, c)
	}
	r.ErrorCoefFinal = 100
	if r.ErrorCoefficient(40, n) != 100 {
		t.Error("equal endpoints should give a constant")
	}
	r.ErrorCoefFinal = 0
	if r.ErrorCoefficient(40, n) != 100 {
		t.Error("a zero final coefficient should give a constant")
	}
	r.Method.Error = false
	if r.ErrorCoefficient(0, n) != 0 {
		t.Error("a method without the error term has coefficient 0")
	}
}

func TestAtAndValidate(t *testing.T) {
	r := Regularization{Method: Method{Stiffness: true}, ErrorCoef: 5, StiffnessCoef: 0.3, StiffnessAgg: ode.Max, ErrorAgg: ode.Mean}
	got := r.At(3, 10)
	if got != (ode.Regularization{Stiffness: 0.3, StiffnessAgg: ode.Max, ErrorAgg: ode.Mean}) {
		t.Errorf("At = %+v", got)
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
	bad := []Regularization{
		{Method: Method{Error: true}, ErrorCoef: 0, ErrorCoefFinal: 1},
		{Method: Method{Error: true}, ErrorCoef: 1, ErrorCoefFinal: -1},
		{Method: Method{Stiffness: true}, StiffnessCoef: math.Inf(1)},
		{Method: Method{STEER: true}},
		{ErrorAgg: ode.Aggregation(7)},
		{Method: Method{TayNODE: true}, TayNODEOrder: 2},
		{Method: Method{TayNODE: true}, TayNODECoef: 0.1},
		{Method: Method{TayNODE: true}, TayNODECoef: math.NaN(), TayNODEOrder: 2},
		{Method: Method{RNODE: true}},
		{Method: Method{RNODE: true}, RNODEKineticCoef: -1, RNODEJacobianCoef: 1},
		{Method: Method{RNODE: true}, RNODEKineticCoef: 1, RNODEJacobianCoef: math.Inf(1)},
		{Method: Method{TayNODE: true, RNODE: true}, TayNODECoef: 1, TayNODEOrder: 2, RNODEKineticCoef: 1},
	}
	for _, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("%+v validated", b)
		}
	}
	if err := (&Regularization{}).Validate(); err != nil {
		t.Errorf("vanilla: %v", err)
	}
	for _, good := range []Regularization{
		{Method: Method{TayNODE: true, Error: true}, TayNODECoef: 0.01, TayNODEOrder: 3, ErrorCoef: 1},
		{Method: Method{RNODE: true}, RNODEJacobianCoef: 0.01},
		{Method: Method{RNODE: true}, RNODEKineticCoef: 0.01},
	} {
		if err := good.Validate(); err != nil {
			t.Errorf("%s: %v", good.String(), err)
		}
	}
	both := Regularization{Method: Method{TayNODE: true, RNODE: true}, TayNODECoef: 1, TayNODEOrder: 2, RNODEKineticCoef: 1}
	if err := both.Validate(); err == nil || !strings.Contains(err.Error(), "taynode and rnode cannot be combined") {
		t.Errorf("taynode+rnode: %v", err)
	}
}

func TestSteerEndTime(t *testing.T) {
	r := Regularization{Method: Method{STEER: true}, SteerB: 0.5}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	const n = 4000
	for it := range n {
		v := r.EndTime(0, 1.5, IterationRNG(1, it))
		lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
	}
	if lo < 1 || hi > 2 || lo > 1.01 || hi < 1.99 {
		t.Errorf("draws span [%v, %v], want about [1, 2]", lo, hi)
	}
	// Mean of U(1, 2): 1.5, standard error 0.29/sqrt(n) = 0.0046.
	if m := sum / n; math.Abs(m-1.5) > 0.02 {
		t.Errorf("mean end time %v, want 1.5", m)
	}
	if v := (&Regularization{}).EndTime(0, 1.5, nil); v != 1.5 {
		t.Errorf("without STEER the end time is T, got %v", v)
	}
	wide := Regularization{Method: Method{STEER: true}, SteerB: 5}
	for it := range 100 {
		if v := wide.EndTime(0, 1, IterationRNG(2, it)); !(v > 0) {
			t.Fatalf("end time %v not after t0", v)
		}
	}
}

func TestRegularizationString(t *testing.T) {
	r := Regularization{Method: Method{Error: true, Stiffness: true, STEER: true}, ErrorCoef: 100, ErrorCoefFinal: 10, StiffnessCoef: 0.1, StiffnessAgg: ode.Max, SteerB: 0.5}
	want := "steer+error+stiffness (error 100->10 sum, stiffness 0.1 max, steer b 0.5)"
	if r.String() != want {
		t.Errorf("String() = %q, want %q", r.String(), want)
	}
	for _, c := range []struct {
		r    Regularization
		want string
	}{
		{Regularization{Method: Method{TayNODE: true}, TayNODECoef: 0.01, TayNODEOrder: 2}, "taynode (taynode 0.01 K=2)"},
		{Regularization{Method: Method{RNODE: true}, RNODEKineticCoef: 0.01, RNODEJacobianCoef: 0.02, AugmentedInNorm: true},
			"rnode (rnode kinetic 0.01 jacobian 0.02, augmented states in the norm)"},
		{Regularization{AugmentedInNorm: true}, "vanilla"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestCheckSpan(t *testing.T) {
	r := Regularization{Method: Method{STEER: true}, SteerB: 1.5}
	if err := r.CheckSpan(0, 1.5); err == nil || !strings.Contains(err.Error(), "below the span's length 1.5") {
		t.Errorf("b = T: %v", err)
	}
	r.SteerB = 1.49
	if err := r.CheckSpan(0, 1.5); err != nil {
		t.Errorf("b < T: %v", err)
	}
	if err := (&Regularization{SteerB: 9}).CheckSpan(0, 1); err != nil {
		t.Errorf("without STEER b is not used: %v", err)
	}
}

// Every part named by MethodParts parses, and a Method with all of them
// prints them in that order.
func TestMethodParts(t *testing.T) {
	parts := MethodParts()
	m, err := ParseMethod(strings.Join(parts, "+"))
	if err != nil || m.String() != strings.Join(parts, "+") {
		t.Errorf("all parts: %v %v", m, err)
	}
	for _, p := range parts {
		if m, err := ParseMethod(p); err != nil || m.String() != p || m == (Method{}) {
			t.Errorf("%s: %v %v", p, m, err)
		}
	}
}
