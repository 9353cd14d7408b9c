package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whitebox-de/whitebox/tensor"
)

type opCase struct {
	name   string
	shapes [][2]int
	// lo, hi bound the random inputs (e.g. positive for Log).
	lo, hi float64
	build  func(xs []Var) Var
}

func randDense(rng *rand.Rand, r, c int, lo, hi float64) *tensor.Dense {
	d := tensor.New(r, c)
	for i := range d.Data {
		d.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return d
}

// weightedLoss records sum(w .* out) for fixed random w: its gradient is a
// vector-Jacobian product with a random cotangent.
func weightedLoss(out Var, w *tensor.Dense) Var {
	return Sum(Mul(out, out.tp.Const(w)))
}

func evalLoss(c opCase, ins []*tensor.Dense, w *tensor.Dense) float64 {
	tp := NewTape()
	xs := make([]Var, len(ins))
	for i, in := range ins {
		xs[i] = tp.Leaf(in, false)
	}
	return weightedLoss(c.build(xs), w).Scalar()
}

func cases() []opCase {
	sq := func(r, c int) [][2]int { return [][2]int{{r, c}} }
	two := func(r, c int) [][2]int { return [][2]int{{r, c}, {r, c}} }
	return []opCase{
		{"MatMul", [][2]int{{3, 4}, {4, 5}}, -1, 1, func(x []Var) Var { return MatMul(x[0], x[1]) }},
		{"MatMulLarge", [][2]int{{20, 30}, {30, 25}}, -1, 1, func(x []Var) Var { return MatMul(x[0], x[1]) }},
		{"AddRow", [][2]int{{3, 4}, {1, 4}}, -1, 1, func(x []Var) Var { return AddRow(x[0], x[1]) }},
		{"AddCol", [][2]int{{3, 4}, {3, 1}}, -1, 1, func(x []Var) Var { return AddCol(x[0], x[1]) }},
		{"DenseTanh", [][2]int{{3, 4}, {4, 5}, {1, 5}}, -1, 1, func(x []Var) Var { return Dense(x[0], x[1], x[2], ActTanh) }},
		{"DenseIdentity", [][2]int{{3, 4}, {4, 5}, {1, 5}}, -1, 1, func(x []Var) Var { return Dense(x[0], x[1], x[2], ActIdentity) }},
		{"Add", two(3, 4), -1, 1, func(x []Var) Var { return Add(x[0], x[1]) }},
		{"Sub", two(3, 4), -1, 1, func(x []Var) Var { return Sub(x[0], x[1]) }},
		{"Mul", two(3, 4), -1, 1, func(x []Var) Var { return Mul(x[0], x[1]) }},
		{"Div", two(3, 4), 0.5, 2, func(x []Var) Var { return Div(x[0], x[1]) }},
		{"Max", two(3, 4), -1, 1, func(x []Var) Var { return Max(x[0], x[1]) }},
		{"Scale", sq(3, 4), -1, 1, func(x []Var) Var { return Scale(x[0], -2.5) }},
		{"ScaleBy", [][2]int{{3, 4}, {1, 1}}, -1, 1, func(x []Var) Var { return ScaleBy(x[0], x[1]) }},
		{"AddScalar", sq(3, 4), -1, 1, func(x []Var) Var { return AddScalar(x[0], 0.7) }},
		{"Neg", sq(3, 4), -1, 1, func(x []Var) Var { return Neg(x[0]) }},
		{"Tanh", sq(3, 4), -2, 2, func(x []Var) Var { return Tanh(x[0]) }},
		{"Sigmoid", sq(3, 4), -3, 3, func(x []Var) Var { return Sigmoid(x[0]) }},
		{"Softplus", sq(3, 4), -3, 3, func(x []Var) Var { return Softplus(x[0]) }},
		{"Relu", sq(3, 4), -1, 1, func(x []Var) Var { return Relu(x[0]) }},
		{"Exp", sq(3, 4), -2, 2, func(x []Var) Var { return Exp(x[0]) }},
		{"Log", sq(3, 4), 0.3, 3, func(x []Var) Var { return Log(x[0]) }},
		{"Square", sq(3, 4), -2, 2, func(x []Var) Var { return Square(x[0]) }},
		{"Cube", sq(3, 4), -2, 2, func(x []Var) Var { return Cube(x[0]) }},
		{"Pow", sq(3, 4), 0.3, 2, func(x []Var) Var { return Pow(x[0], 2.5) }},
		{"Abs", sq(3, 4), -1, 1, func(x []Var) Var { return Abs(x[0]) }},
		{"ConcatCols", [][2]int{{3, 4}, {3, 2}}, -1, 1, func(x []Var) Var { return ConcatCols(x[0], x[1]) }},
		{"SliceCols", sq(3, 6), -1, 1, func(x []Var) Var { return SliceCols(x[0], 1, 4) }},
		{"SliceRows", sq(6, 3), -1, 1, func(x []Var) Var { return SliceRows(x[0], 2, 5) }},
		{"Sum", sq(3, 4), -1, 1, func(x []Var) Var { return Sum(x[0]) }},
		{"Mean", sq(3, 4), -1, 1, func(x []Var) Var { return Mean(x[0]) }},
		{"RowSums", sq(3, 4), -1, 1, func(x []Var) Var { return RowSums(x[0]) }},
		{"RMS", sq(3, 4), -1, 1, func(x []Var) Var { return RMS(x[0]) }},
		{"LogSumExp", sq(3, 4), -3, 3, func(x []Var) Var { return LogSumExp(x[0]) }},
		{"LogSoftmax", sq(3, 4), -3, 3, func(x []Var) Var { return LogSoftmax(x[0]) }},
		{"RMSDiff", two(3, 4), -1, 1, func(x []Var) Var { return RMSDiff(x[0], x[1]) }},
		{"ErrorNorm", [][2]int{{3, 4}, {3, 4}, {3, 4}}, -1, 1, func(x []Var) Var { return ErrorNorm(x[0], x[1], x[2], 0.3, 0.7) }},
		{"ErrorNormComposite", [][2]int{{3, 4}, {3, 4}}, -1, 1, func(x []Var) Var {
			return ErrorNorm(Sub(x[0], x[1]), Tanh(x[0]), Square(x[1]), 1e-3, 1e-2)
		}},
		{"LinComb", two(3, 4), -1, 1, func(x []Var) Var { return LinComb([]float64{0.3, -1.7}, x) }},
		{"Composite", [][2]int{{2, 3}, {3, 3}, {1, 3}}, -1, 1, func(x []Var) Var {
			h := Dense(Cube(x[0]), x[1], x[2], ActTanh)
			return Div(RMS(Sub(h, x[0])), AddScalar(RMS(h), 0.1))
		}},
	}
}

func relErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num) / math.Max(math.Sqrt(den), 1e-12)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestGradientsMatchFiniteDifferences checks every op's reverse-mode gradient
// against central finite differences (relative error <= 1e-6).
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for ci, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(ci)))
			ins := make([]*tensor.Dense, len(c.shapes))
			for i, s := range c.shapes {
				ins[i] = randDense(rng, s[0], s[1], c.lo, c.hi)
			}
			tp := NewTape()
			xs := make([]Var, len(ins))
			for i, in := range ins {
				xs[i] = tp.Leaf(in, true)
			}
			out := c.build(xs)
			w := randDense(rng, out.Rows(), out.Cols(), -1, 1)
			tp.Backward(weightedLoss(out, w))
			for i, in := range ins {
				g := tp.Grad(xs[i])
				if g == nil {
					t.Fatalf("input %d got no gradient", i)
				}
				fd := make([]float64, len(in.Data))
				for k := range in.Data {
					x0 := in.Data[k]
					eps := 1e-6 * math.Max(1, math.Abs(x0))
					in.Data[k] = x0 + eps
					fp := evalLoss(c, ins, w)
					in.Data[k] = x0 - eps
					fm := evalLoss(c, ins, w)
					in.Data[k] = x0
					fd[k] = (fp - fm) / (2 * eps)
				}
				if e := relErr(g.Data, fd); e > 1e-6 {
					t.Errorf("input %d: gradient relative error %.3g > 1e-6\nad %v\nfd %v", i, e, g.Data, fd)
				}
			}
		})
	}
}

