package train

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/taylor"
	"github.com/whitebox-de/whitebox/tensor"
)

// The names of the higher-order regularizers in Metrics.Regularizers and
// Metrics.Coefficients and in Augmented.Values.
const (
	RegTayNODE       = "taynode"        // Kelly et al.'s R_K
	RegRNODEKinetic  = "rnode-kinetic"  // Finlay et al.'s kinetic energy integral
	RegRNODEJacobian = "rnode-jacobian" // Finlay et al.'s Jacobian Frobenius norm integral
)

// Augments reports whether the method augments the state with the
// integrals of its regularizers (taynode or rnode): such a method solves
// the dynamics of Augment instead of the task's own.
func (r *Regularization) Augments() bool { return r.Method.TayNODE || r.Method.RNODE }

// Augmented is one solve of a task's dynamics augmented with the integrals
// of the taynode or rnode regularizer: the problem to solve in place of the
// task's own, and how to read the regularization off its solution. Make
// one per solve with Regularization.Augment.
type Augmented struct {
	// F is the dynamics of the augmented state y = [z | extra], Z0 the
	// initial state [z0 | 0].
	F  ode.Func
	Z0 *tensor.Dense
	// Cols is the width of z; the regularizers' integrals are the columns
	// after it, one per regularizer.
	Cols int
	// NormColumns is the value for ode.Options.NormColumns: Cols, so that
	// the integrals stay out of the solver's norms, or 0 (every column)
	// with Regularization.AugmentedInNorm.
	NormColumns int

	names []string
	coefs []float64
}

// AugmentLayer is Augment for dynamics given as a model of package nn
// (taylor.FromLayer turns it into a Taylor-mode Func: Dense, TimeDense,
// Map, Chain with the activations identity, tanh, sigmoid, softplus,
// square, cube).
func (r *Regularization) AugmentLayer(l nn.Layer, z0 *tensor.Dense, seed uint64) (*Augmented, error) {
	f, err := taylor.FromLayer(l)
	if err != nil {
		return nil, fmt.Errorf("train: method %s needs the dynamics in Taylor mode: %w", r.Method, err)
	}
	return r.Augment(f, z0, seed)
}

