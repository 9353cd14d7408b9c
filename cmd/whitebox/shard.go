package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/whitebox-de/whitebox/internal/atomicfile"
	"github.com/whitebox-de/whitebox/tasks"
	"github.com/whitebox-de/whitebox/tensor"
)

// shard is share I of N of a reproduction's runs: the runs whose position
// in the global run list is I-1 modulo N.
type shard struct{ I, N int }

// parseShard reads "I/N".
func parseShard(s string) (shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return shard{}, fmt.Errorf("--shard %q: give I/N, the I-th of N shares (e.g. 2/4)", s)
	}
	if n < 1 || i < 1 || i > n {
		return shard{}, fmt.Errorf("--shard %s: I/N needs 1 <= I <= N", s)
	}
	return shard{I: i, N: n}, nil
}

func (s shard) has(global int) bool { return global%s.N == s.I-1 }

func (s shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// runsFile is the name of shard s's output file.
func (s shard) runsFile() string { return fmt.Sprintf("runs-%d-of-%d.json", s.I, s.N) }

// runsFormat names the format of the runs files, and its version. Version
// 2 numbers each task's runs seed-major (tasks.Settings.Runs: every method
// of a seed before the next seed, each seed's methods starting one further
// along), which decides the runs a shard owns and the index each run is
// stored under.
const runsFormat = "whitebox-runs/2"

// runsFormatMethodMajor is the format of the runs files of builds that
// numbered the runs method-major (every seed of a method before the next
// method): their shards own other runs, and their indices other slots.
const runsFormatMethodMajor = "whitebox-runs/1"

// runsFile is what one shard of a reproduction writes (and an unsharded
// `reproduce all`, as shard 1 of 1): the protocol, the build and machine
// that made the runs, and the runs' records.
type runsFile struct {
	Format string `json:"format"`
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	// Protocol is what must be the same in every shard of a merge.
	Protocol protocol `json:"protocol"`
	Build    build    `json:"build"`
	Machine  machine  `json:"machine"`
	// Execution is how this process ran: its flags, including those that
	// do not change the results (outputs, checkpoints, the shard).
	Execution execution `json:"execution"`
	// Started and Finished are UTC times (RFC 3339).
	Started  string `json:"started"`
	Finished string `json:"finished"`
	// Runs are the finished runs of the shard in the global run order.
	Runs []shardRun `json:"runs"`
	// Failures are the tasks that failed in this shard; their runs after
	// the failure were not made.
	Failures []taskFailure `json:"failures,omitempty"`
}

// protocol is what determines a reproduction's results.
type protocol struct {
	// Args are the arguments of `whitebox reproduce` that make the same
	// runs (canonical: every flag as --name=value, task flags prefixed in
	// `reproduce all`).
	Args  []string       `json:"args"`
	Tasks []taskProtocol `json:"tasks"`
}

// taskProtocol is one task's share of the protocol.
type taskProtocol struct {
	Task     string   `json:"task"`
	Scale    string   `json:"scale"`
	Methods  []string `json:"methods"`
	Seeds    []uint64 `json:"seeds"`
	Workers  int      `json:"workers"`
	MaxSteps int      `json:"max_steps"`
	// Flags are the task's flags given on the command line (without
	// prefix); the others have the values of the scale.
	Flags map[string]string `json:"flags"`
	Runs  int               `json:"runs"`
}

// shardRun is one finished run.
type shardRun struct {
	Task string `json:"task"`
	// Index is the run's position in its task's runs (seeds x methods,
	// tasks.Settings.Runs; runsFormat names this numbering).
	Index  int          `json:"index"`
	Method string       `json:"method"`
	Seed   uint64       `json:"seed"`
	Record tasks.Record `json:"record"`
}

// taskFailure is a task whose run failed.
type taskFailure struct {
	Task  string `json:"task"`
	Error string `json:"error"`
}

// build identifies the program that made the runs.
type build struct {
	// Version is the main module's version ("(devel)" for a build from a
	// work tree); Commit and Modified come from the version control
	// stamp, when the build has one.
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	Tags     string `json:"tags"`
	BLAS     string `json:"blas"`
}

// machine describes where a shard ran.
type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// execution is how a shard's process ran.
type execution struct {
	// Args are the arguments of `whitebox reproduce` as given.
	Args []string `json:"args"`
	// Flags are every flag's value in that process (flags not given show
	// their defaults).
	Flags map[string]string `json:"flags"`
}

// thisBuild describes the running program.
func thisBuild() build {
	b := build{Version: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, BLAS: tensor.BLASBackend}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			case "-tags":
				b.Tags = s.Value
			}
		}
	}
	return b
}