// TestJVPMatchesVJP checks forward mode against reverse mode through the
// identity <u, J v> = <J^T u, v> for random u, v, to 1e-12, and forward mode
// against finite differences.
func TestJVPMatchesVJP(t *testing.T) {
	for ci, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(ci)))
			ins := make([]*tensor.Dense, len(c.shapes))
			dirs := make([]*tensor.Dense, len(c.shapes))
			for i, s := range c.shapes {
				ins[i] = randDense(rng, s[0], s[1], c.lo, c.hi)
				dirs[i] = randDense(rng, s[0], s[1], -1, 1)
			}
			tp := NewTape()
			xs := make([]Var, len(ins))
			for i, in := range ins {
				xs[i] = tp.Leaf(in, true)
				tp.SetTangent(xs[i], tp.Const(dirs[i]))
			}
			mark := tp.Len()
			out := c.build(xs)
			w := randDense(rng, out.Rows(), out.Cols(), -1, 1)
			loss := weightedLoss(out, w)
			tp.JVP(mark)
			tl, ok := tp.Tangent(loss)
			if !ok {
				t.Fatal("loss has no tangent")
			}
			jvp := tl.Scalar()
			tp.Backward(loss)
			vjp := 0.0
			for i := range ins {
				vjp += dot(tp.Grad(xs[i]).Data, dirs[i].Data)
			}
			if math.Abs(jvp-vjp) > 1e-12*math.Max(1, math.Abs(vjp)) {
				t.Errorf("JVP %.17g vs VJP %.17g", jvp, vjp)
			}
			// Forward mode against a central difference along the direction.
			eps := 1e-6
			shift := func(s float64) []*tensor.Dense {
				moved := make([]*tensor.Dense, len(ins))
				for i := range ins {
					moved[i] = ins[i].Clone()
					tensor.AddScaled(moved[i].Data, moved[i].Data, s, dirs[i].Data)
				}
				return moved
			}
			fd := (evalLoss(c, shift(eps), w) - evalLoss(c, shift(-eps), w)) / (2 * eps)
			if math.Abs(fd-jvp) > 1e-6*math.Max(1, math.Abs(jvp)) {
				t.Errorf("JVP %.12g vs finite difference %.12g", jvp, fd)
			}
		})
	}
}

