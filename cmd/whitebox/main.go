package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/whitebox-de/whitebox/ode"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/train"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// env is where a command writes: results to stdout, progress and errors
// to stderr (drawn as a progress bar when stderr is a terminal).
type env struct {
	stdout, stderr io.Writer
	terminal       bool
	// extra recorders every run gets (tests use them to interrupt a run).
	extra []train.Recorder
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, terminal: train.IsTerminal(os.Stderr)}))
}

// command is a top-level command.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, e *env) int
	help          func(w io.Writer)
}

func commands() []*command {
	return []*command{
		{name: "reproduce", summary: "reproduce an experiment of the paper: train every method for several seeds, print a markdown table, write results JSON and figures",
			run: cmdReproduce, help: helpReproduce},
		{name: "merge", summary: "combine the outputs of 'reproduce --shard I/N' into the report and results JSON of the unsharded reproduction",
			run: cmdMerge, help: helpMerge},
		{name: "train", summary: "one training run of a task, with metrics, checkpoints and --resume",
			run: cmdTrain, help: helpTrain},
		{name: "eval", summary: "evaluate a saved model on a data set of its task: metrics, prediction NFE and time",
			run: cmdEval, help: helpEval},
		{name: "help", summary: "show this help, or a command's help: whitebox help <command>"},
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `whitebox trains neural differential equations regularized by their solvers' own
error and stiffness estimates (Pal et al., "Opening the Blackbox", ICML 2021).

Usage:
  whitebox <command> [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nTasks:\n")
	listTasks(w)
	fmt.Fprint(w, `
Examples:
  whitebox reproduce spiral                      the main job: 5 methods x 3 seeds, about a minute on 2 cores
  whitebox reproduce spiral --json out.json --out results/spiral
  whitebox reproduce spiral-sde --json sde.json  the spiral SDE of Table 3: 3 methods x 3 seeds, 2 runs at a time
  whitebox reproduce all --out results           every task; results/REPORT.md beside the paper's tables
  whitebox reproduce all --shard 2/4 --out s2    the second of 4 shares of the runs (e.g. a Slurm array task) ...
  whitebox merge --out results s1 s2 s3 s4       ... and the report of all four shards
  whitebox train spiral --method error --checkpoint run.ckpt
  whitebox train spiral --method error --checkpoint run.ckpt --resume run.ckpt

Run 'whitebox <command> --help' for a command's flags and their defaults.
`)
}

// listTasks writes one line per registered task.
func listTasks(w io.Writer) {
	for _, in := range tasks.Infos() {
		fmt.Fprintf(w, "  %-12s %s\n", in.Name, in.Summary)
	}
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := findCommand(args[1]); c != nil && c.help != nil {
				c.help(e.stdout)
				return exitOK
			}
			return usageErr(e, "whitebox help", fmt.Errorf("unknown command %q", args[1]), "whitebox help")
		}
		usage(e.stdout)
		return exitOK
	}
	c := findCommand(args[0])
	if c == nil || c.run == nil {
		return usageErr(e, "whitebox", fmt.Errorf("unknown command %q", args[0]), "whitebox help")
	}
	return c.run(ctx, args[1:], e)
}

// findTask returns a fresh instance of the task named by the command's
// first argument, or the status to exit with (help, or a usage error that
// lists the known tasks).
func findTask(args []string, e *env, command string, help func(io.Writer)) (tasks.Task, int) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			help(e.stdout)
			return nil, exitOK
		}
		return nil, usageErr(e, "whitebox "+command, fmt.Errorf("name a task, e.g. 'whitebox %s spiral'", command), "whitebox help "+command)
	}
	t, err := tasks.New(args[0])
	if err != nil {
		return nil, usageErr(e, "whitebox "+command, errors.New(strings.TrimPrefix(err.Error(), "tasks: ")), "whitebox help "+command)
	}
	return t, 0
}

// usageErr prints a one-line usage error and returns exitUsage.
func usageErr(e *env, who string, err error, helpCmd string) int {
	fmt.Fprintf(e.stderr, "%s: %v (run '%s' for usage)\n", who, oneLine(err), helpCmd)
	return exitUsage
}

// failure prints a one-line error for a failed run and returns its status:
// exitInterrupted for an interrupted run, exitFailure otherwise. The
// solvers' hints name their options (Options.MaxSteps); the line names the
// flag that sets it instead.
func failure(e *env, who string, err error) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", who, oneLine(cliError(err)))
	var ie *train.InterruptedError
	if errors.As(err, &ie) || errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitFailure
}

// cliError rewrites the hints of err for the command line: the solvers
// name the option that bounds their steps (Options.MaxSteps), which the
// command line sets with --max-steps. Other errors are returned as they
// are.
func cliError(err error) error {
	if err == nil || !errors.Is(err, ode.ErrMaxSteps) {
		return err
	}
	return hinted{err, strings.ReplaceAll(err.Error(), "Options.MaxSteps", "--max-steps")}
}

// hinted is an error with a rewritten message that still matches what it
// wraps.
type hinted struct {
	err error
	msg string
}

func (h hinted) Error() string { return h.msg }
func (h hinted) Unwrap() error { return h.err }

// progress is a progress recorder whose failure lines carry the command
// line's hints (cliError).
type progress struct{ *train.Progress }

func (p progress) End(res train.Result, err error) { p.Progress.End(res, cliError(err)) }

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
