package sde

import (
	"fmt"
	"math"
)

// SRIStages is the number of stages of the SRI tableaus in this package.
const SRIStages = 4

// SRITableau holds the coefficients of a 4-stage stochastic Runge-Kutta method
// of Roessler's SRI class (Roessler 2010) for Ito SDEs du = f(u,t) dt +
// g(u,t) dW with diagonal noise, in the notation of Rackauckas and Nie (2020)
// and of StochasticDiffEq.jl's SRI caches. With chi1 = (dW^2 - h)/(2 sqrt(h)), chi2 = (dW +
// dZ/sqrt(3))/2 and chi3 = (dW^3 - 3 dW h)/(6h), one step from u_n is
//
//	H0_i = u_n + h sum_{j<i} A0[i][j] k_j + chi2 sum_{j<i} B0[i][j] g_j
//	H1_i = u_n + h sum_{j<i} A1[i][j] k_j + sqrt(h) sum_{j<i} B1[i][j] g_j
//	k_i = f(H0_i, t + C0[i] h),  g_i = g(H1_i, t + C1[i] h)
//	u_{n+1} = u_n + h Alpha.k + dW Beta1.g + chi1 Beta2.g + E2,
//	E2 = chi2 Beta3.g + chi3 Beta4.g,
//
// and E1 = h (k_1 + ... + k_4) and E2 are the two parts of its error
// estimate. Indices are 0-based here: A0[1][0] is the paper's a0_21.
type SRITableau struct {
	// Name is the method's name, "SOSRI" or "SOSRI2".
	Name string
	// A0 and B0 build the drift stages H0, A1 and B1 the diffusion stages H1;
	// all four are strictly lower triangular.
	A0, A1, B0, B1 [SRIStages][SRIStages]float64
	// C0 and C1 are the stage times of f and g (C0 = A0 e, C1 = A1 e).
	C0, C1 [SRIStages]float64
	// Alpha weighs the drift stages; Beta1..Beta4 weigh the diffusion stages
	// against dW, chi1, chi2 and chi3.
	Alpha, Beta1, Beta2, Beta3, Beta4 [SRIStages]float64
	// StiffnessScale divides the raw stiffness estimate
	// RMS(k4 - k3) / RMS(H0_4 - H0_3): 10.6 for SOSRI2, the factor the
	// authors' code (RegNeuralDE.jl) divides by. It gives no factor for
	// SOSRI; this package uses the same 10.6 so that the two report on one
	// scale.
	StiffnessScale float64
}

// SOSRI returns the coefficients of SOSRI (Rackauckas and Nie 2020), the
// stability-optimized strong order 1.5 SRI method; StochasticDiffEq.jl calls
// the same tableau SRIOpt1. Values as in StochasticDiffEq.jl 6.30
// (SOSRIConstantCache, constructSRIOpt1).
func SOSRI() SRITableau {
	return SRITableau{
		Name: "SOSRI",
		A0: [4][4]float64{
			{},
			{-0.04199224421316468},
			{2.842612915017106, -2.0527723684000727},
			{4.338237071435815, -2.8895936137439793, 2.3017575594644466},
		},
		A1: [4][4]float64{
			{},
			{0.26204282091330466},
			{0.20903646383505375, -0.1502377115150361},
			{0.05836595312746999, 0.6149440396332373, 0.08535117634046772},
		},
		B0: [4][4]float64{
			{},
			{-0.21641093549612528},
			{1.5336352863679572, 0.26066223492647056},
			{-1.0536037558179159, 1.7015284721089472, -0.20725685784180017},
		},
		B1: [4][4]float64{
			{},
			{-0.5119011827621657},
			{2.67767339866713, -4.9395031322250995},
			{0.15580956238299215, 3.2361551006624674, -1.4223118283355949},
		},
		C0:             [4]float64{0, -0.04199224421316468, 0.7898405466170333, 3.7504010171562823},
		C1:             [4]float64{0, 0.26204282091330466, 0.05879875232001766, 0.758661169101175},
		Alpha:          [4]float64{1.140099274172029, -0.6401334255743456, 0.4736296532772559, 0.026404498125060714},
		Beta1:          [4]float64{-1.8453464565104432, 2.688764531100726, -0.2523866501071323, 0.40896857551684956},
		Beta2:          [4]float64{0.4969658141589478, -0.5771202869753592, -0.12919702470322217, 0.2093514975196336},
		Beta3:          [4]float64{2.8453464565104425, -2.688764531100725, 0.2523866501071322, -0.40896857551684945},
		Beta4:          [4]float64{0.11522663875443433, -0.57877086147738, 0.2857851028163886, 0.17775911990655704},
		StiffnessScale: 10.6,
	}
}

