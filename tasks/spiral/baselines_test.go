package spiral

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/internal/gradcheck"
	"github.com/whitebox-de/whitebox/internal/traintest"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tensor"
	"github.com/whitebox-de/whitebox/train"
)

// baselineConfigs are short runs of the higher-order baselines with
// coefficients large enough for the regularizer to matter in the
// gradient; steer+taynode ends most iterations between two save times.
func baselineConfigs() map[string]Config {
	return map[string]Config{
		"taynode":       {Seed: 3, Iterations: 6, Reg: train.Regularization{Method: train.Method{TayNODE: true}, TayNODECoef: 1e-4, TayNODEOrder: 2}},
		"taynode K=3":   {Seed: 3, Iterations: 6, Reg: train.Regularization{Method: train.Method{TayNODE: true}, TayNODECoef: 1e-6, TayNODEOrder: 3}},
		"rnode":         {Seed: 4, Iterations: 6, Reg: train.Regularization{Method: train.Method{RNODE: true}, RNODEKineticCoef: 0.01, RNODEJacobianCoef: 0.01}},
		"steer+taynode": {Seed: 5, Iterations: 6, Reg: train.Regularization{Method: train.Method{TayNODE: true, STEER: true}, TayNODECoef: 1e-4, TayNODEOrder: 2}},
		"taynode in norm": {Seed: 3, Iterations: 6, Reg: train.Regularization{Method: train.Method{TayNODE: true}, TayNODECoef: 1e-4, TayNODEOrder: 2,
			AugmentedInNorm: true}},
	}
}

// TestBaselinesTrainAndGradient: taynode and rnode train a few iterations
// on the spiral (metrics carry each regularizer's value and coefficient,
// and the objective adds them); then, at the trained weights, the gradient
// of the whole training loss (data loss plus the regularization term) that
// the step back-propagates through the augmented solve matches central
// finite differences of the frozen solve to 1e-6 relative, and so does
// the gradient of the regularization term alone.
func TestBaselinesTrainAndGradient(t *testing.T) {
	data := mustData(t)
	ctx := context.Background()
	for name, cfg := range baselineConfigs() {
		t.Run(name, func(t *testing.T) {
			r, err := NewRun(cfg, data)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{train.RegTayNODE}
			if cfg.Reg.Method.RNODE {
				names = []string{train.RegRNODEKinetic, train.RegRNODEJacobian}
			}
			for it := range cfg.Iterations {
				m, err := r.Step(ctx, it, train.IterationRNG(cfg.Seed, it))
				if err != nil {
					t.Fatal(err)
				}
				obj := m.Loss
				for _, n := range names {
					v, c := m.Regularizers[n], m.Coefficients[n]
					if !(v > 0) || math.IsInf(v, 0) || c <= 0 {
						t.Fatalf("iteration %d: %s value %v, coefficient %v", it, n, v, c)
					}
					obj += c * v
				}
				if m.Objective != obj || m.NFE <= 0 || m.BackwardNFE <= 0 {
					t.Fatalf("iteration %d: metrics %+v", it, m)
				}
			}
			h := r.History()
			if len(h) != cfg.Iterations || !(h[len(h)-1].Loss < h[0].Loss) {
				t.Errorf("loss %v -> %v over %d iterations", h[0].Loss, h[len(h)-1].Loss, len(h))
			}

			// The gradient of the next iteration.
			it := cfg.Iterations
			rng := train.IterationRNG(cfg.Seed, it)
			end := math.Min(r.cfg.Reg.EndTime(0, T, rng), T)
			n := 0
			for n < len(data.Times) && data.Times[n] <= end {
				n++
			}
			aug, sol, err := r.augmentedSolve(ctx, rng, end, n)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Reg.Method.STEER && sol.T[len(sol.T)-1] != end {
				t.Fatalf("the last save is at %v, the span ends at %v", sol.T[len(sol.T)-1], end)
			}
			whole := r.augmentedLoss(aug, n)
			term := func(_ *ad.Tape, z []ad.Var) ad.Var { return aug.Term(z[len(z)-1]) }
			for lname, loss := range map[string]ode.Loss{"whole loss": whole, "regularization term": term} {
				checkParamGradient(t, lname, sol, aug.Z0, r.params, loss)
			}
		})
	}
}

