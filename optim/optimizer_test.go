package optim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
)

// near reports whether got equals want to a few units in the last place.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 4e-16*math.Max(1, math.Abs(want))
}

// threeSteps applies StepFlat with the given per-step gradients and returns
// the parameters after each step.
func threeSteps(o Optimizer, x0 []float64, grads [][]float64) [][]float64 {
	x := append([]float64(nil), x0...)
	var out [][]float64
	for _, g := range grads {
		o.StepFlat(x, g)
		out = append(out, append([]float64(nil), x...))
	}
	return out
}

func checkSteps(t *testing.T, name string, got, want [][]float64) {
	t.Helper()
	for s := range want {
		for i := range want[s] {
			if !near(got[s][i], want[s][i]) {
				t.Errorf("%s: step %d, element %d: got %.17g, want %.17g", name, s+1, i, got[s][i], want[s][i])
			}
		}
	}
}

// The gradient sequence of the hand-worked examples: 1, 2, -1.
var g3 = [][]float64{{1}, {2}, {-1}}

// TestMomentumByHand: v = rho v + lr g, θ -= v with lr 0.1, rho 0.9.
//
//	element 0, g = 1, 2, -1:   v = 0.1, 0.29, 0.161       θ = 0.9, 0.61, 0.449
//	element 1, g = .5, -1, 0:  v = 0.05, -0.055, -0.0495  θ = -2.05, -1.995, -1.9455
func TestMomentumByHand(t *testing.T) {
	got := threeSteps(NewMomentum(Constant(0.1), 0.9), []float64{1, -2}, [][]float64{{1, 0.5}, {2, -1}, {-1, 0}})
	checkSteps(t, "Momentum", got, [][]float64{{0.9, -2.05}, {0.61, -1.995}, {0.449, -1.9455}})
}

// TestMomentumInverseDecayByHand: the learning rate of step t is
// 0.1/(1 + 0.5 t) = 1/15, 1/20, 1/25; with g = 1 and rho 0.9,
// v = 1/15, 0.9/15 + 0.05 = 0.11, 0.099 + 0.04 = 0.139.
func TestMomentumInverseDecayByHand(t *testing.T) {
	got := threeSteps(NewMomentum(InverseDecay(0.1, 0.5), 0.9), []float64{1}, [][]float64{{1}, {1}, {1}})
	θ1 := 1 - 1.0/15
	θ2 := θ1 - 0.11
	checkSteps(t, "Momentum+InverseDecay", got, [][]float64{{θ1}, {θ2}, {θ2 - 0.139}})
}

// TestAdamByHand with lr 0.1, β1 1/2, β2 3/4, ε 0 and g = 1, 2, -1:
//
//	t=1: m = 1/2, v = 1/4;        m̂ = 1,   v̂ = 1       θ = 1 - 0.1
//	t=2: m = 5/4, v = 19/16;      m̂ = 5/3, v̂ = 19/7    θ -= 0.1 (5/3)/sqrt(19/7)
//	t=3: m = 1/8, v = 73/64;      m̂ = 1/7, v̂ = 73/37   θ -= 0.1 (1/7)/sqrt(73/37)
//
// (bias corrections 1-β1^t = 1/2, 3/4, 7/8 and 1-β2^t = 1/4, 7/16, 37/64).
func TestAdamByHand(t *testing.T) {
	o := NewAdam(Constant(0.1))
	o.Beta1, o.Beta2, o.Eps = 0.5, 0.75, 0
	got := threeSteps(o, []float64{1}, g3)
	θ1 := 0.9
	θ2 := θ1 - 0.1*(5.0/3)/math.Sqrt(19.0/7)
	checkSteps(t, "Adam", got, [][]float64{{θ1}, {θ2}, {θ2 - 0.1*(1.0/7)/math.Sqrt(73.0/37)}})
}

