package ode

import (
	"fmt"
	"math"
)

// Tableau is the Butcher tableau of an explicit Runge-Kutta method together
// with the data an adaptive solver needs around it: the embedded error
// weights, the stage pair for the stiffness estimate, the size of the
// stability region and the dense-output polynomials.
//
// The constructors (Tsit5, DP5, BS3, Euler, RK4) return a fresh value on
// every call, so a caller may modify its copy without affecting others.
// A Tableau carries no per-solve state.
type Tableau struct {
	// Name is the method's usual short name, e.g. "Tsit5".
	Name string
	// Order is the order of the propagated solution u_{n+1}.
	Order int
	// EmbeddedOrder is the order of the embedded solution
	// u_n + h*sum_i bhat_i k_i, bhat = B - Btilde; 0 if there is none.
	EmbeddedOrder int
	// Stages is the number of stages s; C, B, Btilde and every row of A
	// have this length.
	Stages int
	// C holds the nodes: stage i is evaluated at t + C[i]*h.
	C []float64
	// A is the strictly lower triangular coupling matrix, stored as full
	// rows: A[i][j] == 0 for j >= i.
	A [][]float64
	// B holds the weights of the propagated solution
	// u_{n+1} = u_n + h*sum_i B[i] k_i.
	B []float64
	// Btilde holds the error weights b - bhat, so that the local error
	// estimate is utilde = h*sum_i Btilde[i] k_i. Nil if the method has no
	// embedded solution (fixed-step methods).
	Btilde []float64
	// FSAL reports "first same as last": the last stage is evaluated at
	// u_{n+1} and t+h (last row of A equals B, last node is 1), so its
	// derivative is the next step's first stage.
	FSAL bool
	// StiffnessStages is the 0-based pair (i, j), i < j, of stages that sit
	// at the same node, C[i] == C[j]. With g_i = u_n + h*sum_l A[i][l] k_l
	// the stage input, the Shampine stiffness estimate (Hairer and Wanner
	// II, sec. IV.2) is RMS(k_j - k_i) / RMS(g_j - g_i). For an FSAL last
	// stage g_j is u_{n+1}. The pair is (-1, -1) when no two stages share a
	// node; StiffnessPair derives it from C.
	StiffnessStages [2]int
	// StabilityScale is the length of the interval [-StabilityScale, 0] of
	// the negative real axis inside the stability region |R(z)| <= 1 of the
	// propagated method. The authors' code divides the stiffness estimate by it.
	StabilityScale float64
	// Dense holds the dense-output (continuous extension) polynomials:
	// b_i(theta) = sum_p Dense[i][p] * theta^(p+1), and
	// u(t + theta*h) ≈ u_n + h*sum_i b_i(theta) k_i for theta in [0, 1].
	// Nil if the method has no dense output. Evaluate with DenseWeights.
	Dense [][]float64
	// DenseOrder is the order of the dense output (its local error is
	// O(h^(DenseOrder+1)) uniformly in theta); 0 if Dense is nil.
	DenseOrder int
}

// HasErrorEstimate reports whether the tableau has an embedded solution,
// i.e. whether a step can report the local error estimate.
func (t *Tableau) HasErrorEstimate() bool { return t.Btilde != nil }

// HasStiffnessEstimate reports whether two stages share a node, i.e.
// whether a step can report the Shampine stiffness estimate.
func (t *Tableau) HasStiffnessEstimate() bool {
	return t.StiffnessStages[0] >= 0 && t.StiffnessStages[1] >= 0
}

// HasDenseOutput reports whether the tableau carries dense-output
// polynomials.
func (t *Tableau) HasDenseOutput() bool { return t.Dense != nil }

// EmbeddedWeights returns a new slice bhat = B - Btilde, the weights of the
// embedded solution. It returns nil if the tableau has no embedded method.
func (t *Tableau) EmbeddedWeights() []float64 {
	if t.Btilde == nil {
		return nil
	}
	bhat := make([]float64, t.Stages)
	for i := range bhat {
		bhat[i] = t.B[i] - t.Btilde[i]
	}
	return bhat
}

