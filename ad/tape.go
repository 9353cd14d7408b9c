package ad

import (
	"fmt"
	"sync"

	"github.com/whitebox-de/whitebox/tensor"
)

// Var is a handle to a value recorded on a Tape. The zero Var is invalid.
// A Var is valid until the next Reset of its tape.
type Var struct {
	tp *Tape
	id int32
}

// Valid reports whether v refers to a recorded value.
func (v Var) Valid() bool { return v.tp != nil }

// Tape returns the tape v was recorded on.
func (v Var) Tape() *Tape { return v.tp }

// Value returns the value of v. It aliases tape memory: do not modify it, and
// copy it before the tape is Reset.
func (v Var) Value() *tensor.Dense { return v.tp.nodes[v.id].val }

// Rows and Cols give the shape of v.
func (v Var) Rows() int { return v.tp.nodes[v.id].val.Rows }

// Cols is the number of columns of v.
func (v Var) Cols() int { return v.tp.nodes[v.id].val.Cols }

// Scalar returns the value of a 1x1 Var.
func (v Var) Scalar() float64 {
	d := v.Value()
	if d.Rows != 1 || d.Cols != 1 {
		panic(fmt.Sprintf("ad: Scalar of a %s value", d.Shape()))
	}
	return d.Data[0]
}

// Param is a trainable tensor with its gradient accumulator. Bind it to a
// tape with Tape.Param; Backward adds its gradient into Grad.
type Param struct {
	Name  string
	Value *tensor.Dense
	Grad  *tensor.Dense
}

// NewParam returns a parameter of the given shape with a zeroed gradient.
func NewParam(name string, rows, cols int) *Param {
	return &Param{Name: name, Value: tensor.New(rows, cols), Grad: tensor.New(rows, cols)}
}

type node struct {
	op     opKind
	a, b   int32 // inputs, -1 when absent
	c      int32
	args   []int32   // n-ary inputs (LinComb)
	coef   []float64 // n-ary coefficients
	s      float64   // scalar parameter
	i0     int       // slice start, activation code
	val    *tensor.Dense
	grad   *tensor.Dense
	needs  bool // depends on a value that wants a gradient
	owned  bool // val belongs to the tape's pool
	isView bool // val is a header over another node's memory
	param  *Param
	// pend heads (index+1 into Tape.pend, 0 for none) the list of cotangent
	// terms coef*grad(src) deferred by LinComb's VJP; settle adds them.
	pend int32
}

// pendTerm is a deferred cotangent term coef*grad(src) of some node.
type pendTerm struct {
	src  int32
	coef float64
	next int32 // index+1 of the node's next term, 0 at the end
}

// Tape records operations as they run (define-by-run) so that Backward can
// compute vector-Jacobian products and JVP can compute Jacobian-vector
// products. A Tape reuses all its memory across Reset: recording the same
// computation again allocates nothing.
//
// A Tape is not safe for concurrent use.
type Tape struct {
	nodes    []node
	pool     []freeList
	params   []*Param
	paramIDs []int32
	views    []*tensor.Dense
	tangents []int32
	ints     []int32
	floats   []float64
	scratch  [][]float64

	pend     []pendTerm
	pendCoef []float64
	pendSrcs [][]float64
	prodMode productMode // capturing or reusing product values
	prod     *Products
	prodPos  int
	// provide are values for the combination nodes (ProvideCombinations).
	provide    []*tensor.Dense
	providePos int
	resets     uint64 // Resets so far, the clock of the free lists' staleness
	pooled     uint64 // tapePool.gets when PutTape last pooled the tape
}

// NewTape returns an empty tape.
func NewTape() *Tape {
	return &Tape{}
}

// Len is the number of recorded nodes; use it as a mark for JVP.
func (tp *Tape) Len() int { return len(tp.nodes) }

