package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/whitebox-de/whitebox/train"
)

// A trainTask is one `whitebox train <name>` task: a single run with
// metrics, checkpoints and --resume. Like reproductions, a task registers
// itself from an init function.
type trainTask struct {
	name, summary string
	// setup declares the task's flags and returns the function that does
	// the run described by the common flags.
	setup func(f *flags) func(ctx context.Context, s trainSpec) error
}

// trainSpec carries the common flags of `whitebox train`.
type trainSpec struct {
	*env
	f               *flags
	Method          train.Method
	Seed            uint64
	Full            bool
	Checkpoint      string
	CheckpointEvery int
	Resume          string
	Save            string
	Recorders       []train.Recorder
}

var trainTasks []*trainTask

func registerTrain(t *trainTask) { trainTasks = append(trainTasks, t) }

func helpTrain(w io.Writer) {
	fmt.Fprint(w, "Usage: whitebox train <task> [flags]\n\nTasks:\n")
	ts := append([]*trainTask(nil), trainTasks...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	for _, t := range ts {
		fmt.Fprintf(w, "  %-12s %s\n", t.name, t.summary)
	}
	fmt.Fprint(w, "\nRun 'whitebox train <task> --help' for the task's flags and their defaults.\n")
}

func cmdTrain(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			helpTrain(e.stdout)
			return exitOK
		}
		return usageErr(e, "whitebox train", errors.New("name a task, e.g. 'whitebox train spiral'"), "whitebox help train")
	}
	var task *trainTask
	for _, t := range trainTasks {
		if t.name == args[0] {
			task = t
		}
	}
	if task == nil {
		return usageErr(e, "whitebox train", fmt.Errorf("unknown task %q", args[0]), "whitebox help train")
	}
	cmd := "whitebox train " + task.name
	f := newFlags(cmd, sentence(task.summary)+"\nProgress goes to stderr, the result to stdout. Flag defaults are those of --scale default.")
	var (
		method, scale, metrics string
		s                      = trainSpec{env: e, f: f}
	)
	f.StringVar(&method, "method", "vanilla", "vanilla or a '+'-joined combination of error, stiffness and steer")
	f.Uint64Var(&s.Seed, "seed", 1999, "seed of the initial weights and of every random draw")
	f.StringVar(&scale, "scale", "default", "protocol size: default or full (the paper-sized protocol)")
	f.StringVar(&s.Checkpoint, "checkpoint", "", "write checkpoints to this file (every --checkpoint-every iterations, at the end and on Ctrl-C)")
	f.IntVar(&s.CheckpointEvery, "checkpoint-every", 100, "checkpoint interval in iterations (0: only at the end and on Ctrl-C)")
	f.StringVar(&s.Resume, "resume", "", "continue the run from this checkpoint (same flags as the interrupted run)")
	f.StringVar(&metrics, "metrics", "", "write per-iteration metrics as JSON lines to this file")
	f.StringVar(&s.Save, "save", "", "save the trained model (nn model file) to this file")
	do := task.setup(f)
	if status, stop := f.parse(args[1:], e); stop {
		return status
	}
	bad := func(err error) int { return usageErr(e, cmd, err, cmd+" --help") }
	m, err := train.ParseMethod(method)
	if err != nil {
		return bad(fmt.Errorf("--method: %v", strings.TrimPrefix(err.Error(), "train: ")))
	}
	s.Method = m
	switch scale {
	case "default":
	case "full":
		s.Full = true
	default:
		return bad(fmt.Errorf("--scale %q: use default or full", scale))
	}
	if s.CheckpointEvery < 0 {
		return bad(fmt.Errorf("--checkpoint-every %d must not be negative", s.CheckpointEvery))
	}
	if s.CheckpointEvery > 0 && s.Checkpoint == "" {
		s.CheckpointEvery = 0
	}
	for _, p := range []struct{ name, path string }{{"checkpoint", s.Checkpoint}, {"metrics", metrics}, {"save", s.Save}} {
		if err := fileInExistingDir(p.name, p.path); err != nil {
			return bad(err)
		}
	}
	if s.Resume != "" {
		if err := existingFile("resume", s.Resume); err != nil {
			return bad(err)
		}
	}
	s.Recorders = append([]train.Recorder{train.NewProgress(e.stderr, e.terminal)}, e.extra...)
	if metrics != "" {
		var mf *os.File
		if s.Resume != "" {
			info, err := train.ReadCheckpointInfo(s.Resume)
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
		j := train.NewJSONL(mf)
		s.Recorders = append(s.Recorders, j)
		defer func() {
			if j.Err() != nil {
				fmt.Fprintf(e.stderr, "%s: %v\n", cmd, j.Err())
			}
		}()
	}
	if err := do(ctx, s); err != nil {
		var ie *train.InterruptedError
		if errors.As(err, &ie) && ie.Checkpoint != "" {
			fmt.Fprintf(e.stderr, "%s: interrupted after iteration %d of %d; checkpoint written to %s: run the same command with --resume %s to continue\n",
				cmd, ie.Iteration, ie.Total, ie.Checkpoint, ie.Checkpoint)
			return exitInterrupted
		}
		return failure(e, cmd, err)
	}
	return exitOK
}
