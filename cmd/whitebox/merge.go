package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
	"github.com/whitebox-de/whitebox/report"
	"github.com/whitebox-de/whitebox/tasks"
)

func helpMerge(w io.Writer) {
	fmt.Fprint(w, `Usage: whitebox merge [--json FILE] [--out DIR] DIR|FILE...

Merge combines the outputs of 'whitebox reproduce <task|all> --shard I/N
--out DIR' (the files runs-I-of-N.json in each DIR, or such files named
directly) into the report and results JSON of the unsharded reproduction:
for one task, the table on stdout, --json and the figures in --out (default
results/<task>); for 'all', the report folder --out (default results) with
REPORT.md and each task's results JSON and figures.

It refuses shards of different protocols (flags, scale, methods, seeds) or
builds, runs files of another format (those of older builds, which numbered
the runs method by method: re-run such shards), runs that two shards hold,
and runs that no shard holds, naming the files and runs. A task that failed
in a shard is reported as failed (exit status 1).

Flags:
  -json string
    	one-task shards: write the results JSON to this file
  -out string
    	the figure directory (one task) or report folder (all); empty: no figures (one task)
`)
}

// cmdMerge is `whitebox merge [--json FILE] [--out DIR] DIR...`.
func cmdMerge(ctx context.Context, args []string, e *env) int {
	const cmd = "whitebox merge"
	f := newFlags(cmd, "")
	var jsonPath, out string
	f.StringVar(&jsonPath, "json", "", "")
	f.StringVar(&out, "out", "", "")
	bad := func(err error) int { return usageErr(e, cmd, err, "whitebox merge --help") }
	// Flags may come before, between or after the directories.
	var inputs []string
	for rest := args; ; {
		if err := f.Parse(rest); errors.Is(err, flag.ErrHelp) {
			helpMerge(e.stdout)
			return exitOK
		} else if err != nil {
			return bad(err)
		}
		if f.NArg() == 0 {
			break
		}
		inputs = append(inputs, f.Arg(0))
		rest = f.Args()[1:]
	}
	f.explicit = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { f.explicit[fl.Name] = true })
	if len(inputs) == 0 {
		return bad(errors.New("name the output directories of the shards, e.g. 'whitebox merge out/shard-*'"))
	}
	var files []loadedRuns
	for _, in := range inputs {
		paths, err := runsFiles(in)
		if err != nil {
			return bad(err)
		}
		for _, p := range paths {
			rf, err := readRunsFile(p)
			if err != nil {
				return bad(err)
			}
			files = append(files, loadedRuns{path: p, file: rf})
		}
	}
	m, err := assemble(files, e)
	if err != nil {
		return bad(err)
	}
	if b := thisBuild(); b != files[0].file.Build {
		fmt.Fprintf(e.stderr, "%s: warning: the shards were made by %s; this is %s, whose tables and figures may differ in the last digits\n", cmd, files[0].file.Build, b)
	}
	h := m.h
	h.cmd = cmd
	if h.all {
		if jsonPath != "" {
			return bad(errors.New("--json: the shards are of 'reproduce all', whose results JSON go into the report folder --out (<out>/<task>/results.json)"))
		}
		if f.IsSet("out") {
			h.out = out
		}
		if h.out == "" {
			return bad(errors.New("--out is empty: the shards are of 'reproduce all', whose report folder goes there"))
		}
		if err := writableDir("out", h.out); err != nil {
			return bad(err)
		}
		return m.writeFolder(ctx, e, cmd, h.out)
	}
	h.json = jsonPath
	if f.IsSet("out") {
		h.out = out
	}
	// --out first: it creates the directory, which may hold --json.
	if err := writableDir("out", h.out); err != nil {
		return bad(err)
	}
	if err := writableFile("json", h.json); err != nil {
		return bad(err)
	}
	p := h.parts[0]
	if msg, failed := m.failures[p.info.Name]; failed {
		fmt.Fprintf(e.stderr, "%s: task %s failed in %s: %s\n", cmd, p.info.Name, m.failedIn[p.info.Name], msg)
		return exitFailure
	}
	return h.writeOne(ctx, m.recs[p.info.Name])
}

