package odetest

import "math"

// Problem is an initial value problem y' = F(t, y), y(T0) = Y0 on [T0, T1]
// with a reference value of y(T1).
type Problem struct {
	// Name is the problem's name in its source, such as "A1" or "C5".
	Name string
	// Description says what the problem models.
	Description string
	// F writes dy/dt at (t, y) into dy; len(y) = len(dy) = len(Y0).
	F func(t float64, y, dy []float64)
	// Y0 is the initial value at T0.
	Y0 []float64
	// T0 and T1 are the ends of the interval of integration.
	T0, T1 float64
	// YEnd is the reference value of y(T1); see the package doc for how
	// it was computed.
	YEnd []float64
	// Exact, if not nil, writes the closed-form solution at t into y.
	Exact func(t float64, y []float64)
}

// DETEST returns the 25 problems of classes A to E of Hull et al. (1972)
// in their order A1..A5, B1..B5, C1..C5, D1..D5, E1..E5. Each call returns
// fresh slices.
func DETEST() []Problem {
	ps := []Problem{
		{Name: "A1", Description: "y' = -y (exponential decay)", F: a1, Y0: []float64{1},
			Exact: func(t float64, y []float64) { y[0] = math.Exp(-t) }},
		{Name: "A2", Description: "y' = -y^3/2", F: a2, Y0: []float64{1},
			Exact: func(t float64, y []float64) { y[0] = 1 / math.Sqrt(t+1) }},
		{Name: "A3", Description: "y' = y cos t", F: a3, Y0: []float64{1},
			Exact: func(t float64, y []float64) { y[0] = math.Exp(math.Sin(t)) }},
		{Name: "A4", Description: "y' = y(20 - y)/80 (logistic curve)", F: a4, Y0: []float64{1},
			Exact: func(t float64, y []float64) { y[0] = 20 / (1 + 19*math.Exp(-t/4)) }},
		{Name: "A5", Description: "y' = (y - t)/(y + t) (spiral curve)", F: a5, Y0: []float64{4}, Exact: exactA5},

		{Name: "B1", Description: "growth of two conflicting populations (Lotka-Volterra)", F: b1, Y0: []float64{1, 3}},
		{Name: "B2", Description: "linear chemical reaction", F: b2, Y0: []float64{2, 0, 1}, Exact: exactB2},
		{Name: "B3", Description: "nonlinear chemical reaction", F: b3, Y0: []float64{1, 0, 0}},
		{Name: "B4", Description: "integral surface of a torus", F: b4, Y0: []float64{3, 0, 0}, Exact: exactB4},
		{Name: "B5", Description: "Euler equations of a rigid body without external forces", F: b5, Y0: []float64{0, 1, 1}},

		{Name: "C1", Description: "radioactive decay chain, equal rates (10 equations)", F: c1, Y0: unit(10), Exact: exactC1},
		{Name: "C2", Description: "radioactive decay chain, rates 1..9 (10 equations)", F: c2, Y0: unit(10), Exact: exactC2},
		{Name: "C3", Description: "tridiagonal linear system (10 equations)", F: c3, Y0: unit(10), Exact: exactTridiag(10)},
		{Name: "C4", Description: "tridiagonal linear system (51 equations)", F: c3, Y0: unit(51), Exact: exactTridiag(51)},
		{Name: "C5", Description: "five outer planets about the sun (30 equations)", F: c5, Y0: c5Y0()},
	}
	for i, e := range []float64{0.1, 0.3, 0.5, 0.7, 0.9} {
		ps = append(ps, Problem{
			Name:        "D" + string(rune('1'+i)),
			Description: "orbit equations, eccentricity " + []string{"0.1", "0.3", "0.5", "0.7", "0.9"}[i],
			F:           orbit,
			Y0:          []float64{1 - e, 0, 0, math.Sqrt((1 + e) / (1 - e))},
			Exact:       exactOrbit(e),
		})
	}
	ps = append(ps,
		Problem{Name: "E1", Description: "Bessel's equation of order 1/2 in x = t+1", F: e1,
			Y0: []float64{0.79788456080286536 * 0.84147098480789651, 0.79788456080286536 * 0.11956681346419146}, Exact: exactE1},
		Problem{Name: "E2", Description: "Van der Pol's equation, mu = 1", F: e2, Y0: []float64{2, 0}},
		Problem{Name: "E3", Description: "Duffing's equation (forced)", F: e3, Y0: []float64{0, 0}},
		Problem{Name: "E4", Description: "falling body with air resistance", F: e4, Y0: []float64{30, 0}, Exact: exactE4},
		Problem{Name: "E5", Description: "pursuit curve", F: e5, Y0: []float64{0, 0}, Exact: exactE5},
	)
	for i := range ps {
		ps[i].T0, ps[i].T1 = 0, 20
		ps[i].YEnd = append([]float64(nil), detestEnd[ps[i].Name]...)
	}
	return ps
}

