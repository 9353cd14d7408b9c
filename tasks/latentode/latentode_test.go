package latentode

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/internal/physionettest"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/physionet"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// smallArch is a latent ODE small enough for finite differences.
var smallArch = Arch{Features: 3, GateHidden: 4, State: 3, Latent: 2, DynHidden: 5, Blocks: 2, Sigma: 0.3}

// smallBatch is 3 records at 5 times with random values and masks; record
// 1 has no observation at the last time (so the encoder keeps its state
// there) and record 2 none at time 2.
func smallBatch(rng *rand.Rand) *Batch {
	const n, nt = 3, 5
	f := smallArch.Features
	vals := make([]float64, n*nt*f)
	mask := make([]float64, len(vals))
	for i := range vals {
		if rng.Float64() < 0.6 {
			mask[i] = 1
			vals[i] = rng.Float64()
		}
	}
	clear := func(r, t int) {
		for k := range f {
			mask[(r*nt+t)*f+k], vals[(r*nt+t)*f+k] = 0, 0
		}
	}
	clear(1, nt-1)
	clear(2, 2)
	mask[0] = 1
	return NewBatch(smallArch, vals, mask, n, []float64{0, 0.25, 0.5, 0.75, 1})
}

// TestGradientMatchesFiniteDifferences: the gradient of the whole
// objective (encoder, reparameterization, solve, decoder, KL and both
// regularizers) with respect to the parameters of each module equals the
// central finite difference of the objective through the frozen solve
// along random directions, to 1e-6 relative, and its forward-mode
// derivative (JVP) to 1e-8.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	m, err := NewModel(smallArch, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Larger dynamics weights make the dynamics stiff enough that the
	// stiffness regularizer is above its floor and carries a gradient.
	for _, p := range m.Dynamics.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] *= 4
		}
	}
	for _, p := range m.Params() { // nonzero biases
		if strings.HasPrefix(p.Name, "b") {
			for i := range p.Value.Data {
				p.Value.Data[i] = 0.1 * rng.NormFloat64()
			}
		}
	}
	b := smallBatch(rng)
	eps := tensor.New(b.N, smallArch.Latent)
	for i := range eps.Data {
		eps.Data[i] = rng.NormFloat64()
	}
	c := Coefs{KL: 0.7, Error: 30, Stiffness: 2}
	opts := ode.Options{RTol: 1e-4, ATol: 1e-4}
	ps := m.Params()
	gradcheck.ZeroGrads(ps)
	o, err := m.Gradient(context.Background(), b, eps, nil, opts, c)
	if err != nil {
		t.Fatal(err)
	}
	if o.RS <= StiffnessFloor {
		t.Fatalf("R_S = %v is at its floor %v: the test would not check the stiffness gradient", o.RS, StiffnessFloor)
	}
	if o.RE <= 0 || o.KL <= 0 {
		t.Fatalf("R_E = %v, KL = %v: want both positive", o.RE, o.KL)
	}
	// The frozen solve: the same arithmetic, with checkpoints kept.
	tp := ad.NewTape()
	mu, lv := m.Encode(tp, b)
	z0 := ad.Add(mu, ad.Mul(ad.Exp(ad.Scale(lv, 0.5)), tp.Const(eps)))
	fo := opts
	fo.SaveAt, fo.Adjoint = b.Times, true
	sol, err := ode.Solve(context.Background(), ode.Problem{F: m.Func(), Z0: z0.Value().Clone(), T0: 0, T1: 1}, &fo)
	if err != nil {
		t.Fatal(err)
	}
	if sol.NFE != o.NFE {
		t.Fatalf("the frozen solve took %d NFE, the gradient's %d", sol.NFE, o.NFE)
	}
	replay := func() float64 {
		v, err := m.ReplayObjective(ad.NewTape(), sol, b, eps, c)
		if err != nil {
			t.Fatal(err)
		}
		return v.Scalar()
	}
	if j0 := replay(); math.Abs(j0-o.Total) > 1e-12*math.Abs(o.Total) {
		t.Fatalf("replayed objective %v, Gradient's %v", j0, o.Total)
	}
	for i, name := range moduleNames {
		mps := m.Group.Modules[i].Params()
		g := gradcheck.FlatGrad(mps)
		for trial := range 2 {
			vp := make([]*tensor.Dense, len(mps))
			dot := 0.0
			k := 0
			for j, p := range mps {
				vp[j] = gradcheck.RandLike(rng, p.Value)
				for _, v := range vp[j].Data {
					dot += v * g[k]
					k++
				}
			}
			fd, err := gradcheck.CentralDifferenceOf(func(*tensor.Dense) (float64, error) { return replay(), nil },
				tensor.New(1, 1), tensor.New(1, 1), mps, vp, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(fd-dot) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s, direction %d: gradient . v = %.12g, central difference %.12g", name, trial, dot, fd)
			}
			// Forward mode through the same frozen solve, to rounding.
			tp := ad.NewTape()
			for j, p := range mps {
				tp.SetTangent(tp.Param(p), tp.Const(vp[j]))
			}
			mark := tp.Len()
			obj, err := m.ReplayObjective(tp, sol, b, eps, c)
			if err != nil {
				t.Fatal(err)
			}
			tp.JVP(mark)
			jv, ok := tp.Tangent(obj)
			if !ok {
				t.Fatalf("%s: the objective has no tangent", name)
			}
			if math.Abs(jv.Scalar()-dot) > 1e-8*math.Max(1, math.Abs(dot)) {
				t.Errorf("%s, direction %d: gradient . v = %.15g, forward mode %.15g", name, trial, dot, jv.Scalar())
			}
		}
	}
}