// TestReverseOverForward differentiates a JVP with Backward: for
// f(x) = sum(tanh(x)^3), the JVP along v is sum(3 t^2 (1-t^2) v); its gradient
// with respect to x is checked against finite differences of that JVP.
func TestReverseOverForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randDense(rng, 2, 3, -1, 1)
	v := randDense(rng, 2, 3, -1, 1)
	jvpAt := func(x *tensor.Dense, grad bool) (float64, []float64) {
		tp := NewTape()
		xv := tp.Leaf(x, grad)
		tp.SetTangent(xv, tp.Const(v))
		mark := tp.Len()
		f := Sum(Cube(Tanh(xv)))
		tp.JVP(mark)
		tf, _ := tp.Tangent(f)
		if !grad {
			return tf.Scalar(), nil
		}
		tp.Backward(tf)
		return tf.Scalar(), append([]float64(nil), tp.Grad(xv).Data...)
	}
	_, g := jvpAt(x, true)
	fd := make([]float64, len(x.Data))
	for k := range x.Data {
		x0 := x.Data[k]
		x.Data[k] = x0 + 1e-6
		fp, _ := jvpAt(x, false)
		x.Data[k] = x0 - 1e-6
		fm, _ := jvpAt(x, false)
		x.Data[k] = x0
		fd[k] = (fp - fm) / 2e-6
	}
	if e := relErr(g, fd); e > 1e-6 {
		t.Fatalf("reverse-over-forward gradient relative error %.3g\nad %v\nfd %v", e, g, fd)
	}
}