// TestAdaBeliefByHand with lr 0.1, β1 1/2, β2 3/4, ε 0 and g = 1, 2, -1:
//
//	t=1: m = 1/2, g-m = 1/2,   s = 1/16;     m̂ = 1,   ŝ = 1/4      θ = 1 - 0.1/(1/2) = 0.8
//	t=2: m = 5/4, g-m = 3/4,   s = 3/16;     m̂ = 5/3, ŝ = 3/7      θ -= 0.1 (5/3)/sqrt(3/7)
//	t=3: m = 1/8, g-m = -9/8,  s = 117/256;  m̂ = 1/7, ŝ = 117/148  θ -= 0.1 (1/7)/sqrt(117/148)
func TestAdaBeliefByHand(t *testing.T) {
	o := NewAdaBelief(Constant(0.1))
	o.Beta1, o.Beta2, o.Eps = 0.5, 0.75, 0
	got := threeSteps(o, []float64{1}, g3)
	θ1 := 0.8
	θ2 := θ1 - 0.1*(5.0/3)/math.Sqrt(3.0/7)
	checkSteps(t, "AdaBelief", got, [][]float64{{θ1}, {θ2}, {θ2 - 0.1*(1.0/7)/math.Sqrt(117.0/148)}})
}

// TestAdaBeliefEpsilonByHand checks where ε enters (Zhuang et al.,
// Algorithm 2): inside s and in the denominator. With ε = 0.01, one step of
// g = 1 gives s = 1/16 + 0.01 = 0.0725, ŝ = 0.29 and θ = 1 - 0.1/(sqrt(0.29)+0.01).
func TestAdaBeliefEpsilonByHand(t *testing.T) {
	o := NewAdaBelief(Constant(0.1))
	o.Beta1, o.Beta2, o.Eps = 0.5, 0.75, 0.01
	got := threeSteps(o, []float64{1}, g3[:1])
	checkSteps(t, "AdaBelief ε", got, [][]float64{{1 - 0.1/(math.Sqrt(0.29)+0.01)}})
}

// TestAdamaxByHand with lr 0.1, β1 1/2, β2 3/4, ε 0 and g = 1, 2, -1:
//
//	t=1: m = 1/2, u = max(0, 1) = 1;       θ = 1 - (0.1/(1/2)) (1/2)/1 = 0.9
//	t=2: m = 5/4, u = max(3/4, 2) = 2;     θ -= (0.1/(3/4)) (5/4)/2 = 1/12
//	t=3: m = 1/8, u = max(3/2, 1) = 3/2;   θ -= (0.1/(7/8)) (1/8)/(3/2) = 1/105
func TestAdamaxByHand(t *testing.T) {
	o := NewAdamax(Constant(0.1))
	o.Beta1, o.Beta2, o.Eps = 0.5, 0.75, 0
	got := threeSteps(o, []float64{1}, g3)
	checkSteps(t, "Adamax", got, [][]float64{{0.9}, {0.9 - 1.0/12}, {0.9 - 1.0/12 - 1.0/105}})
}

// TestDefaultsAndZeroGradient: with the default ε a parameter whose gradient
// stays 0 does not move (no 0/0), and the defaults are the published ones.
func TestDefaultsAndZeroGradient(t *testing.T) {
	for _, o := range all(Constant(0.1)) {
		x := []float64{1.5, -0.5}
		for range 3 {
			o.StepFlat(x, []float64{0, 0.3})
		}
		if x[0] != 1.5 || math.IsNaN(x[1]) || x[1] >= -0.5 {
			t.Errorf("%T: after 3 steps x = %v, want x[0] = 1.5 and x[1] < -0.5", o, x)
		}
	}
	a, b, m := NewAdam(nil), NewAdaBelief(nil), NewAdamax(nil)
	if a.Beta1 != 0.9 || a.Beta2 != 0.999 || a.Eps != 1e-8 || b.Eps != 1e-16 || m.Eps != 1e-8 || m.Beta2 != 0.999 {
		t.Errorf("defaults: Adam %+v, AdaBelief %+v, Adamax %+v", a, b, m)
	}
}

