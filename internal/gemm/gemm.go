// Package gemm is the matrix product of the pure-Go build: C = alpha*op(A)*op(B)
// + beta*C on row-major float64 matrices, blocked and packed in the manner of
// Goto and van de Geijn ("Anatomy of High-Performance Matrix
// Multiplication", ACM TOMS 34(3), 2008), with a 6x8 register-blocked
// micro-kernel in AVX2/FMA assembly on amd64 and the same arithmetic in Go
// elsewhere.
//
// # Why our own
//
// gonum's pure-Go Dgemm (gonum.org/v1/gonum/blas/gonum, v0.17) builds its
// products from axpy and dot kernels with SSE2 and no fused multiply-add: on
// the layer shapes of the MNIST neural ODE at batch 128 it runs A*B at
// 8-13 GFLOP/s on two cores of this project's machines and A^T*B, the
// weight gradient of every dense layer, at 2.6-3.0 GFLOP/s, because its
// transposed-A loop is not blocked; this package runs them at 29-77
// (BenchmarkGemm, 2026-12-06). No maintained pure-Go BLAS does better
// (the alternatives bind C libraries through cgo, which is what the openblas
// build tag is for). The products dominate the training of every task, so
// the default build installs this Dgemm in gonum's blas64 (package tensor); BenchmarkGemm in this package and
// BenchmarkDGEMM in package tensor measure both against gonum.
//
// # Numerics
//
// Every element of C is one sum over p = 0..k-1 in index order, each
// product fused into the running sum (one rounding, as math.FMA), started
// from zero; the sum is then scaled and added as C = FMA(alpha, sum, C')
// where C' is beta*C (C itself when beta is 1, zero when beta is 0, in
// which case C is not read, as in BLAS). The order does not depend on the
// blocking, the number of cores or which kernel ran: the assembly and the Go
// fallback give the same bits.
package gemm

import (
	"fmt"
	"math"
	"sync"

	"github.com/whitebox-de/whitebox/internal/par"
)

const (
	mr = 6   // rows of the micro-kernel's tile
	nr = 8   // columns of the micro-kernel's tile
	mc = 96  // rows of A packed at once (a multiple of mr)
	nc = 768 // columns of B packed at once (a multiple of nr)
)

// Dgemm computes C = alpha*op(A)*op(B) + beta*C with op(A) m x k and op(B)
// k x n; A is stored row-major with row stride lda (k x m when transA), B
// with ldb (n x k when transB), C (m x n) with ldc. Large products are split
// over the cores of package par by rows or columns of C. The strides and
// lengths are checked; C must not overlap A or B.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, rows, cols, ld, size int) {
		if rows < 0 || cols < 0 || ld < max(cols, 1) || (rows > 0 && size < (rows-1)*ld+cols) {
			panic(fmt.Sprintf("gemm: %s is %dx%d with stride %d in %d elements", name, rows, cols, ld, size))
		}
	}
	check("A", ar, ac, lda, len(a))
	check("B", br, bc, ldb, len(b))
	check("C", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return
	}
	j := jobs.Get().(*job)
	*j = job{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	defer func() { *j = job{}; jobs.Put(j) }()
	w := par.Workers()
	if w == 1 || m*n*k < 1<<17 {
		j.Run(0, m)
		return
	}
	// Split the longer side of C into whole tiles, one block per core.
	if n > m {
		j.byCols = true
		par.ForGrain(n, roundUp((n+w-1)/w, nr), j)
	} else {
		par.ForGrain(m, roundUp((m+w-1)/w, mr), j)
	}
}

func roundUp(x, q int) int { return (x + q - 1) / q * q }

type job struct {
	transA, transB bool
	byCols         bool
	m, n, k        int
	alpha, beta    float64
	a, b, c        []float64
	lda, ldb, ldc  int
}