func (b build) String() string {
	s := "whitebox " + b.Version
	if b.Commit != "" {
		s += " (commit " + b.Commit
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	} else {
		s += " (no commit stamp)"
	}
	tags := b.Tags
	if tags == "" {
		tags = "none"
	}
	return fmt.Sprintf("%s, %s %s, BLAS %s, build tags: %s", s, b.Go, b.Platform, b.BLAS, tags)
}

// thisMachine describes the machine: the CPU model from /proc/cpuinfo
// where there is one.
func thisMachine() machine {
	m := machine{CPU: "unknown (" + runtime.GOARCH + ")", Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			m.CPU = strings.Join(strings.Fields(v), " ")
			break
		}
	}
	return m
}

func (m machine) String() string {
	s := fmt.Sprintf("%s, %d cores", m.CPU, m.Cores)
	if m.GOMAXPROCS != m.Cores {
		s += fmt.Sprintf(" (GOMAXPROCS %d)", m.GOMAXPROCS)
	}
	return s
}

// protocol returns the reproduction's protocol: its canonical arguments
// and each task's settings and given flags.
func (h *harness) protocol() protocol {
	name := h.parts[0].info.Name
	if h.all {
		name = "all"
	}
	args := []string{name,
		"--scale=" + h.scale,
		"--seeds=" + strconv.Itoa(h.seeds),
		"--seed=" + strconv.FormatUint(h.seed, 10),
		"--max-steps=" + strconv.Itoa(h.maxSteps)}
	if !h.all || h.f.IsSet("workers") {
		args = append(args, "--workers="+strconv.Itoa(h.workers))
	}
	var tps []taskProtocol
	for _, p := range h.parts {
		args = append(args, "--"+p.prefix+"methods="+strings.Join(p.set.MethodNames(), ","))
		given := map[string]string{}
		names := append([]string(nil), p.flagNames...)
		sort.Strings(names)
		for _, n := range names {
			if h.f.IsSet(p.prefix + n) {
				v := h.f.Lookup(p.prefix + n).Value.String()
				given[n] = v
				args = append(args, "--"+p.prefix+n+"="+v)
			}
		}
		tps = append(tps, taskProtocol{Task: p.info.Name, Scale: string(p.set.Scale), Methods: p.set.MethodNames(), Seeds: p.set.Seeds,
			Workers: p.set.Workers, MaxSteps: p.set.MaxSteps, Flags: given, Runs: len(p.set.Runs())})
	}
	return protocol{Args: args, Tasks: tps}
}

// execution returns how this process runs: its arguments and every flag.
func (h *harness) execution(args []string) execution {
	x := execution{Args: append([]string(nil), args...), Flags: map[string]string{}}
	h.f.VisitAll(func(f *flag.Flag) { x.Flags[f.Name] = f.Value.String() })
	return x
}

