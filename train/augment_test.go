package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

func smallModel(seed uint64) *nn.Chain {
	rng := rand.New(rand.NewPCG(seed, 3))
	return nn.NewChain(nn.Cube(), nn.NewDense(2, 8, nn.Tanh, rng), nn.NewDense(8, 2, nn.Identity, rng))
}

var (
	tayReg   = Regularization{Method: Method{TayNODE: true}, TayNODECoef: 0.3, TayNODEOrder: 2}
	rnodeReg = Regularization{Method: Method{RNODE: true}, RNODEKineticCoef: 0.2, RNODEJacobianCoef: 0.05}
)

// TestAugmentPieces: the shapes, the norm columns, and Term, Values and
// Coefficients on a given augmented state (Term's gradient is coef/batch
// on the integrals' columns and 0 on z's).
func TestAugmentPieces(t *testing.T) {
	z0 := tensor.FromSlice(2, 2, []float64{2, 0, -1, 0.5})
	for _, c := range []struct {
		reg   Regularization
		names []string
		coefs []float64
	}{
		{tayReg, []string{RegTayNODE}, []float64{0.3}},
		{rnodeReg, []string{RegRNODEKinetic, RegRNODEJacobian}, []float64{0.2, 0.05}},
	} {
		t.Run(c.reg.Method.String(), func(t *testing.T) {
			a, err := c.reg.AugmentLayer(smallModel(1), z0, 5)
			if err != nil {
				t.Fatal(err)
			}
			extra := len(c.names)
			if a.Cols != 2 || a.NormColumns != 2 || a.Z0.Rows != 2 || a.Z0.Cols != 2+extra {
				t.Fatalf("Cols %d, NormColumns %d, Z0 %s", a.Cols, a.NormColumns, a.Z0.Shape())
			}
			if !slices.Equal(a.StateValue(a.Z0).Data, z0.Data) {
				t.Errorf("StateValue(Z0) = %v", a.StateValue(a.Z0).Data)
			}
			in := c.reg
			in.AugmentedInNorm = true
			if b, _ := in.AugmentLayer(smallModel(1), z0, 5); b.NormColumns != 0 {
				t.Errorf("AugmentedInNorm: NormColumns %d, want 0", b.NormColumns)
			}
			y := tensor.New(2, 2+extra)
			for i := range y.Data {
				y.Data[i] = float64(i + 1)
			}
			if !slices.Equal(a.Names(), c.names) {
				t.Errorf("Names() = %v, want %v", a.Names(), c.names)
			}
			vals := a.Values(y)
			want := 0.0
			for k, name := range c.names {
				mean := (y.At(0, 2+k) + y.At(1, 2+k)) / 2
				if vals[name] != mean || a.Coefficients()[name] != c.coefs[k] {
					t.Errorf("%s: value %v (want %v), coefficient %v", name, vals[name], mean, a.Coefficients()[name])
				}
				want += c.coefs[k] * mean
			}
			tp := ad.NewTape()
			yv := tp.Leaf(y, true)
			term := a.Term(yv)
			if math.Abs(term.Scalar()-want) > 1e-15*want {
				t.Errorf("Term = %v, want %v", term.Scalar(), want)
			}
			tp.Backward(term)
			g := tp.Grad(yv)
			for i := 0; i < 2; i++ {
				for j := 0; j < 2+extra; j++ {
					w := 0.0
					if j >= 2 {
						w = c.coefs[j-2] / 2
					}
					if g.At(i, j) != w {
						t.Errorf("dTerm/dy[%d,%d] = %v, want %v", i, j, g.At(i, j), w)
					}
				}
			}
			if got := a.SaveAt([]float64{0, 0.5}, 0.7); !slices.Equal(got, []float64{0, 0.5, 0.7}) {
				t.Errorf("SaveAt appends t1: %v", got)
			}
			if got := a.SaveAt([]float64{0, 0.7}, 0.7); !slices.Equal(got, []float64{0, 0.7}) {
				t.Errorf("SaveAt with t1 last: %v", got)
			}
		})
	}
}

// TestAugmentProbeSeed: RNODE's probe comes from the seed: the same seed
// gives the same bits, another seed another Jacobian integrand.
func TestAugmentProbeSeed(t *testing.T) {
	z0 := tensor.FromSlice(2, 2, []float64{2, 0, -1, 0.5})
	m := smallModel(2)
	eval := func(seed uint64) []float64 {
		a, err := rnodeReg.AugmentLayer(m, z0, seed)
		if err != nil {
			t.Fatal(err)
		}
		tp := ad.NewTape()
		return slices.Clone(a.F(0, tp.Const(a.Z0)).Value().Data)
	}
	a, b, c := eval(9), eval(9), eval(10)
	if !slices.Equal(a, b) {
		t.Errorf("seed 9 twice: %v and %v", a, b)
	}
	if a[3] == c[3] || a[7] == c[7] {
		t.Errorf("seeds 9 and 10 give the same Jacobian integrand: %v %v", a, c)
	}
	if !slices.Equal(a[:3], c[:3]) {
		t.Errorf("the probe changed f or the kinetic energy: %v %v", a, c)
	}
}