// TestForwardValues checks op outputs against hand-computed values.
func TestForwardValues(t *testing.T) {
	tp := NewTape()
	a := tp.Const(tensor.FromSlice(2, 2, []float64{1, 2, 3, 4}))
	b := tp.Const(tensor.FromSlice(2, 2, []float64{5, 6, 7, 8}))
	r := tp.Const(tensor.FromSlice(1, 2, []float64{10, 20}))
	check := func(name string, v Var, want ...float64) {
		t.Helper()
		got := v.Value().Data
		if len(got) != len(want) {
			t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-14*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("%s: got %v, want %v", name, got, want)
			}
		}
	}
	check("MatMul", MatMul(a, b), 19, 22, 43, 50)
	check("AddRow", AddRow(a, r), 11, 22, 13, 24)
	check("AddCol", AddCol(a, tp.Const(tensor.FromSlice(2, 1, []float64{1, -1}))), 2, 3, 2, 3)
	check("Dense", Dense(a, b, r, ActIdentity), 29, 42, 53, 70)
	check("Sub", Sub(b, a), 4, 4, 4, 4)
	check("Div", Div(b, a), 5, 3, 7.0/3, 2)
	check("Max", Max(a, Scale(b, 0.5)), 2.5, 3, 3.5, 4)
	check("Cube", Cube(a), 1, 8, 27, 64)
	check("Pow", Pow(a, 0.5), 1, math.Sqrt2, math.Sqrt(3), 2)
	check("Sum", Sum(a), 10)
	check("Mean", Mean(a), 2.5)
	check("RowSums", RowSums(a), 3, 7)
	check("RMS", RMS(a), math.Sqrt(30.0/4))
	check("ConcatCols", ConcatCols(a, r2(tp)), 1, 2, 9, 3, 4, 8)
	check("SliceCols", SliceCols(b, 1, 2), 6, 8)
	check("LinComb", LinComb([]float64{2, -1}, []Var{a, b}), -3, -2, -1, 0)
	check("LogSumExp", LogSumExp(a), math.Log(math.E+math.E*math.E), math.Log(math.Exp(3)+math.Exp(4)))
	check("Tanh", Tanh(tp.Const(tensor.FromSlice(1, 2, []float64{0, 0.5}))), 0, math.Tanh(0.5))
	check("Softplus", Softplus(tp.Const(tensor.FromSlice(1, 2, []float64{0, 800}))), math.Log(2), 800)
	check("Relu", Relu(tp.Const(tensor.FromSlice(1, 2, []float64{-1, 2}))), 0, 2)
	check("Add", Add(a, b), 6, 8, 10, 12)
	check("Mul", Mul(a, b), 5, 12, 21, 32)
	check("Scale", Scale(a, -2), -2, -4, -6, -8)
	check("ScaleBy", ScaleBy(a, tp.Scalar(3)), 3, 6, 9, 12)
	check("AddScalar", AddScalar(a, 0.5), 1.5, 2.5, 3.5, 4.5)
	check("Neg", Neg(a), -1, -2, -3, -4)
	check("Square", Square(a), 1, 4, 9, 16)
	check("Abs", Abs(Neg(a)), 1, 2, 3, 4)
	check("Exp", Exp(tp.Const(tensor.FromSlice(1, 2, []float64{0, 1}))), 1, math.E)
	check("Log", Log(tp.Const(tensor.FromSlice(1, 2, []float64{1, math.E}))), 0, 1)
	check("Sigmoid", Sigmoid(tp.Const(tensor.FromSlice(1, 2, []float64{0, math.Log(3)}))), 0.5, 0.75)
	check("LogSoftmax", LogSoftmax(tp.Const(tensor.FromSlice(1, 2, []float64{0, 0}))), -math.Ln2, -math.Ln2)
	check("SliceRows", SliceRows(b, 1, 2), 7, 8)
	check("DenseTanh", Dense(tp.Const(tensor.FromSlice(1, 1, []float64{0.5})), tp.Const(tensor.FromSlice(1, 1, []float64{2})), tp.Const(tensor.FromSlice(1, 1, []float64{-0.5})), ActTanh), math.Tanh(0.5))
	// RMS(a - b) = RMS(-4, -4, -4, -4) = 4.
	check("RMSDiff", RMSDiff(a, b), 4)
	// x/(atol + rtol*max(|u0|,|u1|)) with atol 1, rtol 1: (1/6, 2/7, 3/8, 4/9).
	q := []float64{1.0 / 6, 2.0 / 7, 3.0 / 8, 4.0 / 9}
	check("ErrorNorm", ErrorNorm(a, b, Neg(a), 1, 1), math.Sqrt((q[0]*q[0]+q[1]*q[1]+q[2]*q[2]+q[3]*q[3])/4))
}

