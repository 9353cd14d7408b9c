package ode

import (
	"math"
	"strings"
	"testing"
)

// tabAll returns every tableau of the package.
func tabAll() []*Tableau {
	return []*Tableau{Tsit5(), DP5(), BS3(), Euler(), RK4(), Vern7()}
}

// tabTree is a rooted tree given by its children (indices into the list of
// trees built so far).
type tabTree struct {
	children []int
	order    int
	gamma    float64 // density: gamma(t) = order * prod gamma(children)
}

// tabTrees returns all rooted trees up to maxOrder, ordered by order, built
// as a root plus a non-decreasing multiset of smaller trees.
func tabTrees(maxOrder int) []tabTree {
	trees := []tabTree{{order: 1, gamma: 1}}
	for n := 2; n <= maxOrder; n++ {
		prev := len(trees)
		var build func(remaining, minIdx int, kids []int)
		build = func(remaining, minIdx int, kids []int) {
			if remaining == 0 {
				g := float64(n)
				for _, k := range kids {
					g *= trees[k].gamma
				}
				trees = append(trees, tabTree{children: append([]int(nil), kids...), order: n, gamma: g})
				return
			}
			for k := minIdx; k < prev; k++ {
				if trees[k].order <= remaining {
					build(remaining-trees[k].order, k, append(kids, k))
				}
			}
		}
		build(n-1, 0, nil)
	}
	return trees
}

// tabElementaryWeights returns, for each tree, the stage vector g(t) with
// g(leaf) = 1 and g([t1..tm])_i = prod_k (A g(t_k))_i, so that the order
// condition of t reads sum_i w_i g_i(t) = theta^order / gamma.
func tabElementaryWeights(a [][]float64, trees []tabTree) [][]float64 {
	s := len(a)
	g := make([][]float64, len(trees))
	for ti, t := range trees {
		v := make([]float64, s)
		for i := range v {
			v[i] = 1
		}
		for _, k := range t.children {
			for i := range s {
				ag := 0.0
				for j := range s {
					ag += a[i][j] * g[k][j]
				}
				v[i] *= ag
			}
		}
		g[ti] = v
	}
	return g
}

// tabConditionResiduals returns, for each tree, sum_i w_i g_i(t) - theta^order/gamma.
func tabConditionResiduals(a [][]float64, w []float64, theta float64, trees []tabTree) []float64 {
	g := tabElementaryWeights(a, trees)
	res := make([]float64, len(trees))
	for ti, t := range trees {
		sum := 0.0
		for i, wi := range w {
			sum += wi * g[ti][i]
		}
		res[ti] = sum - math.Pow(theta, float64(t.order))/t.gamma
	}
	return res
}

// tabMaxResidual returns the largest |residual| over trees of exactly the
// given order.
func tabMaxResidual(res []float64, trees []tabTree, order int) float64 {
	m := 0.0
	for ti, t := range trees {
		if t.order == order {
			m = math.Max(m, math.Abs(res[ti]))
		}
	}
	return m
}

func TestTableauRootedTreeCount(t *testing.T) {
	trees := tabTrees(6)
	want := []int{0, 1, 1, 2, 4, 9, 20}
	count := make([]int, 7)
	for _, tr := range trees {
		count[tr.order]++
	}
	for n := 1; n <= 6; n++ {
		if count[n] != want[n] {
			t.Errorf("order %d: %d rooted trees, want %d", n, count[n], want[n])
		}
	}
	if n := len(tabTrees(5)); n != 17 {
		t.Errorf("trees through order 5: %d, want 17", n)
	}
	// gamma of the bushy tree of order 4 is 4, of the tall tree 24.
	g := map[float64]bool{}
	for _, tr := range trees {
		if tr.order == 4 {
			g[tr.gamma] = true
		}
	}
	for _, want := range []float64{4, 8, 12, 24} {
		if !g[want] {
			t.Errorf("order-4 densities %v miss %g", g, want)
		}
	}
}

func TestTableauValidate(t *testing.T) {
	for _, tab := range tabAll() {
		if err := tab.Validate(); err != nil {
			t.Errorf("%s: %v", tab.Name, err)
		}
	}
}