func all(lr Schedule) []Optimizer {
	return []Optimizer{NewMomentum(lr, 0.9), NewAdam(lr), NewAdaBelief(lr), NewAdamax(lr)}
}

func fresh(o Optimizer) Optimizer {
	switch o := o.(type) {
	case *Momentum:
		return NewMomentum(o.LR, o.Rho)
	case *Adam:
		c := *NewAdam(o.LR)
		c.Beta1, c.Beta2, c.Eps = o.Beta1, o.Beta2, o.Eps
		return &c
	case *AdaBelief:
		c := *NewAdaBelief(o.LR)
		c.Beta1, c.Beta2, c.Eps = o.Beta1, o.Beta2, o.Eps
		return &c
	case *Adamax:
		c := *NewAdamax(o.LR)
		c.Beta1, c.Beta2, c.Eps = o.Beta1, o.Beta2, o.Eps
		return &c
	}
	panic("unknown optimizer")
}

func randParams(rng *rand.Rand) []*ad.Param {
	ps := []*ad.Param{ad.NewParam("W", 3, 4), ad.NewParam("b", 1, 4), ad.NewParam("c", 2, 1)}
	for _, p := range ps {
		for i := range p.Value.Data {
			p.Value.Data[i] = rng.NormFloat64()
		}
	}
	return ps
}

func randGrads(rng *rand.Rand, ps []*ad.Param) {
	for _, p := range ps {
		for i := range p.Grad.Data {
			p.Grad.Data[i] = rng.NormFloat64()
		}
	}
}

func flatten(ps []*ad.Param, grad bool) []float64 {
	var out []float64
	for _, p := range ps {
		if grad {
			out = append(out, p.Grad.Data...)
		} else {
			out = append(out, p.Value.Data...)
		}
	}
	return out
}

// TestStepEqualsStepFlat: updating a list of parameters is the same, bit for
// bit, as updating their concatenation.
func TestStepEqualsStepFlat(t *testing.T) {
	for i, o := range all(InverseDecay(0.05, 1e-2)) {
		rng := rand.New(rand.NewPCG(5, uint64(i)))
		ps := randParams(rng)
		x := flatten(ps, false)
		of := fresh(o)
		for range 4 {
			randGrads(rng, ps)
			g := flatten(ps, true)
			o.Step(ps)
			of.StepFlat(x, g)
		}
		for k, v := range flatten(ps, false) {
			if math.Float64bits(v) != math.Float64bits(x[k]) {
				t.Fatalf("%T: element %d: Step %v, StepFlat %v", o, k, v, x[k])
			}
		}
		if o.Steps() != 4 || of.Steps() != 4 {
			t.Errorf("%T: Steps %d and %d, want 4", o, o.Steps(), of.Steps())
		}
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	for _, o := range all(InverseDecay(0.01, 1e-5)) {
		ps := randParams(rand.New(rand.NewPCG(1, 1)))
		o.Step(ps)
		if a := testing.AllocsPerRun(20, func() { o.Step(ps) }); a != 0 {
			t.Errorf("%T.Step allocated %v times per call", o, a)
		}
	}
}

func TestStepPanicsOnOtherParameters(t *testing.T) {
	o := NewAdam(Constant(0.1))
	ps := randParams(rand.New(rand.NewPCG(1, 1)))
	o.Step(ps)
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "[12 4 2]") || !strings.Contains(msg, "[12 4]") {
			t.Errorf("panic %q does not name both size lists", msg)
		}
	}()
	o.Step(ps[:2])
}