func TestAugmentErrors(t *testing.T) {
	z0 := tensor.FromSlice(1, 2, []float64{2, 0})
	m := smallModel(1)
	cases := []struct {
		reg  Regularization
		l    nn.Layer
		z0   *tensor.Dense
		want string
	}{
		{Regularization{Method: Method{Error: true}, ErrorCoef: 1}, m, z0, "no taynode or rnode part"},
		{Regularization{Method: Method{TayNODE: true}, TayNODECoef: 1}, m, z0, "order K = 0"},
		{tayReg, m, nil, "non-empty initial state"},
		{tayReg, nn.NewChain(nn.NewMap(string(nn.Relu))), z0, "Taylor mode"},
	}
	for _, c := range cases {
		if _, err := c.reg.AugmentLayer(c.l, c.z0, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.reg.String(), err, c.want)
		}
	}
}

// TestAugmentedGradientThroughSolve: the gradient of a data loss plus Term,
// differentiated by BackwardLoss through the discrete adjoint of the
// augmented solve (with the integrals out of the norm, and in it), matches
// central finite differences of the frozen solve (1e-6 relative) and
// forward mode (1e-8), with respect to the initial state and the weights.
func TestAugmentedGradientThroughSolve(t *testing.T) {
	z0 := tensor.FromSlice(2, 2, []float64{1.5, 0, -1, 0.5})
	target := tensor.FromSlice(2, 2, []float64{0.5, 1, -0.5, 0})
	ctx := context.Background()
	for _, reg := range []Regularization{tayReg, rnodeReg, {Method: Method{TayNODE: true}, TayNODECoef: 0.1, TayNODEOrder: 3, AugmentedInNorm: true}} {
		t.Run(reg.String(), func(t *testing.T) {
			m := smallModel(4)
			params := m.Params()
			a, err := reg.AugmentLayer(m, z0, 11)
			if err != nil {
				t.Fatal(err)
			}
			p := a.Problem(0, 1)
			opts := &ode.Options{SaveAt: a.SaveAt([]float64{0.5}, 1), NormColumns: a.NormColumns, Adjoint: true, RTol: 1e-7, ATol: 1e-7}
			sol, err := ode.Solve(ctx, p, opts)
			if err != nil {
				t.Fatal(err)
			}
			// The regularization term alone, then with a data loss.
			for _, withFit := range []bool{false, true} {
				loss := func(tp *ad.Tape, z []ad.Var) ad.Var {
					term := a.Term(z[len(z)-1])
					if !withFit {
						return term
					}
					return ad.Add(ad.Mean(ad.Square(ad.Sub(a.State(z[0]), tp.Const(target)))), term)
				}
				checkLossGradient(t, sol, p.Z0, params, loss)
			}
		})
	}
}

// checkLossGradient checks the gradient of loss that BackwardLoss computes
// through the frozen solve sol against central finite differences (1e-6
// relative) and forward mode (1e-8) along two random directions.
func checkLossGradient(t *testing.T, sol *ode.Solution, z0 *tensor.Dense, params []*ad.Param, loss ode.Loss) {
	t.Helper()
	nn.ZeroGrad(params)
	v, dz0, err := sol.BackwardLoss(context.Background(), loss, ode.Regularization{})
	if err != nil {
		t.Fatal(err)
	}
	if !(v > 0) {
		t.Fatalf("loss %v", v)
	}
	grad := gradcheck.FlatGrad(params)
	replay := func(tp *ad.Tape, z ad.Var) ad.Var {
		zs, _, _, err := sol.Replay(tp, z)
		if err != nil {
			t.Fatal(err)
		}
		return loss(tp, zs)
	}
	rng := rand.New(rand.NewPCG(12, 13))
	for dir := range 2 {
		vz := gradcheck.RandLike(rng, z0)
		vp := make([]*tensor.Dense, len(params))
		adj := dot(vz.Data, dz0.Data)
		off := 0
		for i, pr := range params {
			vp[i] = gradcheck.RandLike(rng, pr.Value)
			adj += dot(vp[i].Data, grad[off:off+pr.Value.Len()])
			off += pr.Value.Len()
		}
		fd, err := gradcheck.CentralDifferenceOf(func(z *tensor.Dense) (float64, error) {
			tp := ad.NewTape()
			return replay(tp, tp.Const(z)).Scalar(), nil
		}, z0, vz, params, vp, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(fd-adj) / math.Abs(fd); e > 1e-6 {
			t.Errorf("direction %d: adjoint %.12g, central difference %.12g (relative error %.2g)", dir, adj, fd, e)
		}
		// Forward mode.
		tp := ad.NewTape()
		zv := tp.Leaf(z0, true)
		tp.SetTangent(zv, tp.Const(vz))
		for i, pr := range params {
			tp.SetTangent(tp.Param(pr), tp.Const(vp[i]))
		}
		mark := tp.Len()
		l := replay(tp, zv)
		tp.JVP(mark)
		jv, ok := tp.Tangent(l)
		if !ok {
			t.Fatal("the loss has no tangent")
		}
		if e := math.Abs(jv.Scalar()-adj) / math.Abs(adj); e > 1e-8 {
			t.Errorf("direction %d: adjoint %.15g, forward mode %.15g (relative error %.2g)", dir, adj, jv.Scalar(), e)
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