func unit(n int) []float64 {
	y := make([]float64, n)
	y[0] = 1
	return y
}

func a1(t float64, y, dy []float64) { dy[0] = -y[0] }
func a2(t float64, y, dy []float64) { dy[0] = -0.5 * y[0] * y[0] * y[0] }
func a3(t float64, y, dy []float64) { dy[0] = y[0] * math.Cos(t) }
func a4(t float64, y, dy []float64) { dy[0] = (1 - y[0]/20) * y[0] / 4 }
func a5(t float64, y, dy []float64) { dy[0] = (y[0] - t) / (y[0] + t) }

// exactA5: in polar coordinates (t, y) = r (cos th, sin th) the solution
// is the logarithmic spiral r = 4 exp(pi/2 - th); th decreases from pi/2
// and t(th) increases while th > -pi/4 (up to t = 29.8), so th is found by
// bisection on (-pi/4, pi/2].
func exactA5(t float64, y []float64) {
	tOf := func(th float64) float64 { return 4 * math.Exp(math.Pi/2-th) * math.Cos(th) }
	lo, hi := -math.Pi/4, math.Pi/2 // tOf(lo) > t >= tOf(hi) = 0
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if tOf(mid) > t {
			lo = mid
		} else {
			hi = mid
		}
	}
	th := lo + (hi-lo)/2
	y[0] = 4 * math.Exp(math.Pi/2-th) * math.Sin(th)
}

func b1(t float64, y, dy []float64) {
	d := y[0] - y[0]*y[1]
	dy[0] = d + d
	dy[1] = -(y[1] - y[0]*y[1])
}

func b2(t float64, y, dy []float64) {
	dy[0] = -y[0] + y[1]
	dy[2] = y[1] - y[2]
	dy[1] = -dy[0] - dy[2]
}

// exactB2: eigenvalues 0, -1, -3 with eigenvectors (1,1,1), (1,0,-1),
// (1,-2,1); y0 = (2,0,1) has coordinates 1, 1/2, 1/2.
func exactB2(t float64, y []float64) {
	e1, e3 := math.Exp(-t), math.Exp(-3*t)
	y[0] = 1 + 0.5*e1 + 0.5*e3
	y[1] = 1 - e3
	y[2] = 1 - 0.5*e1 + 0.5*e3
}

func b3(t float64, y, dy []float64) {
	d := y[1] * y[1]
	dy[0] = -y[0]
	dy[1] = y[0] - d
	dy[2] = d
}

func b4(t float64, y, dy []float64) {
	d := math.Sqrt(y[0]*y[0] + y[1]*y[1])
	dy[0] = -y[1] - y[0]*y[2]/d
	dy[1] = y[0] - y[1]*y[2]/d
	dy[2] = y[0] / d
}

// exactB4: the polar angle of (y1, y2) is t, its radius 2 + cos t and
// y3 = sin t.
func exactB4(t float64, y []float64) {
	s, c := math.Sincos(t)
	y[0] = (2 + c) * c
	y[1] = (2 + c) * s
	y[2] = s
}

func b5(t float64, y, dy []float64) {
	dy[0] = y[1] * y[2]
	dy[1] = -y[0] * y[2]
	dy[2] = -0.51 * y[0] * y[1]
}

func c1(t float64, y, dy []float64) {
	dy[0] = -y[0]
	for i := 1; i < 9; i++ {
		dy[i] = y[i-1] - y[i]
	}
	dy[9] = y[8]
}