// DenseWeights writes the dense-output weights b_i(theta) into dst, so that
// u(t + theta*h) ≈ u_n + h*sum_i dst[i] k_i. theta = 0 gives all zeros and
// theta = 1 gives B. It does not allocate. It panics if the tableau has no
// dense output or len(dst) != Stages.
func (t *Tableau) DenseWeights(theta float64, dst []float64) {
	if t.Dense == nil {
		panic(fmt.Sprintf("ode: tableau %s has no dense output", t.Name))
	}
	if len(dst) != t.Stages {
		panic(fmt.Sprintf("ode: DenseWeights destination has length %d, tableau %s has %d stages", len(dst), t.Name, t.Stages))
	}
	for i, coef := range t.Dense {
		// Horner's rule on theta*(c1 + theta*(c2 + ...)).
		v := 0.0
		for p := len(coef) - 1; p >= 0; p-- {
			v = v*theta + coef[p]
		}
		dst[i] = v * theta
	}
}

// StiffnessPair returns the 0-based indices (i, j), i < j, of two stages
// at the same node (|c_i - c_j| <= 1e-12), choosing the largest j and then
// the largest i; for Tsit5 and DP5 this is the pair of stages 6 and 7
// (1-based), both at t+h. It returns (-1, -1) if all nodes differ.
func StiffnessPair(c []float64) [2]int {
	for j := len(c) - 1; j > 0; j-- {
		for i := j - 1; i >= 0; i-- {
			if math.Abs(c[i]-c[j]) <= 1e-12 {
				return [2]int{i, j}
			}
		}
	}
	return [2]int{-1, -1}
}

// tableauIsFSAL reports whether the last stage is evaluated at u_{n+1}
// and t+h: last node 1 and last row of A equal to B (which forces the last
// weight to be 0 because A is strictly lower triangular).
func tableauIsFSAL(c []float64, a [][]float64, b []float64) bool {
	s := len(c)
	if s < 2 || c[s-1] != 1 {
		return false
	}
	for j := range s {
		if a[s-1][j] != b[j] {
			return false
		}
	}
	return true
}

// tableauValidateTol is the absolute tolerance of Validate's identities.
const tableauValidateTol = 1e-14

