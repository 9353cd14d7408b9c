package latentode

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/physionet"
	"github.com/whitebox-de/whitebox/tensor"
)

// Arch is the latent ODE's architecture. The zero value is the authors'
// PhysioNet model (DefaultArch); smaller ones serve the tests.
type Arch struct {
	// Features is the number of observed features (37).
	Features int `json:"features"`
	// GateHidden is the hidden width of the encoder's gate networks (40).
	GateHidden int `json:"gate_hidden"`
	// State is the width of the encoder's mean and of its log-variance
	// state (50 each).
	State int `json:"state"`
	// Latent is the width of z0 and of the ODE state (20).
	Latent int `json:"latent"`
	// DynHidden is the hidden width of each dynamics block (50) and Blocks
	// their number (4).
	DynHidden int `json:"dyn_hidden"`
	Blocks    int `json:"blocks"`
	// Sigma is the observation noise of the Gaussian likelihood (0.01).
	Sigma float64 `json:"sigma"`
}

// DefaultArch returns the authors' model: LatentGRU(37, 40, 50), z0 of 20
// dimensions, dynamics tanh then 4 x [Dense(20,50,tanh), Dense(50,20,tanh)],
// decoder Dense(20,37), sigma 0.01.
func DefaultArch() Arch {
	return Arch{Features: physionet.NumFeatures, GateHidden: 40, State: 50, Latent: 20, DynHidden: 50, Blocks: 4, Sigma: 0.01}
}

func (a Arch) withDefaults() Arch {
	if a == (Arch{}) {
		return DefaultArch()
	}
	return a
}

// Validate checks that every width is positive and sigma positive.
func (a Arch) Validate() error {
	a = a.withDefaults()
	for name, v := range map[string]int{"Features": a.Features, "GateHidden": a.GateHidden, "State": a.State, "Latent": a.Latent, "DynHidden": a.DynHidden, "Blocks": a.Blocks} {
		if v < 1 || v > 1<<16 {
			return fmt.Errorf("latentode: Arch.%s = %d; give a width in 1..65536", name, v)
		}
	}
	if !(a.Sigma > 0) || math.IsInf(a.Sigma, 0) {
		return fmt.Errorf("latentode: Arch.Sigma = %v must be positive and finite", a.Sigma)
	}
	return nil
}

// inputs is the width of the encoder's input per time: [x; mask; dt].
func (a Arch) inputs() int { return 2*a.Features + 1 }

// Module names inside the model's nn.Group, in the order of its parameters.
var moduleNames = []string{"update_gate", "reset_gate", "new_state", "rec_to_gen", "dynamics", "decoder"}

// Model is the latent ODE of Rubanova et al. (2019) in the form of the
// authors' RegNeuralDE.jl experiment (experiments/latent_ode.jl): a GRU-type
// encoder run backward in time over [x; mask; dt] whose state is a mean and
// a log-variance, a map from that state to the mean and log-variance of z0,
// the ODE dynamics of z and a linear decoder.
type Model struct {
	Arch Arch
	// Group holds the modules below (and is what model files store).
	Group *nn.Group

	Update, Reset, New *nn.Chain // gates: Dense(2S+2F+1, H, tanh) -> Dense(H, S, sigmoid); new state -> Dense(H, 2S)
	RecToGen           *nn.Chain // Dense(2S, S, tanh) -> Dense(S, 2L)
	Dynamics           *nn.Chain // tanh, then Blocks x [Dense(L, D, tanh), Dense(D, L, tanh)]
	Decoder            *nn.Dense // Dense(L, F)
}