// checkParamGradient compares the weights' gradient of loss through the
// frozen solve (BackwardLoss) with central finite differences along three
// random directions, to 1e-6 relative.
func checkParamGradient(t *testing.T, name string, sol *ode.Solution, z0 *tensor.Dense, params []*ad.Param, loss ode.Loss) {
	t.Helper()
	nn.ZeroGrad(params)
	if _, _, err := sol.BackwardLoss(context.Background(), loss, ode.Regularization{}); err != nil {
		t.Fatal(err)
	}
	grad := gradcheck.FlatGrad(params)
	rng := rand.New(rand.NewPCG(77, 78))
	zero := tensor.New(z0.Rows, z0.Cols)
	worst := 0.0
	for dir := range 3 {
		vp := make([]*tensor.Dense, len(params))
		adj := 0.0
		off := 0
		for i, p := range params {
			vp[i] = gradcheck.RandLike(rng, p.Value)
			for k, v := range vp[i].Data {
				adj += v * grad[off+k]
			}
			off += p.Value.Len()
		}
		fd, err := gradcheck.CentralDifferenceOf(func(z *tensor.Dense) (float64, error) {
			tp := ad.NewTape()
			zs, _, _, err := sol.Replay(tp, tp.Const(z))
			if err != nil {
				return 0, err
			}
			return loss(tp, zs).Scalar(), nil
		}, z0, zero, params, vp, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		e := math.Abs(fd-adj) / math.Abs(fd)
		worst = math.Max(worst, e)
		if e > 1e-6 {
			t.Errorf("%s, direction %d: adjoint %.12g, central difference %.12g (relative error %.2g)", name, dir, adj, fd, e)
		}
	}
	t.Logf("%s: worst relative error %.2g", name, worst)
}

// TestBaselinesResumeAndDefaults: a taynode run resumed from a checkpoint
// is bit-identical to an uninterrupted one (RNODE's probe and STEER's end
// time come from the iteration's generator), and the spiral's defaults
// fill the baselines' coefficients, keeping an RNODE coefficient set to 0
// when the other is set.
func TestBaselinesResumeAndDefaults(t *testing.T) {
	data := mustData(t)
	ctx := context.Background()
	cfg := Config{Seed: 8, Iterations: 6, PredictRepeats: 1, Reg: train.Regularization{Method: train.Method{RNODE: true, STEER: true}}}
	whole, err := Train(ctx, cfg, data, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rnode.ckpt")
	stop, cancel := context.WithCancel(ctx)
	if _, err := Train(stop, cfg, data, train.RunOptions{Checkpoint: path, Recorders: []train.Recorder{&traintest.Recorder{StopAt: 3, Cancel: cancel}}}); err == nil {
		t.Fatal("the interrupted run returned no error")
	}
	resumed, err := Train(ctx, cfg, data, train.RunOptions{Resume: path})
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := nn.Flatten(whole.Model.Params()).CopyTo(nil), nn.Flatten(resumed.Model.Params()).CopyTo(nil)
	if !slices.Equal(pa, pb) || !slices.Equal(whole.History, resumed.History) {
		t.Error("the resumed run differs from the uninterrupted one")
	}
	// A checkpoint of other coefficients is refused.
	other := cfg
	other.Reg.RNODEJacobianCoef = 0.02
	if _, err := Train(ctx, other, data, train.RunOptions{Resume: path}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("resume with another Jacobian coefficient: %v", err)
	}

	d := Config{}.withDefaults()
	if d.Reg.TayNODECoef != TayNODEDefaultCoef || d.Reg.TayNODEOrder != TayNODEDefaultOrder || d.Reg.RNODEKineticCoef != RNODEDefaultCoef || d.Reg.RNODEJacobianCoef != RNODEDefaultCoef {
		t.Errorf("defaults %+v", d.Reg)
	}
	k := Config{Reg: train.Regularization{RNODEJacobianCoef: 0.5}}.withDefaults()
	if k.Reg.RNODEKineticCoef != 0 || k.Reg.RNODEJacobianCoef != 0.5 {
		t.Errorf("a set Jacobian coefficient with the kinetic one off: %+v", k.Reg)
	}
}

// TestBaselineChecks: with taynode and rnode among the runs, Checks
// compares each one's NFE with vanilla's and error's training time with
// each one's, without changing the verdict.
func TestBaselineChecks(t *testing.T) {
	sum := func(m string, nfe, loss, tt float64) report.Summary {
		return report.Summary{Method: m, N: 3, NFEMean: nfe, TrainLossMean: loss, TrainTimeMeanS: tt}
	}
	r := &report.Results{Summary: []report.Summary{sum("vanilla", 500, 1e-4, 8), sum("error", 300, 1.2e-4, 3), sum("taynode", 450, 2e-4, 20), sum("rnode", 520, 1.5e-4, 2)}}
	checks, verdict := Checks(r)
	want := map[string]bool{"error vs vanilla": true, "taynode vs vanilla": true, "error vs taynode": true, "rnode vs vanilla": false, "error vs rnode": false}
	if len(checks) != len(want) {
		t.Fatalf("%d checks: %+v", len(checks), checks)
	}
	for _, c := range checks {
		if pass, ok := want[c.Name]; !ok || pass != c.Pass {
			t.Errorf("check %q passed %v: %s", c.Name, c.Pass, c.Text)
		}
	}
	if !strings.Contains(verdict, "shown (by error") {
		t.Errorf("verdict %q", verdict)
	}
	if c := checks[1]; c.Text != "Check taynode vs vanilla: NFE 0.90x (want <= 1.00), train loss 2.00x, train time 2.50x: holds." {
		t.Errorf("text %q", c.Text)
	}
}