// runsFiles returns the runs files of a shard's output directory, or the
// file itself.
func runsFiles(in string) ([]string, error) {
	st, err := os.Stat(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", in, unwrapPathErr(err))
	}
	if !st.IsDir() {
		return []string{in}, nil
	}
	paths, err := filepath.Glob(filepath.Join(in, "runs-*-of-*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s holds no runs file (runs-I-of-N.json); is it the --out of a 'whitebox reproduce --shard I/N' that finished?", in)
	}
	sort.Strings(paths)
	return paths, nil
}

// loadedRuns is a runs file and where it was read from.
type loadedRuns struct {
	path string
	file *runsFile
}

// merged is a reproduction put together from runs files.
type merged struct {
	// h is the reproduction the files' protocol describes.
	h     *harness
	files []loadedRuns
	// recs are each task's records in its run order (seed-major; writeOne
	// and writeTask group them by method); failures the tasks
	// that failed (and failedIn the file that says so).
	recs     map[string][]tasks.Record
	failures map[string]string
	failedIn map[string]string
}

// assemble checks that the runs files are of one protocol and build and
// hold every run once (but those of failed tasks), rebuilds the
// reproduction from the protocol, and sorts the records into each task's
// run order.
func assemble(files []loadedRuns, e *env) (*merged, error) {
	first := files[0]
	want, _ := json.Marshal(first.file.Protocol)
	for _, l := range files[1:] {
		if got, _ := json.Marshal(l.file.Protocol); !bytes.Equal(got, want) {
			return nil, fmt.Errorf("the shards were made with different protocols: %s has %s where %s has %s; merge only the shards of one command",
				first.path, argsDiff(first.file.Protocol.Args, l.file.Protocol.Args), l.path, argsDiff(l.file.Protocol.Args, first.file.Protocol.Args))
		}
		if l.file.Build != first.file.Build {
			return nil, fmt.Errorf("the shards were made by different builds: %s by %s, %s by %s; run every shard with one binary", first.path, first.file.Build, l.path, l.file.Build)
		}
	}
	h, err := harnessFromProtocol(first.file.Protocol.Args, e)
	if err != nil {
		return nil, fmt.Errorf("%s: its protocol (%s) does not parse with this build: %v", first.path, strings.Join(first.file.Protocol.Args, " "), err)
	}
	if got, _ := json.Marshal(h.protocol()); !bytes.Equal(got, want) {
		return nil, fmt.Errorf("%s: this build reads its protocol differently (%s); merge with the build that made the shards", first.path, got)
	}
	m := &merged{h: h, files: files, recs: map[string][]tasks.Record{}, failures: map[string]string{}, failedIn: map[string]string{}}
	type key struct {
		task  string
		index int
	}
	jobs := map[key]job{}
	for _, j := range h.jobs() {
		jobs[key{j.part.info.Name, j.spec.Index}] = j
	}
	from := map[key]string{}
	got := map[key]tasks.Record{}
	var dups []string
	for _, l := range files {
		for _, f := range l.file.Failures {
			if _, ok := m.failures[f.Task]; !ok {
				m.failures[f.Task], m.failedIn[f.Task] = f.Error, l.path
			}
		}
		for _, r := range l.file.Runs {
			k := key{r.Task, r.Index}
			j, ok := jobs[k]
			if !ok || j.spec.Method.String() != r.Method || j.spec.Seed != r.Seed {
				return nil, fmt.Errorf("%s holds run %s/%s/seed=%d as run %d of %s, which its protocol does not have; the file is damaged", l.path, r.Task, r.Method, r.Seed, r.Index, r.Task)
			}
			if prev, dup := from[k]; dup {
				dups = append(dups, fmt.Sprintf("%s in %s and %s", runName(j.part, j.spec), prev, l.path))
				continue
			}
			from[k], got[k] = l.path, r.Record
		}
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("%d run(s) are in two shards' files: %s; give each shard's output once (and not the shards of two different --shard splits)", len(dups), list(dups))
	}
	var missing []string
	uniform := true
	for _, l := range files {
		uniform = uniform && l.file.Shards == first.file.Shards
	}
	for _, j := range h.jobs() {
		k := key{j.part.info.Name, j.spec.Index}
		if _, failed := m.failures[k.task]; failed {
			continue
		}
		r, ok := got[k]
		if !ok {
			s := runName(j.part, j.spec)
			if uniform {
				s += fmt.Sprintf(" (shard %d of %d)", j.global%first.file.Shards+1, first.file.Shards)
			}
			missing = append(missing, s)
			continue
		}
		m.recs[k.task] = append(m.recs[k.task], r)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%d of the %d runs are in none of the files: %s; is a shard missing from the arguments, or still running?", len(missing), len(h.jobs()), list(missing))
	}
	return m, nil
}