// Reset forgets every recorded value, returning their memory to the tape's
// pool. Vars from before the Reset become invalid; bound Params must be bound
// again.
func (tp *Tape) Reset() {
	for i := range tp.nodes {
		n := &tp.nodes[i]
		if n.owned {
			tp.put(n.val)
		}
		if n.isView {
			n.val.Data = nil
			tp.views = append(tp.views, n.val)
		}
		if n.grad != nil {
			tp.put(n.grad)
		}
		*n = node{}
	}
	tp.nodes = tp.nodes[:0]
	clear(tp.params)
	tp.params = tp.params[:0]
	tp.paramIDs = tp.paramIDs[:0]
	tp.tangents = tp.tangents[:0]
	tp.ints = tp.ints[:0]
	tp.floats = tp.floats[:0]
	tp.pend = tp.pend[:0]
	tp.StopProducts()
	tp.StopProviding()
	tp.resets++
	tp.dropStale()
}

// deferGrad records the cotangent term coef*grad(src) for node id, added by
// settle when id's cotangent is needed: LinComb's VJP defers its terms so
// that a value used by several combinations (a Runge-Kutta stage derivative,
// the step's start state) gathers them in one pass instead of one pass each.
func (tp *Tape) deferGrad(id, src int32, coef float64) {
	n := &tp.nodes[id]
	tp.pend = append(tp.pend, pendTerm{src: src, coef: coef, next: n.pend})
	n.pend = int32(len(tp.pend))
}

// settle adds node id's deferred cotangent terms into its cotangent.
func (tp *Tape) settle(id int32) {
	n := &tp.nodes[id]
	if n.pend == 0 {
		return
	}
	tp.pendCoef, tp.pendSrcs = tp.pendCoef[:0], tp.pendSrcs[:0]
	for k := n.pend; k != 0; k = tp.pend[k-1].next {
		t := tp.pend[k-1]
		tp.pendCoef = append(tp.pendCoef, t.coef)
		tp.pendSrcs = append(tp.pendSrcs, tp.nodes[t.src].grad.Data)
	}
	n.pend = 0
	if n.grad == nil {
		n.grad = tp.get(n.val.Rows, n.val.Cols)
		tensor.LinComb(n.grad.Data, tp.pendCoef, tp.pendSrcs)
	} else {
		tensor.LinCombAdd(n.grad.Data, tp.pendCoef, tp.pendSrcs)
	}
	clear(tp.pendSrcs)
}

// freeList holds released buffers of one length. A computation uses few
// distinct lengths, so a linear scan beats a map. used is the tape's Reset
// count when a buffer of this length was last taken.
type freeList struct {
	n    int
	list []*tensor.Dense
	used uint64
}

// staleResets is how many Resets a free list may go without being drawn
// from before Reset drops it: the buffers of a computation the tape no
// longer records (an earlier task's shapes, in a program that runs several)
// go to the garbage collector instead of staying with the tape, while the
// shapes of a training loop's solves and of its evaluations every few dozen
// iterations stay pooled.
const staleResets = 64

// dropStale removes the free lists unused for staleResets Resets.
func (tp *Tape) dropStale() {
	keep := tp.pool[:0]
	for _, fl := range tp.pool {
		if tp.resets-fl.used <= staleResets {
			keep = append(keep, fl)
		}
	}
	clear(tp.pool[len(keep):])
	tp.pool = keep
}

func (tp *Tape) list(n int) *freeList {
	for i := range tp.pool {
		if tp.pool[i].n == n {
			return &tp.pool[i]
		}
	}
	tp.pool = append(tp.pool, freeList{n: n, used: tp.resets})
	return &tp.pool[len(tp.pool)-1]
}

func (tp *Tape) get(r, c int) *tensor.Dense {
	fl := tp.list(r * c)
	fl.used = tp.resets
	if l := fl.list; len(l) > 0 {
		d := l[len(l)-1]
		fl.list = l[:len(l)-1]
		d.Rows, d.Cols = r, c
		return d
	}
	return tensor.New(r, c)
}

