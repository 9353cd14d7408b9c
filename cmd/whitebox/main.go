package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

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
		{name: "train", summary: "one training run of a task, with metrics, checkpoints and --resume",
			run: cmdTrain, help: helpTrain},
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
	fmt.Fprint(w, `
Tasks:
`)
	for _, r := range sortedReproductions() {
		fmt.Fprintf(w, "  %-10s %s\n", r.name, r.summary)
	}
	fmt.Fprint(w, `
Examples:
  whitebox reproduce spiral                      the main job: 5 methods x 3 seeds, about 3 minutes on 2 cores
  whitebox reproduce spiral --json out.json --out results/spiral
  whitebox reproduce spiral-sde --json sde.json  the spiral SDE of Table 3: 3 methods x 3 seeds, 2 runs at a time
  whitebox train spiral --method error --checkpoint run.ckpt
  whitebox train spiral --method error --checkpoint run.ckpt --resume run.ckpt

Run 'whitebox <command> --help' for a command's flags and their defaults.
`)
}

func sortedReproductions() []*reproduction {
	rs := append([]*reproduction(nil), reproductions...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].name < rs[j].name })
	return rs
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

// usageErr prints a one-line usage error and returns exitUsage.
func usageErr(e *env, who string, err error, helpCmd string) int {
	fmt.Fprintf(e.stderr, "%s: %v (run '%s' for usage)\n", who, oneLine(err), helpCmd)
	return exitUsage
}

// badFlags marks an error in the flags found after parsing (an invalid
// value for the task), which exits like a parse error.
type badFlags struct{ error }

// failure prints a one-line error for a failed run and returns its status:
// exitUsage for badFlags, exitInterrupted for an interrupted run,
// exitFailure otherwise.
func failure(e *env, who string, err error) int {
	var bf badFlags
	if errors.As(err, &bf) {
		return usageErr(e, who, bf.error, who+" --help")
	}
	fmt.Fprintf(e.stderr, "%s: %v\n", who, oneLine(err))
	var ie *train.InterruptedError
	if errors.As(err, &ie) || errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitFailure
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
