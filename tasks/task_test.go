package tasks

import (
	"errors"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/internal/flagtest"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/train"
)

func parse(t *testing.T, declare func(FlagSet), args ...string) {
	t.Helper()
	f := flagtest.New()
	declare(f)
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
}

type cfg struct {
	N   int
	X   float64
	Reg train.Regularization
}

// Flags given on the command line override the chosen scale; the others
// keep its values, and invalid values name their flag.
func TestOverrides(t *testing.T) {
	var o *Overrides[cfg]
	declare := func(fs FlagSet) {
		o = NewOverrides(fs, cfg{N: 10, X: 1})
		o.Int("n", func(c *cfg) *int { return &c.N }, "", AtLeast(1))
		o.Float("x", func(c *cfg) *float64 { return &c.X }, "", Positive)
		RegularizationFlags(o, func(c *cfg) *train.Regularization { return &c.Reg }, 1.5)
	}
	parse(t, declare, "-x", "3", "-stiffness-agg", "max", "-error-coef-final", "0")
	full := cfg{N: 99, X: 7, Reg: train.Regularization{ErrorCoef: 0.1, ErrorCoefFinal: 1e-6}}
	if err := o.Apply(&full); err != nil {
		t.Fatal(err)
	}
	if full.N != 99 || full.X != 3 || full.Reg.StiffnessAgg != ode.Max || full.Reg.ErrorCoef != 0.1 || full.Reg.ErrorCoefFinal != 0 {
		t.Errorf("applied %+v", full)
	}
	// The higher-order baselines' flags.
	parse(t, declare, "-taynode-coef", "0.02", "-taynode-order", "3", "-rnode-kinetic-coef", "0", "-rnode-jacobian-coef", "0.5", "-augmented-in-norm")
	hi := cfg{Reg: train.Regularization{TayNODEOrder: 2, RNODEKineticCoef: 0.01}}
	if err := o.Apply(&hi); err != nil {
		t.Fatal(err)
	}
	if r := hi.Reg; r.TayNODECoef != 0.02 || r.TayNODEOrder != 3 || r.RNODEKineticCoef != 0 || r.RNODEJacobianCoef != 0.5 || !r.AugmentedInNorm {
		t.Errorf("applied %+v", hi.Reg)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "0"}, "--n 0: give at least 1"},
		{[]string{"-x", "-1"}, "--x -1: must be positive"},
		{[]string{"-error-agg", "median"}, `--error-agg "median": use sum, mean or max`},
		{[]string{"-steer-b", "1.5"}, "--steer-b 1.5: must be below the span's length (1.5)"},
		{[]string{"-error-coef-final", "-1"}, "--error-coef-final -1: must be 0 or positive"},
		{[]string{"-taynode-coef", "0"}, "--taynode-coef 0: must be positive"},
		{[]string{"-taynode-order", "0"}, "--taynode-order 0: give at least 1"},
		{[]string{"-rnode-kinetic-coef", "-1"}, "--rnode-kinetic-coef -1: must be 0 or positive"},
		{[]string{"-rnode-jacobian-coef", "-0.5"}, "--rnode-jacobian-coef -0.5: must be 0 or positive"},
	} {
		parse(t, declare, c.args...)
		var x cfg
		if err := o.Apply(&x); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// Configure starts from the scale's configuration, applies the flags
// given, then prepare, then checks each method on a copy, and stops at the
// first error.
func TestConfigure(t *testing.T) {
	var o *Overrides[cfg]
	declare := func(fs FlagSet) {
		o = NewOverrides(fs, cfg{N: 10, X: 1})
		o.Float("x", func(c *cfg) *float64 { return &c.X }, "", Positive)
	}
	parse(t, declare, "-x", "3")
	full := cfg{N: 99, X: 7}
	methods := []train.Method{{}, {Error: true}, {Stiffness: true}}
	var checked []string
	prepare := func(c *cfg) error {
		if c.X != 3 {
			t.Errorf("prepare before the flags were applied: %+v", *c)
		}
		c.Reg.ErrorCoef = 5
		return nil
	}
	check := func(c cfg, m train.Method) error {
		if c.Reg.ErrorCoef != 5 {
			t.Errorf("check before prepare: %+v", c)
		}
		c.Reg.Method = m
		checked = append(checked, c.Reg.Method.String())
		return nil
	}
	for _, sc := range []struct {
		scale Scale
		n     int
	}{{Default, 10}, {Full, 99}} {
		checked = nil
		c, err := o.Configure(Settings{Scale: sc.scale, Methods: methods}, full, prepare, check)
		if err != nil {
			t.Fatal(err)
		}
		if c.N != sc.n || c.X != 3 || c.Reg.ErrorCoef != 5 || c.Reg.Method != (train.Method{}) {
			t.Errorf("%s scale: configured %+v, want N %d, the flag's X 3, prepare's error coefficient and no method", sc.scale, c, sc.n)
		}
		if got := strings.Join(checked, ","); got != "vanilla,error,stiffness" {
			t.Errorf("%s scale: checked %s, want every method in order", sc.scale, got)
		}
	}
	// The first error stops it: a bad flag before prepare, prepare's before
	// the checks, a method's before the next method's.
	bad := errors.New("bad")
	calls := 0
	counting := func(c cfg, m train.Method) error {
		calls++
		if m.Error {
			return bad
		}
		return nil
	}
	if _, err := o.Configure(Settings{Methods: methods}, full, nil, counting); err != bad || calls != 2 {
		t.Errorf("a method's error: %v after %d checks, want it after 2", err, calls)
	}
	calls = 0
	if _, err := o.Configure(Settings{Methods: methods}, full, func(*cfg) error { return bad }, counting); err != bad || calls != 0 {
		t.Errorf("prepare's error: %v after %d checks, want it before any", err, calls)
	}
	parse(t, declare, "-x", "-1")
	if _, err := o.Configure(Settings{Methods: methods}, full, func(*cfg) error { return bad }, counting); err == nil || !strings.Contains(err.Error(), "--x -1") {
		t.Errorf("a bad flag: %v, want its error", err)
	}
}

// Records carry their extras as JSON.
func TestRecord(t *testing.T) {
	r, err := NewRecord(report.Run{Method: "error", Seed: 3}, map[string][]float64{"loss": {0.1, 1e-300}})
	if err != nil {
		t.Fatal(err)
	}
	var x map[string][]float64
	if err := r.Decode(&x); err != nil || x["loss"][1] != 1e-300 {
		t.Errorf("decoded %v, %v", x, err)
	}
	empty := Record{Run: report.Run{Method: "vanilla"}}
	if err := empty.Decode(&x); err == nil || !strings.Contains(err.Error(), "vanilla seed 0 has no extras") {
		t.Errorf("no extras: %v", err)
	}
	if _, err := ParseScale("huge"); err == nil {
		t.Error("scale huge accepted")
	}
}

// Runs are made seed-major: every method of a seed (in the settings'
// method order) before the next seed, Index counting them in that order.
func TestRunsSeedMajor(t *testing.T) {
	vanilla, errReg, stiff := train.Method{}, train.Method{Error: true}, train.Method{Stiffness: true}
	s := Settings{Methods: []train.Method{vanilla, errReg}, Seeds: []uint64{1, 2}}
	type run struct {
		m    train.Method
		seed uint64
	}
	check := func(s Settings, want []run) {
		t.Helper()
		runs := s.Runs()
		if len(runs) != len(want) {
			t.Fatalf("%d runs, want %d", len(runs), len(want))
		}
		for i, r := range runs {
			if r.Index != i || r.Method != want[i].m || r.Seed != want[i].seed {
				t.Errorf("run %d: index %d, %s seed %d; want index %d, %s seed %d", i, r.Index, r.Method, r.Seed, i, want[i].m, want[i].seed)
			}
		}
	}
	// Every method of a seed before the next seed, the j-th seed's
	// methods rotated by j.
	check(s, []run{{vanilla, 1}, {errReg, 1}, {errReg, 2}, {vanilla, 2}})
	s = Settings{Methods: []train.Method{vanilla, stiff, errReg}, Seeds: []uint64{7, 8, 9}}
	check(s, []run{{vanilla, 7}, {stiff, 7}, {errReg, 7}, {stiff, 8}, {errReg, 8}, {vanilla, 8}, {errReg, 9}, {vanilla, 9}, {stiff, 9}})
	// Round robin over N shards where N equals the number of methods: each
	// shard holds a different method for every seed.
	for shard := 0; shard < 3; shard++ {
		seen := map[train.Method]bool{}
		for _, r := range s.Runs() {
			if r.Index%3 == shard {
				seen[r.Method] = true
			}
		}
		if len(seen) != 3 {
			t.Errorf("shard %d of 3 holds %d methods, want all 3", shard+1, len(seen))
		}
	}
}

// ByMethod groups records of any order by method in the settings' method
// order, each method's in seed order; unknown methods and seeds go last.
func TestByMethod(t *testing.T) {
	s := Settings{Methods: []train.Method{{}, {Error: true}, {Stiffness: true}}, Seeds: []uint64{5, 6}}
	rec := func(m string, seed int) Record { return Record{Run: report.Run{Method: m, Seed: seed}} }
	// Seed-major, as the runs are made, then a method and a seed the
	// settings do not have.
	made := []Record{rec("vanilla", 5), rec("error", 5), rec("stiffness", 5), rec("vanilla", 6), rec("error", 6), rec("stiffness", 6),
		rec("steer", 5), rec("error", 99)}
	// Shuffled: the result does not depend on the order given.
	in := []Record{made[4], made[7], made[0], made[5], made[6], made[2], made[1], made[3]}
	got := s.ByMethod(in)
	want := []Record{rec("vanilla", 5), rec("vanilla", 6), rec("error", 5), rec("error", 6), rec("error", 99),
		rec("stiffness", 5), rec("stiffness", 6), rec("steer", 5)}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Run.Method != want[i].Run.Method || got[i].Run.Seed != want[i].Run.Seed {
			t.Errorf("record %d: %s seed %d, want %s seed %d", i, got[i].Run.Method, got[i].Run.Seed, want[i].Run.Method, want[i].Run.Seed)
		}
	}
	if in[0].Run.Method != "error" || in[0].Run.Seed != 6 {
		t.Errorf("ByMethod modified its argument: %+v", in[0].Run)
	}
	if s.ByMethod(made[:6])[1].Run.Method != "vanilla" {
		t.Error("the runs' own order was not grouped by method")
	}
}