// NewModel returns the model of architecture a with Glorot-uniform weights
// and zero biases (Flux's defaults) drawn from seed.
func NewModel(a Arch, seed uint64) (*Model, error) {
	a = a.withDefaults()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x4c4154454e54)) // "LATENT": apart from IterationRNG's streams
	in := 2*a.State + a.inputs()
	gate := func(out int, act nn.Activation) *nn.Chain {
		return nn.NewChain(nn.NewDense(in, a.GateHidden, nn.Tanh, rng), nn.NewDense(a.GateHidden, out, act, rng))
	}
	upd := gate(a.State, nn.Sigmoid)
	rst := gate(a.State, nn.Sigmoid)
	nw := gate(2*a.State, nn.Identity)
	r2g := nn.NewChain(nn.NewDense(2*a.State, a.State, nn.Tanh, rng), nn.NewDense(a.State, 2*a.Latent, nn.Identity, rng))
	dyn := nn.NewChain(nn.NewMap(string(nn.Tanh)))
	for range a.Blocks {
		dyn.Layers = append(dyn.Layers, nn.NewDense(a.Latent, a.DynHidden, nn.Tanh, rng), nn.NewDense(a.DynHidden, a.Latent, nn.Tanh, rng))
	}
	dec := nn.NewDense(a.Latent, a.Features, nn.Identity, rng)
	g := nn.NewGroup(moduleNames, upd, rst, nw, r2g, dyn, dec)
	return &Model{Arch: a, Group: g, Update: upd, Reset: rst, New: nw, RecToGen: r2g, Dynamics: dyn, Decoder: dec}, nil
}

// FromModule checks that m (a loaded model file's module) is a latent ODE
// of architecture a and returns it as a Model.
func FromModule(m nn.Module, a Arch) (*Model, error) {
	a = a.withDefaults()
	ref, err := NewModel(a, 0)
	if err != nil {
		return nil, err
	}
	if got, want := m.Spec().String(), ref.Group.Spec().String(); got != want {
		return nil, fmt.Errorf("latentode: the model's architecture %s is not the latent ODE's %s", got, want)
	}
	g := m.(*nn.Group)
	chain := func(i int) *nn.Chain { return g.Modules[i].(*nn.Chain) }
	return &Model{Arch: a, Group: g, Update: chain(0), Reset: chain(1), New: chain(2), RecToGen: chain(3), Dynamics: chain(4), Decoder: g.Modules[5].(*nn.Dense)}, nil
}

// Params returns the parameters of every module, in the model file's order.
func (m *Model) Params() []*ad.Param { return m.Group.Params() }

// Func is the ODE dynamics dz/dt = f(z) (autonomous).
func (m *Model) Func() ode.Func {
	return func(_ float64, z ad.Var) ad.Var { return m.Dynamics.Forward(z) }
}

// Batch is a mini-batch in the encoder's layout.
type Batch struct {
	// N is the number of records.
	N int
	// Times are the NumTimes observation times in [0, 1], strictly
	// increasing from 0 (STEER jitters them).
	Times []float64
	// Values and Mask are, per time, N x Features matrices (normalized
	// values, 0 where unobserved; 1 where observed).
	Values, Mask []*tensor.Dense
	// Inputs are, per time, the N x (2 Features + 1) encoder inputs
	// [x; mask; dt] with dt = Times[t+1] - Times[t] (0 at the last time).
	Inputs []*tensor.Dense
	// Update is, per time, the N x State matrix whose rows are 1 where the
	// encoder updates its state and 0 where it keeps it (nil: all 1). The
	// authors' code updates a record's state when any entry of the second
	// half of [x; mask; dt] is positive, that is when the record has an
	// observation at that time or the time is not the last (dt > 0).
	Update []*tensor.Dense
	// Observed is the number of observed entries of each record.
	Observed []float64
}

