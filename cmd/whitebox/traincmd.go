package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

func helpTrain(w io.Writer) {
	fmt.Fprint(w, "Usage: whitebox train <task> [flags]\n\nTasks:\n")
	listTasks(w)
	fmt.Fprint(w, "\nRun 'whitebox train <task> --help' for the task's flags and their defaults.\n")
}

// cmdTrain is `whitebox train <task>`: one run of any registered task, with
// metrics, checkpoints and --resume, through the task's Run.
func cmdTrain(ctx context.Context, args []string, e *env) int {
	task, status := findTask(args, e, "train", helpTrain)
	if task == nil {
		return status
	}
	info := task.Info()
	cmd := "whitebox train " + info.Name
	f := newFlags(cmd, "Train one run of the task: "+info.Summary+".\nProgress goes to stderr, the result to stdout. Flag defaults are those of --scale default.")
	var (
		method, scale, metrics, ckpt, resume, save string
		seed                                       uint64
		every, maxSteps                            int
		force                                      bool
	)
	f.StringVar(&method, "method", "vanilla", "vanilla or a '+'-joined combination of "+partsList())
	f.Uint64Var(&seed, "seed", 1999, "seed of the initial weights and of every random draw")
	f.StringVar(&scale, "scale", "default", "protocol size: default or full (the paper-sized protocol)")
	f.IntVar(&maxSteps, "max-steps", 0, "bound on the attempted steps of every solve of the model (0: the solver's default, 100000)")
	f.StringVar(&ckpt, "checkpoint", "", "write checkpoints to this file (every --checkpoint-every iterations, at the end and on Ctrl-C)")
	f.IntVar(&every, "checkpoint-every", 100, "checkpoint interval in iterations (0: only at the end and on Ctrl-C)")
	f.StringVar(&resume, "resume", "", "continue the run from this checkpoint (same flags as the interrupted run)")
	f.BoolVar(&force, "force", false, "overwrite an existing --checkpoint file of another run instead of refusing")
	f.StringVar(&metrics, "metrics", "", "write per-iteration metrics as JSON lines to this file")
	f.StringVar(&save, "save", "", "save the trained model (nn model file) to this file")
	task.Flags(f)
	if status, stop := f.parse(args[1:], e); stop {
		return status
	}
	bad := func(err error) int { return usageErr(e, cmd, err, cmd+" --help") }
	m, err := train.ParseMethod(method)
	if err != nil {
		return bad(fmt.Errorf("--method: %v", strings.TrimPrefix(err.Error(), "train: ")))
	}
	sc, err := tasks.ParseScale(scale)
	if err != nil {
		return bad(fmt.Errorf("--scale %q: use default or full", scale))
	}
	if maxSteps < 0 {
		return bad(fmt.Errorf("--max-steps %d: give a positive bound, or 0 for the solver's default", maxSteps))
	}
	if every < 0 {
		return bad(fmt.Errorf("--checkpoint-every %d must not be negative", every))
	}
	if every > 0 && ckpt == "" {
		every = 0
	}
	set := tasks.Settings{Scale: sc, Methods: []train.Method{m}, Seeds: []uint64{seed}, Workers: 1, MaxSteps: maxSteps}
	if err := task.Setup(set); err != nil {
		return bad(err)
	}
	// Every output path is checked before training.
	for _, p := range []struct{ name, path string }{{"checkpoint", ckpt}, {"metrics", metrics}, {"save", save}} {
		if err := writableFile(p.name, p.path); err != nil {
			return bad(err)
		}
	}
	if resume != "" {
		if err := existingFile("resume", resume); err != nil {
			return bad(err)
		}
	}
	if ckpt != "" && !force && !samePath(ckpt, resume) {
		if _, err := os.Stat(ckpt); err == nil {
			return bad(fmt.Errorf("--checkpoint %s already exists (another run's checkpoint?); add --resume %s to continue it, or --force to overwrite it", ckpt, ckpt))
		}
	}
	spec := set.Runs()[0]
	spec.Save = save
	spec.Options = train.RunOptions{Name: tasks.RunName(info.Name, m, seed), Checkpoint: ckpt, CheckpointEvery: every, Resume: resume}
	spec.Options.Recorders = append([]train.Recorder{progress{train.NewProgress(e.stderr, e.terminal)}}, e.extra...)
	var j *train.JSONL
	if metrics != "" {
		var mf *os.File
		if resume != "" {
			info, err := train.ReadCheckpointInfo(resume)
			if err != nil {
				return failure(e, cmd, err)
			}
			if err := train.TrimMetrics(metrics, func(m train.Metrics) bool { return m.Iteration <= info.Iteration }); err != nil {
				return failure(e, cmd, err)
			}
			mf, err = os.OpenFile(metrics, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return bad(fmt.Errorf("--metrics %s: %v", metrics, errors.Unwrap(err)))
			}
		} else {
			mf, err = os.Create(metrics)
			if err != nil {
				return bad(fmt.Errorf("--metrics %s: %v", metrics, errors.Unwrap(err)))
			}
		}
		defer mf.Close()
		j = train.NewJSONL(mf)
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		ctx = runCtx
		spec.Options.Recorders = append(spec.Options.Recorders, stopOnError{j, cancel})
	}
	rec, err := task.Run(ctx, spec)
	if j != nil && j.Err() != nil {
		return failure(e, cmd, metricsError(metrics, j.Err()))
	}
	if err != nil {
		var ie *train.InterruptedError
		if errors.As(err, &ie) && ie.Checkpoint != "" {
			fmt.Fprintf(e.stderr, "%s: interrupted after iteration %d of %d; checkpoint written to %s: run the same command with --resume %s to continue\n",
				cmd, ie.Iteration, ie.Total, ie.Checkpoint, ie.Checkpoint)
			return exitInterrupted
		}
		return failure(e, cmd, err)
	}
	r := rec.Run
	fmt.Fprintf(e.stdout, "%s %s seed %d: %d iterations, train loss %.4g, prediction NFE %d, train time %.3g s, predict time %.3g ms\n",
		info.Name, r.Method, r.Seed, r.Iterations, r.TrainLoss, r.NFE, r.TrainTimeS, r.PredictTimeS*1e3)
	if r.Budget != nil {
		fmt.Fprintln(e.stdout, r.Budget.Verdict)
	}
	return exitOK
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	return ea == nil && eb == nil && os.SameFile(sa, sb)
}
