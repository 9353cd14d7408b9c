package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/whitebox-de/whitebox/tensor"
)

// TestProductsReuse records a two-layer computation while capturing its
// products, records it again reusing them, and checks that the second
// recording takes the captured values (not recomputed ones) and gives the
// same gradients bit for bit when the values are unchanged.
func TestProductsReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w1, b1 := NewParam("w1", 4, 6), NewParam("b1", 1, 6)
	w2 := NewParam("w2", 6, 4)
	for _, p := range []*Param{w1, b1, w2} {
		copy(p.Value.Data, randDense(rng, p.Value.Rows, p.Value.Cols, -1, 1).Data)
	}
	x := randDense(rng, 5, 4, -1, 1)
	tp := NewTape()
	record := func() (Var, Var, Var) {
		xv := tp.Leaf(x, true)
		h := Dense(xv, tp.Param(w1), tp.Param(b1), ActTanh)
		y := Tanh(MatMul(h, tp.Param(w2)))
		return xv, y, Sum(Square(y))
	}
	grads := func() []float64 {
		var g []float64
		for _, p := range []*Param{w1, b1, w2} {
			g = append(g, p.Grad.Data...)
			p.Grad.Zero()
		}
		return g
	}

	var prods Products
	tp.CaptureProducts(&prods)
	xv, y, loss := record()
	tp.StopProducts()
	y0 := y.Value().Clone()
	tp.Backward(loss)
	gx0 := tp.Grad(xv).Clone()
	g0 := grads()
	tp.Reset()
	if prods.Len() != 2 || prods.Floats() != 5*6+5*4 {
		t.Fatalf("captured %d products of %d floats, want 2 of %d", prods.Len(), prods.Floats(), 5*6+5*4)
	}

	tp.ReuseProducts(&prods)
	xv, y, loss = record()
	tp.StopProducts()
	tp.Backward(loss)
	if !slices.Equal(y.Value().Data, y0.Data) || !slices.Equal(tp.Grad(xv).Data, gx0.Data) || !slices.Equal(grads(), g0) {
		t.Fatal("reusing the captured products changed the values or gradients")
	}
	tp.Reset()

	// The reused values are taken as they are: scale the second product's
	// captured value and the output follows.
	tensor.Scale(prods.vals[1].Data, 0.5, prods.vals[1].Data)
	tp.ReuseProducts(&prods)
	_, y, _ = record()
	for i, v := range y.Value().Data {
		if d := v - math.Tanh(0.5*math.Atanh(y0.Data[i])); math.Abs(d) > 1e-12 {
			t.Fatalf("output %d = %v does not come from the captured product", i, v)
		}
	}
	tp.Reset()

	// Released buffers return to the pool: capturing again allocates nothing.
	prods.Release(tp)
	if prods.Len() != 0 {
		t.Fatal("Release left values")
	}
	again := func() {
		tp.CaptureProducts(&prods)
		_, _, loss := record()
		tp.Backward(loss)
		tp.Reset()
		prods.Release(tp)
	}
	again()
	if allocs := testing.AllocsPerRun(10, again); allocs != 0 {
		t.Fatalf("capturing with released buffers allocated %v times", allocs)
	}
	grads()
}

// TestProductsReuseDivergencePanics: a recording that does not repeat the
// captured one fails loudly.
func TestProductsReuseDivergencePanics(t *testing.T) {
	tp := NewTape()
	a := tp.Const(tensor.New(2, 3))
	var prods Products
	tp.CaptureProducts(&prods)
	MatMul(a, tp.Const(tensor.New(3, 4)))
	tp.Reset()
	for name, f := range map[string]func(){
		"shape": func() { MatMul(tp.Const(tensor.New(2, 3)), tp.Const(tensor.New(3, 5))) },
		"count": func() {
			a := tp.Const(tensor.New(2, 3))
			b := tp.Const(tensor.New(3, 4))
			MatMul(a, b)
			MatMul(a, b)
		},
	} {
		func() {
			defer func() {
				if msg := fmt.Sprint(recover()); !contains(msg, "ReuseProducts") || !contains(msg, "repeat the captured") {
					t.Errorf("%s: panic %q does not explain the divergence", name, msg)
				}
			}()
			tp.Reset()
			tp.ReuseProducts(&prods)
			f()
		}()
	}
}

// TestCombinationsReuse: CaptureCombinations keeps the linear combinations
// and norms as well as the products, and a reusing recording takes them all
// (a changed kept value shows in the output) with the same gradients.
func TestCombinationsReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	w := NewParam("w", 3, 3)
	copy(w.Value.Data, randDense(rng, 3, 3, -1, 1).Data)
	x := randDense(rng, 4, 3, -1, 1)
	tp := NewTape()
	record := func() (Var, Var) {
		xv := tp.Leaf(x, true)
		k := Tanh(MatMul(xv, tp.Param(w)))
		g := LinComb([]float64{1, 0.5}, []Var{xv, k})
		e := ErrorNorm(g, xv, k, 1e-3, 1e-3)
		s := RMSDiff(g, xv)
		return xv, Add(e, s)
	}
	var p Products
	tp.CaptureCombinations(&p)
	xv, out := record()
	tp.StopProducts()
	v0 := out.Scalar()
	tp.Backward(out)
	gx := tp.Grad(xv).Clone()
	gw := w.Grad.Clone()
	w.Grad.Zero()
	tp.Reset()
	if p.Len() != 4 {
		t.Fatalf("kept %d values, want 4 (MatMul, LinComb, ErrorNorm, RMSDiff)", p.Len())
	}
	tp.ReuseProducts(&p)
	xv, out = record()
	tp.Backward(out)
	if out.Scalar() != v0 || !slices.Equal(tp.Grad(xv).Data, gx.Data) || !slices.Equal(w.Grad.Data, gw.Data) {
		t.Fatal("reusing the kept combinations changed the value or the gradients")
	}
	tp.Reset()
	p.vals[2].Data[0] += 1 // the kept ErrorNorm
	tp.ReuseProducts(&p)
	_, out = record()
	if d := out.Scalar() - (v0 + 1); math.Abs(d) > 1e-12 {
		t.Fatalf("output %v does not use the kept ErrorNorm (want %v)", out.Scalar(), v0+1)
	}
}