// list joins the first few items and says how many more there are.
func list(items []string) string {
	const n = 4
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + more(len(items)-n)
}

// argsDiff lists the arguments of a that b does not have ("--iters=20"),
// or says that a has none of its own.
func argsDiff(a, b []string) string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, x)
		}
	}
	if len(d) == 0 {
		return "no other flags"
	}
	return strings.Join(d, " ")
}

// harnessFromProtocol rebuilds a reproduction from its protocol's
// arguments, without touching any output.
func harnessFromProtocol(args []string, e *env) (*harness, error) {
	var h *harness
	if args[0] == "all" {
		h = declareAll(e)
	} else {
		t, err := tasks.New(args[0])
		if err != nil {
			return nil, err
		}
		h = declareOne(t, e)
	}
	h.argv = args
	if err := h.f.parseArgs(args[1:]); err != nil {
		return nil, err
	}
	if err := h.setup(); err != nil {
		return nil, err
	}
	return h, nil
}

// section is one task's part of REPORT.md.
type section struct {
	p    *part
	res  *report.Results
	figs []string // relative to the report folder
	js   string   // relative to the report folder
	err  string   // the task failed
	runs int      // runs made (of a failed task)
}

// writeFolder writes the report folder of a `reproduce all`: per task a
// directory with its results JSON and figures, and REPORT.md, which it
// also prints. A task that failed (in a shard, or in its report or
// figures) is reported as failed and the status is exitFailure.
func (m *merged) writeFolder(ctx context.Context, e *env, cmd, out string) int {
	var secs []section
	failed := 0
	for _, p := range m.h.parts {
		name := p.info.Name
		s := section{p: p}
		if msg, ok := m.failures[name]; ok {
			s.err = msg
			for _, l := range m.files {
				for _, r := range l.file.Runs {
					if r.Task == name {
						s.runs++
					}
				}
			}
			secs = append(secs, s)
			failed++
			continue
		}
		if err := m.writeTask(ctx, out, &s); err != nil {
			s.err = oneLine(cliError(err))
			fmt.Fprintf(e.stderr, "%s: task %s: %s\n", cmd, name, s.err)
			failed++
		}
		secs = append(secs, s)
	}
	md := m.reportMarkdown(secs)
	path := filepath.Join(out, "REPORT.md")
	if err := atomicfile.Write("whitebox", path, md); err != nil {
		return failure(e, cmd, err)
	}
	if _, err := e.stdout.Write(md); err != nil {
		return failure(e, cmd, err)
	}
	fmt.Fprintf(e.stderr, "%s: report written to %s\n", cmd, path)
	if failed > 0 {
		fmt.Fprintf(e.stderr, "%s: %d of the %d tasks failed (see %s)\n", cmd, failed, len(secs), path)
		return exitFailure
	}
	return exitOK
}

// writeTask writes one task's results JSON and figures into out/<task>,
// the records grouped by method.
func (m *merged) writeTask(ctx context.Context, out string, s *section) error {
	name := s.p.info.Name
	recs := s.p.set.ByMethod(m.recs[name])
	res, err := m.h.report(s.p, recs)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %v", dir, unwrapPathErr(err))
	}
	js := filepath.Join(dir, "results.json")
	if err := res.WriteJSON(js); err != nil {
		return err
	}
	figs, err := s.p.task.Figures(ctx, dir, recs)
	if err != nil {
		return err
	}
	s.res, s.js = res, filepath.ToSlash(filepath.Join(name, "results.json"))
	for _, f := range figs {
		rel, err := filepath.Rel(out, f)
		if err != nil {
			rel = f
		}
		s.figs = append(s.figs, filepath.ToSlash(rel))
	}
	return nil
}
