package tensor

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFusedSumsMatchUnfused: FusedSums gives the same bits as LinComb and
// the sums inside SumSq, ErrorNorm and RMSDiff of materialized
// combinations, for lengths below and above the parallel threshold, not a
// multiple of the block, with zero coefficients; and it reports a
// non-finite combination.
func TestFusedSumsMatchUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 1000, normBlock, 5*normBlock + 13, 401408} {
		src := make([][]float64, 8)
		for i := range src {
			src[i] = make([]float64, n)
			for k := range src[i] {
				src[i][k] = 2*rng.Float64() - 1
			}
		}
		cOut := []float64{1, 0.1, 0, -0.3, 0.25, 0.05, 0.7, 0}
		cE := []float64{0, 1e-3, -2e-3, 0, 5e-4, 1e-4, -3e-4, 2e-4}
		cD := []float64{0, 0.2, 0.1, -0.4, 0, 0, 0, 0}
		out := make([]float64, n)
		terms := []SumTerm{
			{Kind: ErrorComb, Coef: cE, Src: src, A: src[0], B: out, ATol: 1e-6, RTol: 1e-3},
			{Kind: SumSqComb, Coef: cD, Src: src},
			{Kind: SumSqDiff, A: src[7], B: src[6]},
		}
		sums := make([]float64, len(terms))
		if !FusedSums(n, out, cOut, src, terms, sums) {
			t.Fatalf("n=%d: finite values reported as not finite", n)
		}
		wantOut := make([]float64, n)
		LinComb(wantOut, cOut, src)
		if !slices.Equal(out, wantOut) {
			t.Fatalf("n=%d: out differs from LinComb", n)
		}
		x := make([]float64, n)
		LinComb(x, cE, src)
		d := make([]float64, n)
		LinComb(d, cD, src)
		want := []float64{
			blockSum(normError, x, src[0], wantOut, 1e-6, 1e-3),
			SumSq(d),
			blockSum(normDiff, src[7], src[6], nil, 0, 0),
		}
		for i := range want {
			if math.Float64bits(sums[i]) != math.Float64bits(want[i]) {
				t.Errorf("n=%d: term %d: fused %v, unfused %v", n, i, sums[i], want[i])
			}
		}
		if math.Sqrt(sums[2]/float64(n)) != RMSDiff(src[7], src[6]) {
			t.Errorf("n=%d: the difference term does not give RMSDiff", n)
		}
		// Materialized term combinations.
		xo, do := make([]float64, n), make([]float64, n)
		terms[0].Out, terms[1].Out = xo, do
		sums2 := make([]float64, len(terms))
		FusedSums(n, out, cOut, src, terms, sums2)
		if !slices.Equal(xo, x) || !slices.Equal(do, d) || !slices.Equal(sums, sums2) {
			t.Errorf("n=%d: materialized combinations or their sums differ", n)
		}
		terms[0].Out, terms[1].Out = nil, nil
		src[3][n-1] = math.Inf(1)
		if FusedSums(n, out, cOut, src, terms, sums) {
			t.Errorf("n=%d: an infinite value reported as finite", n)
		}
	}
}

// TestFusedSumsAllocatesNothing: in steady state FusedSums allocates
// nothing.
func TestFusedSumsAllocatesNothing(t *testing.T) {
	n := 4 * normBlock
	src := [][]float64{make([]float64, n), make([]float64, n)}
	out := make([]float64, n)
	terms := []SumTerm{{Kind: SumSqComb, Coef: []float64{1, 2}, Src: src}}
	sums := make([]float64, 1)
	c := []float64{1, -1}
	FusedSums(n, out, c, src, terms, sums)
	if a := testing.AllocsPerRun(20, func() { FusedSums(n, out, c, src, terms, sums) }); a > 0 {
		t.Fatalf("%v allocations per call", a)
	}
}

// TestBaseLastRoundsOnce: LinComb and FusedSums accumulate their terms in
// order, so u + h*sum_i b_i k_i with u as the last term is the increment,
// summed first, added to u with one rounding, for every length (the vector
// kernel's body and tail, several blocks, the parallel threshold) and for
// more sources than one pass takes; with a component of 1.66e11 it is then
// within half an ulp of the exact sum (math/big) of u and the terms.
func TestBaseLastRoundsOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, m := range []int{7, lcChunk + 3} {
		for _, n := range []int{1, 5, 1027, 5*normBlock + 13, 300000} {
			src := make([][]float64, m+1)
			coef := make([]float64, m+1)
			for i := range m {
				coef[i] = 0.0123 * (rng.Float64() - 0.3)
				src[i] = make([]float64, n)
				for k := range src[i] {
					src[i][k] = 1e3 * (2*rng.Float64() - 1)
				}
			}
			u := make([]float64, n)
			for k := range u {
				u[k] = 1.66e11 * (1 + 0.01*rng.Float64())
			}
			coef[m], src[m] = 1, u
			inc := make([]float64, n)
			LinComb(inc, coef[:m], src[:m])
			got := make([]float64, n)
			LinComb(got, coef, src)
			fused := make([]float64, n)
			FusedSums(n, fused, coef, src, nil, nil)
			worst := 0.0
			for k := range n {
				if want := u[k] + inc[k]; got[k] != want || fused[k] != want {
					t.Fatalf("m=%d n=%d: element %d: LinComb %v, FusedSums %v, u + increment %v", m, n, k, got[k], fused[k], want)
				}
				if k%97 != 0 {
					continue
				}
				exact := new(big.Float).SetPrec(4096).SetFloat64(u[k])
				for i := range m {
					term := new(big.Float).SetPrec(4096).SetFloat64(coef[i])
					exact.Add(exact, term.Mul(term, new(big.Float).SetFloat64(src[i][k])))
				}
				d, _ := new(big.Float).SetPrec(4096).Sub(new(big.Float).SetFloat64(got[k]), exact).Float64()
				worst = math.Max(worst, math.Abs(d)/(math.Nextafter(got[k], math.Inf(1))-got[k]))
			}
			if worst > 0.5+1e-6 {
				t.Errorf("m=%d n=%d: %.2f ulp from the exact sum, want at most 0.5", m, n, worst)
			}
		}
	}
}