func TestTableauValidateRejects(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(*Tableau)
		want   string
	}{
		{"row sum", func(tb *Tableau) { tb.A[3][1] += 1e-10 }, "row 3"},
		{"upper", func(tb *Tableau) { tb.A[2][4] = 0.1 }, "strictly lower"},
		{"sum b", func(tb *Tableau) { tb.B[0] += 1e-12; tb.A[6][0] += 1e-12; tb.C[6] += 1e-12 }, "sum to 1"},
		{"sum btilde", func(tb *Tableau) { tb.Btilde[6] += 1e-12 }, "sum to 0"},
		{"fsal", func(tb *Tableau) { tb.FSAL = false }, "FSAL"},
		{"fsal row", func(tb *Tableau) { tb.A[6][0] += 1e-3; tb.A[6][1] -= 1e-3 }, "FSAL"},
		{"stiffness pair", func(tb *Tableau) { tb.StiffnessStages = [2]int{4, 6} }, "same node"},
		{"stiffness order", func(tb *Tableau) { tb.StiffnessStages = [2]int{6, 5} }, "StiffnessStages"},
		{"embedded order", func(tb *Tableau) { tb.EmbeddedOrder = 5 }, "EmbeddedOrder"},
		{"btilde len", func(tb *Tableau) { tb.Btilde = tb.Btilde[:6] }, "len(Btilde)"},
		{"dense at 1", func(tb *Tableau) { tb.Dense[2][1] += 1e-9; tb.Dense[3][1] -= 1e-9 }, "b_3(1)"},
		{"dense sum", func(tb *Tableau) { tb.Dense[6][1] += 1e-9; tb.Dense[6][2] -= 1e-9 }, "sum to theta"},
		{"stability", func(tb *Tableau) { tb.StabilityScale = 0 }, "StabilityScale"},
		{"shape", func(tb *Tableau) { tb.C = tb.C[:6] }, "len(C)"},
	}
	for _, c := range cases {
		tab := DP5()
		c.break_(tab)
		err := tab.Validate()
		if err == nil {
			t.Errorf("%s: Validate accepted a broken tableau", c.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "ode: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want prefix \"ode: \" and %q", c.name, err, c.want)
		}
	}
}

func TestTableauFreshValues(t *testing.T) {
	a := Tsit5()
	a.B[0] = 42
	if b := Tsit5(); b.B[0] == 42 {
		t.Fatal("Tsit5() returns shared mutable slices")
	}
}

func TestTableauStructure(t *testing.T) {
	want := map[string]struct {
		fsal      bool
		pair      [2]int
		embedded  bool
		stages    int
		order, eo int
	}{
		"Tsit5": {true, [2]int{5, 6}, true, 7, 5, 4},
		"DP5":   {true, [2]int{5, 6}, true, 7, 5, 4},
		"BS3":   {true, [2]int{-1, -1}, true, 4, 3, 2},
		"Euler": {false, [2]int{-1, -1}, false, 1, 1, 0},
		"RK4":   {false, [2]int{1, 2}, false, 4, 4, 0},
		"Vern7": {false, [2]int{8, 9}, true, 10, 7, 6},
	}
	for _, tab := range tabAll() {
		w := want[tab.Name]
		if tab.FSAL != w.fsal || tab.StiffnessStages != w.pair || tab.HasErrorEstimate() != w.embedded ||
			tab.Stages != w.stages || tab.Order != w.order || tab.EmbeddedOrder != w.eo {
			t.Errorf("%s: FSAL %v pair %v embedded %v stages %d order %d(%d), want %+v",
				tab.Name, tab.FSAL, tab.StiffnessStages, tab.HasErrorEstimate(), tab.Stages, tab.Order, tab.EmbeddedOrder, w)
		}
		if tab.HasStiffnessEstimate() != (w.pair[0] >= 0) {
			t.Errorf("%s: HasStiffnessEstimate %v", tab.Name, tab.HasStiffnessEstimate())
		}
		if tab.HasDenseOutput() != (tab.Order < 7) {
			t.Errorf("%s: HasDenseOutput %v", tab.Name, tab.HasDenseOutput())
		}
	}
	if p := StiffnessPair([]float64{0, 0.3, 0.6}); p != [2]int{-1, -1} {
		t.Errorf("StiffnessPair distinct nodes = %v", p)
	}
	if p := StiffnessPair([]float64{0, 1, 0.5, 1, 0.2}); p != [2]int{1, 3} {
		t.Errorf("StiffnessPair = %v, want [1 3]", p)
	}
}

// The embedded weights of Tsit5 must be OrdinaryDiffEq's commented 4th-order
// weights (b1 = 0.09468075576583945, b7 = 1/66); this pins the sign of
// Btilde = b - bhat.
func TestTableauTsit5EmbeddedSign(t *testing.T) {
	bhat := Tsit5().EmbeddedWeights()
	if math.Abs(bhat[0]-0.09468075576583945) > 1e-16 || math.Abs(bhat[6]-1.0/66) > 1e-17 {
		t.Errorf("bhat = %v", bhat)
	}
	bhat = DP5().EmbeddedWeights()
	want := []float64{5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40}
	for i := range want {
		if math.Abs(bhat[i]-want[i]) > 1e-16 {
			t.Errorf("DP5 bhat[%d] = %.17g, want %.17g", i, bhat[i], want[i])
		}
	}
}