// view returns a recycled matrix header.
func (tp *Tape) view() *tensor.Dense {
	if n := len(tp.views); n > 0 {
		v := tp.views[n-1]
		tp.views = tp.views[:n-1]
		return v
	}
	return new(tensor.Dense)
}

func (tp *Tape) getZero(r, c int) *tensor.Dense {
	d := tp.get(r, c)
	clear(d.Data)
	return d
}

func (tp *Tape) put(d *tensor.Dense) {
	fl := tp.list(len(d.Data))
	fl.list = append(fl.list, d)
}

func (tp *Tape) check(vs ...Var) {
	for _, v := range vs {
		if v.tp != tp {
			if v.tp == nil {
				panic("ad: invalid (zero) Var used as an operand")
			}
			panic("ad: Vars from different tapes combined in one operation")
		}
		if int(v.id) >= len(tp.nodes) {
			panic("ad: Var used after its tape was Reset")
		}
	}
}

// push records a node whose value is a fresh r x c pool buffer.
func (tp *Tape) push(op opKind, a, b int32, r, c int) (Var, *tensor.Dense) {
	val := tp.get(r, c)
	return tp.pushVal(op, a, b, val, true), val
}

// pushVal records a node with the given value; owned values return to the
// pool on Reset.
func (tp *Tape) pushVal(op opKind, a, b int32, val *tensor.Dense, owned bool) Var {
	needs := (a >= 0 && tp.nodes[a].needs) || (b >= 0 && tp.nodes[b].needs)
	tp.nodes = append(tp.nodes, node{op: op, a: a, b: b, c: -1, val: val, needs: needs, owned: owned})
	return Var{tp, int32(len(tp.nodes) - 1)}
}

func (tp *Tape) val(v Var) *tensor.Dense { return tp.nodes[v.id].val }

// Leaf records x (not copied) as an input. With wantGrad, Backward computes
// its gradient, read with Grad, and JVP accepts a tangent for it.
func (tp *Tape) Leaf(x *tensor.Dense, wantGrad bool) Var {
	tp.nodes = append(tp.nodes, node{op: opLeaf, a: -1, b: -1, c: -1, val: x, needs: wantGrad})
	return Var{tp, int32(len(tp.nodes) - 1)}
}

// Const records x (not copied) as a constant: no gradient flows to it.
func (tp *Tape) Const(x *tensor.Dense) Var { return tp.Leaf(x, false) }

// Fill records an r x c constant with every element v.
func (tp *Tape) Fill(r, c int, v float64) Var {
	out, d := tp.push(opLeaf, -1, -1, r, c)
	d.Fill(v)
	return out
}

// Scalar records a 1x1 constant.
func (tp *Tape) Scalar(v float64) Var { return tp.Fill(1, 1, v) }

// Param binds p to the tape for the current recording and returns its Var.
// Binding the same Param again before Reset returns the same Var. A Param
// keeps no binding state, so one model may be recorded on several tapes at
// once (its Grad is shared: Backward on each tape adds into it).
func (tp *Tape) Param(p *Param) Var {
	for i, q := range tp.params {
		if q == p {
			return Var{tp, tp.paramIDs[i]}
		}
	}
	v := tp.Leaf(p.Value, true)
	tp.nodes[v.id].param = p
	tp.params = append(tp.params, p)
	tp.paramIDs = append(tp.paramIDs, v.id)
	return v
}

// Params returns the parameters bound since the last Reset.
func (tp *Tape) Params() []*Param { return tp.params }

// NeedsGrad reports whether v depends on a value that wants a gradient.
func (v Var) NeedsGrad() bool { return v.tp.nodes[v.id].needs }

// Grad returns the gradient accumulated for v by Backward, or nil if none
// reached it. It aliases tape memory.
func (tp *Tape) Grad(v Var) *tensor.Dense {
	tp.check(v)
	tp.settle(v.id)
	return tp.nodes[v.id].grad
}