// exactC1: y_i = t^(i-1)/(i-1)! e^-t for i = 1..9 (Poisson probabilities)
// and y_10 = 1 - (y_1 + ... + y_9).
func exactC1(t float64, y []float64) {
	p, s := math.Exp(-t), 0.0
	for i := range 9 {
		y[i] = p
		s += p
		p *= t / float64(i+1)
	}
	y[9] = 1 - s
}

func c2(t float64, y, dy []float64) {
	dy[0] = -y[0]
	for i := 1; i < 9; i++ {
		dy[i] = float64(i)*y[i-1] - float64(i+1)*y[i]
	}
	dy[9] = 9 * y[8]
}

// exactC2: y_i = e^-t (1 - e^-t)^(i-1) for i = 1..9 (a pure birth
// process) and y_10 = (1 - e^-t)^9.
func exactC2(t float64, y []float64) {
	e, q := math.Exp(-t), -math.Expm1(-t)
	p := e
	for i := range 9 {
		y[i] = p
		p *= q
	}
	y[9] = math.Pow(q, 9)
}

// c3 is the tridiagonal system y_i' = y_{i-1} - 2 y_i + y_{i+1} of C3 and
// C4 (10 and 51 equations).
func c3(t float64, y, dy []float64) {
	n := len(y)
	dy[0] = -2*y[0] + y[1]
	for i := 1; i < n-1; i++ {
		dy[i] = y[i-1] - 2*y[i] + y[i+1]
	}
	dy[n-1] = y[n-2] - 2*y[n-1]
}

// exactTridiag expands y(t) = exp(At) e_1 in the eigenvectors
// sin(i k pi/(n+1)) of the tridiagonal matrix (eigenvalues
// -4 sin^2(k pi/(2(n+1)))); in float64 it is accurate to about 1e-15
// absolute at t = 0 and 1e-17 at t = 20.
func exactTridiag(n int) func(t float64, y []float64) {
	return func(t float64, y []float64) {
		clear(y)
		for k := 1; k <= n; k++ {
			s := math.Sin(float64(k) * math.Pi / (2 * float64(n+1)))
			w := 2 / float64(n+1) * math.Sin(float64(k)*math.Pi/float64(n+1)) * math.Exp(-4*s*s*t)
			for i := range n {
				y[i] += w * math.Sin(float64((i+1)*k)*math.Pi/float64(n+1))
			}
		}
	}
}

// C5: the five outer planets (Jupiter, Saturn, Uranus, Neptune, Pluto) in
// heliocentric coordinates (AU), time in units of 100 days: the masses are
// relative to the sun's, m0 is the sun's plus the inner planets', and k2 is
// Gauss's gravitational constant squared times 10^4.
var (
	c5K2 = 2.95912208286
	c5M0 = 1.00000597682
	c5M  = [5]float64{.954786104043e-3, .285583733151e-3, .437273164546e-4, .517759138449e-4, .277777777778e-5}
)

func c5Y0() []float64 {
	return []float64{
		3.42947415189, 3.35386959711, 1.35494901715,
		6.64145542550, 5.97156957878, 2.18231499728,
		11.2630437207, 14.6952576794, 6.27960525067,
		-30.1552268759, 1.65699966404, 1.43785752721,
		-21.1238353380, 28.4465098142, 15.3882659679,
		-.557160570446, .505696783289, .230578543901,
		-.415570776342, .365682722812, .169143213293,
		-.325325669158, .189706021964, .0877265322780,
		-.0240476254170, -.287659532608, -.117219543175,
		-.176860753121, -.216393453025, -.0148647893090,
	}
}

