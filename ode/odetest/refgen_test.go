package odetest

import (
	"flag"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

var refgen = flag.Bool("odetest.refgen", false, "recompute the DETEST reference end values in extended precision and print them")

// The reference values are the end values of a Gragg-Bulirsch-Stoer solve
// in big.Float arithmetic with a 128-bit mantissa: fixed macro steps
// H = 20/N, in each the modified midpoint rule with 2, 4, ..., 2K
// substeps, extrapolated in h^2 by Aitken-Neville (order 2K). The solve is
// run with N and 2N macro steps; the difference bounds its error. The
// problems' constants and initial values are their float64 values, so the
// result is the solution of the problem as a float64 solver sees it.

const refPrec = 128

type bigRHS func(t *big.Float, y, dy []*big.Float)

type bigProblem struct {
	f  bigRHS
	y0 []float64 // the float64 initial values, extended by auxiliary states
	n  int       // macro steps
}

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }
func bnew() *big.Float        { return new(big.Float).SetPrec(refPrec) }
func badd(a, b *big.Float) *big.Float {
	return bnew().Add(a, b)
}
func bsub(a, b *big.Float) *big.Float { return bnew().Sub(a, b) }
func bmul(a, b *big.Float) *big.Float { return bnew().Mul(a, b) }
func bquo(a, b *big.Float) *big.Float { return bnew().Quo(a, b) }
func bsqrt(a *big.Float) *big.Float   { return bnew().Sqrt(a) }