func (tp *Tape) gradOf(id int32) *tensor.Dense {
	n := &tp.nodes[id]
	if n.grad == nil {
		n.grad = tp.getZero(n.val.Rows, n.val.Cols)
	}
	return n.grad
}

// gradForProduct returns the cotangent buffer of node id for a matrix
// product to accumulate into, and the beta to accumulate with: 0 when the
// buffer is new (the product overwrites it, which saves zeroing it), 1
// otherwise.
func (tp *Tape) gradForProduct(id int32) (*tensor.Dense, float64) {
	n := &tp.nodes[id]
	if n.grad == nil {
		n.grad = tp.get(n.val.Rows, n.val.Cols)
		return n.grad, 0
	}
	return n.grad, 1
}

// Seed adds g to the cotangent of v before Backward; g must have v's length.
func (tp *Tape) Seed(v Var, g []float64) {
	tp.check(v)
	n := &tp.nodes[v.id]
	if len(g) != n.val.Len() {
		panic(fmt.Sprintf("ad: Seed: cotangent of length %d for a %s value", len(g), n.val.Shape()))
	}
	if n.grad == nil {
		n.grad = tp.get(n.val.Rows, n.val.Cols)
		copy(n.grad.Data, g)
		return
	}
	tensor.Add(n.grad.Data, n.grad.Data, g)
}

// SeedScalar adds s to every element of v's cotangent (s=1 on a 1x1 loss).
func (tp *Tape) SeedScalar(v Var, s float64) {
	tp.check(v)
	gr := tp.gradOf(v.id)
	for i := range gr.Data {
		gr.Data[i] += s
	}
}

// Backward seeds the 1x1 loss with 1 (if it is valid) and propagates
// cotangents from the last recorded node back to the first, then adds the
// gradients of all bound Params into their Grad fields. Cotangents seeded with
// Seed take part. Call it once per recording.
func (tp *Tape) Backward(loss Var) {
	if loss.Valid() {
		tp.check(loss)
		if loss.Rows() != 1 || loss.Cols() != 1 {
			panic(fmt.Sprintf("ad: Backward: loss must be 1x1, got %s (seed non-scalar outputs with Seed)", loss.Value().Shape()))
		}
		tp.SeedScalar(loss, 1)
	}
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := &tp.nodes[i]
		if !n.needs || n.op == opLeaf {
			continue
		}
		tp.settle(int32(i))
		if n.grad == nil {
			continue
		}
		tp.backward(int32(i))
	}
	for i, p := range tp.params {
		tp.settle(tp.paramIDs[i])
		if g := tp.nodes[tp.paramIDs[i]].grad; g != nil {
			if p.Grad == nil {
				p.Grad = tensor.New(p.Value.Rows, p.Value.Cols)
			}
			tensor.Add(p.Grad.Data, p.Grad.Data, g.Data)
		}
	}
}

// SetTangent sets the tangent (direction) of leaf v for JVP. t must have v's
// shape; it may itself be any recorded Var, which makes JVPs nestable and
// differentiable by Backward.
func (tp *Tape) SetTangent(v, t Var) {
	tp.check(v, t)
	if !v.Value().SameShape(t.Value()) {
		panic(fmt.Sprintf("ad: SetTangent: tangent %s for a %s value", t.Value().Shape(), v.Value().Shape()))
	}
	tp.growTangents()
	tp.tangents[v.id] = t.id
}

// Tangent returns the tangent computed by JVP for v, and false if v does not
// depend on any value with a tangent.
func (tp *Tape) Tangent(v Var) (Var, bool) {
	tp.check(v)
	if int(v.id) >= len(tp.tangents) || tp.tangents[v.id] < 0 {
		return Var{}, false
	}
	return Var{tp, tp.tangents[v.id]}, true
}

