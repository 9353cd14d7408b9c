// Package flagtest is a tasks.FlagSet over the standard library's flag
// package, for tests that declare a task's flags and parse arguments
// without the command line.
package flagtest

import "flag"

// FlagSet is a standard flag.FlagSet that also reports which flags the
// parsed arguments gave (IsSet), as the command line's does.
type FlagSet struct {
	*flag.FlagSet
	set map[string]bool
}

// New returns an empty FlagSet that reports parse errors instead of exiting.
func New() *FlagSet {
	return &FlagSet{FlagSet: flag.NewFlagSet("test", flag.ContinueOnError), set: map[string]bool{}}
}

// Parse parses args and records the flags they set.
func (f *FlagSet) Parse(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		return err
	}
	f.set = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return nil
}

// IsSet reports whether the last Parse set the flag.
func (f *FlagSet) IsSet(name string) bool { return f.set[name] }
