package spiralsde

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// ReproduceConfig is the Table 3 protocol: every method trained from every
// seed. The zero value means the defaults.
type ReproduceConfig struct {
	// Base is the protocol of each run (iterations, tolerance, coefficients,
	// data); its Seed and Method are replaced per run.
	Base Config
	// Seeds are the training seeds. Default {1, 2, 3}.
	Seeds []uint64
	// Methods are the objectives. Default Methods (vanilla, stiffness, error).
	Methods []Method
	// Workers is the number of runs trained at once. Default 2.
	Workers int
}

// Summary aggregates one method's runs: means and sample standard
// deviations over the seeds.
type Summary struct {
	Method Method
	Runs   int
	// Loss is the final moment loss (Result.Loss).
	Loss, LossStd float64
	// NFE and DriftNFE are the prediction NFE, drift plus diffusion and drift
	// alone (Result.PredictNFE, PredictDriftNFE).
	NFE, NFEStd           float64
	DriftNFE, DriftNFEStd float64
	// TrainNFE is the mean forward NFE during training (Result.TrainNFE).
	TrainNFE, TrainNFEStd       float64
	TrainTime, TrainTimeStd     time.Duration
	PredictTime, PredictTimeStd time.Duration
	// Failures counts skipped iterations over all runs.
	Failures int
	// LossRatio and NFERatio compare the means with vanilla's (NaN without
	// a vanilla run).
	LossRatio, NFERatio float64
	// For a regularized method: ClaimNFE is NFE <= vanilla's, ClaimLoss is
	// Loss <= ClaimLossFactor * vanilla's, MeetsClaim both.
	ClaimNFE, ClaimLoss, MeetsClaim bool
}

// Report is the outcome of Reproduce.
type Report struct {
	Config ReproduceConfig
	Data   *Data
	// Runs holds the results in the order methods x seeds.
	Runs    []*Result
	Summary []Summary
	// Elapsed is the wall time of the whole reproduction, data included.
	Elapsed time.Duration
}

// ClaimLossFactor is the largest ratio of a regularized method's mean loss
// to vanilla's that the reproduction accepts (the paper: within 4%).
const ClaimLossFactor = 1.2

// RunEvent reports progress of one run of a reproduction.
type RunEvent struct {
	Run    int // index into Report.Runs
	Seed   uint64
	Method Method
	IterationMetrics
}

// Reproduce trains every method from every seed, Workers runs at a time
// (the target statistics are simulated once and shared), and summarises
// loss, prediction NFE and times per method. It reports for each regularized
// method whether its mean NFE is at most vanilla's at a mean loss at most
// ClaimLossFactor times vanilla's. progress, if not nil, is called after
// every iteration of every run, never concurrently.
func Reproduce(ctx context.Context, rc ReproduceConfig, progress func(RunEvent)) (*Report, error) {
	start := time.Now()
	if len(rc.Seeds) == 0 {
		rc.Seeds = []uint64{1, 2, 3}
	}
	if len(rc.Methods) == 0 {
		rc.Methods = Methods
	}
	if rc.Workers <= 0 {
		rc.Workers = 2
	}
	base := rc.Base.withDefaults()
	if err := base.validate(); err != nil {
		return nil, err
	}
	data, err := CachedData(ctx, base.Data)
	if err != nil {
		return nil, err
	}
	var cfgs []Config
	for _, m := range rc.Methods {
		for _, s := range rc.Seeds {
			c := base
			c.Method, c.Seed = m, s
			cfgs = append(cfgs, c)
		}
	}
	rep := &Report{Config: rc, Data: data, Runs: make([]*Result, len(cfgs))}
	var mu sync.Mutex
	err = parallel(ctx, len(cfgs), rc.Workers, func(k int) error {
		c := cfgs[k]
		var cb func(IterationMetrics)
		if progress != nil {
			cb = func(m IterationMetrics) {
				mu.Lock()
				defer mu.Unlock()
				progress(RunEvent{Run: k, Seed: c.Seed, Method: c.Method, IterationMetrics: m})
			}
		}
		res, err := train(ctx, c, data, NewModel(newRNG(c.Seed)), cb)
		if err != nil {
			return fmt.Errorf("spiralsde: %v run with seed %d: %w", c.Method, c.Seed, err)
		}
		rep.Runs[k] = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Summary = summarise(rep.Runs, rc.Methods)
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func summarise(runs []*Result, methods []Method) []Summary {
	var out []Summary
	for _, m := range methods {
		var loss, nfe, drift, trainNFE, tt, pt []float64
		s := Summary{Method: m, LossRatio: math.NaN(), NFERatio: math.NaN()}
		for _, r := range runs {
			if r.Config.Method != m {
				continue
			}
			s.Runs++
			s.Failures += r.Failures
			loss = append(loss, r.Loss)
			nfe = append(nfe, r.PredictNFE)
			drift = append(drift, r.PredictDriftNFE)
			trainNFE = append(trainNFE, r.TrainNFE)
			tt = append(tt, r.TrainTime.Seconds())
			pt = append(pt, r.PredictTime.Seconds())
		}
		s.Loss, s.LossStd = meanStd(loss)
		s.NFE, s.NFEStd = meanStd(nfe)
		s.DriftNFE, s.DriftNFEStd = meanStd(drift)
		s.TrainNFE, s.TrainNFEStd = meanStd(trainNFE)
		a, b := meanStd(tt)
		s.TrainTime, s.TrainTimeStd = seconds(a), seconds(b)
		a, b = meanStd(pt)
		s.PredictTime, s.PredictTimeStd = seconds(a), seconds(b)
		out = append(out, s)
	}
	for i := range out {
		if out[i].Method != Vanilla {
			continue
		}
		v := out[i]
		for j := range out {
			s := &out[j]
			s.LossRatio, s.NFERatio = s.Loss/v.Loss, s.NFE/v.NFE
			if s.Method != Vanilla {
				s.ClaimNFE = s.NFE <= v.NFE
				s.ClaimLoss = s.Loss <= ClaimLossFactor*v.Loss
				s.MeetsClaim = s.ClaimNFE && s.ClaimLoss
			}
		}
	}
	return out
}

func meanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// WriteTable writes the summary as a Markdown table in the layout of the
// paper's Table 3 (mean +- std over seeds), followed by the claim check.
func (rep *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| method | loss | train time (s) | predict time (s) | NFE | drift NFE | train NFE |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|\n")
	for _, s := range rep.Summary {
		fmt.Fprintf(&b, "| %s | %.4f ± %.4f | %.1f ± %.1f | %.4f ± %.4f | %.0f ± %.0f | %.0f ± %.0f | %.0f ± %.0f |\n",
			s.Method, s.Loss, s.LossStd, s.TrainTime.Seconds(), s.TrainTimeStd.Seconds(),
			s.PredictTime.Seconds(), s.PredictTimeStd.Seconds(), s.NFE, s.NFEStd, s.DriftNFE, s.DriftNFEStd, s.TrainNFE, s.TrainNFEStd)
	}
	for _, s := range rep.Summary {
		if s.Method == Vanilla || math.IsNaN(s.NFERatio) {
			continue
		}
		verdict := "holds"
		if !s.MeetsClaim {
			verdict = "does not hold"
		}
		fmt.Fprintf(&b, "\n%s: NFE %.3f x vanilla, loss %.3f x vanilla: the claim (NFE <= vanilla at loss <= %.1f x vanilla) %s.",
			s.Method, s.NFERatio, s.LossRatio, ClaimLossFactor, verdict)
	}
	fmt.Fprintf(&b, "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
