package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/whitebox-de/whitebox/tasks"
)

// declareAll returns the harness of `whitebox reproduce all` with its
// flags declared: the common flags, each task's flags with the task's name
// as prefix (--spiral.iters, --spiral-sde.trajectories), each task's
// --<task>.methods, and, unprefixed, every task flag that all tasks
// declare (--iters), which sets it for each task not given it with its
// prefix.
func declareAll(e *env) *harness {
	h := &harness{env: e, all: true, cmd: "whitebox reproduce all"}
	names := tasks.Names()
	h.f = newFlags(h.cmd, "Reproduce every task ("+strings.Join(names, ", ")+") and write one report folder (--out): REPORT.md with each\n"+
		"task's table beside the paper's numbers, its checks, the protocol and the machine, and per task its\n"+
		"results JSON and figures. A task that fails is reported as failed and the others still run (exit status 1).\n"+
		"Task flags take the task's name as prefix (--spiral.iters); a flag every task has may be given without\n"+
		"it (--iters) and applies to each task not given it with its prefix. Flag defaults are those of --scale default.")
	h.declareCommon("results", "the report folder: REPORT.md, and per task a directory with its results JSON and figures (created if missing); with --shard, the shard's output directory")
	h.f.IntVar(&h.workers, "workers", 0, "runs trained at once within each task (0: each task's own default)")
	for _, n := range names {
		t, _ := tasks.New(n)
		p := &part{task: t, info: t.Info(), prefix: n + "."}
		h.parts = append(h.parts, p)
		h.f.StringVar(&p.methodsFlag, p.prefix+"methods", strings.Join(p.info.Methods, ","), "comma-separated methods of "+n)
		rec := &recordingFlags{flags: h.f, prefix: p.prefix}
		t.Flags(rec)
		p.flagNames = rec.names
	}
	// Flags every task declares may be given once for all.
	for _, name := range h.parts[0].flagNames {
		every := true
		for _, p := range h.parts[1:] {
			every = every && slices.Contains(p.flagNames, name)
		}
		if !every || h.f.Lookup(name) != nil {
			continue
		}
		first := h.f.Lookup(h.parts[0].prefix + name)
		b, isBool := first.Value.(interface{ IsBoolFlag() bool })
		s := &sharedFlag{name: name, bool: isBool && b.IsBoolFlag()}
		h.shared = append(h.shared, s)
		h.f.Var(s, name, first.Usage+" (for every task; --<task>."+name+" sets one task's)")
	}
	h.f.hint = h.hintAll
	return h
}

// sharedFlag is a task flag of `reproduce all` given for every task.
type sharedFlag struct {
	name  string
	value string
	bool  bool
}

func (s *sharedFlag) String() string {
	if s == nil {
		return ""
	}
	return s.value
}

func (s *sharedFlag) Set(v string) error { s.value = v; return nil }

func (s *sharedFlag) IsBoolFlag() bool { return s.bool }

// applyShared sets each shared flag given on the command line for every
// task that was not given it with its prefix.
func (h *harness) applyShared() error {
	for _, s := range h.shared {
		if !h.f.IsSet(s.name) {
			continue
		}
		for _, p := range h.parts {
			if h.f.IsSet(p.prefix + s.name) {
				continue
			}
			if err := h.f.setExplicit(p.prefix+s.name, s.value); err != nil {
				return fmt.Errorf("invalid value %q for flag --%s (%s): %v", s.value, s.name, p.info.Name, err)
			}
		}
	}
	return nil
}

// hintAll names the flag the user probably meant when `reproduce all`
// does not know one: a flag that only some tasks have takes their prefix;
// --methods and --json are per task.
func (h *harness) hintAll(err error) error {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, undefined) {
		return err
	}
	name := strings.TrimPrefix(strings.TrimPrefix(msg, undefined), "-")
	var has, hasNot, spelled []string
	for _, p := range h.parts {
		if slices.Contains(p.flagNames, name) || name == "methods" {
			has = append(has, p.info.Name)
			spelled = append(spelled, "--"+p.prefix+name)
		} else {
			hasNot = append(hasNot, p.info.Name)
		}
	}
	switch {
	case name == "json":
		return errors.New("--json: 'reproduce all' writes a results JSON per task into the report folder --out (<out>/<task>/results.json)")
	case name == "methods":
		return fmt.Errorf("--methods: 'reproduce all' takes the methods per task: %s", strings.Join(spelled, ", "))
	case len(has) > 0:
		return fmt.Errorf("--%s is a flag of %s, not of %s: give it as %s", name, strings.Join(has, ", "), strings.Join(hasNot, ", "), strings.Join(spelled, ", "))
	}
	for _, p := range h.parts {
		if strings.HasPrefix(name, p.prefix) {
			return fmt.Errorf("--%s: task %s has no flag --%s (run 'whitebox reproduce %s --help' for its flags)", name, p.info.Name, strings.TrimPrefix(name, p.prefix), p.info.Name)
		}
	}
	return fmt.Errorf("%v (no task has a flag --%s)", err, name)
}

// ensure sharedFlag is a flag.Value.
var _ flag.Value = (*sharedFlag)(nil)