// Augment returns the augmented solve of the dynamics f (written in Taylor
// arithmetic, package taylor; AugmentLayer takes a model of package nn)
// from the batch z0 for a method with taynode or rnode: taylor.TayNODE
// with order TayNODEOrder, or taylor.RNODE with a Gaussian probe drawn from
// seed. The probe is held fixed for the solve: pass a new seed per solve
// (rng.Uint64() of the iteration's generator keeps resumes bit-identical).
// A method without taynode or rnode is an error (see Augments): solve the
// task's own dynamics.
//
// An ode.Func cannot be augmented: the regularizers need derivatives of f
// along the solution (d^K z/dt^K, or (df/dz) eps), which Taylor mode
// computes from a Func of package taylor.
func (r *Regularization) Augment(f taylor.Func, z0 *tensor.Dense, seed uint64) (*Augmented, error) {
	if !r.Augments() {
		return nil, fmt.Errorf("train: method %s has no taynode or rnode part to augment the dynamics with; solve the task's own dynamics", r.Method)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if z0 == nil || z0.Rows == 0 || z0.Cols == 0 {
		return nil, fmt.Errorf("train: Augment needs a non-empty initial state z0 (batch x features)")
	}
	a := &Augmented{Cols: z0.Cols}
	var err error
	if r.Method.TayNODE {
		a.F, err = taylor.TayNODE(f, r.TayNODEOrder)
		a.Z0 = taylor.Augment(z0, taylor.TayNODEColumns)
		a.names, a.coefs = []string{RegTayNODE}, []float64{r.TayNODECoef}
	} else {
		a.F, err = taylor.RNODE(f, taylor.GaussianProbe(z0.Rows, z0.Cols, seed))
		a.Z0 = taylor.Augment(z0, taylor.RNODEColumns)
		a.names = []string{RegRNODEKinetic, RegRNODEJacobian}
		a.coefs = []float64{r.RNODEKineticCoef, r.RNODEJacobianCoef}
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if !r.AugmentedInNorm {
		a.NormColumns = a.Cols
	}
	return a, nil
}

// Problem returns the augmented initial value problem over [t0, t1]. Its
// Input is nil: the augmented dynamics read the state directly.
func (a *Augmented) Problem(t0, t1 float64) ode.Problem {
	return ode.Problem{F: a.F, Z0: a.Z0, T0: t0, T1: t1}
}

// SaveAt returns the save times for the augmented solve of the times ts
// over a span ending at t1: ts with t1 appended unless it is already the
// last, so that the last saved state, which Term and Values read, is the
// one at t1 (nil or empty ts: the solve saves only t1 anyway).
func (a *Augmented) SaveAt(ts []float64, t1 float64) []float64 {
	if len(ts) == 0 || ts[len(ts)-1] == t1 {
		return ts
	}
	return append(ts[:len(ts):len(ts)], t1)
}

// State returns z, the first Cols columns of an augmented state y (a saved
// state inside an ode.Loss), recorded on y's tape.
func (a *Augmented) State(y ad.Var) ad.Var { return ad.SliceCols(y, 0, a.Cols) }

// StateValue returns a copy of the first Cols columns of an augmented
// state y (a saved state of the solution).
func (a *Augmented) StateValue(y *tensor.Dense) *tensor.Dense {
	a.check(y.Rows, y.Cols)
	z := tensor.New(y.Rows, a.Cols)
	for i := 0; i < y.Rows; i++ {
		copy(z.Row(i), y.Row(i)[:a.Cols])
	}
	return z
}

// Term returns the weighted regularization sum_c coef_c * mean over the
// batch of the integral c, a 1x1 Var on y's tape, for y the augmented
// state at the end of the solve (the last saved state, see SaveAt): add it
// to the task's loss in an ode.Loss, and Solution.BackwardLoss
// differentiates it with the rest through the discrete adjoint of the
// augmented solve (its cotangent enters the integrals' columns of the
// final state, and the adjoint carries it through the Taylor arithmetic
// into the model's parameters).
func (a *Augmented) Term(y ad.Var) ad.Var {
	a.check(y.Rows(), y.Cols())
	w := tensor.New(y.Rows(), len(a.coefs))
	for i := 0; i < w.Rows; i++ {
		for c, coef := range a.coefs {
			w.Set(i, c, coef/float64(w.Rows))
		}
	}
	return ad.Sum(ad.Mul(ad.SliceCols(y, a.Cols, y.Cols()), y.Tape().Const(w)))
}

// Values returns the unweighted regularizers of the final augmented state
// y, each integral's batch mean, by name (RegTayNODE, or RegRNODEKinetic
// and RegRNODEJacobian): the values Metrics.Regularizers records.
func (a *Augmented) Values(y *tensor.Dense) map[string]float64 {
	a.check(y.Rows, y.Cols)
	out := make(map[string]float64, len(a.names))
	for c, name := range a.names {
		s := 0.0
		for i := 0; i < y.Rows; i++ {
			s += y.At(i, a.Cols+c)
		}
		out[name] = s / float64(y.Rows)
	}
	return out
}

// Names returns the names of the regularizers, in the order of their
// columns (RegTayNODE, or RegRNODEKinetic then RegRNODEJacobian): iterate
// over Values and Coefficients in this order to sum them reproducibly.
func (a *Augmented) Names() []string { return append([]string(nil), a.names...) }

// Coefficients returns the regularizers' coefficients by name, as
// Metrics.Coefficients records them.
func (a *Augmented) Coefficients() map[string]float64 {
	out := make(map[string]float64, len(a.names))
	for c, name := range a.names {
		out[name] = a.coefs[c]
	}
	return out
}

// check panics unless rows x cols is the shape of the augmented state.
func (a *Augmented) check(rows, cols int) {
	if rows != a.Z0.Rows || cols != a.Z0.Cols {
		panic(fmt.Sprintf("train: Augmented: a %dx%d state for the augmented %s state", rows, cols, a.Z0.Shape()))
	}
}
