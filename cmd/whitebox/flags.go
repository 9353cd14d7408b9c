package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// flags wraps a FlagSet that reports errors instead of printing them.
type flags struct {
	*flag.FlagSet
	cmd      string // "whitebox reproduce spiral"
	synopsis string
	explicit map[string]bool
}

func newFlags(cmd, synopsis string) *flags {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, cmd: cmd, synopsis: synopsis}
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
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printUsage(e.stdout)
		return exitOK, true
	}
	if err != nil {
		return usageErr(e, f.cmd, err, f.cmd+" --help"), true
	}
	if f.NArg() > 0 {
		return usageErr(e, f.cmd, fmt.Errorf("unexpected argument %q", f.Arg(0)), f.cmd+" --help"), true
	}
	f.explicit = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { f.explicit[fl.Name] = true })
	return 0, false
}

// set reports whether the flag was given on the command line.
func (f *flags) set(name string) bool { return f.explicit[name] }

// fileInExistingDir checks that path names a file whose directory exists.
func fileInExistingDir(flagName, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--%s %s is a directory; give a file name", flagName, path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("--%s %s: directory %s does not exist; create it first", flagName, path, dir)
	}
	return nil
}

// makeDir creates dir (and its parents) for --name.
func makeDir(flagName, dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--%s %s: cannot create the directory: %v", flagName, dir, errors.Unwrap(err))
	}
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

// list is a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// positive checks numeric flags.
func positive(name string, v float64) error {
	if !(v > 0) || v > 1e300 {
		return fmt.Errorf("--%s %s must be positive", name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return nil
}

// sentence capitalizes s and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