// Validate checks the tableau's internal consistency: shapes; A strictly
// lower triangular; row sums sum_j A[i][j] = C[i]; sum B = 1;
// sum Btilde = 0 (identities within 1e-14); EmbeddedOrder set iff Btilde
// is; FSAL consistent with A, B and C; StiffnessStages naming two stages at
// the same node or (-1, -1); a positive StabilityScale; and, if Dense is
// set, b_i(1) = B_i and sum_i b_i(theta) = theta (within 1e-14 times the
// size of the coefficients, which are stored as rounded decimals). It does
// not check order conditions; the package tests do.
func (t *Tableau) Validate() error {
	s := t.Stages
	if s < 1 {
		return fmt.Errorf("ode: tableau %q has %d stages; set Stages to the number of stages (>= 1)", t.Name, s)
	}
	if t.Order < 1 {
		return fmt.Errorf("ode: tableau %q has order %d; set Order >= 1", t.Name, t.Order)
	}
	if len(t.C) != s || len(t.A) != s || len(t.B) != s {
		return fmt.Errorf("ode: tableau %q has %d stages but len(C)=%d, len(A)=%d, len(B)=%d; give C, A and B one entry per stage", t.Name, s, len(t.C), len(t.A), len(t.B))
	}
	for i, row := range t.A {
		if len(row) != s {
			return fmt.Errorf("ode: tableau %q row %d of A has length %d, want %d; store A as full rows", t.Name, i, len(row), s)
		}
		sum := 0.0
		for j, v := range row {
			if j >= i && v != 0 {
				return fmt.Errorf("ode: tableau %q has A[%d][%d] = %g; an explicit method needs A strictly lower triangular", t.Name, i, j, v)
			}
			sum += v
		}
		if math.Abs(sum-t.C[i]) > tableauValidateTol {
			return fmt.Errorf("ode: tableau %q row %d of A sums to %.17g but C[%d] = %.17g; fix the coefficients so row sums equal the nodes", t.Name, i, sum, i, t.C[i])
		}
	}
	if d := tableauSum(t.B) - 1; math.Abs(d) > tableauValidateTol {
		return fmt.Errorf("ode: tableau %q weights B sum to 1%+.3g; fix B so it sums to 1", t.Name, d)
	}
	switch {
	case t.Btilde == nil && t.EmbeddedOrder != 0:
		return fmt.Errorf("ode: tableau %q has EmbeddedOrder %d but no Btilde; set both or neither", t.Name, t.EmbeddedOrder)
	case t.Btilde != nil && len(t.Btilde) != s:
		return fmt.Errorf("ode: tableau %q has len(Btilde)=%d, want %d; give one error weight per stage", t.Name, len(t.Btilde), s)
	case t.Btilde != nil && (t.EmbeddedOrder < 1 || t.EmbeddedOrder >= t.Order):
		return fmt.Errorf("ode: tableau %q has EmbeddedOrder %d with Order %d; the embedded order must be in [1, Order)", t.Name, t.EmbeddedOrder, t.Order)
	case t.Btilde != nil && math.Abs(tableauSum(t.Btilde)) > tableauValidateTol:
		return fmt.Errorf("ode: tableau %q error weights Btilde sum to %.3g; Btilde = b - bhat must sum to 0", t.Name, tableauSum(t.Btilde))
	}
	if t.FSAL && !tableauIsFSAL(t.C, t.A, t.B) {
		return fmt.Errorf("ode: tableau %q is marked FSAL but its last row of A differs from B or its last node is not 1; clear FSAL or fix the last stage", t.Name)
	}
	if !t.FSAL && tableauIsFSAL(t.C, t.A, t.B) {
		return fmt.Errorf("ode: tableau %q has a first-same-as-last stage but FSAL is false; set FSAL", t.Name)
	}
	if p := t.StiffnessStages; p != [2]int{-1, -1} {
		if p[0] < 0 || p[1] >= s || p[0] >= p[1] {
			return fmt.Errorf("ode: tableau %q has StiffnessStages %v; want 0 <= i < j < %d or (-1, -1)", t.Name, p, s)
		}
		if math.Abs(t.C[p[0]]-t.C[p[1]]) > 1e-12 {
			return fmt.Errorf("ode: tableau %q StiffnessStages %v sit at nodes %g and %g; the stiffness estimate needs two stages at the same node (use StiffnessPair)", t.Name, p, t.C[p[0]], t.C[p[1]])
		}
	}
	if !(t.StabilityScale > 0) || math.IsInf(t.StabilityScale, 0) {
		return fmt.Errorf("ode: tableau %q has StabilityScale %g; set the length of its real stability interval", t.Name, t.StabilityScale)
	}
	return t.validateDense()
}

// validateDense checks the dense-output table of Validate.
func (t *Tableau) validateDense() error {
	if t.Dense == nil {
		if t.DenseOrder != 0 {
			return fmt.Errorf("ode: tableau %q has DenseOrder %d but no Dense table; set both or neither", t.Name, t.DenseOrder)
		}
		return nil
	}
	if len(t.Dense) != t.Stages {
		return fmt.Errorf("ode: tableau %q Dense has %d rows, want %d; give one polynomial per stage", t.Name, len(t.Dense), t.Stages)
	}
	if t.DenseOrder < 1 || t.DenseOrder > t.Order {
		return fmt.Errorf("ode: tableau %q has DenseOrder %d with Order %d; the dense output order must be in [1, Order]", t.Name, t.DenseOrder, t.Order)
	}
	deg := len(t.Dense[0])
	mag := 0.0
	for i, coef := range t.Dense {
		if len(coef) != deg || deg == 0 {
			return fmt.Errorf("ode: tableau %q Dense row %d has %d coefficients, row 0 has %d; pad rows with zeros to one degree", t.Name, i, len(coef), deg)
		}
		at1 := 0.0
		for _, v := range coef {
			at1 += v
			mag += math.Abs(v)
		}
		if math.Abs(at1-t.B[i]) > tableauValidateTol*math.Max(1, mag) {
			return fmt.Errorf("ode: tableau %q dense weight b_%d(1) = %.17g differs from B[%d] = %.17g; the dense output must reproduce u_{n+1} at theta = 1", t.Name, i+1, at1, i, t.B[i])
		}
	}
	for p := range deg {
		sum, want := 0.0, 0.0
		if p == 0 {
			want = 1
		}
		for _, coef := range t.Dense {
			sum += coef[p]
		}
		if math.Abs(sum-want) > tableauValidateTol*math.Max(1, mag) {
			return fmt.Errorf("ode: tableau %q dense weights do not sum to theta (theta^%d coefficients sum to %.3g); fix the Dense table", t.Name, p+1, sum)
		}
	}
	return nil
}

