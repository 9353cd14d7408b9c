package tensor

import (
	"fmt"
	"sync"

	"github.com/whitebox-de/whitebox/internal/par"
	"github.com/whitebox-de/whitebox/internal/vec"
)

// SumKind names the sum a SumTerm takes.
type SumKind uint8

const (
	// SumSqComb is sum((sum_i c_i s_i)^2): SumSq of a linear combination.
	SumSqComb SumKind = iota
	// ErrorComb is the sum inside ErrorNorm of a linear combination x with
	// u0 = A and u1 = B: sum((x ./ (atol + rtol*max(|A|, |B|)))^2).
	ErrorComb
	// SumSqDiff is sum((A - B)^2), the sum inside RMSDiff(A, B).
	SumSqDiff
)

// SumTerm is one sum of FusedSums.
type SumTerm struct {
	Kind       SumKind
	Coef       []float64   // the combination's coefficients (SumSqComb, ErrorComb)
	Src        [][]float64 // and its sources
	A, B       []float64
	ATol, RTol float64
	// Out, when not nil, receives the combination (SumSqComb, ErrorComb),
	// which is otherwise formed block by block in scratch memory only.
	Out []float64
}

// FusedSums computes, in one blocked pass over arrays of length n, the
// linear combination out = sum_i outCoef[i]*outSrc[i] (skipped when out is
// nil) and the sums of terms into sums (len(terms) entries), and reports
// whether out is finite (true when out is nil). The combinations of the
// terms are formed block by block in a scratch buffer that stays in cache,
// so the sources are read from memory about once instead of once per
// combination, and nothing of size n is written but out.
//
// The results have the same bits as the unfused calls: out as LinComb (its
// terms accumulated in order, so a base placed last is added once), and
// each sum as the one inside SumSq (SumSqComb, of the materialized
// combination), ErrorNorm (ErrorComb) or RMSDiff (SumSqDiff), which FusedSums
// sums over the same blocks in the same order. This is the end of a
// Runge-Kutta step (the new state, the error estimate's norm and the
// stiffness estimate's two norms) for a solve that needs their values only.
func FusedSums(n int, out []float64, outCoef []float64, outSrc [][]float64, terms []SumTerm, sums []float64) bool {
	if len(sums) != len(terms) {
		panic(fmt.Sprintf("tensor: FusedSums: %d sums for %d terms", len(sums), len(terms)))
	}
	j := fusedPool.Get().(*fusedJob)
	defer func() {
		j.reset()
		fusedPool.Put(j)
	}()
	if out != nil {
		if len(outCoef) != len(outSrc) {
			panic(fmt.Sprintf("tensor: FusedSums: %d coefficients for %d sources", len(outCoef), len(outSrc)))
		}
		checkLen("FusedSums", out, outSrc...)
		if len(out) != n {
			panic(fmt.Sprintf("tensor: FusedSums: out has length %d, want %d", len(out), n))
		}
		j.out = out
		j.outC, j.outS = nonzero(j.outC[:0], j.outS[:0], outCoef, outSrc)
	}
	for t := range terms {
		tm := terms[t]
		switch tm.Kind {
		case SumSqComb, ErrorComb:
			if len(tm.Coef) != len(tm.Src) {
				panic(fmt.Sprintf("tensor: FusedSums: term %d has %d coefficients for %d sources", t, len(tm.Coef), len(tm.Src)))
			}
			for _, s := range tm.Src {
				if len(s) != n {
					panic(fmt.Sprintf("tensor: FusedSums: term %d has a source of length %d, want %d", t, len(s), n))
				}
			}
			lo := len(j.cbuf)
			j.cbuf, j.sbuf = nonzero(j.cbuf, j.sbuf, tm.Coef, tm.Src)
			// Sliced from the buffers once they have stopped growing.
			tm.Coef, tm.Src = nil, nil
			j.spans = append(j.spans, [3]int{t, lo, len(j.cbuf)})
			if tm.Out != nil && len(tm.Out) != n {
				panic(fmt.Sprintf("tensor: FusedSums: term %d has Out of length %d, want %d", t, len(tm.Out), n))
			}
		case SumSqDiff:
		default:
			panic(fmt.Sprintf("tensor: FusedSums: unknown kind %d", tm.Kind))
		}
		if tm.Kind != SumSqComb && (len(tm.A) != n || len(tm.B) != n) {
			panic(fmt.Sprintf("tensor: FusedSums: term %d has arrays of lengths %d and %d, want %d", t, len(tm.A), len(tm.B), n))
		}
		j.terms = append(j.terms, tm)
	}
	for _, sp := range j.spans {
		j.terms[sp[0]].Coef, j.terms[sp[0]].Src = j.cbuf[sp[1]:sp[2]], j.sbuf[sp[1]:sp[2]]
	}
	j.n = n
	nb := (n + normBlock - 1) / normBlock
	j.part = grow(j.part, nb*len(terms))
	j.finite = growBool(j.finite, nb)
	if n < par.MinParallel {
		j.Run(0, nb)
	} else {
		par.ForGrain(nb, 1, j)
	}
	for t := range terms {
		s := 0.0
		for b := range nb {
			s += j.part[b*len(terms)+t]
		}
		sums[t] = s
	}
	for _, f := range j.finite[:nb] {
		if !f {
			return false
		}
	}
	return true
}