// TestStateRoundTripIsBitIdentical: saving after 3 steps, restoring into a
// new optimizer and continuing gives exactly the run that never stopped.
func TestStateRoundTripIsBitIdentical(t *testing.T) {
	for i, o := range all(InverseDecay(0.05, 1e-2)) {
		rng := rand.New(rand.NewPCG(9, uint64(i)))
		ps := randParams(rng)
		grads := make([][]float64, 6)
		for s := range grads {
			randGrads(rng, ps)
			grads[s] = flatten(ps, true)
		}
		x := flatten(ps, false)
		y := append([]float64(nil), x...)
		for _, g := range grads {
			o.StepFlat(x, g)
		}
		a := fresh(o)
		for _, g := range grads[:3] {
			a.StepFlat(y, g)
		}
		data, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		b := fresh(o)
		if err := b.UnmarshalBinary(data); err != nil {
			t.Fatalf("%T: %v", o, err)
		}
		if b.Steps() != 3 {
			t.Fatalf("%T: restored Steps %d, want 3", o, b.Steps())
		}
		for _, g := range grads[3:] {
			b.StepFlat(y, g)
		}
		for k := range x {
			if math.Float64bits(x[k]) != math.Float64bits(y[k]) {
				t.Fatalf("%T: element %d after resume %v, uninterrupted %v", o, k, y[k], x[k])
			}
		}
		again, _ := b.MarshalBinary()
		if want, _ := o.MarshalBinary(); string(again) != string(want) {
			t.Errorf("%T: state after resume differs from the uninterrupted state", o)
		}
	}
}

func TestUnsteppedStateRoundTrip(t *testing.T) {
	o := NewAdam(Constant(0.1))
	data, _ := o.MarshalBinary()
	r := NewAdam(Constant(0.1))
	if err := r.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	ps := randParams(rand.New(rand.NewPCG(2, 2)))
	r.Step(ps) // must bind to these parameters, not to an empty list
	if r.Steps() != 1 {
		t.Fatalf("Steps %d", r.Steps())
	}
}

func TestUnmarshalErrors(t *testing.T) {
	o := NewAdam(Constant(0.1))
	o.StepFlat([]float64{1, 2}, []float64{0.5, -0.5})
	good, _ := o.MarshalBinary()
	check := func(name string, err error, words ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		if !errors.Is(err, ErrState) || !strings.HasPrefix(err.Error(), "optim: ") {
			t.Errorf("%s: error %q does not wrap ErrState with the optim: prefix", name, err)
		}
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
	}
	check("kind", NewMomentum(Constant(0.1), 0.9).UnmarshalBinary(good), "saved by Adam", "not Momentum")
	other := NewAdam(Constant(0.1))
	other.Beta2 = 0.99
	check("hyperparameters", other.UnmarshalBinary(good), "beta2 0.999", "has 0.99")
	for n := range len(good) {
		check(fmt.Sprintf("truncated to %d", n), NewAdam(Constant(0.1)).UnmarshalBinary(good[:n]))
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 1
	check("flipped bit", NewAdam(Constant(0.1)).UnmarshalBinary(bad), "corrupted")
	check("foreign", NewAdam(Constant(0.1)).UnmarshalBinary([]byte("hello, world, this is text")), "not optimizer state")
	// A failed restore leaves the optimizer unchanged.
	if o.Steps() != 1 {
		t.Errorf("Steps changed to %d", o.Steps())
	}
}

// TestParallelUpdateMatchesSerial: a vector long enough to be split over
// cores is updated exactly as its pieces are when updated one by one.
func TestParallelUpdateMatchesSerial(t *testing.T) {
	const n, piece = 1 << 16, 1 << 10
	for i, o := range all(InverseDecay(0.01, 1e-3)) {
		rng := rand.New(rand.NewPCG(13, uint64(i)))
		x := make([]float64, n)
		for k := range x {
			x[k] = rng.NormFloat64()
		}
		y := append([]float64(nil), x...)
		pieces := make([]Optimizer, n/piece)
		for k := range pieces {
			pieces[k] = fresh(o)
		}
		g := make([]float64, n)
		for range 3 {
			for k := range g {
				g[k] = rng.NormFloat64()
			}
			o.StepFlat(x, g)
			for k, p := range pieces {
				p.StepFlat(y[k*piece:(k+1)*piece], g[k*piece:(k+1)*piece])
			}
		}
		if !slicesEqualBits(x, y) {
			t.Errorf("%T: the parallel update differs from the piecewise one", o)
		}
	}
}

func slicesEqualBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}