func tableauSum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// newTableau completes a tableau from its coefficients: it pads the rows of
// the lower triangle a (row i holds a_i1 .. a_i,i-1) to full rows and
// derives Stages, FSAL and StiffnessStages.
func newTableau(name string, order, embeddedOrder int, c []float64, lower [][]float64, b, btilde []float64, stability float64, dense [][]float64, denseOrder int) *Tableau {
	s := len(c)
	a := make([][]float64, s)
	for i := range a {
		a[i] = make([]float64, s)
		if i > 0 {
			copy(a[i], lower[i-1])
		}
	}
	return &Tableau{
		Name:            name,
		Order:           order,
		EmbeddedOrder:   embeddedOrder,
		Stages:          s,
		C:               c,
		A:               a,
		B:               b,
		Btilde:          btilde,
		FSAL:            tableauIsFSAL(c, a, b),
		StiffnessStages: StiffnessPair(c),
		StabilityScale:  stability,
		Dense:           dense,
		DenseOrder:      denseOrder,
	}
}

// hermiteDense returns the dense-output table of
//
//	u(theta) = u_n + theta*D + theta(1-theta)*(h k_1 - D)
//	         + theta^2(1-theta)*(2D - h k_1 - h k_last) + theta^2(1-theta)^2 * h*sum_i d_i k_i
//
// with D = u_{n+1} - u_n = h*sum_i b_i k_i and k_last = f(u_{n+1}) the FSAL
// stage. With d = nil this is the cubic Hermite interpolant through u_n,
// u_{n+1} with slopes k_1 and k_last; with Shampine's d it is Hairer's
// contd5 of DOPRI5. As weights:
//
//	b_i(theta) = delta_i1 theta + (3b_i - 2delta_i1 - delta_is + d_i) theta^2
//	           + (-2b_i + delta_i1 + delta_is - 2d_i) theta^3 + d_i theta^4.
func hermiteDense(b, d []float64) [][]float64 {
	s := len(b)
	deg := 3
	if d != nil {
		deg = 4
	}
	out := make([][]float64, s)
	for i := range out {
		var first, last, di float64
		if i == 0 {
			first = 1
		}
		if i == s-1 {
			last = 1
		}
		if d != nil {
			di = d[i]
		}
		row := make([]float64, deg)
		row[0] = first
		row[1] = 3*b[i] - 2*first - last + di
		row[2] = -2*b[i] + first + last - 2*di
		if d != nil {
			row[3] = di
		}
		out[i] = row
	}
	return out
}

// Tsit5 returns the Tsitouras 5(4) pair (Ch. Tsitouras, "Runge-Kutta pairs
// of order 5(4) satisfying only the first column simplifying assumption",
// Comput. Math. Appl. 62 (2011) 770-775) with the coefficients of
// OrdinaryDiffEq.jl: 7 stages, FSAL, order 5 with an embedded order 4,
// stiffness stages 6 and 7 (both at t+h), real stability interval 3.5068
// (OrdinaryDiffEq's alg_stability_size) and its free order-4 dense output.
//
// Sign convention: OrdinaryDiffEq's btilde is bhat - b; here Btilde is
// b - bhat, the negation. Only the sign of utilde differs; |utilde| and the
// error estimate are the same. The embedded weights B - Btilde are
// OrdinaryDiffEq's commented 4th-order weights (bhat_7 = 1/66).
func Tsit5() *Tableau {
	c := []float64{0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1}
	lower := [][]float64{
		{0.161},
		{-0.008480655492356989, 0.335480655492357},
		{2.8971530571054935, -6.359448489975075, 4.3622954328695815},
		{5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525},
		{5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383},
		{0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774},
	}
	b := append(append([]float64(nil), lower[5]...), 0)
	btilde := []float64{
		0.00178001105222577714, 0.0008164344596567469, -0.007880878010261995,
		0.1447110071732629, -0.5823571654525552, 0.45808210592918697,
		-0.015151515151515152,
	}
	dense := [][]float64{
		{1.0, -2.763706197274826, 2.9132554618219126, -1.0530884977290216},
		{0, 0.13169999999999998, -0.2234, 0.1017},
		{0, 3.9302962368947516, -5.941033872131505, 2.490627285651253},
		{0, -12.411077166933676, 30.33818863028232, -16.548102889244902},
		{0, 37.50931341651104, -88.1789048947664, 47.37952196281928},
		{0, -27.896526289197286, 65.09189467479366, -34.87065786149661},
		{0, 1.5, -4, 2.5},
	}
	return newTableau("Tsit5", 5, 4, c, lower, b, btilde, 3.5068, dense, 4)
}

