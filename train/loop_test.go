package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whitebox-de/whitebox/ad"
	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/optim"
	"github.com/whitebox-de/whitebox/tensor"
)

// toy is a small regression trained on random minibatches: every iteration
// draws its batch from the iteration's generator, so resume must restore the
// model, the optimizer and the iteration count exactly.
type toy struct {
	model *nn.Chain
	opt   *optim.Adam
	tp    *ad.Tape
	steps int // Step calls, including failed ones
	// cancelAt cancels the context inside the Step of this iteration.
	cancelAt int
	cancel   context.CancelFunc
}

func newToy(seed uint64) *toy {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := nn.NewChain(nn.NewDense(3, 8, nn.Tanh, rng), nn.NewDense(8, 1, nn.Identity, rng))
	return &toy{model: m, opt: optim.NewAdam(optim.Constant(0.01)), tp: ad.NewTape(), cancelAt: -1}
}

func (s *toy) Step(ctx context.Context, it int, rng *rand.Rand) (Metrics, error) {
	s.steps++
	x, y := tensor.New(16, 3), tensor.New(16, 1)
	for i := range 16 {
		a, b, c := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		x.Set(i, 0, a)
		x.Set(i, 1, b)
		x.Set(i, 2, c)
		y.Set(i, 0, math.Sin(a)+b*c)
	}
	if it == s.cancelAt {
		s.cancel()
	}
	s.tp.Reset()
	loss := nn.MSE(s.model.Forward(s.tp.Const(x)), s.tp.Const(y))
	nn.ZeroGrad(s.model.Params())
	s.tp.Backward(loss)
	if err := ctx.Err(); err != nil {
		return Metrics{}, err // leave the state untouched
	}
	s.opt.Step(s.model.Params())
	return Metrics{Loss: loss.Scalar(), NFE: 1}, nil
}

func (s *toy) loop(n int, path string) *Loop {
	return &Loop{
		Name: "toy", Iterations: n, Seed: 42, Fingerprint: "toy v1", Step: s.Step,
		State:          []Section{{"model", ModuleState(s.model)}, {"optimizer", s.opt}},
		CheckpointPath: path,
	}
}

func paramBits(m nn.Module) []uint64 {
	var out []uint64
	for _, v := range nn.Flatten(m.Params()).CopyTo(nil) {
		out = append(out, math.Float64bits(v))
	}
	return out
}

func sameBits(t *testing.T, what string, a, b []uint64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d values", what, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("%s: value %d differs: %v vs %v", what, i, math.Float64frombits(a[i]), math.Float64frombits(b[i]))
		}
	}
}

func TestResumeIsBitIdentical(t *testing.T) {
	const n = 40
	ctx := context.Background()
	whole := newToy(1)
	if _, err := whole.loop(2*n, "").Run(ctx); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "toy.ckpt")
	first := newToy(1)
	l := first.loop(2*n, path)
	l.CheckpointEvery = n
	stop, cancel := context.WithCancel(ctx)
	first.cancel = cancel
	first.cancelAt = n // cancelled inside iteration n+1: it must not count
	_, err := l.Run(stop)
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want an *InterruptedError matching context.Canceled", err)
	}
	if ie.Iteration != n || ie.Checkpoint != path {
		t.Fatalf("interrupted at %d with checkpoint %q, want %d and %q", ie.Iteration, ie.Checkpoint, n, path)
	}
	info, err := ReadCheckpointInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Iteration != n || info.Total != 2*n || info.Seed != 42 || info.Name != "toy" {
		t.Fatalf("checkpoint header %+v", info)
	}

	// A fresh process: new model with other initial weights, new optimizer.
	second := newToy(99)
	l2 := second.loop(2*n, path)
	if err := l2.Restore(path); err != nil {
		t.Fatal(err)
	}
	if l2.Start() != n {
		t.Fatalf("Start() = %d after restore, want %d", l2.Start(), n)
	}
	res, err := l2.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 2*n || res.Start != n || second.steps != n {
		t.Fatalf("resumed run: %+v after %d steps", res, second.steps)
	}
	sameBits(t, "parameters after 2N vs N + resume + N", paramBits(whole.model), paramBits(second.model))
	a, _ := whole.opt.MarshalBinary()
	b, _ := second.opt.MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatal("optimizer states differ after resume")
	}
}