// bigProblems returns the extended-precision form of each DETEST problem.
// Time-dependent sines and cosines become auxiliary states (s' = w c,
// c' = -w s) so that every right-hand side is rational or a square root.
func bigProblems() map[string]bigProblem {
	one, two := bf(1), bf(2)
	lin := func(a [][]float64) bigRHS {
		return func(t *big.Float, y, dy []*big.Float) {
			for i := range a {
				s := bnew()
				for j, v := range a[i] {
					if v != 0 {
						s = badd(s, bmul(bf(v), y[j]))
					}
				}
				dy[i] = s
			}
		}
	}
	tridiag := func(n int) [][]float64 {
		a := make([][]float64, n)
		for i := range a {
			a[i] = make([]float64, n)
			a[i][i] = -2
			if i > 0 {
				a[i][i-1] = 1
			}
			if i < n-1 {
				a[i][i+1] = 1
			}
		}
		return a
	}
	chain := func(rate func(i int) float64) [][]float64 {
		a := make([][]float64, 10)
		for i := range a {
			a[i] = make([]float64, 10)
			if i < 9 {
				a[i][i] = -rate(i + 1)
			}
			if i > 0 {
				a[i][i-1] = rate(i)
			}
		}
		return a
	}
	orbit := func(e float64, n int) bigProblem {
		return bigProblem{f: func(t *big.Float, y, dy []*big.Float) {
			dy[0], dy[1] = y[2], y[3]
			d := badd(bmul(y[0], y[0]), bmul(y[1], y[1]))
			d = bmul(d, bsqrt(d))
			dy[2] = bquo(bnew().Neg(y[0]), d)
			dy[3] = bquo(bnew().Neg(y[1]), d)
		}, y0: []float64{1 - e, 0, 0, math.Sqrt((1 + e) / (1 - e))}, n: n}
	}
	w := bf(2.78535)
	ps := map[string]bigProblem{
		"A1": {f: func(t *big.Float, y, dy []*big.Float) { dy[0] = bnew().Neg(y[0]) }, y0: []float64{1}},
		"A2": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = bmul(bf(-0.5), bmul(y[0], bmul(y[0], y[0])))
		}, y0: []float64{1}},
		// y, sin t, cos t
		"A3": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = bmul(y[0], y[2])
			dy[1] = y[2]
			dy[2] = bnew().Neg(y[1])
		}, y0: []float64{1, 0, 1}},
		"A4": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = bquo(bmul(bsub(one, bquo(y[0], bf(20))), y[0]), bf(4))
		}, y0: []float64{1}},
		"A5": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = bquo(bsub(y[0], t), badd(y[0], t))
		}, y0: []float64{4}},
		"B1": {f: func(t *big.Float, y, dy []*big.Float) {
			d := bsub(y[0], bmul(y[0], y[1]))
			dy[0] = badd(d, d)
			dy[1] = bnew().Neg(bsub(y[1], bmul(y[0], y[1])))
		}, y0: []float64{1, 3}},
		"B2": {f: lin([][]float64{{-1, 1, 0}, {1, -2, 1}, {0, 1, -1}}), y0: []float64{2, 0, 1}},
		"B3": {f: func(t *big.Float, y, dy []*big.Float) {
			d := bmul(y[1], y[1])
			dy[0] = bnew().Neg(y[0])
			dy[1] = bsub(y[0], d)
			dy[2] = d
		}, y0: []float64{1, 0, 0}},
		"B4": {f: func(t *big.Float, y, dy []*big.Float) {
			d := bsqrt(badd(bmul(y[0], y[0]), bmul(y[1], y[1])))
			dy[0] = bsub(bnew().Neg(y[1]), bquo(bmul(y[0], y[2]), d))
			dy[1] = bsub(y[0], bquo(bmul(y[1], y[2]), d))
			dy[2] = bquo(y[0], d)
		}, y0: []float64{3, 0, 0}},
		"B5": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = bmul(y[1], y[2])
			dy[1] = bnew().Neg(bmul(y[0], y[2]))
			dy[2] = bmul(bf(-0.51), bmul(y[0], y[1]))
		}, y0: []float64{0, 1, 1}},
		"C1": {f: lin(chain(func(int) float64 { return 1 })), y0: unit(10)},
		"C2": {f: lin(chain(func(i int) float64 { return float64(i) })), y0: unit(10)},
		"C3": {f: lin(tridiag(10)), y0: unit(10)},
		"C4": {f: lin(tridiag(51)), y0: unit(51)},
		"C5": {f: bigC5, y0: c5Y0()},
		"D1": orbit(0.1, 200), "D2": orbit(0.3, 200), "D3": orbit(0.5, 400), "D4": orbit(0.7, 800), "D5": orbit(0.9, 3200),
		"E1": {f: func(t *big.Float, y, dy []*big.Float) {
			x := badd(t, one)
			dy[0] = y[1]
			dy[1] = bnew().Neg(badd(bquo(y[1], x), bmul(bsub(one, bquo(bf(0.25), bmul(x, x))), y[0])))
		}, y0: []float64{0.79788456080286536 * 0.84147098480789651, 0.79788456080286536 * 0.11956681346419146}},
		"E2": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = y[1]
			dy[1] = bsub(bmul(bsub(one, bmul(y[0], y[0])), y[1]), y[0])
		}, y0: []float64{2, 0}},
		// y, y', sin(w t), cos(w t)
		"E3": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = y[1]
			dy[1] = badd(bsub(bquo(bmul(y[0], bmul(y[0], y[0])), bf(6)), y[0]), bmul(two, y[2]))
			dy[2] = bmul(w, y[3])
			dy[3] = bnew().Neg(bmul(w, y[2]))
		}, y0: []float64{0, 0, 0, 1}},
		"E4": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = y[1]
			dy[1] = bsub(bf(.032), bmul(bf(.4), bmul(y[1], y[1])))
		}, y0: []float64{30, 0}},
		"E5": {f: func(t *big.Float, y, dy []*big.Float) {
			dy[0] = y[1]
			dy[1] = bquo(bsqrt(badd(one, bmul(y[1], y[1]))), bsub(bf(25), t))
		}, y0: []float64{0, 0}},
	}
	for k, p := range ps {
		if p.n == 0 {
			p.n = 100
			ps[k] = p
		}
	}
	return ps
}

func bigC5(t *big.Float, y, dy []*big.Float) {
	var r [5]*big.Float
	var q [5][5]*big.Float
	cube := func(p *big.Float) *big.Float { return bquo(bf(1), bmul(p, bsqrt(p))) }
	for i := range 5 {
		p := bnew()
		for l := range 3 {
			p = badd(p, bmul(y[3*i+l], y[3*i+l]))
		}
		r[i] = cube(p)
		for j := i + 1; j < 5; j++ {
			p := bnew()
			for l := range 3 {
				d := bsub(y[3*i+l], y[3*j+l])
				p = badd(p, bmul(d, d))
			}
			q[i][j] = cube(p)
			q[j][i] = q[i][j]
		}
	}
	k2, m0 := bf(c5K2), bf(c5M0)
	for i := range 5 {
		for l := range 3 {
			k := 3*i + l
			dy[k] = y[k+15]
			p := bnew()
			for j := range 5 {
				if j != i {
					p = badd(p, bmul(bf(c5M[j]), bsub(bmul(y[3*j+l], bsub(q[i][j], r[j])), bmul(y[k], q[i][j]))))
				}
			}
			acc := bmul(bnew().Neg(badd(m0, bf(c5M[i]))), bmul(y[k], r[i]))
			dy[k+15] = bmul(k2, badd(acc, p))
		}
	}
}