// DP5 returns the Dormand-Prince 5(4) pair (Dormand and Prince 1980; Hairer,
// Norsett and Wanner I, sec. II.5, Table 5.2): 7 stages, FSAL, order 5 with
// an embedded order 4, Btilde = Hairer's e_i = b_i - bhat_i, stiffness
// stages 6 and 7 (both at t+h). StabilityScale 3.3066 is the extent of
// DOPRI5's stability region along the negative real axis, the value of
// OrdinaryDiffEq.jl's alg_stability_size(DP5) (the tests recompute it from
// the stability polynomial). The dense output is Shampine's order-4
// continuous extension used by Hairer's dopri5 (contd5, Hairer-Norsett-Wanner
// I, sec. II.6) and OrdinaryDiffEq's DP5, rewritten as weights b_i(theta)
// over the 7 stages (see hermiteDense).
func DP5() *Tableau {
	c := []float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1}
	lower := [][]float64{
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
		{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
	}
	b := append(append([]float64(nil), lower[5]...), 0)
	btilde := []float64{
		71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40,
	}
	// Shampine's dense-output coefficients d_i as in dopri5 (d_2 = 0).
	d := []float64{
		-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799,
		-10690763975.0 / 1880347072, 701980252875.0 / 199316789632,
		-1453857185.0 / 822651844, 69997945.0 / 29380423,
	}
	return newTableau("DP5", 5, 4, c, lower, b, btilde, 3.3066, hermiteDense(b, d), 4)
}

// BS3 returns the Bogacki-Shampine 3(2) pair (Bogacki and Shampine, Appl.
// Math. Lett. 2 (1989) 321-325): 4 stages, FSAL, order 3 with an embedded
// order 2, Btilde = b - bhat with bhat = (7/24, 1/4, 1/3, 1/8). No two
// stages share a node, so there is no stiffness estimate. StabilityScale
// 2.5127 is the real stability interval of 1 + z + z^2/2 + z^3/6 (b_4 = 0,
// so the propagated method is a 3-stage order-3 method). The dense output
// is the order-3 cubic Hermite interpolant through u_n, u_{n+1} with slopes
// k_1 and k_4 = f(u_{n+1}) (see hermiteDense).
func BS3() *Tableau {
	c := []float64{0, 1.0 / 2, 3.0 / 4, 1}
	lower := [][]float64{
		{1.0 / 2},
		{0, 3.0 / 4},
		{2.0 / 9, 1.0 / 3, 4.0 / 9},
	}
	b := []float64{2.0 / 9, 1.0 / 3, 4.0 / 9, 0}
	btilde := []float64{2.0/9 - 7.0/24, 1.0/3 - 1.0/4, 4.0/9 - 1.0/3, -1.0 / 8}
	return newTableau("BS3", 3, 2, c, lower, b, btilde, 2.5127, hermiteDense(b, nil), 3)
}

// Euler returns the explicit Euler method: 1 stage, order 1, no error
// estimate, no stiffness estimate, stability interval [-2, 0]. Its dense
// output is linear interpolation, b_1(theta) = theta (order 1).
func Euler() *Tableau {
	return newTableau("Euler", 1, 0, []float64{0}, nil, []float64{1}, nil, 2, [][]float64{{1}}, 1)
}

