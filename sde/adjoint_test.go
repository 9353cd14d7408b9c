package sde

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// neuralSDE is the paper's spiral-SDE model at a small width: drift
// x -> x^3 -> Dense(2,hid,tanh) -> Dense(hid,2), diffusion Dense(2,2) applied
// elementwise as diagonal noise, with fixed random weights.
func neuralSDE(seed uint64, hid int) (drift, diffusion ode.Func, params []*ad.Param) {
	rng := rand.New(rand.NewPCG(seed, 3))
	w1, b1 := ad.NewParam("w1", 2, hid), ad.NewParam("b1", 1, hid)
	w2, b2 := ad.NewParam("w2", hid, 2), ad.NewParam("b2", 1, 2)
	wg, bg := ad.NewParam("wg", 2, 2), ad.NewParam("bg", 1, 2)
	params = []*ad.Param{w1, b1, w2, b2, wg, bg}
	for _, p := range params {
		for i := range p.Value.Data {
			p.Value.Data[i] = 0.5 * (2*rng.Float64() - 1)
		}
	}
	drift = func(_ float64, z ad.Var) ad.Var {
		tp := z.Tape()
		h := ad.Dense(ad.Cube(z), tp.Param(w1), tp.Param(b1), ad.ActTanh)
		return ad.Dense(h, tp.Param(w2), tp.Param(b2), ad.ActIdentity)
	}
	diffusion = func(_ float64, z ad.Var) ad.Var {
		tp := z.Tape()
		return ad.Dense(z, tp.Param(wg), tp.Param(bg), ad.ActIdentity)
	}
	return drift, diffusion, params
}

type gradCase struct {
	name string
	opts Options
}

func gradCases() []gradCase {
	saves := make([]float64, 11)
	for i := range saves {
		saves[i] = float64(i) / 10
	}
	return []gradCase{
		{"SOSRI", Options{RTol: 1e-2, ATol: 1e-2, SaveAt: saves, Seed: 11}},
		{"SOSRI-final-only", Options{RTol: 1e-3, ATol: 1e-3, Seed: 12}},
		// Starts with a step far too large and lets steps grow 4x per step:
		// several rejections, whose noise the adjoint must not replay.
		{"SOSRI-rejections", Options{RTol: 3e-2, ATol: 3e-2, SaveAt: saves, Seed: 2, Dt: 0.3,
			Controller: &ode.PIController{Beta1: 7.0 / 15, Beta2: 4.0 / 15, Qmax: 4, Order: 1.5}}},
		{"SOSRI2", Options{Method: MethodSOSRI2, RTol: 1e-2, ATol: 1e-2, SaveAt: saves, Seed: 13}},
		{"EulerMaruyama", Options{Method: MethodEulerMaruyama, Dt: 0.02, SaveAt: saves, Seed: 14}},
	}
}

func gradProblem() (Problem, []*ad.Param) {
	f, g, ps := neuralSDE(1999, 8)
	z0 := tensor.FromSlice(3, 2, []float64{2, 0, 1.5, -0.5, -1, 1})
	return Problem{Drift: f, Diffusion: g, Z0: z0, T0: 0, T1: 1}, ps
}

// TestReplayIsBitIdentical: replaying the frozen solve reproduces the saved
// states and every accepted step's error and stiffness estimates bit for bit,
// which is what makes the discrete adjoint the exact gradient of the
// computation the forward solve performed.
func TestReplayIsBitIdentical(t *testing.T) {
	p, _ := gradProblem()
	for _, c := range gradCases() {
		o := c.opts
		o.Adjoint = true
		sol, err := Solve(context.Background(), p, &o)
		if err != nil {
			t.Fatal(err)
		}
		tp := ad.NewTape()
		zs, es, ss, err := sol.Replay(tp, tp.Const(p.Z0))
		if err != nil {
			t.Fatal(err)
		}
		for i, z := range zs {
			for k, v := range z.Value().Data {
				if math.Float64bits(v) != math.Float64bits(sol.Z[i].Data[k]) {
					t.Fatalf("%s: replayed Z[%d][%d] = %v, forward %v", c.name, i, k, v, sol.Z[i].Data[k])
				}
			}
		}
		j := 0
		for _, st := range sol.Steps {
			if !st.Accepted {
				continue
			}
			e, s := 0.0, 0.0
			if es[j].Valid() {
				e = es[j].Scalar()
			}
			if ss[j].Valid() {
				s = ss[j].Scalar()
			}
			if e != st.ErrorEstimate || s != st.StiffnessEstimate {
				t.Fatalf("%s: accepted step %d replays E = %v, S = %v; forward recorded %v, %v", c.name, j, e, s, st.ErrorEstimate, st.StiffnessEstimate)
			}
			j++
		}
	}
}