func grow(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}

func growBool(x []bool, n int) []bool {
	if cap(x) < n {
		return make([]bool, n)
	}
	return x[:n]
}

type fusedJob struct {
	n      int
	out    []float64
	outC   []float64
	outS   [][]float64
	terms  []SumTerm
	part   []float64 // part[b*len(terms)+t]: term t's sum over block b
	finite []bool
	// The terms' nonzero coefficients and their sources, and the span of
	// each combination term in them (term, lo, hi).
	cbuf  []float64
	sbuf  [][]float64
	spans [][3]int
}

func (j *fusedJob) reset() {
	clear(j.outS)
	clear(j.terms)
	clear(j.sbuf)
	*j = fusedJob{outC: j.outC[:0], outS: j.outS[:0], terms: j.terms[:0], part: j.part[:0], finite: j.finite[:0],
		cbuf: j.cbuf[:0], sbuf: j.sbuf[:0], spans: j.spans[:0]}
}

var fusedPool = sync.Pool{New: func() any { return new(fusedJob) }}

// fusedScratch holds one block of a combination.
var fusedScratch = sync.Pool{New: func() any { return new([normBlock]float64) }}

func (j *fusedJob) Run(lo, hi int) {
	buf := fusedScratch.Get().(*[normBlock]float64)
	defer fusedScratch.Put(buf)
	for b := lo; b < hi; b++ {
		s := b * normBlock
		e := min(s+normBlock, j.n)
		if j.out != nil {
			d := j.out[s:e]
			combineRange(d, false, j.outC, j.outS, s, e)
			j.finite[b] = AllFinite(d)
		} else {
			j.finite[b] = true
		}
		for t := range j.terms {
			tm := &j.terms[t]
			var v float64
			switch tm.Kind {
			case SumSqDiff:
				v = vec.SumSquaresDiff(tm.A[s:e], tm.B[s:e])
			case SumSqComb:
				x := termBlock(tm, buf, s, e)
				combineRange(x, false, tm.Coef, tm.Src, s, e)
				v = vec.SumSquares(x)
			case ErrorComb:
				x := termBlock(tm, buf, s, e)
				combineRange(x, false, tm.Coef, tm.Src, s, e)
				v = vec.ErrorNormSum(x, tm.A[s:e], tm.B[s:e], tm.ATol, tm.RTol)
			}
			j.part[b*len(j.terms)+t] = v
		}
	}
}

// termBlock is where block [s, e) of a term's combination goes: its Out or
// the scratch buffer.
func termBlock(tm *SumTerm, buf *[normBlock]float64, s, e int) []float64 {
	if tm.Out != nil {
		return tm.Out[s:e]
	}
	return buf[:e-s]
}