func r2(tp *Tape) Var { return tp.Const(tensor.FromSlice(2, 1, []float64{9, 8})) }

func TestShapeMismatchPanicsNamingBothShapes(t *testing.T) {
	tp := NewTape()
	a := tp.Const(tensor.New(2, 3))
	b := tp.Const(tensor.New(4, 5))
	for name, f := range map[string]func(){
		"Add":    func() { Add(a, b) },
		"MatMul": func() { MatMul(a, b) },
	} {
		func() {
			defer func() {
				r := recover()
				msg := fmt.Sprint(r)
				if r == nil || !contains(msg, "2x3") || !contains(msg, "4x5") {
					t.Errorf("%s: panic %q does not name both shapes", name, msg)
				}
			}()
			f()
		}()
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestParamsAccumulateAndRecordingReusesMemory binds parameters, checks that
// Backward adds into Param.Grad, and that recording the same computation again
// after Reset allocates nothing.
func TestParamsAccumulateAndRecordingReusesMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := NewParam("w", 4, 3)
	bias := NewParam("b", 1, 3)
	copy(w.Value.Data, randDense(rng, 4, 3, -1, 1).Data)
	x := randDense(rng, 5, 4, -1, 1)
	tp := NewTape()
	step := func() {
		tp.Reset()
		xv := tp.Const(x)
		y := Dense(xv, tp.Param(w), tp.Param(bias), ActTanh)
		if p1, p2 := tp.Param(w), tp.Param(w); p1 != p2 {
			t.Fatal("binding a Param twice gave two Vars")
		}
		tp.Backward(Mean(Square(y)))
	}
	step()
	g1 := w.Grad.Clone()
	step()
	for i := range g1.Data {
		if math.Abs(w.Grad.Data[i]-2*g1.Data[i]) > 1e-15 {
			t.Fatalf("Param gradient did not accumulate: %v vs 2*%v", w.Grad.Data[i], g1.Data[i])
		}
	}
	if allocs := testing.AllocsPerRun(10, step); allocs != 0 {
		t.Fatalf("re-recording allocated %v times", allocs)
	}
}

// TestParamOnTwoTapes binds one Param on two tapes in turn; each tape's
// gradient must be its own.
func TestParamOnTwoTapes(t *testing.T) {
	p := NewParam("p", 1, 1)
	p.Value.Data[0] = 2
	a, b := NewTape(), NewTape()
	x := a.Param(p)
	y1 := Scale(x, 3)
	b.Param(p)
	x2 := a.Param(p)
	if x != x2 {
		t.Fatal("rebinding on the same tape gave a new Var")
	}
	a.Backward(Add(y1, Scale(x2, 5)))
	if g := p.Grad.Data[0]; g != 8 {
		t.Fatalf("gradient %v, want 8", g)
	}
}