func TestTableauOrderConditions(t *testing.T) {
	trees := tabTrees(8)
	for _, tab := range tabAll() {
		// Tsit5's coefficients are rounded decimals: its conditions hold to
		// about 1e-15 relative to coefficients of size 10.
		tol := 1e-13
		res := tabConditionResiduals(tab.A, tab.B, 1, trees)
		for ti, tr := range trees {
			if tr.order <= tab.Order && math.Abs(res[ti]) > tol {
				t.Errorf("%s: order-%d condition of tree %d violated by %.3g", tab.Name, tr.order, ti, res[ti])
			}
		}
		// The order is exact: some condition of the next order fails.
		if m := tabMaxResidual(res, trees, tab.Order+1); m < 1e-6 {
			t.Errorf("%s: all order-%d conditions hold (max residual %.3g); order too low", tab.Name, tab.Order+1, m)
		}
		if !tab.HasErrorEstimate() {
			continue
		}
		bhat := tab.EmbeddedWeights()
		res = tabConditionResiduals(tab.A, bhat, 1, trees)
		for ti, tr := range trees {
			if tr.order <= tab.EmbeddedOrder && math.Abs(res[ti]) > tol {
				t.Errorf("%s embedded: order-%d condition of tree %d violated by %.3g", tab.Name, tr.order, ti, res[ti])
			}
		}
		if m := tabMaxResidual(res, trees, tab.EmbeddedOrder+1); m < 1e-6 {
			t.Errorf("%s embedded: all order-%d conditions hold (max residual %.3g)", tab.Name, tab.EmbeddedOrder+1, m)
		}
	}
}

func TestTableauDenseOutput(t *testing.T) {
	trees := tabTrees(6)
	for _, tab := range tabAll() {
		if !tab.HasDenseOutput() {
			continue
		}
		w := make([]float64, tab.Stages)
		tab.DenseWeights(0, w)
		for i, v := range w {
			if v != 0 {
				t.Errorf("%s: b_%d(0) = %g, want 0", tab.Name, i+1, v)
			}
		}
		tab.DenseWeights(1, w)
		for i, v := range w {
			if math.Abs(v-tab.B[i]) > 1e-13 {
				t.Errorf("%s: b_%d(1) = %.17g, want B = %.17g", tab.Name, i+1, v, tab.B[i])
			}
		}
		for _, theta := range []float64{0.1, 0.37, 0.5, 0.8, 0.95} {
			tab.DenseWeights(theta, w)
			res := tabConditionResiduals(tab.A, w, theta, trees)
			for ti, tr := range trees {
				if tr.order <= tab.DenseOrder && math.Abs(res[ti]) > 1e-13 {
					t.Errorf("%s theta=%g: dense order-%d condition of tree %d violated by %.3g", tab.Name, theta, tr.order, ti, res[ti])
				}
			}
			if m := tabMaxResidual(res, trees, tab.DenseOrder+1); m < 1e-6 {
				t.Errorf("%s theta=%g: dense output satisfies all order-%d conditions; DenseOrder too low", tab.Name, theta, tab.DenseOrder+1)
			}
		}
	}
}

// DP5's dense weights must reproduce Hairer's contd5 formula evaluated on
// the stage vectors directly.
func TestTableauDP5MatchesContd5(t *testing.T) {
	tab := DP5()
	f := func(_ float64, u, du []float64) { du[0] = math.Sin(u[0]) + u[0]*u[0] }
	h, u0 := 0.3, []float64{0.7}
	k := tabStages(tab, f, 0, u0, h)
	u1 := u0[0]
	for i := range k {
		u1 += h * tab.B[i] * k[i][0]
	}
	d := []float64{-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799,
		-10690763975.0 / 1880347072, 701980252875.0 / 199316789632,
		-1453857185.0 / 822651844, 69997945.0 / 29380423}
	ydiff := u1 - u0[0]
	bspl := h*k[0][0] - ydiff
	r4 := ydiff - h*k[6][0] - bspl
	r5 := 0.0
	for i := range d {
		r5 += h * d[i] * k[i][0]
	}
	w := make([]float64, 7)
	for _, theta := range []float64{0.2, 0.37, 0.9} {
		th1 := 1 - theta
		want := u0[0] + theta*(ydiff+th1*(bspl+theta*(r4+th1*r5)))
		tab.DenseWeights(theta, w)
		got := u0[0]
		for i := range w {
			got += h * w[i] * k[i][0]
		}
		if math.Abs(got-want) > 1e-15 {
			t.Errorf("theta=%g: weights give %.17g, contd5 %.17g", theta, got, want)
		}
	}
}