// TestEncoderKeepsStateWithoutObservation: where a record has no
// observation at the last time (dt = 0 there), the encoder's first update
// leaves its state unchanged, as in the authors' code.
func TestEncoderKeepsStateWithoutObservation(t *testing.T) {
	b := smallBatch(rand.New(rand.NewPCG(1, 2)))
	last := len(b.Times) - 1
	if b.Update[last] == nil || b.Update[last].At(1, 0) != 0 || b.Update[last].At(0, 0) != 1 {
		t.Fatalf("update mask at the last time: %v; want record 1 kept, record 0 updated", b.Update[last])
	}
	if b.Update[2] != nil {
		t.Errorf("at time 2 (dt > 0) every record updates, got mask %v", b.Update[2].Data)
	}
	m, _ := NewModel(smallArch, 1)
	// A batch of the last time only: record 1's state stays zero.
	one := &Batch{N: b.N, Times: b.Times[last:], Values: b.Values[last:], Mask: b.Mask[last:], Inputs: b.Inputs[last:], Update: b.Update[last:], Observed: b.Observed}
	tp := ad.NewTape()
	mu, _ := m.Encode(tp, one)
	mu0, _ := m.Encode(tp, &Batch{N: b.N, Times: one.Times, Values: one.Values, Mask: one.Mask,
		Inputs: []*tensor.Dense{tensor.New(b.N, smallArch.inputs())}, Update: []*tensor.Dense{zeros(b.N, smallArch.State)}, Observed: b.Observed})
	if mu.Value().At(1, 0) != mu0.Value().At(1, 0) || mu.Value().At(1, 1) != mu0.Value().At(1, 1) {
		t.Errorf("record 1 without observation: z0 mean %v, want that of the initial state %v", mu.Value().Row(1), mu0.Value().Row(1))
	}
}

func zeros(r, c int) *tensor.Dense { return tensor.New(r, c) }

