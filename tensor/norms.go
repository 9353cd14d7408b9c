package tensor

import (
	"math"
	"sync"

	"github.com/whitebox-de/whitebox/internal/par"
	"github.com/whitebox-de/whitebox/internal/vec"
)

// The solvers' norms are sums over state-sized arrays, computed in parallel.
// For bits that do not depend on the number of cores, the sums are taken
// over fixed blocks of normBlock elements, each block summed in one fixed
// order, and the block sums added in block order.
const normBlock = 1 << 13

type normKind uint8

const (
	normSumSq normKind = iota
	normDiff
	normError
)

type normJob struct {
	kind       normKind
	x, a, b    []float64
	atol, rtol float64
	part       []float64
}

var normPool = sync.Pool{New: func() any { return new(normJob) }}

func (j *normJob) Run(lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		s, e := blk*normBlock, min((blk+1)*normBlock, len(j.x))
		switch j.kind {
		case normSumSq:
			j.part[blk] = vec.SumSquares(j.x[s:e])
		case normDiff:
			j.part[blk] = vec.SumSquaresDiff(j.x[s:e], j.a[s:e])
		default:
			j.part[blk] = vec.ErrorNormSum(j.x[s:e], j.a[s:e], j.b[s:e], j.atol, j.rtol)
		}
	}
}

// blockSum returns the sum of the job's kind over x in fixed blocks.
func blockSum(kind normKind, x, a, b []float64, atol, rtol float64) float64 {
	nb := (len(x) + normBlock - 1) / normBlock
	j := normPool.Get().(*normJob)
	part := grow(j.part, nb)
	*j = normJob{kind: kind, x: x, a: a, b: b, atol: atol, rtol: rtol, part: part}
	if len(x) < par.MinParallel {
		j.Run(0, nb)
	} else {
		par.ForGrain(nb, 1, j)
	}
	s := 0.0
	for _, v := range j.part {
		s += v
	}
	*j = normJob{part: part}
	normPool.Put(j)
	return s
}

// SumSq returns sum(x^2).
func SumSq(x []float64) float64 { return blockSum(normSumSq, x, nil, nil, 0, 0) }

// RMS returns sqrt(mean(x^2)) (0 for an empty x).
func RMS(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(SumSq(x) / float64(len(x)))
}

// RMSDiff returns RMS(a - b) without forming a - b.
func RMSDiff(a, b []float64) float64 {
	checkLen("RMSDiff", a, b)
	if len(a) == 0 {
		return 0
	}
	return math.Sqrt(blockSum(normDiff, a, b, nil, 0, 0) / float64(len(a)))
}

// ErrorNorm returns RMS(x ./ (atol + rtol*max(|u0|, |u1|))), the scaled
// error norm of an embedded Runge-Kutta pair.
func ErrorNorm(x, u0, u1 []float64, atol, rtol float64) float64 {
	checkLen("ErrorNorm", x, u0, u1)
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(blockSum(normError, x, u0, u1, atol, rtol) / float64(len(x)))
}

// RMSDiffBackward adds the cotangent of d = RMSDiff(a, b) scaled by
// c = dL/dd / (len(a) * d) into ga and gb: ga += c*(a-b), gb -= c*(a-b),
// each a fused multiply-add.
// Either destination may be nil.
func RMSDiffBackward(ga, gb, a, b []float64, c float64) {
	checkLen("RMSDiffBackward", a, b)
	for _, g := range [][]float64{ga, gb} {
		if g != nil {
			checkLen("RMSDiffBackward", a, g)
		}
	}
	bw := bwPool.Get().(*bwJob)
	*bw = bwJob{g0: ga, g1: gb, a: a, b: b, c: c}
	par.For(len(a), bw)
	*bw = bwJob{}
	bwPool.Put(bw)
}

// ErrorNormBackward adds the cotangent of e = ErrorNorm(x, u0, u1, atol,
// rtol) scaled by c = dL/de / (len(x) * e) into gx, g0 and g1 (any may be
// nil). With inv = 1/(atol + rtol*max(|u0|, |u1|)) and r = x*inv:
// gx += c*r*inv, and the one of u0, u1 with the larger magnitude (u0 on
// ties) gets -c*r^2*inv*rtol*sign(u) (vec.ErrorNormBackward gives the
// rounding order).
func ErrorNormBackward(gx, g0, g1, x, u0, u1 []float64, atol, rtol, c float64) {
	checkLen("ErrorNormBackward", x, u0, u1)
	for _, g := range [][]float64{gx, g0, g1} {
		if g != nil {
			checkLen("ErrorNormBackward", x, g)
		}
	}
	bw := bwPool.Get().(*bwJob)
	*bw = bwJob{err: true, gx: gx, g0: g0, g1: g1, x: x, a: u0, b: u1, atol: atol, rtol: rtol, c: c}
	par.For(len(x), bw)
	*bw = bwJob{}
	bwPool.Put(bw)
}

type bwJob struct {
	err           bool
	gx, g0, g1    []float64
	x, a, b       []float64
	atol, rtol, c float64
}

var bwPool = sync.Pool{New: func() any { return new(bwJob) }}

func (j *bwJob) Run(lo, hi int) {
	part := func(g []float64) []float64 {
		if g == nil {
			return nil
		}
		return g[lo:hi]
	}
	if !j.err {
		vec.RMSDiffBackward(part(j.g0), part(j.g1), j.a[lo:hi], j.b[lo:hi], j.c)
		return
	}
	vec.ErrorNormBackward(part(j.gx), part(j.g0), part(j.g1), j.x[lo:hi], j.a[lo:hi], j.b[lo:hi], j.atol, j.rtol, j.c)
}