// NewBatch arranges n records given in physionet's layout (values and mask
// [record][time][feature], times features per time) with the observation
// times ts for architecture a.
func NewBatch(a Arch, values, mask []float64, n int, ts []float64) *Batch {
	a = a.withDefaults()
	f, nt := a.Features, len(ts)
	if len(values) < n*nt*f || len(mask) < n*nt*f {
		panic(fmt.Sprintf("latentode: NewBatch: %d values and %d mask entries for %d records of %d x %d", len(values), len(mask), n, nt, f))
	}
	b := &Batch{N: n, Times: ts, Values: make([]*tensor.Dense, nt), Mask: make([]*tensor.Dense, nt),
		Inputs: make([]*tensor.Dense, nt), Update: make([]*tensor.Dense, nt), Observed: make([]float64, n)}
	in := a.inputs()
	for t := range nt {
		v, m, x := tensor.New(n, f), tensor.New(n, f), tensor.New(n, in)
		dt := 0.0
		if t+1 < nt {
			dt = ts[t+1] - ts[t]
		}
		var upd *tensor.Dense
		for r := range n {
			src := (r*nt + t) * f
			copy(v.Row(r), values[src:src+f])
			copy(m.Row(r), mask[src:src+f])
			xr := x.Row(r)
			copy(xr, values[src:src+f])
			copy(xr[f:], mask[src:src+f])
			xr[2*f] = dt
			any := dt > 0
			for _, mv := range mask[src : src+f] {
				b.Observed[r] += mv
				any = any || mv > 0
			}
			if !any {
				if upd == nil {
					upd = tensor.New(n, a.State)
					upd.Fill(1)
				}
				for k := range a.State {
					upd.Row(r)[k] = 0
				}
			}
		}
		b.Values[t], b.Mask[t], b.Inputs[t], b.Update[t] = v, m, x, upd
	}
	return b
}

// Encode records the encoder on tp: the GRU-type recurrence over the times
// from last to first, then RecToGen. It returns the mean and log-variance
// of z0 (N x Latent each).
func (m *Model) Encode(tp *ad.Tape, b *Batch) (mu, logVar ad.Var) {
	s := m.Arch.State
	mean := tp.Const(tensor.New(b.N, s))
	std := mean
	for t := len(b.Inputs) - 1; t >= 0; t-- {
		x := tp.Const(b.Inputs[t])
		y := ad.ConcatCols(ad.ConcatCols(mean, std), x)
		u := m.Update.Forward(y)
		r := m.Reset.Forward(y)
		ns := m.New.Forward(ad.ConcatCols(ad.ConcatCols(ad.Mul(mean, r), ad.Mul(std, r)), x))
		nm, nsd := ad.SliceCols(ns, 0, s), ad.SliceCols(ns, s, 2*s)
		// (1-u) n + u y = n + u (y - n)
		newMean := ad.Add(nm, ad.Mul(u, ad.Sub(mean, nm)))
		newStd := ad.Add(nsd, ad.Mul(u, ad.Sub(std, nsd)))
		if b.Update[t] != nil {
			k := tp.Const(b.Update[t])
			newMean = ad.Add(mean, ad.Mul(k, ad.Sub(newMean, mean)))
			newStd = ad.Add(std, ad.Mul(k, ad.Sub(newStd, std)))
		}
		mean, std = newMean, newStd
	}
	out := m.RecToGen.Forward(ad.ConcatCols(mean, std))
	l := m.Arch.Latent
	return ad.SliceCols(out, 0, l), ad.SliceCols(out, l, 2*l)
}

// Sample records the reparameterization z0 = mu + exp(logVar/2) .* eps
// with eps (N x Latent) drawn from N(0, 1) by rng.
func Sample(mu, logVar ad.Var, rng *rand.Rand) (z0 ad.Var, eps *tensor.Dense) {
	eps = tensor.New(mu.Rows(), mu.Cols())
	for i := range eps.Data {
		eps.Data[i] = rng.NormFloat64()
	}
	return ad.Add(mu, ad.Mul(ad.Exp(ad.Scale(logVar, 0.5)), mu.Tape().Const(eps))), eps
}

// KL records the mean over the batch of the KL divergence of N(mu,
// exp(logVar)) from N(0, I) averaged over the latent dimensions, as the
// authors' kl_divergence (a mean, not a sum, over the dimensions).
func KL(mu, logVar ad.Var) ad.Var {
	return ad.Scale(nn.KLStdNormal(mu, logVar), 1/float64(mu.Cols()))
}