func TestJitterTimes(t *testing.T) {
	ts := physionet.Times()
	rng := rand.New(rand.NewPCG(5, 5))
	for range 100 {
		j := JitterTimes(ts, 0.5, rng)
		if j[0] != 0 {
			t.Fatalf("t_0 moved to %v", j[0])
		}
		for i := 1; i < len(j); i++ {
			d := ts[i] - ts[i-1]
			if !(j[i] > j[i-1]) || j[i] > 1 || math.Abs(j[i]-ts[i]) > d/2 {
				t.Fatalf("jittered time %d = %v (grid %v, previous %v)", i, j[i], ts[i], j[i-1])
			}
		}
	}
	a := JitterTimes(ts, 0.5, rand.New(rand.NewPCG(9, 9)))
	b := JitterTimes(ts, 0.5, rand.New(rand.NewPCG(9, 9)))
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different jitter")
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Epochs: -1}, "Epochs"},
		{Config{TrainRecords: 10, BatchSize: 32}, "make no batch"},
		{Config{Tol: math.Inf(1)}, "tolerance"},
		{Config{Arch: Arch{Features: 3}}, "Arch."},
		{Config{Reg: train.Regularization{Method: train.Method{Error: true}, ErrorCoef: -1}}, "error coefficient"},
		{Config{Reg: train.Regularization{Method: train.Method{STEER: true}, SteerB: 0.7}}, "at most 0.5"},
		{Config{Budget: train.Budget{NFE: 0.5}}, "the NFE budget 0.5 must be at least 1"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", c.cfg, err, c.want)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Error(err)
	}
	if err := Full().Validate(); err != nil {
		t.Error(err)
	}
	c := Full().withDefaults()
	if c.KLWeight(10) != 0 || c.KLWeight(11) <= 0 || math.Abs(c.KLWeight(110)-(1-math.Pow(0.99, 100))) > 1e-15 {
		t.Errorf("KL weights %v %v %v", c.KLWeight(10), c.KLWeight(11), c.KLWeight(110))
	}
	c.Reg.Method.Error = true
	if c.ErrorCoef(0) != 1000 || math.Abs(c.ErrorCoef(c.Epochs)-100) > 1e-9 {
		t.Errorf("full scale: error coefficients %v .. %v, want the authors' 1000 .. 100", c.ErrorCoef(0), c.ErrorCoef(c.Epochs))
	}
	c.Reg.Method = train.Method{Stiffness: true}
	if k := c.Coefs(3); k.Error != 0 || k.Stiffness != 10 || k.KL != 0 {
		t.Errorf("stiffness method, epoch 3: coefficients %+v, want error 0, stiffness 10, KL 0", k)
	}

}

