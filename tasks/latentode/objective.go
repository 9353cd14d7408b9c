package latentode

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// StiffnessFloor is the stiffness entry the authors' saving callback stores
// at t0 before any step, 1/3.5068 (Tsit5's stability scale) in the units of
// ode.StepStat.StiffnessEstimate: their maximum over the entries is
// max(StiffnessFloor, max_j S_j), whose gradient is zero while every
// estimate is below it.
const StiffnessFloor = 1 / 3.5068

// Coefs are the weights of one iteration's objective
//
//	NLL + KL*KL(z0) + Error*R_E + Stiffness*R_S
//
// with R_E the mean of E_j |h_j| over the authors' N+1 entries (the
// accepted steps and a zero entry at t0) and R_S the maximum of S_j and
// StiffnessFloor.
type Coefs struct {
	KL, Error, Stiffness float64
	// Aug, when its method has taynode or rnode, augments the solve with
	// that regularizer's integral (train.Regularization.AugmentLayer).
	Aug *train.Regularization
}

// Objective is the value of one iteration's objective and its parts.
type Objective struct {
	// NLL is the reconstruction term (NegLogLikelihood), KL the KL
	// divergence (unweighted); RE and RS the regularizers (unweighted,
	// authors' aggregation); Total the weighted sum.
	NLL, KL, RE, RS, Total float64
	// NFE and BackwardNFE are the solve's and its adjoint's evaluations.
	NFE, BackwardNFE int
	// Augmented are the taynode or rnode regularizers (unweighted batch
	// means of their integrals), nil for other methods.
	Augmented map[string]float64
}

// regularizers returns the authors' R_E and R_S of a solve and the
// ode.Regularization whose gradient is that of Error*R_E + Stiffness*R_S.
func regularizers(sol *ode.Solution, c Coefs) (re, rs float64, r ode.Regularization) {
	n := float64(sol.Accepted)
	re = sol.ErrorRegularizer(ode.Sum) / (n + 1)
	rs = math.Max(StiffnessFloor, sol.StiffnessRegularizer(ode.Max))
	r = ode.Regularization{ErrorAgg: ode.Sum, StiffnessAgg: ode.Max}
	if c.Error != 0 {
		r.Error = c.Error / (n + 1)
	}
	if c.Stiffness != 0 && sol.StiffnessRegularizer(ode.Max) > StiffnessFloor {
		r.Stiffness = c.Stiffness
	}
	return re, rs, r
}

