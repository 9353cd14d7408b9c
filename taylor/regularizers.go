package taylor

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// Errors of the augmenters.
var (
	// ErrOrder: TayNODE needs the order K of the regularized derivative,
	// K >= 1.
	ErrOrder = errors.New("taylor: the order of the derivative must be at least 1")
	// ErrProbe: RNODE needs the Hutchinson probe, one per solve.
	ErrProbe = errors.New("taylor: RNODE needs a probe (GaussianProbe(batch, features, seed), one per solve)")
	// ErrNoFunc: an augmenter was given a nil Func.
	ErrNoFunc = errors.New("taylor: nil Func; build one with FromLayer or write it with this package's functions")
)

// The extra columns each augmenter appends to the state.
const (
	TayNODEColumns = 1 // r, the integral of rho
	RNODEColumns   = 2 // the kinetic energy and the Jacobian's Frobenius norm, integrated
)

// TayNODE returns the dynamics of the state [z | r] augmented with the
// integral of the regularizer of Kelly et al. 2020 ("Learning Differential
// Equations that are Easy to Solve", NeurIPS): z' = f(t, z) and
//
//	r' = rho(t) = mean over the features of (d^K z/dt^K)^2,
//
// one value per example (row), K = order. Solving from [z0 | 0]
// (Augment(z0, TayNODEColumns)) gives R_K = r(t1) per example; the loss
// adds lambda times its batch mean. The derivative comes from
// Coefficients, whose coefficient z_1 is f itself, so one Taylor-mode
// evaluation gives both parts; the discrete adjoint of the augmented solve
// differentiates through the Taylor arithmetic. The dynamics read the
// state directly (leave ode.Problem.Input nil).
func TayNODE(f Func, order int) (ode.Func, error) {
	if f == nil {
		return nil, ErrNoFunc
	}
	if order < 1 {
		return nil, fmt.Errorf("%w, got %d (Kelly et al. use 2 and 3)", ErrOrder, order)
	}
	return func(t float64, y ad.Var) ad.Var {
		z := stateOf("TayNODE", y, TayNODEColumns)
		_, out := flow("TayNODE", f, t, z, order)
		// d^K z/dt^K = K! z_K = (K-1)! [f]_{K-1}; [f]_0 = f(t, z).
		dk := ad.Scale(out.Coef(order-1), factorial(order-1))
		rho := ad.Scale(ad.RowSums(ad.Square(dk)), 1/float64(z.Cols()))
		return ad.ConcatCols(out.Coef(0), rho)
	}, nil
}

// RNODE returns the dynamics of the state [z | e | n] augmented with the
// integrals of the two regularizers of Finlay et al. 2020 ("How to train
// your neural ODE: the world of Jacobian and kinetic energy
// regularization", ICML): z' = f(t, z),
//
//	e' = ||f(t, z)||^2                 kinetic energy
//	n' = ||(df/dz) eps||^2             Hutchinson estimate of ||df/dz||_F^2
//
// per example (row). eps is probe (batch x features of z), a Gaussian draw
// held fixed for the solve: draw a new one per solve with GaussianProbe
// and a new seed. E[||J eps||^2] = ||J||_F^2 for eps ~ N(0, I). Finlay et
// al. estimate it with the vector-Jacobian product eps^T J; here the
// Jacobian-vector product J eps, which has the same expectation, comes
// from Push at order 1 (the first coefficient of f along z + h eps) in the
// same evaluation as f, and is differentiable by the outer reverse pass
// (package ad has no double backward). Solving from [z0 | 0 | 0]
// (Augment(z0, RNODEColumns)) gives both integrals per example.
func RNODE(f Func, probe *tensor.Dense) (ode.Func, error) {
	if f == nil {
		return nil, ErrNoFunc
	}
	if probe == nil {
		return nil, ErrProbe
	}
	return func(t float64, y ad.Var) ad.Var {
		z := stateOf("RNODE", y, RNODEColumns)
		if probe.Rows != z.Rows() || probe.Cols != z.Cols() {
			panic(fmt.Sprintf("taylor: RNODE: probe %s for a %dx%d state", probe.Shape(), z.Rows(), z.Cols()))
		}
		ys := Push(f, []float64{t}, z, y.Tape().Const(probe))
		e := ad.RowSums(ad.Square(ys[0]))
		n := ad.RowSums(ad.Square(ys[1]))
		return ad.ConcatCols(ad.ConcatCols(ys[0], e), n)
	}, nil
}

// stateOf returns the columns of z in the augmented state y.
func stateOf(who string, y ad.Var, extra int) ad.Var {
	d := y.Cols() - extra
	if d < 1 {
		panic(fmt.Sprintf("taylor: %s: augmented state %dx%d has no room for %d extra columns; start from Augment(z0, %d)", who, y.Rows(), y.Cols(), extra, extra))
	}
	return ad.SliceCols(y, 0, d)
}

// Augment returns [z0 | 0] with n zero columns appended: the initial state
// of augmented dynamics (n = TayNODEColumns or RNODEColumns).
func Augment(z0 *tensor.Dense, n int) *tensor.Dense {
	if n < 0 {
		panic(fmt.Sprintf("taylor: Augment: %d extra columns", n))
	}
	y := tensor.New(z0.Rows, z0.Cols+n)
	for i := 0; i < z0.Rows; i++ {
		copy(y.Row(i), z0.Row(i))
	}
	return y
}

// GaussianProbe returns a rows x cols matrix of independent standard normal
// draws from a PCG generator seeded with seed: the same seed gives the same
// bits.
func GaussianProbe(rows, cols int, seed uint64) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, 0))
	p := tensor.New(rows, cols)
	for i := range p.Data {
		p.Data[i] = rng.NormFloat64()
	}
	return p
}