// RK4 returns the classic 4-stage Runge-Kutta method of order 4, without
// error estimate. Stages 2 and 3 share the node 1/2, so StiffnessStages is
// (1, 2): RMS(k3 - k2) / RMS(g3 - g2) estimates the dominant eigenvalue
// magnitude like the t+h pair of Tsit5. StabilityScale 2.7853 is the real
// stability interval of 1 + z + z^2/2 + z^3/6 + z^4/24. The dense output is
// the order-3 continuous extension of Hairer-Norsett-Wanner I, sec. II.6:
// b_1 = theta - 3theta^2/2 + 2theta^3/3, b_2 = b_3 = theta^2 - 2theta^3/3,
// b_4 = -theta^2/2 + 2theta^3/3 (it needs no extra evaluation of f).
func RK4() *Tableau {
	c := []float64{0, 1.0 / 2, 1.0 / 2, 1}
	lower := [][]float64{
		{1.0 / 2},
		{0, 1.0 / 2},
		{0, 0, 1},
	}
	b := []float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}
	dense := [][]float64{
		{1, -3.0 / 2, 2.0 / 3},
		{0, 1, -2.0 / 3},
		{0, 1, -2.0 / 3},
		{0, -1.0 / 2, 2.0 / 3},
	}
	return newTableau("RK4", 4, 0, c, lower, b, nil, 2.7853, dense, 3)
}

// Vern7 returns Verner's "most efficient" 7(6) pair (J. H. Verner,
// "Numerically optimal Runge-Kutta pairs with interpolants", Numer.
// Algorithms 53 (2010) 383-396) with the coefficients of OrdinaryDiffEq.jl's
// Vern7: 10 stages, not FSAL, order 7 with an embedded order 6 whose last
// weight sits on stage 10. Stages 9 and 10 are both at t+h, so the
// stiffness estimate uses that pair; StabilityScale 4.64 is OrdinaryDiffEq's
// alg_stability_size(Vern7) (the tests recompute it). It is the method for
// tight tolerances (rtol below about 1e-7), where Tsit5's order 5 needs
// many more steps and its global error grows with them.
//
// Vern7 carries no dense output: Verner's order-7 interpolant needs six
// more evaluations of f per step. Save times become stop times instead
// (Solve steps onto them), as for every method without dense output.
func Vern7() *Tableau {
	c := []float64{0, 0.005, 0.10888888888888888, 0.16333333333333333, 0.4555, 0.6095094489978381, 0.884, 0.925, 1, 1}
	lower := [][]float64{
		{0.005},
		{-1.07679012345679, 1.185679012345679},
		{0.04083333333333333, 0, 0.1225},
		{0.6389139236255726, 0, -2.455672638223657, 2.272258714598084},
		{-2.6615773750187572, 0, 10.804513886456137, -8.3539146573962, 0.820487594956657},
		{6.067741434696772, 0, -24.711273635911088, 20.427517930788895, -1.9061579788166472, 1.006172249242068},
		{12.054670076253203, 0, -49.75478495046899, 41.142888638604674, -4.461760149974004, 2.042334822239175, -0.09834843665406107},
		{10.138146522881808, 0, -42.6411360317175, 35.76384003992257, -4.3480228403929075, 2.0098622683770357, 0.3487490460338272, -0.27143900510483127},
		{-45.030072034298676, 0, 187.3272437654589, -154.02882369350186, 18.56465306347536, -7.141809679295079, 1.3088085781613787, 0, 0},
	}
	b := []float64{0.04715561848627222, 0, 0, 0.25750564298434153, 0.26216653977412624, 0.15216092656738558, 0.4939969170032485, -0.29430311714032503, 0.08131747232495111, 0}
	btilde := []float64{0.002547011879931045, 0, 0, -0.00965839487279575, 0.04206470975639691, -0.0666822437469301, 0.2650097464621281, -0.29430311714032503, 0.08131747232495111, -0.02029518466335628}
	return newTableau("Vern7", 7, 6, c, lower, b, btilde, 4.64, nil, 0)
}