// Run computes the rows (or, when byCols, the columns) [lo, hi) of C.
func (j *job) Run(lo, hi int) {
	r0, r1, c0, c1 := 0, j.m, 0, j.n
	if j.byCols {
		c0, c1 = lo, hi
	} else {
		r0, r1 = lo, hi
	}
	bufs := pool.Get().(*buffers)
	defer pool.Put(bufs)
	for i := r0; i < r1; i++ {
		row := j.c[i*j.ldc+c0 : i*j.ldc+c1]
		switch j.beta {
		case 0:
			clear(row)
		case 1:
		default:
			for x := range row {
				row[x] *= j.beta
			}
		}
	}
	if j.k == 0 || j.alpha == 0 {
		return
	}
	// With beta applied, every tile adds alpha times its sum over all of
	// k: one micro-kernel call per tile over the whole inner dimension
	// keeps the summation order independent of the blocking.
	for jc := c0; jc < c1; jc += nc {
		nb := min(nc, c1-jc)
		bp := bufs.b(roundUp(nb, nr) * j.k)
		packB(bp, j.b, j.ldb, j.transB, j.k, jc, nb)
		for ic := r0; ic < r1; ic += mc {
			mb := min(mc, r1-ic)
			ap := bufs.a(roundUp(mb, mr) * j.k)
			packA(ap, j.a, j.lda, j.transA, j.k, ic, mb)
			for jr := 0; jr < nb; jr += nr {
				bpan := bp[jr*j.k : (jr+nr)*j.k]
				for ir := 0; ir < mb; ir += mr {
					apan := ap[ir*j.k : (ir+mr)*j.k]
					ci := (ic+ir)*j.ldc + jc + jr
					if ir+mr <= mb && jr+nr <= nb {
						kernel(j.k, apan, bpan, j.c[ci:], j.ldc, j.alpha)
						continue
					}
					// An edge tile: the padded product into a scratch
					// tile holding C's values, then its valid part back.
					tile := &bufs.tile
					rows, cols := min(mr, mb-ir), min(nr, nb-jr)
					for i := range rows {
						copy(tile[i*nr:i*nr+cols], j.c[ci+i*j.ldc:ci+i*j.ldc+cols])
					}
					kernel(j.k, apan, bpan, tile[:], nr, j.alpha)
					for i := range rows {
						copy(j.c[ci+i*j.ldc:ci+i*j.ldc+cols], tile[i*nr:i*nr+cols])
					}
				}
			}
		}
	}
}

// packA writes rows [ic, ic+mb) of op(A), all k columns, as panels of mr
// rows: element (i, p) of panel q at q*mr*k + p*mr + i; rows past mb are
// zero.
func packA(dst, a []float64, lda int, trans bool, k, ic, mb int) {
	// op(A)(i, p) is A(i, p), or A(p, i) when transposed.
	pack(dst, a, lda, trans, mr, k, ic, mb)
}

// packB writes columns [jc, jc+nb) of op(B), all k rows, as panels of nr
// columns: element (p, j) of panel q at q*nr*k + p*nr + j; columns past nb
// are zero.
func packB(dst, b []float64, ldb int, trans bool, k, jc, nb int) {
	// op(B)(p, j) is B(p, j), or B(j, p) when transposed.
	pack(dst, b, ldb, !trans, nr, k, jc, nb)
}

// pack writes lines [off, off+count) of x, each of k entries, as panels of
// w lines: entry p of line off+l goes to panel l/w at p*w + l%w, and the
// lines past count are zero. Entry p of line l is src[p*ld+l] when
// contiguous (each p's w lines lie side by side), src[l*ld+p] otherwise.
func pack(dst, src []float64, ld int, contiguous bool, w, k, off, count int) {
	for q := 0; q*w < count; q++ {
		pan := dst[q*w*k : (q+1)*w*k]
		n := min(w, count-q*w)
		l0 := off + q*w
		if contiguous {
			for p := range k {
				d := pan[p*w : p*w+w]
				copy(d, src[p*ld+l0:p*ld+l0+n])
				clear(d[n:])
			}
			continue
		}
		for l := range n {
			for p, v := range src[(l0+l)*ld : (l0+l)*ld+k] {
				pan[p*w+l] = v
			}
		}
		for l := n; l < w; l++ {
			for p := range k {
				pan[p*w+l] = 0
			}
		}
	}
}

type buffers struct {
	ab, bb []float64
	tile   [mr * nr]float64
}

func (b *buffers) a(n int) []float64 {
	if cap(b.ab) < n {
		b.ab = make([]float64, n)
	}
	return b.ab[:n]
}

func (b *buffers) b(n int) []float64 {
	if cap(b.bb) < n {
		b.bb = make([]float64, n)
	}
	return b.bb[:n]
}

var (
	pool = sync.Pool{New: func() any { return new(buffers) }}
	jobs = sync.Pool{New: func() any { return new(job) }}
)

// kernelGo is the micro-kernel in Go: c[i*ldc+j] = FMA(alpha, s_ij,
// c[i*ldc+j]) with s_ij = sum_p a[p*mr+i]*b[p*nr+j], each product fused
// into the sum in order from zero.
func kernelGo(k int, a, b, c []float64, ldc int, alpha float64) {
	var s [mr * nr]float64
	for p := range k {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for i, av := range ap {
			row := s[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] = math.FMA(av, bv, row[j])
			}
		}
	}
	for i := range mr {
		row := c[i*ldc : i*ldc+nr]
		for j := range row {
			row[j] = math.FMA(alpha, s[i*nr+j], row[j])
		}
	}
}
