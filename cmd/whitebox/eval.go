package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
	"github.com/whitebox-de/whitebox/tasks"
)

func helpEval(w io.Writer) {
	fmt.Fprint(w, "Usage: whitebox eval <task> --model FILE [--data PATH] [flags]\n\nTasks that can evaluate a saved model:\n")
	for _, in := range tasks.Infos() {
		t, _ := tasks.New(in.Name)
		if _, ok := t.(tasks.Evaluator); ok {
			fmt.Fprintf(w, "  %-12s %s\n", in.Name, in.Summary)
		}
	}
	fmt.Fprint(w, "\nA model is saved by 'whitebox train <task> --method M --save FILE'.\n")
}

// cmdEval is `whitebox eval <task> --model FILE`: the task's metrics,
// prediction NFE and prediction time of a saved model on any data set of the
// task's format.
func cmdEval(ctx context.Context, args []string, e *env) int {
	task, status := findTask(args, e, "eval", helpEval)
	if task == nil {
		return status
	}
	info := task.Info()
	cmd := "whitebox eval " + info.Name
	ev, ok := task.(tasks.Evaluator)
	if !ok {
		return usageErr(e, cmd, fmt.Errorf("task %s has no test data to evaluate a saved model on; its results come from 'whitebox reproduce %s'", info.Name, info.Name), "whitebox help eval")
	}
	f := newFlags(cmd, "Evaluate a model saved by 'whitebox train "+info.Name+" --save FILE': the task's metrics, prediction NFE and prediction time.")
	var (
		spec    tasks.EvalSpec
		jsonOut string
	)
	f.StringVar(&spec.Model, "model", "", "the model file (required)")
	f.StringVar(&spec.Data, "data", "", "the data set to evaluate on (default: the task's own test data)")
	f.IntVar(&spec.Repeats, "repeats", 0, "timed predictions whose median is reported (0: the task's default)")
	f.IntVar(&spec.MaxSteps, "max-steps", 0, "bound on the attempted steps of every solve (0: the solver's default, 100000)")
	f.StringVar(&jsonOut, "json", "", "also write the evaluation as JSON to this file")
	if status, stop := f.parse(args[1:], e); stop {
		return status
	}
	bad := func(err error) int { return usageErr(e, cmd, err, cmd+" --help") }
	if spec.Model == "" {
		return bad(errors.New("--model is required: name a file saved by 'whitebox train " + info.Name + " --save FILE'"))
	}
	if err := existingFile("model", spec.Model); err != nil {
		return bad(err)
	}
	if spec.Repeats < 0 {
		return bad(fmt.Errorf("--repeats %d must not be negative", spec.Repeats))
	}
	if spec.MaxSteps < 0 {
		return bad(fmt.Errorf("--max-steps %d: give a positive bound, or 0 for the solver's default", spec.MaxSteps))
	}
	if err := writableFile("json", jsonOut); err != nil {
		return bad(err)
	}
	res, err := ev.Evaluate(ctx, spec)
	if err != nil {
		if errors.Is(err, tasks.ErrWrongModel) {
			return usageErr(e, cmd, err, cmd+" --help")
		}
		return failure(e, cmd, err)
	}
	fmt.Fprintf(e.stdout, "%s %s seed %d on %s (%d examples):", res.Task, res.Method, res.Seed, res.Data, res.Examples)
	if res.TestAccuracy != nil {
		fmt.Fprintf(e.stdout, " accuracy %.2f%%,", 100**res.TestAccuracy)
	}
	if res.TestLoss != nil {
		fmt.Fprintf(e.stdout, " loss %.4g,", *res.TestLoss)
	}
	fmt.Fprintf(e.stdout, " prediction NFE %d, predict time %.3g ms\n", res.NFE, res.PredictTimeS*1e3)
	for _, n := range res.Notes {
		fmt.Fprintln(e.stdout, n)
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return failure(e, cmd, err)
		}
		if err := atomicfile.Write(cmd+": writing --json", jsonOut, append(b, '\n')); err != nil {
			return failure(e, cmd, err)
		}
	}
	return exitOK
}