func TestPeriodicCheckpointsAndElapsed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ckpt")
	s := newToy(3)
	l := s.loop(10, path)
	l.CheckpointEvery = 4
	var clock time.Time
	l.Now = func() time.Time { clock = clock.Add(time.Second); return clock } // every reading advances 1 s
	var got []Metrics
	l.Recorders = []Recorder{recorderFunc(func(m Metrics) { got = append(got, m) })}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Elapsed != 10*time.Second || res.Checkpoint != path {
		t.Fatalf("result %+v, want 10 s elapsed and the checkpoint path", res)
	}
	info, err := ReadCheckpointInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Iteration != 10 || info.Elapsed() != 10*time.Second {
		t.Fatalf("final checkpoint at %d with %v, want the end of the run", info.Iteration, info.Elapsed())
	}
	for i, m := range got {
		if m.Iteration != i+1 || m.Run != "toy" || m.WallTime != 1 || m.Elapsed != float64(i+1) {
			t.Fatalf("metrics %d: %+v", i, m)
		}
	}
}

type recorderFunc func(Metrics)

func (f recorderFunc) Begin(Info)        {}
func (f recorderFunc) Record(m Metrics)  { f(m) }
func (f recorderFunc) End(Result, error) {}

func TestStepErrorStopsWithoutCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.ckpt")
	boom := errors.New("solver failed")
	l := &Loop{Name: "x", Iterations: 5, CheckpointPath: path, Step: func(_ context.Context, it int, _ *rand.Rand) (Metrics, error) {
		if it == 2 {
			return Metrics{}, boom
		}
		return Metrics{}, nil
	}}
	res, err := l.Run(context.Background())
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "train: iteration 3 of x") {
		t.Fatalf("error %v", err)
	}
	if res.Iterations != 2 {
		t.Fatalf("%d iterations completed, want 2", res.Iterations)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a checkpoint was written after a step error (stat: %v)", err)
	}
}

func TestRunRejectsBadLoops(t *testing.T) {
	step := func(context.Context, int, *rand.Rand) (Metrics, error) { return Metrics{}, nil }
	for _, l := range []*Loop{{Iterations: 3}, {Iterations: 0, Step: step}, {Iterations: 2, Step: step, CheckpointEvery: -1}} {
		if _, err := l.Run(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("%+v: error %v", l, err)
		}
	}
}

func TestRestoreRefusesOtherRuns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	s := newToy(1)
	l := s.loop(6, path)
	l.CheckpointEvery = 3
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	other := func(mut func(*Loop)) *Loop {
		l := newToy(1).loop(6, "")
		mut(l)
		return l
	}
	cases := []struct {
		name string
		l    *Loop
		path string
		want string
	}{
		{"seed", other(func(l *Loop) { l.Seed = 7 }), path, "seed 42"},
		{"fingerprint", other(func(l *Loop) { l.Fingerprint = "toy v2" }), path, "another configuration"},
		{"sections", other(func(l *Loop) { l.State = l.State[:1] }), path, "2 sections"},
		{"section name", other(func(l *Loop) { l.State[1].Name = "opt" }), path, `"optimizer" where the run has "opt"`},
		{"iterations", other(func(l *Loop) { l.Iterations = 3 }), path, "beyond the run's 3"},
		{"corrupt", other(func(*Loop) {}), write("flip", flipped), "SHA-256"},
		{"truncated", other(func(*Loop) {}), write("trunc", good[:len(good)-5]), "SHA-256"},
		{"foreign", other(func(*Loop) {}), write("foreign", []byte("hello world, not a checkpoint at all......")), "not a Whitebox training checkpoint"},
		{"empty", other(func(*Loop) {}), write("empty", nil), "not a Whitebox training checkpoint"},
	}
	for _, c := range cases {
		err := c.l.Restore(c.path)
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrCheckpoint mentioning %q", c.name, err, c.want)
		}
	}
	if err := other(func(*Loop) {}).Restore(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "train: reading checkpoint") {
		t.Errorf("missing file: %v", err)
	}
}

func TestIterationRNG(t *testing.T) {
	a, b := IterationRNG(5, 10), IterationRNG(5, 10)
	for range 10 {
		if a.Uint64() != b.Uint64() {
			t.Fatal("IterationRNG is not a function of (seed, iteration)")
		}
	}
	first := map[uint64]string{}
	for seed := uint64(0); seed < 20; seed++ {
		for it := range 50 {
			v := IterationRNG(seed, it).Uint64()
			if prev, ok := first[v]; ok {
				t.Fatalf("seed %d iteration %d repeats the first draw of %s", seed, it, prev)
			}
			first[v] = "an earlier stream"
		}
	}
}
