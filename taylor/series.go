package taylor

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
)

// Series is a truncated Taylor series x(t0 + h) = x_0 + x_1 h + x_2 h^2 + ...
// of a batch x features matrix, in normalized coefficients x_k = x^(k)/k!.
// Each coefficient is an ad.Var on one tape, so everything computed from a
// Series is differentiable in reverse (and forward) mode.
//
// A Series belongs to one evaluation (Push or Coefficients), which holds the
// same number of coefficients for all its series and asks each for its next
// coefficient in the order the series were made. That order is a
// topological order of the computation, so a rule finds its inputs'
// coefficients up to the one it computes.
//
// Series values are made by the functions of this package (MatMul, Tanh,
// ...) from the series an evaluation passes to a Func; they are valid until
// the tape is Reset.
type Series struct {
	ev         *evaluation
	rows, cols int
	// c holds the coefficients computed so far; an invalid (zero) ad.Var is
	// a coefficient that is exactly zero, which the rules skip (the time
	// series beyond order 1, the bias beyond order 0).
	c []ad.Var
	// next computes coefficient k from the inputs' coefficients 0..k and
	// this series' 0..k-1; nil means every coefficient from len(c) on is 0.
	next func(k int) ad.Var
}

// evaluation holds the series of one Taylor-mode evaluation in the order
// they were made and the number of coefficients each of them holds.
type evaluation struct {
	tp     *ad.Tape
	series []*Series
	n      int
}

func newEvaluation(tp *ad.Tape) *evaluation { return &evaluation{tp: tp, n: 1} }

// make records a series computed by next, bringing it to the evaluation's
// number of coefficients.
func (ev *evaluation) make(rows, cols int, next func(k int) ad.Var) *Series {
	return ev.add(&Series{ev: ev, rows: rows, cols: cols, next: next})
}

// add brings s, whose next may refer to s itself, to the evaluation's number
// of coefficients and records it.
func (ev *evaluation) add(s *Series) *Series {
	for len(s.c) < ev.n {
		s.c = append(s.c, s.compute(len(s.c)))
	}
	ev.series = append(ev.series, s)
	return s
}

func (s *Series) compute(k int) ad.Var {
	if s.next == nil {
		return ad.Var{}
	}
	v := s.next(k)
	if v.Valid() && (v.Rows() != s.rows || v.Cols() != s.cols) {
		panic(fmt.Sprintf("taylor: coefficient %d is %dx%d in a %dx%d series", k, v.Rows(), v.Cols(), s.rows, s.cols))
	}
	return v
}

// extend computes one more coefficient of every series.
func (ev *evaluation) extend() {
	k := ev.n
	for _, s := range ev.series {
		s.c = append(s.c, s.compute(k))
	}
	ev.n++
}

// constant records the series with coefficients cs (invalid Vars are zero)
// and zero beyond.
func (ev *evaluation) constant(rows, cols int, cs []ad.Var) *Series {
	return ev.make(rows, cols, func(k int) ad.Var {
		if k < len(cs) {
			return cs[k]
		}
		return ad.Var{}
	})
}

// Tape returns the tape the series' coefficients are recorded on, to bind
// parameters (s.Tape().Param(p)) and record constants.
func (s *Series) Tape() *ad.Tape { return s.ev.tp }

// Rows is the batch size.
func (s *Series) Rows() int { return s.rows }

// Cols is the number of features.
func (s *Series) Cols() int { return s.cols }

// Len is the number of coefficients computed so far (x_0 .. x_{Len()-1}).
func (s *Series) Len() int { return len(s.c) }

// Coef returns coefficient k (k < Len()), recording a zero matrix when the
// coefficient is structurally zero.
func (s *Series) Coef(k int) ad.Var {
	if k < 0 || k >= len(s.c) {
		panic(fmt.Sprintf("taylor: Coef(%d) of a series with %d coefficients", k, len(s.c)))
	}
	return s.ev.dense(s.c[k], s.rows, s.cols)
}

// Const returns the constant series v (v_0 = v, v_k = 0 for k >= 1) in s's
// evaluation: a parameter or any value that does not vary with time. v must
// be on s's tape.
func (s *Series) Const(v ad.Var) *Series {
	if v.Tape() != s.ev.tp {
		panic("taylor: Const: the value is on another tape than the series")
	}
	return s.ev.constant(v.Rows(), v.Cols(), []ad.Var{v})
}

// dense returns v, or a recorded r x c zero matrix for a zero coefficient.
func (ev *evaluation) dense(v ad.Var, r, c int) ad.Var {
	if v.Valid() {
		return v
	}
	return ev.tp.Fill(r, c, 0)
}

func same(op string, a, b *Series) {
	if a.ev != b.ev {
		panic(fmt.Sprintf("taylor: %s: series from different evaluations", op))
	}
	if a.rows != b.rows || a.cols != b.cols {
		panic(fmt.Sprintf("taylor: %s: shape mismatch %dx%d vs %dx%d", op, a.rows, a.cols, b.rows, b.cols))
	}
}

// Zero-aware helpers on coefficients: an invalid Var is exactly zero.

func add(a, b ad.Var) ad.Var {
	switch {
	case !a.Valid():
		return b
	case !b.Valid():
		return a
	}
	return ad.Add(a, b)
}

func mul(a, b ad.Var) ad.Var {
	if !a.Valid() || !b.Valid() {
		return ad.Var{}
	}
	return ad.Mul(a, b)
}

func scale(a ad.Var, s float64) ad.Var {
	if !a.Valid() {
		return a
	}
	if s == 1 {
		return a
	}
	return ad.Scale(a, s)
}