// TestAdjointMatchesFiniteDifferences: with the noise and the step sequence
// frozen, the discrete adjoint's gradient of a loss of the saved states
// matches central finite differences of the frozen replay along random
// directions of (Z0, drift and diffusion parameters) to a relative error
// <= 1e-6, for every method.
func TestAdjointMatchesFiniteDifferences(t *testing.T) {
	for _, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			p, params := gradProblem()
			rng := rand.New(rand.NewPCG(42, 1))
			o := c.opts
			o.Adjoint = true
			sol, err := Solve(context.Background(), p, &o)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d accepted, %d rejected steps", sol.Accepted, sol.Rejected)
			if c.name == "SOSRI-rejections" && sol.Rejected == 0 {
				t.Fatal("no rejected step; the case must exercise rejections")
			}
			w := make([]*tensor.Dense, len(sol.Z))
			for i := range w {
				w[i] = gradcheck.RandLike(rng, sol.Z[i])
			}
			_, dz := gradcheck.SquareLoss(sol.Z, w)
			gradcheck.ZeroGrads(params)
			dz0, err := sol.Backward(context.Background(), dz, ode.Regularization{})
			if err != nil {
				t.Fatal(err)
			}
			if sol.BackwardDriftNFE == 0 || sol.BackwardDiffusionNFE == 0 || sol.BackwardNFE != sol.BackwardDriftNFE+sol.BackwardDiffusionNFE {
				t.Errorf("backward NFE %d = drift %d + diffusion %d is not counted", sol.BackwardNFE, sol.BackwardDriftNFE, sol.BackwardDiffusionNFE)
			}
			grad := gradcheck.FlatGrad(params)
			for _, part := range []string{"z0", "drift", "diffusion", "all"} {
				vz := gradcheck.RandLike(rng, p.Z0)
				if part != "z0" && part != "all" {
					vz.Zero()
				}
				dot := 0.0
				for k := range vz.Data {
					dot += vz.Data[k] * dz0.Data[k]
				}
				vp := make([]*tensor.Dense, len(params))
				off := 0
				for i, pr := range params {
					vp[i] = gradcheck.RandLike(rng, pr.Value)
					isDiff := i >= 4
					if part == "z0" || (part == "drift" && isDiff) || (part == "diffusion" && !isDiff) {
						vp[i].Zero()
					}
					for k := range vp[i].Data {
						dot += vp[i].Data[k] * grad[off+k]
					}
					off += pr.Value.Len()
				}
				fd, err := gradcheck.CentralDifference(sol, p.Z0, vz, params, vp, w, 1e-6)
				if err != nil {
					t.Fatal(err)
				}
				rel := math.Abs(fd-dot) / math.Max(math.Abs(fd), 1e-12)
				t.Logf("%s: adjoint %.12g, central difference %.12g, relative error %.2g", part, dot, fd, rel)
				if rel > 1e-6 || dot == 0 {
					t.Errorf("%s: adjoint %.12g vs finite difference %.12g (relative error %.2g)", part, dot, fd, rel)
				}
			}
		})
	}
}

// aggWeights returns d(aggregate)/d(term_j) of terms, as ode's regularizers
// define the aggregations.
func aggWeights(terms []float64, agg ode.Aggregation) []float64 {
	w := make([]float64, len(terms))
	switch agg {
	case ode.Sum:
		for j := range w {
			w[j] = 1
		}
	case ode.Mean:
		for j := range w {
			w[j] = 1 / float64(len(w))
		}
	case ode.Max:
		best := 0
		for j, v := range terms {
			if v > terms[best] {
				best = j
			}
		}
		w[best] = 1
	}
	return w
}

