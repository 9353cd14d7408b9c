package ode_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/ode/odetest"
	"github.com/whitebox-de/whitebox/tensor"
)

// detestRun solves one DETEST problem and returns the NFE and the scaled
// end error max_i |y_i - yref_i| / (atol + rtol |yref_i|).
func detestRun(t *testing.T, p odetest.Problem, o ode.Options) (nfe int, scaled float64) {
	t.Helper()
	prob := ode.Problem{F: ode.Plain(p.F), Z0: tensor.FromSlice(1, len(p.Y0), append([]float64(nil), p.Y0...)), T0: p.T0, T1: p.T1}
	sol, err := ode.Solve(context.Background(), prob, &o)
	if err != nil {
		t.Fatalf("%s with %s: %v", p.Name, o.Method.Name, err)
	}
	y := sol.Z[len(sol.Z)-1].Data
	for i, ref := range p.YEnd {
		scaled = math.Max(scaled, math.Abs(y[i]-ref)/(o.ATol+o.RTol*math.Abs(ref)))
	}
	return sol.NFE, scaled
}

// detestOverBar lists the problems whose scaled end error at 1e-8
// exceeds the bar of TestDETEST, per checked method, with the value
// measured when the test was written. They are orbits of class D, whose
// phase error grows along the orbit: the solvers bound each step's local
// error, not the global error at t = 20, and no checked method is under the
// bar on all five (Tsit5 on D1-D3, Vern7 on D5 with eccentricity 0.9). The test fails if one grows by more than a quarter, or
// falls under the bar (then remove it here).
var detestOverBar = map[string]float64{
	"Tsit5 D1": 28.5, "Tsit5 D2": 28.3, "Tsit5 D3": 11.3,
	"Vern7 D5": 10.3,
}

// TestDETEST solves the 25 problems of classes A-E of Hull et al. (1972)
// with Tsit5, DP5, BS3 and Vern7 at rtol = atol = 1e-8 and bounds
// the scaled end error of Tsit5 and Vern7 by 10 (see
// detestOverBar), against the reference values of package odetest
// (extended-precision solves, checked there against the closed forms and
// against Enright and Pryce's values). Its log (go test ./ode -run DETEST
// -v) is a table of NFE and scaled error per problem and method.
func TestDETEST(t *testing.T) {
	const tol, bar = 1e-8, 10.0
	methods := []*ode.Tableau{ode.Tsit5(), ode.DP5(), ode.BS3(), ode.Vern7()}
	checked := map[string]bool{"Tsit5": true, "Vern7": true}
	var table strings.Builder
	fmt.Fprintf(&table, "rtol = atol = %g; scaled error = max_i |y_i - yref_i| / (atol + rtol |yref_i|)\n%-4s", tol, "")
	for _, m := range methods {
		fmt.Fprintf(&table, " %8s NFE %12s", m.Name, "scaled err")
	}
	table.WriteString("\n")
	total := make([]int, len(methods))
	worst := make([]float64, len(methods))
	for _, p := range odetest.DETEST() {
		fmt.Fprintf(&table, "%-4s", p.Name)
		for k, m := range methods {
			nfe, e := detestRun(t, p, ode.Options{Method: m, RTol: tol, ATol: tol})
			total[k] += nfe
			worst[k] = math.Max(worst[k], e)
			fmt.Fprintf(&table, " %12d %12.3g", nfe, e)
			if !checked[m.Name] {
				continue
			}
			switch known, over := detestOverBar[m.Name+" "+p.Name]; {
			case over && e > 1.25*known:
				t.Errorf("%s with %s: scaled end error %.3g, was %.3g (NFE %d)", p.Name, m.Name, e, known, nfe)
			case over && e <= bar:
				t.Errorf("%s with %s: scaled end error %.3g <= %g: remove it from detestOverBar", p.Name, m.Name, e, bar)
			case !over && e > bar:
				t.Errorf("%s with %s: scaled end error %.3g > %g (NFE %d)", p.Name, m.Name, e, bar, nfe)
			}
		}
		table.WriteString("\n")
	}
	fmt.Fprintf(&table, "%-4s", "all")
	for k := range methods {
		fmt.Fprintf(&table, " %12d %12.3g", total[k], worst[k])
	}
	t.Logf("\n%s", table.String())
}

// TestDETESTControllers compares the default PI controller with the
// closest setting of torchdiffeq's (see PIController) on all 25 problems
// with Tsit5 at rtol = atol = 1e-5 ... 1e-10. The error of a sweep is the
// mean over the problems of log10 max_i |y_i - yref_i|/(1 + |yref_i|). At
// the same tolerance the default takes more evaluations and is more
// accurate; at matched error (torchdiffeq's NFE interpolated in log-log
// between its sweeps) it needs fewer.
func TestDETESTControllers(t *testing.T) {
	tols := []float64{1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10}
	sweep := func(c func() *ode.PIController) (nfe, logErr []float64) {
		for _, tol := range tols {
			n, l := 0, 0.0
			ps := odetest.DETEST()
			for _, p := range ps {
				k, e := detestRun(t, p, ode.Options{Method: ode.Tsit5(), RTol: tol, ATol: tol, Controller: c()})
				n += k
				l += math.Log10(e * tol)
			}
			nfe = append(nfe, float64(n))
			logErr = append(logErr, l/float64(len(ps)))
		}
		return nfe, logErr
	}
	defNFE, defErr := sweep(func() *ode.PIController { return nil })
	tdNFE, tdErr := sweep(func() *ode.PIController {
		return &ode.PIController{Beta1: 0.2, Beta2: 1e-12, Gamma: 0.9, Qmin: 0.2, Qmax: 10}
	})
	for i, tol := range tols {
		t.Logf("tol %.0e: default NFE %6.0f error %6.2f; torchdiffeq-like NFE %6.0f error %6.2f (NFE ratio %.2f)",
			tol, defNFE[i], defErr[i], tdNFE[i], tdErr[i], defNFE[i]/tdNFE[i])
		if defNFE[i] <= tdNFE[i] || defErr[i] >= tdErr[i] {
			t.Errorf("tol %g: the default should take more evaluations and be more accurate", tol)
		}
		// torchdiffeq-like NFE at the default's error, between two of its sweeps.
		for j := 0; j+1 < len(tols); j++ {
			if tdErr[j] >= defErr[i] && defErr[i] >= tdErr[j+1] {
				f := (defErr[i] - tdErr[j]) / (tdErr[j+1] - tdErr[j])
				matched := tdNFE[j] * math.Pow(tdNFE[j+1]/tdNFE[j], f)
				t.Logf("  at error %.2f: default NFE %.0f, torchdiffeq-like %.0f", defErr[i], defNFE[i], matched)
				if defNFE[i] >= matched {
					t.Errorf("tol %g: at matched error the default needs %.0f NFE, torchdiffeq-like %.0f", tol, defNFE[i], matched)
				}
			}
		}
	}
}