// SOSRI2 returns the coefficients of SOSRI2 (Rackauckas and Nie 2020), the
// variant whose last two stages sit at t+h, which lets it estimate stiffness
// from k4 - k3; StochasticDiffEq.jl calls the same tableau SRIOpt2. Values as
// in StochasticDiffEq.jl 6.30 (SOSRI2ConstantCache, constructSRIOpt2).
func SOSRI2() SRITableau {
	return SRITableau{
		Name: "SOSRI2",
		A0: [4][4]float64{
			{},
			{0.13804532298278663},
			{0.5818361298250374, 0.4181638701749618},
			{0.4670018408674211, 0.8046204792187386, -0.27162232008616016},
		},
		A1: [4][4]float64{
			{},
			{0.45605532163856893},
			{0.7555807846451692, 0.24441921535482677},
			{0.6981181143266059, 0.3453277086024727, -0.04344582292908241},
		},
		B0: [4][4]float64{
			{},
			{0.08852381537667678},
			{1.0317752458971061, 0.4563552922077882},
			{1.73078280444124, -0.46089678470929774, -0.9637509618944188},
		},
		B1: [4][4]float64{
			{},
			{0.6753186815412179},
			{-0.07452812525785148, -0.49783736486149366},
			{-0.5591906709928903, 0.022696571806569924, -0.8984927888368557},
		},
		C0:             [4]float64{0, 0.13804532298278663, 0.9999999999999992, 0.9999999999999994},
		C1:             [4]float64{0, 0.45605532163856893, 0.999999999999996, 0.9999999999999962},
		Alpha:          [4]float64{-0.15036858140642623, 0.7545275856696072, 0.686995463807979, -0.2911544680711602},
		Beta1:          [4]float64{-0.45315689727309133, 0.8330937231303951, 0.3792843195533544, 0.24077885458934192},
		Beta2:          [4]float64{-0.4994383733810986, 0.9181786186154077, -0.25613778661003145, -0.16260245862427797},
		Beta3:          [4]float64{1.4531568972730915, -0.8330937231303933, -0.3792843195533583, -0.24077885458934023},
		Beta4:          [4]float64{-0.4976090683622265, 0.9148155835648892, -1.4102107084476505, 0.9930041932449877},
		StiffnessScale: 10.6,
	}
}

// SRIOrderCondition is one algebraic condition on an SRI tableau, written as
// "lhs = rhs", with the residual lhs - rhs for a particular tableau.
type SRIOrderCondition struct {
	Name     string
	Residual float64
}