// Gradient evaluates the objective on batch b with the noise eps of the
// reparameterization (N x Latent; nil draws it from rng) and adds its
// gradient into the parameters' Grad fields (zero them first). opts are the
// solver's options (SaveAt and Adjoint are set here).
func (m *Model) Gradient(ctx context.Context, b *Batch, eps *tensor.Dense, rng *rand.Rand, opts ode.Options, c Coefs) (Objective, error) {
	var o Objective
	tp := ad.GetTape()
	defer ad.PutTape(tp)
	mu, lv := m.Encode(tp, b)
	var z0 ad.Var
	if eps == nil {
		z0, _ = Sample(mu, lv, rng)
	} else {
		if eps.Rows != b.N || eps.Cols != m.Arch.Latent {
			panic(fmt.Sprintf("latentode: Gradient: eps is %s, want %dx%d", eps.Shape(), b.N, m.Arch.Latent))
		}
		z0 = ad.Add(mu, ad.Mul(ad.Exp(ad.Scale(lv, 0.5)), tp.Const(eps)))
	}
	kl := KL(mu, lv)
	opts.SaveAt, opts.Adjoint = b.Times, true
	prob := ode.Problem{F: m.Func(), Z0: z0.Value().Clone(), T0: 0, T1: 1}
	loss := m.NegLogLikelihood(b)
	var aug *train.Augmented
	if c.Aug != nil && c.Aug.Augments() {
		// TayNODE or RNODE: solve the dynamics augmented with the
		// regularizer's integral, whose batch mean enters the loss.
		var err error
		seed := uint64(0)
		if rng != nil {
			seed = rng.Uint64()
		}
		if aug, err = c.Aug.AugmentLayer(m.Dynamics, prob.Z0, seed); err != nil {
			return o, fmt.Errorf("latentode: %w", err)
		}
		prob = aug.Problem(0, 1)
		opts.SaveAt, opts.NormColumns = aug.SaveAt(b.Times, 1), aug.NormColumns
		nll := loss
		loss = func(tp *ad.Tape, y []ad.Var) ad.Var {
			z := make([]ad.Var, len(b.Times))
			for i := range z {
				z[i] = aug.State(y[i])
			}
			return ad.Add(nll(tp, z), aug.Term(y[len(y)-1]))
		}
	}
	sol, err := ode.Solve(ctx, prob, &opts)
	if err != nil {
		return o, fmt.Errorf("latentode: training solve: %w", err)
	}
	defer sol.Release()
	re, rs, reg := regularizers(sol, c)
	nll, dz0, err := sol.BackwardLoss(ctx, loss, reg)
	if err != nil {
		return o, fmt.Errorf("latentode: adjoint: %w", err)
	}
	if aug != nil {
		vals := aug.Values(sol.Z[len(sol.Z)-1])
		o.Augmented = vals
		coefs := aug.Coefficients()
		for _, name := range aug.Names() {
			nll -= coefs[name] * vals[name] // the loss's value included the term
		}
		dz0 = aug.StateValue(dz0)
	}
	tp.Seed(z0, dz0.Data)
	if c.KL != 0 {
		tp.SeedScalar(kl, c.KL)
	}
	tp.Backward(ad.Var{})
	o.NLL, o.KL, o.RE, o.RS, o.NFE, o.BackwardNFE = nll, kl.Scalar(), re, rs, sol.NFE, sol.BackwardNFE
	o.Total = nll + c.KL*o.KL + c.Error*re
	if aug != nil {
		coefs := aug.Coefficients()
		for _, name := range aug.Names() {
			o.Total += coefs[name] * o.Augmented[name]
		}
	}
	if c.Stiffness != 0 {
		o.Total += c.Stiffness * rs
	}
	return o, nil
}

// ReplayObjective records on tp the objective of Gradient as a function of
// the parameters' current values, with the step sizes and accept/reject
// decisions of sol frozen (sol must come from a solve with Options.Adjoint
// of the same batch and noise): the function whose derivative Gradient
// computes, for checking it by finite differences and forward mode. The
// maximum of R_S is taken at the step where it is attained.
func (m *Model) ReplayObjective(tp *ad.Tape, sol *ode.Solution, b *Batch, eps *tensor.Dense, c Coefs) (ad.Var, error) {
	mu, lv := m.Encode(tp, b)
	z0 := ad.Add(mu, ad.Mul(ad.Exp(ad.Scale(lv, 0.5)), tp.Const(eps)))
	z, e, s, err := sol.Replay(tp, z0)
	if err != nil {
		return ad.Var{}, err
	}
	terms := []ad.Var{m.NegLogLikelihood(b)(tp, z), KL(mu, lv)}
	coef := []float64{1, c.KL}
	acc := 0
	for _, st := range sol.Steps {
		if !st.Accepted {
			continue
		}
		if c.Error != 0 && e[acc].Valid() {
			terms = append(terms, e[acc])
			coef = append(coef, c.Error*math.Abs(st.H)/float64(len(e)+1))
		}
		acc++
	}
	if c.Stiffness != 0 {
		best := -1
		for j, v := range s {
			if v.Valid() && (best < 0 || v.Scalar() > s[best].Scalar()) {
				best = j
			}
		}
		if best >= 0 && s[best].Scalar() > StiffnessFloor {
			terms = append(terms, s[best])
			coef = append(coef, c.Stiffness)
		} else {
			terms = append(terms, tp.Scalar(StiffnessFloor))
			coef = append(coef, c.Stiffness)
		}
	}
	return ad.LinComb(coef, terms), nil
}