// gbs integrates y' = f from t0 to t1 with n macro steps of the
// extrapolated modified midpoint rule (substeps 2, 4, ..., 2k).
func gbs(f bigRHS, y0 []float64, t0, t1 float64, n, k int) []*big.Float {
	dim := len(y0)
	y := make([]*big.Float, dim)
	for i, v := range y0 {
		y[i] = bf(v)
	}
	H := bquo(bsub(bf(t1), bf(t0)), bf(float64(n)))
	f0 := make([]*big.Float, dim)
	fz := make([]*big.Float, dim)
	tab := make([][][]*big.Float, k) // tab[j][c] = column c of row j
	for step := range n {
		t := badd(bf(t0), bmul(H, bf(float64(step))))
		f(t, y, f0)
		for j := range k {
			sub := 2 * (j + 1)
			h := bquo(H, bf(float64(sub)))
			h2 := badd(h, h)
			zPrev := y
			z := make([]*big.Float, dim)
			for i := range dim {
				z[i] = badd(y[i], bmul(h, f0[i]))
			}
			for m := 1; m < sub; m++ {
				f(badd(t, bmul(h, bf(float64(m)))), z, fz)
				next := make([]*big.Float, dim)
				for i := range dim {
					next[i] = badd(zPrev[i], bmul(h2, fz[i]))
				}
				zPrev, z = z, next
			}
			row := make([][]*big.Float, j+1)
			row[0] = z
			for c := 1; c <= j; c++ {
				// (n_j/n_{j-c})^2 - 1, exactly: the ratio is not a float64.
				nk := 2 * (j + 1 - c)
				den := bquo(bf(float64(sub*sub-nk*nk)), bf(float64(nk*nk)))
				row[c] = make([]*big.Float, dim)
				for i := range dim {
					row[c][i] = badd(row[c-1][i], bquo(bsub(row[c-1][i], tab[j-1][c-1][i]), den))
				}
			}
			tab[j] = row
		}
		y = tab[k-1][k-1]
	}
	return y
}

// TestReferenceValues, run with -odetest.refgen, recomputes every
// problem's YEnd (N and 2N macro steps, 12 extrapolation columns), prints
// them as Go source for detestEnd, and fails if the two solves differ by
// more than 1e-20 relative to max(1, |y|) or if YEnd differs from them.
func TestReferenceValues(t *testing.T) {
	if !*refgen {
		t.Skip("run with -odetest.refgen to recompute the reference values (about a minute)")
	}
	bps := bigProblems()
	lines := make([]string, 0, 25)
	for _, p := range DETEST() {
		t.Run(p.Name, func(t *testing.T) {
			start := time.Now()
			bp := bps[p.Name]
			a := gbs(bp.f, bp.y0, p.T0, p.T1, bp.n, 12)
			b := gbs(bp.f, bp.y0, p.T0, p.T1, 2*bp.n, 12)
			var out strings.Builder
			fmt.Fprintf(&out, "%q: {", p.Name)
			worst := 0.0
			for i := range p.Y0 {
				d, _ := bsub(a[i], b[i]).Float64()
				v, _ := b[i].Float64()
				worst = math.Max(worst, math.Abs(d)/math.Max(1, math.Abs(v)))
				if i > 0 {
					out.WriteString(", ")
				}
				out.WriteString(fmtFloat(v))
				if p.YEnd != nil && p.YEnd[i] != v {
					t.Errorf("%s[%d]: stored %v, recomputed %v", p.Name, i, p.YEnd[i], v)
				}
			}
			out.WriteString("},")
			lines = append(lines, out.String())
			t.Logf("N = %d and %d macro steps differ by %.2g (%v)", bp.n, 2*bp.n, worst, time.Since(start).Round(time.Millisecond))
			t.Log(out.String())
			if worst > 1e-20 {
				t.Errorf("extrapolation solves differ by %.2g", worst)
			}
		})
	}
	t.Logf("var detestEnd = map[string][]float64{\n\t%s\n}", strings.Join(lines, "\n\t"))
}

func fmtFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
