package ode

import (
	"math"
	"math/big"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/tensor"
)

// TestStepEndRoundsOnce: the new state u1 = u + h*sum_i b_i k_i is formed
// by summing the increment first and adding it to u once, so a large
// component (1.66e11, the size of DETEST C5's) is correctly rounded: within
// half an ulp of the exact sum, computed with math/big, of u and the
// increment's terms (the coefficients h*b_i as the solver rounds them). The
// fused end of the forward solve and the recorded ops of the replay agree
// bit for bit. Adding each term to u in turn rounded at u's size once per
// term: errors of several ulps.
func TestStepEndRoundsOnce(t *testing.T) {
	const n = 500
	f := Plain(func(t float64, z, dz []float64) {
		for i := range dz {
			dz[i] = 1e3*math.Sin(1e-9*z[i]*float64(i+1)) + 37.3*math.Cos(t*float64(i))
		}
	})
	u0 := tensor.New(1, n)
	for i := range u0.Data {
		u0.Data[i] = 1.66e11 * (1 + 1e-3*math.Sin(float64(i)))
	}
	const h = 0.0123
	for _, tab := range []*Tableau{Tsit5(), DP5(), BS3(), Vern7(), RK4()} {
		p := Problem{F: f, Z0: u0, T0: 0, T1: 1}
		o, err := (&Options{Method: tab, Dt: 0.1}).withDefaults(&p)
		if err != nil {
			t.Fatal(err)
		}
		var u1s [2][]float64
		for m, fuse := range []bool{true, false} {
			s := newSolveStepper(&p, &o)
			s.fuse = fuse && fuseStepEnd
			var sv stageVars
			u := s.tp.Const(u0)
			s.record(0.3, h, u, ad.Var{}, ad.Var{}, &sv, true, true)
			u1s[m] = append([]float64(nil), sv.u1.Value().Data...)
			if m == 1 {
				worst := 0.0
				for i := range n {
					exact := new(big.Float).SetPrec(4096).SetFloat64(u0.Data[i])
					for j, b := range tab.B {
						if b == 0 {
							continue
						}
						term := new(big.Float).SetPrec(4096).SetFloat64(h * b)
						term.Mul(term, new(big.Float).SetPrec(4096).SetFloat64(sv.k[j].Value().Data[i]))
						exact.Add(exact, term)
					}
					got := u1s[m][i]
					diff := new(big.Float).SetPrec(4096).Sub(new(big.Float).SetFloat64(got), exact)
					d, _ := diff.Float64()
					ulp := math.Nextafter(got, math.Inf(1)) - got
					worst = math.Max(worst, math.Abs(d)/ulp)
				}
				if worst > 0.5+1e-6 {
					t.Errorf("%s: u1 is %.2f ulp from the exact sum; want at most 0.5 (rounded once)", tab.Name, worst)
				}
			}
			s.release()
		}
		for i := range u1s[0] {
			if u1s[0][i] != u1s[1][i] {
				t.Fatalf("%s: the fused end's u1 %v differs from the recorded ops' %v at %d", tab.Name, u1s[0][i], u1s[1][i], i)
			}
		}
	}
}
