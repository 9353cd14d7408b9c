package spiralsde

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tensor"
)

// smallData is a cheap target for the tests: 500 true trajectories.
var smallData = DataConfig{Trajectories: 500, Seed: 7}

func TestTrueDrift(t *testing.T) {
	p := TrueProblem(2)
	tp := ad.NewTape()
	z := tensor.FromSlice(2, 2, []float64{2, 0, 0.5, -1.5})
	f := p.Drift(0, tp.Const(z)).Value()
	g := p.Diffusion(0, tp.Const(z)).Value()
	for r := range 2 {
		u1, u2 := z.At(r, 0), z.At(r, 1)
		c1, c2 := u1*u1*u1, u2*u2*u2
		want := [2]float64{-0.1*c1 - 2*c2, 2*c1 - 0.1*c2}
		for c := range 2 {
			if math.Abs(f.At(r, c)-want[c]) > 1e-12 {
				t.Errorf("drift[%d][%d] = %v, want %v", r, c, f.At(r, c), want[c])
			}
			if math.Abs(g.At(r, c)-0.2*z.At(r, c)) > 1e-15 {
				t.Errorf("diffusion[%d][%d] = %v, want %v", r, c, g.At(r, c), 0.2*z.At(r, c))
			}
		}
	}
}

// TestData checks the simulated target: it starts at U0 with zero spread,
// spreads out, turns counter-clockwise like the deterministic spiral (u2
// rises first), and is reproducible.
func TestData(t *testing.T) {
	d, err := Simulate(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.T) != Points || d.T[0] != 0 || d.T[Points-1] != 1 {
		t.Fatalf("times %v", d.T)
	}
	if d.Mean[0] != [2]float64{2, 0} || d.Var[0] != [2]float64{0, 0} {
		t.Errorf("at t=0: mean %v, variance %v; want (2, 0) and 0", d.Mean[0], d.Var[0])
	}
	if !(d.Mean[3][1] > 0.3) || !(d.Var[Points-1][0] > 0.1) || !(d.Var[Points-1][1] > 0.1) {
		t.Errorf("mean %v at t=%.3f and variance %v at t=1: want u2 rising and a spread", d.Mean[3], d.T[3], d.Var[Points-1])
	}
	again, err := Simulate(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Mean {
		if d.Mean[i] != again.Mean[i] || d.Var[i] != again.Var[i] {
			t.Fatalf("simulation is not reproducible at t=%v", d.T[i])
		}
	}
	c1, err := CachedData(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := CachedData(context.Background(), smallData)
	if c1 != c2 || c1.Mean[5] != d.Mean[5] {
		t.Error("CachedData does not return one shared simulation equal to Simulate's")
	}
}

// TestLossGradient checks Loss's cotangents against central differences.
func TestLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &Data{T: Times(), Mean: make([][2]float64, Points), Var: make([][2]float64, Points)}
	z := make([]*tensor.Dense, Points)
	for i := range z {
		d.Mean[i] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
		d.Var[i] = [2]float64{rng.Float64(), rng.Float64()}
		z[i] = tensor.New(7, 2)
		for k := range z[i].Data {
			z[i].Data[k] = rng.NormFloat64()
		}
	}
	l, g := Loss(z, d)
	if !(l > 0) {
		t.Fatalf("loss %v", l)
	}
	for _, i := range []int{0, 13, 29} {
		for k := range z[i].Data {
			const eps = 1e-6
			old := z[i].Data[k]
			z[i].Data[k] = old + eps
			lp, _ := Loss(z, d)
			z[i].Data[k] = old - eps
			lm, _ := Loss(z, d)
			z[i].Data[k] = old
			fd := (lp - lm) / (2 * eps)
			if math.Abs(fd-g[i].Data[k]) > 1e-7*math.Max(1e-3, math.Abs(fd)) {
				t.Errorf("dL/dz[%d][%d] = %.10g, central difference %.10g", i, k, g[i].Data[k], fd)
			}
		}
	}
}

func TestParseMethod(t *testing.T) {
	for _, m := range []Method{Vanilla, ErrorReg, StiffnessReg} {
		if got, err := ParseMethod(m.String()); err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMethod("taylor"); err == nil {
		t.Error("ParseMethod accepted an unknown method")
	}
	if r := (Config{Method: ErrorReg, ErrorCoef: 0.5}).Regularization(); r != (ode.Regularization{Error: 0.5, ErrorAgg: ode.Sum}) {
		t.Errorf("ErrorReg regularization %+v", r)
	}
	if r := (Config{Method: StiffnessReg, StiffnessCoef: 0.1}).Regularization(); r != (ode.Regularization{Stiffness: 0.1, StiffnessAgg: ode.Sum}) {
		t.Errorf("StiffnessReg regularization %+v", r)
	}
	if r := (Config{Method: Vanilla, ErrorCoef: 1}).Regularization(); r != (ode.Regularization{}) {
		t.Errorf("Vanilla regularization %+v", r)
	}
}

func shortConfig(m Method) Config {
	return Config{Seed: 4, Method: m, Iterations: 12, Trajectories: 30, Data: smallData, PredictPasses: 2}
}

// TestRunTrains: a short run lowers the loss, reports every iteration and
// is reproducible bit for bit.
func TestRunTrains(t *testing.T) {
	var its []IterationMetrics
	res, err := Run(context.Background(), shortConfig(ErrorReg), func(m IterationMetrics) { its = append(its, m) })
	if err != nil {
		t.Fatal(err)
	}
	if len(its) != 12 || len(res.Iterations) != 12 || res.Failures != 0 {
		t.Fatalf("%d progress calls, %d iterations recorded, %d failures; want 12, 12, 0", len(its), len(res.Iterations), res.Failures)
	}
	for _, m := range its {
		if !(m.Objective > m.Loss) || !(m.RE > 0) || !(m.RS > 0) || m.NFE != 2*m.DriftNFE || m.BackwardNFE == 0 {
			t.Fatalf("iteration %d: %+v; want objective > loss (error regularizer), R_E, R_S > 0, NFE = 2 x drift NFE, backward NFE > 0", m.Iteration, m)
		}
	}
	if !(its[11].Loss < its[0].Loss) {
		t.Errorf("loss went from %.4f to %.4f in 12 iterations", its[0].Loss, its[11].Loss)
	}
	if !(res.Loss > 0) || !(res.PredictNFE > 0) || res.PredictTime <= 0 || res.TrainTime <= 0 {
		t.Errorf("result: loss %v, NFE %v, predict %v, train %v", res.Loss, res.PredictNFE, res.PredictTime, res.TrainTime)
	}
	if len(res.ModelMean) != Points || len(res.DataStd) != Points || res.ModelMean[0] != [2]float64{2, 0} {
		t.Errorf("moments for plotting: %d model means (first %v), %d data stds", len(res.ModelMean), res.ModelMean[0], len(res.DataStd))
	}
	again, err := Run(context.Background(), shortConfig(ErrorReg), nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(again.Loss) != math.Float64bits(res.Loss) || again.PredictNFE != res.PredictNFE {
		t.Errorf("same config: loss %v then %v, NFE %v then %v", res.Loss, again.Loss, res.PredictNFE, again.PredictNFE)
	}
	if _, err := Run(context.Background(), Config{Trajectories: 1}, nil); err == nil {
		t.Error("Run accepted a batch of one trajectory")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, shortConfig(Vanilla), nil); err == nil {
		t.Error("Run ignored a cancelled context")
	}
}

// TestReproduceAndFigure runs a tiny reproduction and draws its figure.
func TestReproduceAndFigure(t *testing.T) {
	base := shortConfig(Vanilla)
	base.Iterations = 3
	events := 0
	rep, err := Reproduce(context.Background(), ReproduceConfig{Base: base, Seeds: []uint64{1, 2}}, func(RunEvent) { events++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 6 || events != 18 || len(rep.Summary) != 3 {
		t.Fatalf("%d runs, %d events, %d summaries; want 6, 18, 3", len(rep.Runs), events, len(rep.Summary))
	}
	for i, s := range rep.Summary {
		if s.Method != Methods[i] || s.Runs != 2 || !(s.Loss > 0) || !(s.NFE > 0) || !(s.LossStd >= 0) {
			t.Errorf("summary %d: %+v", i, s)
		}
		var sum float64
		for _, r := range rep.Runs {
			if r.Config.Method == s.Method {
				sum += r.Loss
			}
		}
		if math.Abs(sum/2-s.Loss) > 1e-12 {
			t.Errorf("%v: summary loss %v, mean of runs %v", s.Method, s.Loss, sum/2)
		}
		if s.Method == Vanilla && (s.LossRatio != 1 || s.MeetsClaim) {
			t.Errorf("vanilla: loss ratio %v, meets claim %v", s.LossRatio, s.MeetsClaim)
		}
		if s.Method != Vanilla && s.MeetsClaim != (s.NFERatio <= 1 && s.LossRatio <= ClaimLossFactor) {
			t.Errorf("%v: claim %v with NFE ratio %v and loss ratio %v", s.Method, s.MeetsClaim, s.NFERatio, s.LossRatio)
		}
	}
	var tab bytes.Buffer
	if err := rep.WriteTable(&tab); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| vanilla |", "| stiffness |", "| error |", "the claim"} {
		if !bytes.Contains(tab.Bytes(), []byte(want)) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	path := filepath.Join(t.TempDir(), "spiral.png")
	if err := rep.Figure(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 10000 {
		t.Errorf("figure is %d bytes and does not look like a PNG", len(b))
	}
}