// TestTapePool: GetTape hands back the tape PutTape returned, reset, and
// DrainTapePool drops the pooled tapes.
func TestTapePool(t *testing.T) {
	DrainTapePool()
	tp := GetTape()
	tp.Const(tensor.New(2, 2))
	PutTape(tp)
	again := GetTape()
	if again != tp || again.Len() != 0 {
		t.Fatalf("GetTape gave %p with %d nodes, want the reset %p", again, again.Len(), tp)
	}
	PutTape(again)
	DrainTapePool()
	if fresh := GetTape(); fresh == tp {
		t.Fatal("DrainTapePool kept the pooled tape")
	}
}

// TestProvideCombinations: combination nodes take provided values, in
// order, while products are still computed; gradients flow as if the
// nodes had computed the values; too few values panic.
func TestProvideCombinations(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	w := NewParam("w", 3, 3)
	copy(w.Value.Data, randDense(rng, 3, 3, -1, 1).Data)
	x := randDense(rng, 4, 3, -1, 1)
	tp := NewTape()
	record := func() (Var, Var, Var) {
		xv := tp.Leaf(x, true)
		k := Tanh(MatMul(xv, tp.Param(w)))
		g := LinComb([]float64{1, 0.5}, []Var{xv, k})
		e := ErrorNorm(g, xv, k, 1e-3, 1e-3)
		return xv, g, Add(e, RMS(g))
	}
	xv, g, out := record()
	v0, g0 := out.Scalar(), g.Value().Clone()
	tp.Backward(out)
	gx, gw := tp.Grad(xv).Clone(), w.Grad.Clone()
	w.Grad.Zero()
	tp.Reset()
	vals := []*tensor.Dense{g0, tensor.FromSlice(1, 1, []float64{v0 - 0.25}), tensor.FromSlice(1, 1, []float64{0.25})}
	tp.ProvideCombinations(vals)
	_, g, out = record()
	if n := tp.StopProviding(); n != 3 {
		t.Fatalf("the recording took %d values, want 3", n)
	}
	if g.Value() != g0 || out.Scalar() != v0 {
		t.Fatal("the combination nodes did not take the provided values")
	}
	// With the true values of the norms too, the value and the gradients
	// are those of the computing recording.
	tp.Reset()
	k := Tanh(MatMul(tp.Const(x), tp.Const(w.Value)))
	vals[1].Data[0] = ErrorNorm(tp.Const(g0), tp.Const(x), k, 1e-3, 1e-3).Scalar()
	vals[2].Data[0] = RMS(tp.Const(g0)).Scalar()
	tp.Reset()
	tp.ProvideCombinations(vals)
	xv, _, out = record()
	tp.StopProviding()
	tp.Backward(out)
	if out.Scalar() != v0 || !slices.Equal(tp.Grad(xv).Data, gx.Data) || !slices.Equal(w.Grad.Data, gw.Data) {
		t.Fatal("provided values changed the value or the gradients")
	}
	w.Grad.Zero()
	tp.Reset()
	tp.ProvideCombinations(vals[:1])
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("running out of provided values did not panic")
			}
		}()
		record()
	}()
	tp.Reset()
	var p Products
	p.combos = true
	tp.ReuseProducts(&p)
	defer func() {
		if recover() == nil {
			t.Fatal("providing values while reusing captured combinations did not panic")
		}
	}()
	tp.ProvideCombinations(vals)
}

// TestStaleMemoryIsDropped: a free list the tape has not drawn from for
// staleResets Resets is dropped at the next Reset, while the lengths in use
// stay pooled; a pooled tape that waited staleGets GetTape calls is dropped
// from the pool.
func TestStaleMemoryIsDropped(t *testing.T) {
	has := func(tp *Tape, n int) bool {
		for _, fl := range tp.pool {
			if fl.n == n && len(fl.list) > 0 {
				return true
			}
		}
		return false
	}
	tp := NewTape()
	Tanh(tp.Const(tensor.New(3, 3)))
	tp.Reset()
	if !has(tp, 9) {
		t.Fatal("the 3x3 buffers were not pooled")
	}
	for i := 0; i <= staleResets; i++ {
		Tanh(tp.Const(tensor.New(2, 2)))
		if i < staleResets && !has(tp, 9) {
			t.Fatalf("the 3x3 buffers were dropped after %d Resets, before %d", i+1, staleResets)
		}
		tp.Reset()
	}
	if has(tp, 9) || !has(tp, 4) {
		t.Fatalf("after %d Resets without 3x3 work: 3x3 pooled %v (want false), 2x2 pooled %v (want true)", staleResets+1, has(tp, 9), has(tp, 4))
	}

	DrainTapePool()
	a, b := GetTape(), GetTape()
	PutTape(b)
	PutTape(a)
	for range staleGets + 1 {
		PutTape(GetTape()) // a, again and again; b waits at the bottom
	}
	tapePool.Lock()
	n, top := len(tapePool.free), tapePool.free[len(tapePool.free)-1]
	tapePool.Unlock()
	if n != 1 || top != a {
		t.Fatalf("after %d GetTape calls the pool holds %d tapes (want 1, the one in use)", staleGets+1, n)
	}
	DrainTapePool()
}
