package brownian

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// snapTol is the relative tolerance (of the requested step) within which a
// request that ends next to the boundary of a revealed interval is taken to
// end on it, so that no sliver of length ~1e-16 is ever split off.
const snapTol = 1e-12

// twoSqrt3 converts a space-time Levy area H ~ N(0, h/12) into dZ ~ N(0, h).
const twoSqrt3 = 3.4641016151377545870548926830117447

// pcgStream is the second PCG seed word; the caller's seed is the first.
const pcgStream = 0x9e3779b97f4a7c15

// Process is a seeded Brownian path with n independent components, revealed
// step by step to an adaptive solver. For each component it hands out the
// increment dW of W and dZ = 2*sqrt(3)*H, H the step's space-time Levy area
// (see the package documentation). The zero value is not usable; call New.
//
// The protocol per step: Increment(h) proposes [T, T+h]; after a rejection
// Reject(h') proposes [T, T+h'] instead; Accept moves T to the end of the
// pending proposal. Whatever was revealed beyond T is kept for later steps.
// A Process is not safe for concurrent use.
type Process struct {
	n    int
	t    float64
	seed uint64
	src  *rand.PCG
	rng  *rand.Rand

	// The revealed future after t, in time order: interval k has length
	// lens[k], increments w[k*n+j] and Levy areas lh[k*n+j] (component j).
	lens []float64
	w    []float64
	lh   []float64

	pending bool    // a proposal was made and neither accepted nor replaced
	hProp   float64 // its length
	nProp   int     // the number of leading intervals it covers
}

// New returns a Process with n components starting at time t0, whose noise is
// drawn from a PCG generator seeded with seed. It panics if n < 1.
func New(n int, t0 float64, seed uint64) *Process {
	if n < 1 {
		panic(fmt.Sprintf("brownian: New with n = %d components; want n >= 1", n))
	}
	src := rand.NewPCG(seed, pcgStream)
	return &Process{n: n, t: t0, seed: seed, src: src, rng: rand.New(src)}
}

// Reset restarts p at time t0 with a new seed, forgetting everything revealed
// and any pending proposal, and keeping its buffers. After Reset(t0, seed) the
// Process behaves exactly as New(p.N(), t0, seed).
func (p *Process) Reset(t0 float64, seed uint64) {
	p.src.Seed(seed, pcgStream)
	p.t, p.seed = t0, seed
	p.lens, p.w, p.lh = p.lens[:0], p.w[:0], p.lh[:0]
	p.pending, p.hProp, p.nProp = false, 0, 0
}

// N returns the number of components.
func (p *Process) N() int { return p.n }

// T returns the current time: t0 plus the lengths of all accepted steps.
func (p *Process) T() float64 { return p.t }

// Seed returns the seed the Process was created or last reset with.
func (p *Process) Seed() uint64 { return p.seed }

// Revealed reports the part of the future that proposals have revealed and
// that later steps will reuse: the number of stored intervals and their total
// length. Right after Accept of a step that was never rejected it is (0, 0).
func (p *Process) Revealed() (intervals int, length float64) {
	for _, l := range p.lens {
		length += l
	}
	return len(p.lens), length
}

// Increment proposes the step [T, T+h] and writes, for every component j,
// dW[j] = W(T+h) - W(T) and dZ[j] into the caller's buffers (each of length
// N). A pending proposal is replaced. A request that ends within 1e-12*h of
// the boundary of a revealed interval is taken to end on it. It panics unless
// h is finite and positive and both buffers have length N.
func (p *Process) Increment(h float64, dW, dZ []float64) {
	p.checkBuffers(dW, dZ)
	if !(h > 0) || math.IsInf(h, 1) {
		panic(fmt.Sprintf("brownian: step h = %v; want a finite h > 0", h))
	}
	tol := snapTol * h
	rem := h
	k := 0
	for k < len(p.lens) && rem > tol {
		if p.lens[k] > rem+tol {
			p.split(k, rem)
		}
		rem -= p.lens[k]
		k++
	}
	if rem > tol {
		p.fresh(rem)
		k++
	}
	p.pending, p.hProp, p.nProp = true, h, k
	p.output(k, dW, dZ)
}

// Reject replaces the pending proposal, after the solver rejected it, by the
// step [T, T+hNew] from the same start, and writes its increments into dW and
// dZ. What the rejected proposal revealed beyond T+hNew is kept for later
// steps. hNew is normally shorter than the rejected step but need not be.
// It panics if there is no pending proposal, and as Increment does.
func (p *Process) Reject(hNew float64, dW, dZ []float64) {
	if !p.pending {
		panic("brownian: Reject without a pending proposal; call Increment first")
	}
	p.Increment(hNew, dW, dZ)
}

// Accept accepts the pending proposal: T advances by its length and the
// revealed intervals it covers are dropped. It panics if there is no pending
// proposal.
func (p *Process) Accept() {
	if !p.pending {
		panic("brownian: Accept without a pending proposal; call Increment first")
	}
	k, n := p.nProp, p.n
	m := copy(p.lens, p.lens[k:])
	p.lens = p.lens[:m]
	m = copy(p.w, p.w[k*n:])
	p.w = p.w[:m]
	m = copy(p.lh, p.lh[k*n:])
	p.lh = p.lh[:m]
	p.t += p.hProp
	p.pending, p.hProp, p.nProp = false, 0, 0
}