// NegLogLikelihood returns the authors' reconstruction term as an ode.Loss
// of the saved states: the mean over the records of
//
//	-sum_{t,f} ( -m r^2/(2 sigma^2) - log sigma - log(2 pi)/2 ) / sum_{t,f} m
//
// with r = decoder(z_t) - x_t, m the mask; the constant terms count every
// entry, observed or not, as in the authors' log_likelihood. It binds the
// decoder's parameters.
func (m *Model) NegLogLikelihood(b *Batch) ode.Loss {
	sigma := m.Arch.Sigma
	// w[t] = mask / (2 sigma^2 M_r N), the weight of r^2.
	w := make([]*tensor.Dense, len(b.Mask))
	konst := m.nllConstant(b)
	for t, mk := range b.Mask {
		w[t] = tensor.New(mk.Rows, mk.Cols)
		for r := range b.N {
			if b.Observed[r] == 0 {
				continue
			}
			c := 1 / (2 * sigma * sigma * b.Observed[r] * float64(b.N))
			for k, v := range mk.Row(r) {
				w[t].Row(r)[k] = v * c
			}
		}
	}
	return func(tp *ad.Tape, z []ad.Var) ad.Var {
		var sum ad.Var
		for t, zt := range z {
			p := m.Decoder.Forward(zt)
			e := ad.Sum(ad.Mul(ad.Square(ad.Sub(p, tp.Const(b.Values[t]))), tp.Const(w[t])))
			if sum.Valid() {
				sum = ad.Add(sum, e)
			} else {
				sum = e
			}
		}
		return ad.AddScalar(sum, konst)
	}
}

// nllConstant is the constant term of NegLogLikelihood on b: the mean over
// the records of (ln sigma + ln(2 pi)/2) x (times x features) / (observed
// entries).
func (m *Model) nllConstant(b *Batch) float64 {
	konst := 0.0
	entries := float64(len(b.Mask) * m.Arch.Features)
	for r := range b.N {
		if b.Observed[r] > 0 {
			konst += (math.Log(m.Arch.Sigma) + 0.5*math.Log(2*math.Pi)) * entries / b.Observed[r]
		}
	}
	return konst / float64(b.N)
}

// squaredError converts NegLogLikelihood's value nll on b into the mean
// over the records of sum(mask r^2)/sum(mask), the metric of
// MaskedSquaredError (up to rounding): nll less its constant, times 2
// sigma^2.
func (m *Model) squaredError(b *Batch, nll float64) float64 {
	return 2 * m.Arch.Sigma * m.Arch.Sigma * (nll - m.nllConstant(b))
}

// Decode returns the decoder's reconstruction of the saved states.
func (m *Model) Decode(z []*tensor.Dense) []*tensor.Dense {
	tp := ad.GetTape()
	defer ad.PutTape(tp)
	out := make([]*tensor.Dense, len(z))
	for i, zi := range z {
		out[i] = m.Decoder.Forward(tp.Const(zi)).Value().Clone()
	}
	return out
}

// MaskedSquaredError returns, per record, the authors' test metric
// sum(m r^2) / sum(m) over its times and features (0 for a record with no
// observation), given the reconstruction pred (per time, N x Features).
func MaskedSquaredError(b *Batch, pred []*tensor.Dense) []float64 {
	out := make([]float64, b.N)
	for t, p := range pred {
		for r := range b.N {
			pr, vr, mr := p.Row(r), b.Values[t].Row(r), b.Mask[t].Row(r)
			for k, mv := range mr {
				if mv != 0 {
					d := pr[k] - vr[k]
					out[r] += mv * d * d
				}
			}
		}
	}
	for r := range out {
		if b.Observed[r] > 0 {
			out[r] /= b.Observed[r]
		}
	}
	return out
}

// Forward encodes b, samples z0 with rng, solves the dynamics over [0, 1]
// (the span of physionet.Times) saving at b.Times, and decodes. It returns
// the reconstruction (per time, N x Features) and the solution.
func (m *Model) Forward(ctx context.Context, b *Batch, rng *rand.Rand, opts ode.Options) ([]*tensor.Dense, *ode.Solution, error) {
	tp := ad.GetTape()
	defer ad.PutTape(tp)
	mu, lv := m.Encode(tp, b)
	z0, _ := Sample(mu, lv, rng)
	opts.SaveAt = b.Times
	opts.Adjoint = false
	sol, err := ode.Solve(ctx, ode.Problem{F: m.Func(), Z0: z0.Value().Clone(), T0: 0, T1: 1}, &opts)
	if err != nil {
		return nil, nil, err
	}
	return m.Decode(sol.Z), sol, nil
}