// TestTrainSaveEvalOnRealRecords trains a few iterations on the committed
// archive, saves the model, evaluates it on records of a folder with the
// saved statistics (the metric computed directly agrees), and refuses a
// model file of another task.
func TestTrainSaveEvalOnRealRecords(t *testing.T) {
	data, err := LoadData("", DefaultDataSeed)
	if err != nil {
		t.Skip(err)
	}
	cfg := Config{Seed: 1, Epochs: 1, BatchSize: 16, TrainRecords: 64, TestRecords: 16, Tol: 1e-5, PredictRepeats: 1}
	cfg.Reg.Method = train.Method{Error: true}
	res, err := Train(context.Background(), cfg, data, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 4 || len(res.History) != 4 || len(res.Epochs) != 1 {
		t.Fatalf("%d iterations, %d points, %d epoch points; want 4, 4, 1", res.Iterations, len(res.History), len(res.Epochs))
	}
	if first, last := res.History[0].NLL, res.History[3].NLL; !(last < first) {
		t.Errorf("the reconstruction loss did not fall: %v -> %v", first, last)
	}
	if !(res.TestLoss > 0) || math.IsInf(res.TestLoss, 0) || res.Prediction.NFE <= 0 {
		t.Fatalf("test loss %v, prediction NFE %d", res.TestLoss, res.Prediction.NFE)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "m.model")
	if err := SaveModel(model, res.Model, res.Method, res.Seed, data.Stats, res.Config); err != nil {
		t.Fatal(err)
	}
	recs := physionettest.RecordFolder(t, 12)
	tk, err := tasks.New(TaskName)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := tk.(tasks.Evaluator).Evaluate(context.Background(), tasks.EvalSpec{Model: model, Data: recs, Repeats: 1})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := physionet.Load(recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	norm, _ := data.Stats.Normalize(raw)
	want, _, err := TestLoss(context.Background(), res.Model, norm, cfg.BatchSize, res.Config.solverOptions())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Examples != 12 || ev.TestLoss == nil || *ev.TestLoss != want || ev.Method != "error" || ev.Seed != 1 {
		t.Errorf("evaluation %+v (loss %v), want 12 records, loss %v, method error, seed 1", ev, ev.TestLoss, want)
	}
	// Another task's model is refused.
	other := filepath.Join(dir, "spiral.model")
	sp := nn.NewChain(nn.Cube(), nn.NewDense(2, 5, nn.Tanh, rand.New(rand.NewPCG(1, 1))))
	if err := tasks.SaveModel(other, sp, tasks.ModelMeta{Task: "spiral", Method: "vanilla"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.(tasks.Evaluator).Evaluate(context.Background(), tasks.EvalSpec{Model: other, Data: recs}); !errors.Is(err, tasks.ErrWrongModel) || !strings.Contains(err.Error(), "spiral") {
		t.Errorf("a spiral model: error %v, want ErrWrongModel naming spiral", err)
	}
}

// TestTayNODEAugmentation: with the integral kept out of the solver's
// norms the augmented solve takes vanilla's steps, reports vanilla's
// reconstruction loss, and its gradient is vanilla's plus lambda times the
// gradient of R_K (linear in lambda): the plumbing of the augmented state,
// its loss term and the cotangent of z0 adds nothing else. (The gradient of
// R_K itself through the augmented solve is checked in package train.)
func TestTayNODEAugmentation(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	m, _ := NewModel(smallArch, 5)
	b := smallBatch(rng)
	eps := tensor.New(b.N, smallArch.Latent)
	for i := range eps.Data {
		eps.Data[i] = rng.NormFloat64()
	}
	opts := ode.Options{RTol: 1e-6, ATol: 1e-6}
	grad := func(c Coefs) (Objective, []float64) {
		gradcheck.ZeroGrads(m.Params())
		o, err := m.Gradient(context.Background(), b, eps, nil, opts, c)
		if err != nil {
			t.Fatal(err)
		}
		return o, gradcheck.FlatGrad(m.Params())
	}
	o0, g0 := grad(Coefs{KL: 0.5})
	aug := func(lambda float64) Coefs {
		return Coefs{KL: 0.5, Aug: &train.Regularization{Method: train.Method{TayNODE: true}, TayNODECoef: lambda, TayNODEOrder: 2}}
	}
	o1, g1 := grad(aug(0.3))
	o2, g2 := grad(aug(0.6))
	if o1.NFE != o0.NFE || o2.NFE != o0.NFE {
		t.Fatalf("NFE %d, %d with taynode outside the norms, %d without", o1.NFE, o2.NFE, o0.NFE)
	}
	rk := o1.Augmented[train.RegTayNODE]
	if !(rk > 0) || math.Abs(o1.NLL-o0.NLL) > 1e-9*math.Abs(o0.NLL) || math.Abs(o1.Total-(o0.Total+0.3*rk)) > 1e-9*math.Abs(o0.Total) {
		t.Errorf("NLL %v vs %v, total %v vs %v + 0.3 x %v", o1.NLL, o0.NLL, o1.Total, o0.Total, rk)
	}
	differs := false
	for i := range g0 {
		d1, d2 := g1[i]-g0[i], g2[i]-g0[i]
		if math.Abs(d2-2*d1) > 1e-7*math.Max(1, math.Abs(g0[i])) {
			t.Fatalf("parameter %d: gradient %v, %v at lambda 0.3, 0.6, %v without: not linear in lambda", i, g1[i], g2[i], g0[i])
		}
		differs = differs || math.Abs(d1) > 1e-9
	}
	if !differs {
		t.Error("the taynode term changed no gradient")
	}
}