// c5 is y_i” = k2 (-(m0 + m_i) y_i / r_i^3 + sum_{j != i} m_j ((y_j - y_i)/d_ij^3 - y_j/r_j^3))
// for the positions y_i (components 3i..3i+2, velocities 15 later),
// r_i = |y_i| and d_ij = |y_i - y_j|.
func c5(t float64, y, dy []float64) {
	var r [5]float64
	var q [5][5]float64
	for i := range 5 {
		p := y[3*i]*y[3*i] + y[3*i+1]*y[3*i+1] + y[3*i+2]*y[3*i+2]
		r[i] = 1 / (p * math.Sqrt(p))
		for j := i + 1; j < 5; j++ {
			a, b, c := y[3*i]-y[3*j], y[3*i+1]-y[3*j+1], y[3*i+2]-y[3*j+2]
			p := a*a + b*b + c*c
			q[i][j] = 1 / (p * math.Sqrt(p))
			q[j][i] = q[i][j]
		}
	}
	for i := range 5 {
		for l := range 3 {
			k := 3*i + l
			dy[k] = y[k+15]
			p := 0.0
			for j := range 5 {
				if j != i {
					p += c5M[j] * (y[3*j+l]*(q[i][j]-r[j]) - y[k]*q[i][j])
				}
			}
			dy[k+15] = c5K2 * (-(c5M0+c5M[i])*y[k]*r[i] + p)
		}
	}
}

func orbit(t float64, y, dy []float64) {
	dy[0] = y[2]
	dy[1] = y[3]
	d := y[0]*y[0] + y[1]*y[1]
	d = math.Sqrt(d * d * d)
	dy[2] = -y[0] / d
	dy[3] = -y[1] / d
}

// exactOrbit is the Kepler orbit with semi-major axis 1 and period 2 pi
// starting at perihelion: with the eccentric anomaly E solving Kepler's
// equation E - e sin E = t, y = (cos E - e, sqrt(1-e^2) sin E) and
// y' = (-sin E, sqrt(1-e^2) cos E)/(1 - e cos E).
func exactOrbit(e float64) func(t float64, y []float64) {
	return func(t float64, y []float64) {
		m := math.Mod(t, 2*math.Pi)
		E := m
		if e > 0.8 {
			E = math.Pi
		}
		for range 100 {
			d := (E - e*math.Sin(E) - m) / (1 - e*math.Cos(E))
			E -= d
			if math.Abs(d) <= 1e-17 {
				break
			}
		}
		s, c := math.Sincos(E)
		w := math.Sqrt(1 - e*e)
		y[0] = c - e
		y[1] = w * s
		y[2] = -s / (1 - e*c)
		y[3] = w * c / (1 - e*c)
	}
}

func e1(t float64, y, dy []float64) {
	dy[0] = y[1]
	dy[1] = -(y[1]/(t+1) + (1-0.25/((t+1)*(t+1)))*y[0])
}

// exactE1: y1 = J_{1/2}(x) = sqrt(2/(pi x)) sin x with x = t + 1.
func exactE1(t float64, y []float64) {
	x := t + 1
	s, c := math.Sincos(x)
	k := math.Sqrt(2 / math.Pi)
	y[0] = k * s / math.Sqrt(x)
	y[1] = k * (c/math.Sqrt(x) - s/(2*x*math.Sqrt(x)))
}

func e2(t float64, y, dy []float64) {
	dy[0] = y[1]
	dy[1] = (1-y[0]*y[0])*y[1] - y[0]
}

func e3(t float64, y, dy []float64) {
	dy[0] = y[1]
	dy[1] = y[0]*y[0]*y[0]/6 - y[0] + 2*math.Sin(2.78535*t)
}

func e4(t float64, y, dy []float64) {
	dy[0] = y[1]
	dy[1] = .032 - .4*y[1]*y[1]
}

// exactE4: with k = sqrt(0.032*0.4), y2 = sqrt(0.08) tanh(k t) and
// y1 = 30 + 2.5 ln cosh(k t).
func exactE4(t float64, y []float64) {
	k := math.Sqrt(0.032 * 0.4)
	y[0] = 30 + 2.5*math.Log(math.Cosh(k*t))
	y[1] = math.Sqrt(0.08) * math.Tanh(k*t)
}

func e5(t float64, y, dy []float64) {
	dy[0] = y[1]
	dy[1] = math.Sqrt(1+y[1]*y[1]) / (25 - t)
}

// exactE5: asinh y2 = ln(25/(25-t)), so y2 = (u - 1/u)/2 with u = 25/(25-t)
// and y1 = (25 ln u + ((25-t)^2 - 625)/50)/2.
func exactE5(t float64, y []float64) {
	u := 25 / (25 - t)
	y[0] = (25*math.Log(u) + ((25-t)*(25-t)-625)/50) / 2
	y[1] = (u - 1/u) / 2
}
