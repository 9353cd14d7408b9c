package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
)

// flags wraps a FlagSet that reports errors instead of printing them. It is
// the tasks.FlagSet a task declares its flags on.
type flags struct {
	*flag.FlagSet
	cmd      string // "whitebox reproduce spiral"
	synopsis string
	explicit map[string]bool
	// hint, if set, rewrites the errors of parsing (to name the flag the
	// user probably meant).
	hint func(error) error
}

func newFlags(cmd, synopsis string) *flags {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, cmd: cmd, synopsis: synopsis, explicit: map[string]bool{}}
}

// printUsage writes the synopsis and every flag with its default.
func (f *flags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", f.cmd+" [flags]", f.synopsis)
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// parse parses args. It returns (status, true) when the command should
// stop: after --help (status 0) or on a bad flag or argument (status 2, with
// a one-line error).
func (f *flags) parse(args []string, e *env) (int, bool) {
	err := f.parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printUsage(e.stdout)
		return exitOK, true
	}
	if err != nil {
		return usageErr(e, f.cmd, err, f.cmd+" --help"), true
	}
	return 0, false
}

// parseArgs parses args, which must hold flags only, and records which
// flags they set.
func (f *flags) parseArgs(args []string) error {
	err := f.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) && f.hint != nil {
		err = f.hint(err)
	}
	if err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	f.explicit = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { f.explicit[fl.Name] = true })
	return nil
}

// IsSet reports whether the flag was given on the command line.
func (f *flags) IsSet(name string) bool { return f.explicit[name] }

// setExplicit sets the flag as if it had been given on the command line.
func (f *flags) setExplicit(name, value string) error {
	if err := f.Set(name, value); err != nil {
		return err
	}
	f.explicit[name] = true
	return nil
}

// recordingFlags is a tasks.FlagSet that declares a task's flags on a
// command's flags, with a prefix (`reproduce all` declares --spiral.iters),
// and records their names.
type recordingFlags struct {
	*flags
	prefix string
	names  []string
}

func (r *recordingFlags) add(name string) string {
	r.names = append(r.names, name)
	return r.prefix + name
}

func (r *recordingFlags) IntVar(p *int, name string, value int, usage string) {
	r.flags.IntVar(p, r.add(name), value, usage)
}

func (r *recordingFlags) Float64Var(p *float64, name string, value float64, usage string) {
	r.flags.Float64Var(p, r.add(name), value, usage)
}

func (r *recordingFlags) StringVar(p *string, name string, value string, usage string) {
	r.flags.StringVar(p, r.add(name), value, usage)
}

func (r *recordingFlags) BoolVar(p *bool, name string, value bool, usage string) {
	r.flags.BoolVar(p, r.add(name), value, usage)
}

// IsSet reports whether the task's flag was given (with its prefix, or
// for every task).
func (r *recordingFlags) IsSet(name string) bool { return r.flags.IsSet(r.prefix + name) }

// writableFile checks, before any training, that the file path of --name
// can be written later (atomically, in its directory).
func writableFile(flagName, path string) error {
	if path == "" {
		return nil
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return fmt.Errorf("--%s %v", flagName, err)
	}
	return nil
}

// writableDir creates dir (and its parents) for --name and checks that
// files can be created in it.
func writableDir(flagName, dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--%s %s: cannot create the directory: %v", flagName, dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".whitebox-probe.*")
	if err != nil {
		return fmt.Errorf("--%s %s: cannot create files there (%v); choose a writable directory", flagName, dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// existingFile checks that path is a readable regular file.
func existingFile(flagName, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--%s %s: no such file", flagName, path)
	}
	if st.IsDir() {
		return fmt.Errorf("--%s %s is a directory, not a file", flagName, path)
	}
	return nil
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sentence capitalizes s and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