// tabStabilityInterval returns the largest x such that |R(-y)| <= 1 for all
// y in [0, x], with R(z) = 1 + z b^T (I - zA)^{-1} 1 the stability function.
func tabStabilityInterval(tab *Tableau) float64 {
	r := func(z float64) float64 {
		s := tab.Stages
		g := make([]float64, s) // g = (I - zA)^{-1} 1 by forward substitution
		out := 1.0
		for i := range s {
			g[i] = 1
			for j := range i {
				g[i] += z * tab.A[i][j] * g[j]
			}
			out += z * tab.B[i] * g[i]
		}
		return math.Abs(out)
	}
	const step = 1e-3
	y := step
	for r(-y) <= 1 {
		y += step
	}
	lo, hi := y-step, y
	for range 60 {
		mid := (lo + hi) / 2
		if r(-mid) <= 1 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func TestTableauStabilityScale(t *testing.T) {
	for _, tab := range tabAll() {
		x := tabStabilityInterval(tab)
		if math.Abs(x-tab.StabilityScale) > 1e-4 {
			t.Errorf("%s: real stability interval %.6f, StabilityScale %.6f", tab.Name, x, tab.StabilityScale)
		}
	}
}

// tabStages returns the stage derivatives k_i of one step from (t0, u0).
func tabStages(tab *Tableau, f func(t float64, u, du []float64), t0 float64, u0 []float64, h float64) [][]float64 {
	n := len(u0)
	k := make([][]float64, tab.Stages)
	g := make([]float64, n)
	for i := range tab.Stages {
		copy(g, u0)
		for j := range i {
			for e := range g {
				g[e] += h * tab.A[i][j] * k[j][e]
			}
		}
		k[i] = make([]float64, n)
		f(t0+tab.C[i]*h, g, k[i])
	}
	return k
}

// tabSolve integrates with n fixed steps from t0 to t1, propagating with
// the weights w (B for the main method, bhat for the embedded one).
func tabSolve(tab *Tableau, w []float64, f func(t float64, u, du []float64), t0, t1 float64, u0 []float64, n int) []float64 {
	u := append([]float64(nil), u0...)
	h := (t1 - t0) / float64(n)
	for step := range n {
		t := t0 + float64(step)*h
		k := tabStages(tab, f, t, u, h)
		for i, wi := range w {
			for e := range u {
				u[e] += h * wi * k[i][e]
			}
		}
	}
	return u
}

// tabProblem is an initial value problem with an exact solution.
type tabProblem struct {
	name  string
	f     func(t float64, u, du []float64)
	exact func(t float64) []float64
	t0    float64
	t1    float64
}

func tabProblems() []tabProblem {
	return []tabProblem{
		{
			// y' = -2 t y^2, y(0) = 1: y = 1/(1+t^2).
			name:  "riccati",
			f:     func(t float64, u, du []float64) { du[0] = -2 * t * u[0] * u[0] },
			exact: func(t float64) []float64 { return []float64{1 / (1 + t*t)} },
			t0:    0, t1: 1,
		},
		{
			// u' = [[-0.1, 1], [-1, -0.1]] u, u(0) = (1, 0): a damped rotation.
			name: "rotation",
			f: func(_ float64, u, du []float64) {
				du[0] = -0.1*u[0] + u[1]
				du[1] = -u[0] - 0.1*u[1]
			},
			exact: func(t float64) []float64 {
				e := math.Exp(-0.1 * t)
				return []float64{e * math.Cos(t), -e * math.Sin(t)}
			},
			t0: 0, t1: 3,
		},
		{
			// The same rotation at twice the frequency, over the same span.
			name: "rotation-fast",
			f: func(_ float64, u, du []float64) {
				du[0] = 2 * (-0.1*u[0] + u[1])
				du[1] = 2 * (-u[0] - 0.1*u[1])
			},
			exact: func(t float64) []float64 {
				e := math.Exp(-0.2 * t)
				return []float64{e * math.Cos(2*t), -e * math.Sin(2*t)}
			},
			t0: 0, t1: 3,
		},
	}
}

func tabMaxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// tabSlope is the least-squares slope of log(err) against log(h).
func tabSlope(hs, errs []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(hs))
	for i := range hs {
		x, y := math.Log(hs[i]), math.Log(errs[i])
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// tabStepCounts returns step counts for which the errors of a method of the
// given order on tabProblems are in the asymptotic regime and stay above
// rounding (1e-13).
func tabStepCounts(order int) []int {
	switch {
	case order >= 7:
		return []int{16, 24, 32, 48}
	case order >= 5:
		return []int{8, 12, 16, 24, 32, 48}
	case order == 4:
		return []int{10, 14, 20, 28, 40, 56, 80}
	case order >= 2:
		return []int{40, 80, 160, 320, 640}
	default:
		return []int{100, 200, 400, 800, 1600}
	}
}

func TestTableauConvergence(t *testing.T) {
	for _, tab := range tabAll() {
		type variant struct {
			name  string
			w     []float64
			order int
		}
		vs := []variant{{"main", tab.B, tab.Order}}
		if tab.HasErrorEstimate() {
			vs = append(vs, variant{"embedded", tab.EmbeddedWeights(), tab.EmbeddedOrder})
		}
		for _, p := range tabProblems() {
			// A 7th-order method's error on the short problems falls from
			// 1e-7 to rounding within a few steps, before its asymptotic
			// range; it is measured on the fast rotation only, and only it
			// (the lower orders are not asymptotic there at their counts).
			if (tab.Order >= 7) != (p.name == "rotation-fast") {
				continue
			}
			for _, v := range vs {
				var hs, errs []float64
				for _, n := range tabStepCounts(v.order) {
					u := tabSolve(tab, v.w, p.f, p.t0, p.t1, p.exact(p.t0), n)
					hs = append(hs, (p.t1-p.t0)/float64(n))
					errs = append(errs, tabMaxAbsDiff(u, p.exact(p.t1)))
				}
				slope := tabSlope(hs, errs)
				if math.Abs(slope-float64(v.order)) > 0.3 || errs[len(errs)-1] < 1e-13 {
					t.Errorf("%s %s on %s: slope %.3f, want %d (errors %.3g)", tab.Name, v.name, p.name, slope, v.order, errs)
				}
			}
		}
	}
}

// The dense output's local error after one step from the exact solution is
// O(h^(DenseOrder+1)).
func TestTableauDenseConvergence(t *testing.T) {
	const theta = 0.37
	for _, tab := range tabAll() {
		if !tab.HasDenseOutput() {
			continue
		}
		w := make([]float64, tab.Stages)
		tab.DenseWeights(theta, w)
		for _, p := range tabProblems() {
			t0 := p.t0 + 0.3
			u0 := p.exact(t0)
			// Higher-order interpolants reach rounding sooner; lower-order
			// ones need smaller steps to be asymptotic on the Riccati problem.
			h0 := 0.025
			if tab.DenseOrder >= 4 {
				h0 = 0.1
			}
			var hs, errs []float64
			for h := h0; len(hs) < 4; h /= 2 {
				k := tabStages(tab, p.f, t0, u0, h)
				u := append([]float64(nil), u0...)
				for i, wi := range w {
					for e := range u {
						u[e] += h * wi * k[i][e]
					}
				}
				hs = append(hs, h)
				errs = append(errs, tabMaxAbsDiff(u, p.exact(t0+theta*h)))
			}
			slope := tabSlope(hs, errs)
			if want := float64(tab.DenseOrder + 1); math.Abs(slope-want) > 0.3 || errs[len(errs)-1] < 1e-14 {
				t.Errorf("%s dense on %s: local slope %.3f, want %g (errors %.3g)", tab.Name, p.name, slope, want, errs)
			}
		}
	}
}

func TestTableauDenseWeightsPanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "length 3") || !strings.Contains(r.(string), "7 stages") {
			t.Errorf("panic %v, want a message naming both lengths", r)
		}
	}()
	Tsit5().DenseWeights(0.5, make([]float64, 3))
}

func TestTableauDenseWeightsNoAlloc(t *testing.T) {
	tab := Tsit5()
	w := make([]float64, tab.Stages)
	if n := testing.AllocsPerRun(100, func() { tab.DenseWeights(0.37, w) }); n != 0 {
		t.Errorf("DenseWeights allocates %g times", n)
	}
}

func BenchmarkTableauDenseWeights(b *testing.B) {
	tab := Tsit5()
	w := make([]float64, tab.Stages)
	b.ReportAllocs()
	for b.Loop() {
		tab.DenseWeights(0.37, w)
	}
}