// runShard trains this process's share of the runs, task by task, and
// writes them to --out as a runs file. A task whose run fails is recorded
// as failed and the next task goes on. Without --shard (`reproduce all`) it
// then writes the report folder from the runs file.
func (h *harness) runShard(ctx context.Context) int {
	rf := &runsFile{Format: runsFormat, Shard: h.shard.I, Shards: h.shard.N, Protocol: h.protocol(),
		Build: thisBuild(), Machine: thisMachine(), Execution: h.execution(h.argv),
		Started: time.Now().UTC().Format(time.RFC3339)}
	mine := h.mine()
	for _, p := range h.parts {
		var specs []tasks.RunSpec
		for _, j := range mine {
			if j.part == p {
				specs = append(specs, j.spec)
			}
		}
		if len(specs) == 0 {
			continue
		}
		recs, err := h.each(ctx, p, specs, p.task.Run)
		if err != nil {
			if interrupted(err) {
				return h.interrupted()
			}
			msg := oneLine(cliError(err))
			fmt.Fprintf(h.stderr, "%s: task %s failed: %s\n", h.cmd, p.info.Name, msg)
			rf.Failures = append(rf.Failures, taskFailure{Task: p.info.Name, Error: msg})
			continue
		}
		for k, r := range recs {
			s := specs[k]
			rf.Runs = append(rf.Runs, shardRun{Task: p.info.Name, Index: s.Index, Method: s.Method.String(), Seed: s.Seed, Record: r})
		}
	}
	rf.Finished = time.Now().UTC().Format(time.RFC3339)
	path := filepath.Join(h.out, h.shard.runsFile())
	if err := writeRunsFile(path, rf); err != nil {
		return failure(h.env, h.cmd, err)
	}
	if h.f.IsSet("shard") {
		fmt.Fprintf(h.stderr, "%s: shard %s: %d of the %d runs written to %s\n", h.cmd, h.shard, len(rf.Runs), len(h.jobs()), path)
		if len(rf.Failures) > 0 {
			fmt.Fprintf(h.stderr, "%s: shard %s: %d task(s) failed\n", h.cmd, h.shard, len(rf.Failures))
			return exitFailure
		}
		return exitOK
	}
	// The report comes from the runs file, as 'whitebox merge' makes it.
	m, err := assemble([]loadedRuns{{path: path, file: rf}}, h.env)
	if err != nil {
		return failure(h.env, h.cmd, err)
	}
	return m.writeFolder(ctx, h.env, h.cmd, h.out)
}

// writeRunsFile writes a runs file atomically.
func writeRunsFile(path string, rf *runsFile) error {
	b, err := json.MarshalIndent(rf, "", " ")
	if err != nil {
		return fmt.Errorf("encoding the runs of shard %d/%d: %v", rf.Shard, rf.Shards, err)
	}
	return atomicfile.Write("whitebox", path, append(b, '\n'))
}

// readRunsFile reads a runs file; unknown fields and other formats are
// errors.
func readRunsFile(path string) (*runsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", path, unwrapPathErr(err))
	}
	var rf runsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rf); err != nil {
		return nil, fmt.Errorf("%s is not a runs file of 'whitebox reproduce --shard' (%v)", path, err)
	}
	if rf.Format == runsFormatMethodMajor {
		return nil, fmt.Errorf("%s has format %q, made by an older build that numbered the runs method by method; this build reads %q, whose runs are numbered seed by seed, so its shards own other runs: re-run shard %d/%d (and every other shard made by the older build) with this build, or merge with the build that made the shards",
			path, rf.Format, runsFormat, rf.Shard, rf.Shards)
	}
	if rf.Format != runsFormat {
		return nil, fmt.Errorf("%s has format %q; this build reads %q (merge with the build that made the shards)", path, rf.Format, runsFormat)
	}
	if rf.Shards < 1 || rf.Shard < 1 || rf.Shard > rf.Shards || len(rf.Protocol.Args) == 0 {
		return nil, fmt.Errorf("%s has an inconsistent header (shard %d of %d)", path, rf.Shard, rf.Shards)
	}
	return &rf, nil
}

// unwrapPathErr drops the operation and path of a *os.PathError, which
// the messages name themselves.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