// OrderConditions returns the residuals of the conditions an SRI tableau must
// meet: first that C0 and C1 are the row sums of A0 and A1 and that the
// first stage sits at t, then the 25 conditions for strong order 1.5 on Ito
// SDEs with scalar (or diagonal) noise of Roessler (2010), as
// StochasticDiffEq.jl's checkSRIOrder states them; (v)^2 is elementwise and
// e = (1, 1, 1, 1).
func (tab *SRITableau) OrderConditions() []SRIOrderCondition {
	var e [SRIStages]float64
	for i := range e {
		e[i] = 1
	}
	a0e, a1e := sriMatVec(&tab.A0, e), sriMatVec(&tab.A1, e)
	b0e, b1e := sriMatVec(&tab.B0, e), sriMatVec(&tab.B1, e)
	b0e2, b1e2 := sriSquare(b0e), sriSquare(b1e)
	b1b1e := sriMatVec(&tab.B1, b1e)
	a1b0e := sriMatVec(&tab.A1, b0e)
	al, b1, b2, b3, b4 := tab.Alpha, tab.Beta1, tab.Beta2, tab.Beta3, tab.Beta4
	conds := make([]SRIOrderCondition, 0, 2*SRIStages+2+25)
	for i := range SRIStages {
		conds = append(conds,
			SRIOrderCondition{fmt.Sprintf("C0[%d] = sum_j A0[%d][j]", i, i), tab.C0[i] - a0e[i]},
			SRIOrderCondition{fmt.Sprintf("C1[%d] = sum_j A1[%d][j]", i, i), tab.C1[i] - a1e[i]})
	}
	conds = append(conds,
		SRIOrderCondition{"C0[0] = 0", tab.C0[0]},
		SRIOrderCondition{"C1[0] = 0", tab.C1[0]},
		SRIOrderCondition{"alpha.e = 1", sriDot(al, e) - 1},
		SRIOrderCondition{"beta1.e = 1", sriDot(b1, e) - 1},
		SRIOrderCondition{"beta2.e = 0", sriDot(b2, e)},
		SRIOrderCondition{"beta3.e = 0", sriDot(b3, e)},
		SRIOrderCondition{"beta4.e = 0", sriDot(b4, e)},
		SRIOrderCondition{"beta1.(B1 e) = 0", sriDot(b1, b1e)},
		SRIOrderCondition{"beta2.(B1 e) = 1", sriDot(b2, b1e) - 1},
		SRIOrderCondition{"beta3.(B1 e) = 0", sriDot(b3, b1e)},
		SRIOrderCondition{"beta4.(B1 e) = 0", sriDot(b4, b1e)},
		SRIOrderCondition{"alpha.(A0 e) = 1/2", sriDot(al, a0e) - 0.5},
		SRIOrderCondition{"alpha.(B0 e) = 1", sriDot(al, b0e) - 1},
		SRIOrderCondition{"alpha.(B0 e)^2 = 3/2", sriDot(al, b0e2) - 1.5},
		SRIOrderCondition{"beta1.(A1 e) = 1", sriDot(b1, a1e) - 1},
		SRIOrderCondition{"beta2.(A1 e) = 0", sriDot(b2, a1e)},
		SRIOrderCondition{"beta3.(A1 e) = -1", sriDot(b3, a1e) + 1},
		SRIOrderCondition{"beta4.(A1 e) = 0", sriDot(b4, a1e)},
		SRIOrderCondition{"beta1.(B1 e)^2 = 1", sriDot(b1, b1e2) - 1},
		SRIOrderCondition{"beta2.(B1 e)^2 = 0", sriDot(b2, b1e2)},
		SRIOrderCondition{"beta3.(B1 e)^2 = -1", sriDot(b3, b1e2) + 1},
		SRIOrderCondition{"beta4.(B1 e)^2 = 2", sriDot(b4, b1e2) - 2},
		SRIOrderCondition{"beta1.(B1 (B1 e)) = 0", sriDot(b1, b1b1e)},
		SRIOrderCondition{"beta2.(B1 (B1 e)) = 0", sriDot(b2, b1b1e)},
		SRIOrderCondition{"beta3.(B1 (B1 e)) = 0", sriDot(b3, b1b1e)},
		SRIOrderCondition{"beta4.(B1 (B1 e)) = 1", sriDot(b4, b1b1e) - 1},
		SRIOrderCondition{"beta1.(A1 (B0 e))/2 + beta3.(A1 (B0 e))/3 = 0", sriDot(b1, a1b0e)/2 + sriDot(b3, a1b0e)/3},
	)
	return conds
}

// Check returns an error naming the first condition of OrderConditions whose
// residual exceeds tol in absolute value, or that is NaN; nil if all hold.
// The published SOSRI and SOSRI2 coefficients meet them to about 1e-14.
func (tab *SRITableau) Check(tol float64) error {
	for _, c := range tab.OrderConditions() {
		if !(math.Abs(c.Residual) <= tol) {
			return fmt.Errorf("sde: tableau %s violates %q by %.3g (tolerance %.3g); compare its coefficients with the primary source",
				tab.Name, c.Name, c.Residual, tol)
		}
	}
	return nil
}

func sriDot(a, b [SRIStages]float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func sriMatVec(m *[SRIStages][SRIStages]float64, v [SRIStages]float64) [SRIStages]float64 {
	var out [SRIStages]float64
	for i := range m {
		out[i] = sriDot(m[i], v)
	}
	return out
}

func sriSquare(v [SRIStages]float64) [SRIStages]float64 {
	for i := range v {
		v[i] *= v[i]
	}
	return v
}