func (tp *Tape) growTangents() {
	for len(tp.tangents) < len(tp.nodes) {
		tp.tangents = append(tp.tangents, -1)
	}
}

// JVP propagates tangents forward through the nodes recorded at positions
// [from, Len()) (forward mode), starting from the tangents given with
// SetTangent. Tangents are computed by recording ordinary operations on the
// tape, so a JVP can be differentiated by Backward (reverse over forward) or
// fed to another JVP (higher derivatives).
func (tp *Tape) JVP(from int) {
	end := len(tp.nodes)
	for i := from; i < end; i++ {
		tp.growTangents()
		if tp.tangents[i] >= 0 || tp.nodes[i].op == opLeaf {
			continue
		}
		if t, ok := tp.jvp(int32(i)); ok {
			tp.growTangents()
			tp.tangents[i] = t.id
		}
	}
	tp.growTangents()
}

// tapePool keeps tapes, with the buffers they collected, between uses. It is
// not a sync.Pool: a garbage collection empties those, and the buffers of a
// large solve (hundreds of MB) would then be allocated again, page by page,
// at every training iteration.
var tapePool struct {
	sync.Mutex
	free []*Tape
	gets uint64 // GetTape calls so far, the clock of the pooled tapes' staleness
}

// staleGets is how many GetTape calls a pooled tape may wait before it is
// dropped: the pool hands out its most recently returned tape first, so a
// tape at the bottom waits only while fewer tapes are in use at once than
// earlier (the solves of runs that trained in parallel), and its memory
// is then dropped rather than held.
const staleGets = 256

// maxPooledTapes bounds the tapes the pool keeps; more are left to the
// garbage collector.
const maxPooledTapes = 8

// GetTape returns an empty tape from a process-wide pool, with the buffers
// it collected in earlier use: solvers take one per solve so that repeated
// solves (training iterations) reuse their memory. Give it back with PutTape.
//
// Solver hook: see Solver hooks in the package doc.
func GetTape() *Tape {
	tapePool.Lock()
	defer tapePool.Unlock()
	tapePool.gets++
	stale := 0
	for stale < len(tapePool.free) && tapePool.gets-tapePool.free[stale].pooled > staleGets {
		stale++
	}
	if stale > 0 {
		n := copy(tapePool.free, tapePool.free[stale:])
		clear(tapePool.free[n:])
		tapePool.free = tapePool.free[:n]
	}
	if n := len(tapePool.free); n > 0 {
		tp := tapePool.free[n-1]
		tapePool.free = tapePool.free[:n-1]
		return tp
	}
	return NewTape()
}

// PutTape resets tp and returns it to the pool; nothing may use tp or its
// Vars afterwards.
//
// Solver hook: see Solver hooks in the package doc.
func PutTape(tp *Tape) {
	tp.Reset()
	tapePool.Lock()
	defer tapePool.Unlock()
	if len(tapePool.free) < maxPooledTapes {
		tp.pooled = tapePool.gets
		tapePool.free = append(tapePool.free, tp)
	}
}

// DrainTapePool drops the pooled tapes and the memory they hold (the
// largest solve's working set), for a program that has finished solving.
//
// Solver hook: see Solver hooks in the package doc.
func DrainTapePool() {
	tapePool.Lock()
	defer tapePool.Unlock()
	clear(tapePool.free)
	tapePool.free = tapePool.free[:0]
}

// Buffer returns an r x c matrix from the tape's pool that Reset does not
// reclaim: the caller owns it (its contents are arbitrary) until it gives it
// back with Recycle, to this tape or another.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) Buffer(r, c int) *tensor.Dense { return tp.get(r, c) }

// Recycle puts d, which nothing may use afterwards, into the tape's pool.
//
// Solver hook: see Solver hooks in the package doc.
func (tp *Tape) Recycle(d *tensor.Dense) { tp.put(d) }