// TestRegularizerGradientsMatchForwardMode checks the gradients of the error
// and stiffness regularizers (every aggregation) plus a loss from the
// discrete adjoint against forward-mode directional derivatives through the
// same frozen solve: <v, gradient> = JVP(v) to a relative error <= 1e-8.
func TestRegularizerGradientsMatchForwardMode(t *testing.T) {
	for _, c := range gradCases()[:4] {
		for _, agg := range []ode.Aggregation{ode.Sum, ode.Mean, ode.Max} {
			t.Run(c.name+"/"+agg.String(), func(t *testing.T) {
				p, params := gradProblem()
				rng := rand.New(rand.NewPCG(43, uint64(agg)))
				o := c.opts
				o.Adjoint = true
				sol, err := Solve(context.Background(), p, &o)
				if err != nil {
					t.Fatal(err)
				}
				reg := ode.Regularization{Error: 0.7, Stiffness: 0.3, ErrorAgg: agg, StiffnessAgg: agg}
				var eTerms, sTerms, hs []float64
				for _, st := range sol.Steps {
					if st.Accepted {
						eTerms = append(eTerms, st.ErrorEstimate*st.H)
						sTerms = append(sTerms, st.StiffnessEstimate)
						hs = append(hs, st.H)
					}
				}
				wE, wS := aggWeights(eTerms, agg), aggWeights(sTerms, agg)
				w := make([]*tensor.Dense, len(sol.Z))
				for i := range w {
					w[i] = gradcheck.RandLike(rng, sol.Z[i])
				}
				_, dz := gradcheck.SquareLoss(sol.Z, w)
				gradcheck.ZeroGrads(params)
				dz0, err := sol.Backward(context.Background(), dz, reg)
				if err != nil {
					t.Fatal(err)
				}
				grad := gradcheck.FlatGrad(params)
				for dir := range 3 {
					tp := ad.NewTape()
					z0, dot := gradcheck.RandomTangents(tp, rng, p.Z0, dz0, params, grad)
					mark := tp.Len()
					zs, es, ss, err := sol.Replay(tp, z0)
					if err != nil {
						t.Fatal(err)
					}
					var terms []ad.Var
					var coef []float64
					for i, z := range zs {
						terms = append(terms, ad.Sum(ad.Mul(tp.Const(w[i]), ad.Square(z))))
						coef = append(coef, 0.5)
					}
					nS := 0
					for j := range es {
						if es[j].Valid() && wE[j] != 0 {
							terms = append(terms, es[j])
							coef = append(coef, reg.Error*wE[j]*math.Abs(hs[j]))
						}
						if ss[j].Valid() && wS[j] != 0 {
							terms = append(terms, ss[j])
							coef = append(coef, reg.Stiffness*wS[j])
							nS++
						}
					}
					if nS == 0 {
						t.Fatal("no stiffness estimate takes part; the check would not cover R_S")
					}
					obj := ad.LinComb(coef, terms)
					tp.JVP(mark)
					jv, ok := tp.Tangent(obj)
					if !ok {
						t.Fatal("objective has no tangent")
					}
					rel := math.Abs(jv.Scalar()-dot) / math.Max(math.Abs(jv.Scalar()), 1e-12)
					if rel > 1e-8 {
						t.Errorf("direction %d: <v, adjoint gradient> %.15g vs JVP %.15g (relative error %.2g)", dir, dot, jv.Scalar(), rel)
					}
				}
			})
		}
	}
}

// TestRegularizerGradientIsNotZero: the error and stiffness regularizers
// alone (no loss) give a non-zero gradient for drift and diffusion
// parameters, unlike solvers that detach their error estimate.
func TestRegularizerGradientIsNotZero(t *testing.T) {
	p, params := gradProblem()
	sol, err := Solve(context.Background(), p, &Options{RTol: 1e-2, ATol: 1e-2, Seed: 5, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []ode.Regularization{{Error: 1}, {Stiffness: 1}} {
		gradcheck.ZeroGrads(params)
		if _, err := sol.Backward(context.Background(), make([]*tensor.Dense, len(sol.Z)), reg); err != nil {
			t.Fatal(err)
		}
		for _, pr := range params {
			if tensor.SumSq(pr.Grad.Data) == 0 {
				t.Errorf("regularization %+v: parameter %s has a zero gradient", reg, pr.Name)
			}
		}
	}
}

// TestBackwardLoss: BackwardLoss with a loss written with package ad gives
// the bits of Backward given that loss's cotangents, and its value is the
// loss at the saved states.
func TestBackwardLoss(t *testing.T) {
	p, ps := gradProblem()
	sol, err := Solve(context.Background(), p, &Options{SaveAt: []float64{0.5, 1}, Seed: 3, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	loss := func(tp *ad.Tape, z []ad.Var) ad.Var {
		return ad.Add(ad.Mean(ad.Square(z[1])), ad.Sum(ad.Tanh(z[0])))
	}
	reg := ode.Regularization{Error: 0.2, Stiffness: 0.1}
	gradcheck.ZeroGrads(ps)
	v, dz0, err := sol.BackwardLoss(context.Background(), loss, reg)
	if err != nil {
		t.Fatal(err)
	}
	got := append(dz0.Data, gradcheck.FlatGrad(ps)...)
	want := 0.0
	for _, x := range sol.Z[1].Data {
		want += x * x / float64(len(sol.Z[1].Data))
	}
	for _, x := range sol.Z[0].Data {
		want += math.Tanh(x)
	}
	if math.Abs(v-want) > 1e-13*math.Abs(want) {
		t.Errorf("loss value %v, want %v", v, want)
	}
	_, dz, err := sol.LossCotangents(loss)
	if err != nil {
		t.Fatal(err)
	}
	gradcheck.ZeroGrads(ps)
	dzb, err := sol.Backward(context.Background(), dz, reg)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range append(dzb.Data, gradcheck.FlatGrad(ps)...) {
		if g != got[i] {
			t.Fatalf("BackwardLoss and Backward differ at %d: %v vs %v", i, got[i], g)
		}
	}
	plain, err := Solve(context.Background(), p, &Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := plain.BackwardLoss(context.Background(), loss, reg); err == nil || !strings.HasPrefix(err.Error(), "sde: ") {
		t.Errorf("BackwardLoss without Options.Adjoint: %v", err)
	}
	if _, _, err := sol.BackwardLoss(context.Background(), nil, reg); err == nil || !strings.HasPrefix(err.Error(), "sde: ") {
		t.Errorf("BackwardLoss with a nil loss: %v", err)
	}
}