func (p *Process) checkBuffers(dW, dZ []float64) {
	if len(dW) != p.n || len(dZ) != p.n {
		panic(fmt.Sprintf("brownian: buffers of length len(dW) = %d, len(dZ) = %d; want both = N = %d",
			len(dW), len(dZ), p.n))
	}
}

// output writes the increments over the first k stored intervals.
func (p *Process) output(k int, dW, dZ []float64) {
	n := p.n
	if k == 1 {
		copy(dW, p.w[:n])
		for j, h := range p.lh[:n] {
			dZ[j] = twoSqrt3 * h
		}
		return
	}
	// Join the intervals: dW accumulates W and dZ the time integral
	// I = integral (W(s) - W(T)) ds; for an appended interval of length l,
	// increment w and own integral i, I += l*W + i and then W += w.
	clear(dW)
	clear(dZ)
	total := 0.0
	for q := range k {
		l := p.lens[q]
		w, lh := p.w[q*n:(q+1)*n], p.lh[q*n:(q+1)*n]
		for j := range n {
			dZ[j] += l*dW[j] + l*(lh[j]+w[j]/2)
			dW[j] += w[j]
		}
		total += l
	}
	for j := range n {
		dZ[j] = twoSqrt3 * (dZ[j]/total - dW[j]/2)
	}
}

// fresh appends an interval of length l with new independent noise.
func (p *Process) fresh(l float64) {
	n := p.n
	p.lens = append(p.lens, l)
	p.w = grow(p.w, n)
	p.lh = grow(p.lh, n)
	w, lh := p.w[len(p.w)-n:], p.lh[len(p.lh)-n:]
	sw, sh := math.Sqrt(l), math.Sqrt(l/12)
	for j := range n {
		w[j] = sw * p.rng.NormFloat64()
		lh[j] = sh * p.rng.NormFloat64()
	}
}

// split cuts stored interval k at length a from its start (0 < a < its
// length) into two intervals k and k+1, sampling the path at the cut from the
// exact bridge of (W, H) given the interval's increment and Levy area.
func (p *Process) split(k int, a float64) {
	n := p.n
	l := p.lens[k]
	b := l - a
	p.lens = append(p.lens, 0)
	copy(p.lens[k+1:], p.lens[k:])
	p.lens[k], p.lens[k+1] = a, b
	p.w = grow(p.w, n)
	copy(p.w[(k+1)*n:], p.w[k*n:])
	p.lh = grow(p.lh, n)
	copy(p.lh[(k+1)*n:], p.lh[k*n:])
	wa, wb := p.w[k*n:(k+1)*n], p.w[(k+1)*n:(k+2)*n]
	ha, hb := p.lh[k*n:(k+1)*n], p.lh[(k+1)*n:(k+2)*n]

	// Sample the shorter part from the bridge; get the longer by the exact
	// identities W = W_a + W_b and I = I_a + b*W_a + I_b (I_x = x*(H_x + W_x/2)).
	if a <= b {
		br := newBridge(l, a/l, b/l)
		for j := range n {
			wl, hl := wb[j], hb[j]
			wa[j], ha[j] = br.first(wl, hl, p.rng.NormFloat64(), p.rng.NormFloat64())
			wb[j] = wl - wa[j]
			ib := l*(hl+wl/2) - a*(ha[j]+wa[j]/2) - b*wa[j]
			hb[j] = ib/b - wb[j]/2
		}
		return
	}
	// Time reversal maps the last part to the first: W changes sign, H is kept.
	br := newBridge(l, b/l, a/l)
	for j := range n {
		wl, hl := wb[j], hb[j]
		wr, hr := br.first(-wl, hl, p.rng.NormFloat64(), p.rng.NormFloat64())
		wb[j], hb[j] = -wr, hr
		wa[j] = wl - wb[j]
		ia := l*(hl+wl/2) - b*(hb[j]+wb[j]/2) - b*wa[j]
		ha[j] = ia/a - wa[j]/2
	}
}

// bridge holds the coefficients of the conditional law of the first part,
// of relative length q (r = 1 - q), of an interval of length l given the
// interval's increment W and space-time Levy area H:
//
//	W_q = q W + 6 q r H + s11 N1,  H_q = q^2 H + s21 N1 + s22 N2.
type bridge struct {
	q, r, s11, s21, s22 float64
}

func newBridge(l, q, r float64) bridge {
	c := 1 - 3*q*r // in [1/4, 1]
	s11 := math.Sqrt(l * q * r * c)
	return bridge{
		q: q, r: r,
		s11: s11,
		s21: -l * q * q * q * r / (2 * s11),
		s22: math.Sqrt(l * q * r * r * r / (12 * c)),
	}
}

func (br bridge) first(w, h, n1, n2 float64) (wq, hq float64) {
	q, r := br.q, br.r
	wq = q*w + 6*q*r*h + br.s11*n1
	hq = q*q*h + br.s21*n1 + br.s22*n2
	return wq, hq
}

// grow extends s by m elements, reusing its capacity when it can.
func grow(s []float64, m int) []float64 {
	if cap(s)-len(s) >= m {
		return s[:len(s)+m]
	}
	ns := make([]float64, len(s)+m, 2*(len(s)+m))
	copy(ns, s)
	return ns
}
