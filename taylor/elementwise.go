package taylor

import (
	"github.com/whitebox-de/whitebox/ad"
)

// The elementwise rules. A function y = phi(x) whose derivative phi'(x) is
// a series s that is cheap to form from y (or from another series) obeys
// y' = s x', which in normalized coefficients is the recurrence
//
//	y_k = (1/k) sum_{j=1..k} j x_j s_{k-j},   k >= 1,
//
// (Griewank and Walther, "Evaluating Derivatives", 2nd ed., 2008, section
// 13.2). Coefficient k needs s_0..s_{k-1}, hence y_0..y_{k-1} only.
//
//	tanh      s = 1 - y^2
//	sigmoid   s = y - y^2 = y (1 - y)
//	exp       s = y
//	softplus  s = sigmoid(x), itself a series by the sigmoid rule

// chainRule returns the series y with y_0 = phi(x_0) and y' = s x', where
// sAt(y, m) returns s_m from y_0..y_m.
func chainRule(x *Series, phi func(ad.Var) ad.Var, sAt func(y *Series, m int) ad.Var) *Series {
	y := &Series{ev: x.ev, rows: x.rows, cols: x.cols}
	var s []ad.Var
	y.next = func(k int) ad.Var {
		if k == 0 {
			return phi(x.ev.dense(x.c[0], x.rows, x.cols))
		}
		for len(s) < k {
			s = append(s, sAt(y, len(s)))
		}
		var acc ad.Var
		for j := 1; j <= k; j++ {
			acc = add(acc, scale(mul(x.c[j], s[k-j]), float64(j)/float64(k)))
		}
		return acc
	}
	return x.ev.add(y)
}

// Tanh returns tanh(x).
func Tanh(x *Series) *Series {
	return chainRule(x, ad.Tanh, func(y *Series, m int) ad.Var {
		if m == 0 {
			return ad.AddScalar(ad.Neg(ad.Square(y.c[0])), 1)
		}
		return scaledSquare(y.c, m, -1)
	})
}

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x *Series) *Series {
	return chainRule(x, ad.Sigmoid, func(y *Series, m int) ad.Var {
		if m == 0 {
			return ad.Mul(y.c[0], ad.AddScalar(ad.Neg(y.c[0]), 1))
		}
		sq := cauchySquare(y.c, m)
		switch {
		case !sq.Valid():
			return y.c[m]
		case !y.c[m].Valid():
			return ad.Neg(sq)
		}
		return ad.Sub(y.c[m], sq)
	})
}

// Exp returns exp(x).
func Exp(x *Series) *Series {
	return chainRule(x, ad.Exp, func(y *Series, m int) ad.Var { return y.c[m] })
}

// Softplus returns log(1+exp(x)), whose derivative is sigmoid(x).
func Softplus(x *Series) *Series {
	sig := Sigmoid(x)
	return chainRule(x, ad.Softplus, func(_ *Series, m int) ad.Var { return sig.c[m] })
}
