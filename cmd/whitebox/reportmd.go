package main

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/whitebox-de/whitebox/report"
)

// reportMarkdown returns REPORT.md of a reproduction: a summary of the
// tasks, the protocol, the build and machines, then each task's table
// beside the paper's numbers with its notes, checks, verdict, figures and
// results JSON. It depends only on the runs files and the tasks' results,
// so merging the same shards again gives the same bytes.
func (m *merged) reportMarkdown(secs []section) []byte {
	var b bytes.Buffer
	files := append([]loadedRuns(nil), m.files...)
	sort.SliceStable(files, func(i, j int) bool {
		a, c := files[i].file, files[j].file
		if a.Shards != c.Shards {
			return a.Shards < c.Shards
		}
		return a.Shard < c.Shard
	})
	proto := files[0].file.Protocol
	cmdline := "whitebox reproduce " + strings.Join(proto.Args, " ")
	how := "in one process"
	if len(files) > 1 || files[0].file.Shards > 1 {
		how = fmt.Sprintf("in %d shards, merged by `whitebox merge`", len(files))
	}
	fmt.Fprintf(&b, "# Reproduction of Pal et al. 2021, \"Opening the Blackbox\"\n\n")
	fmt.Fprintf(&b, "Made by `%s` %s. Each task's section holds its table beside the paper's numbers "+
		"(mean ± std over the seeds, and the ratios to vanilla), its notes, its acceptance checks with their verdict, "+
		"its figures and its results JSON.\n\n", cmdline, how)

	b.WriteString("| task | status | runs | checks passed | verdict |\n|---|---|---:|---:|---|\n")
	for _, s := range secs {
		runs := len(s.p.set.Runs())
		if s.err != "" {
			fmt.Fprintf(&b, "| %s | **FAILED** | %d of %d | — | %s |\n", s.p.info.Name, s.runs, runs, cell(s.err))
			continue
		}
		checks, verdict := "—", "—"
		if n := len(s.res.Checks); n > 0 {
			pass := 0
			for _, c := range s.res.Checks {
				if c.Pass {
					pass++
				}
			}
			checks = fmt.Sprintf("%d of %d", pass, n)
		}
		if s.res.Verdict != "" {
			verdict = cell(s.res.Verdict)
		}
		fmt.Fprintf(&b, "| %s | done | %d | %s | %s |\n", s.p.info.Name, runs, checks, verdict)
	}

	b.WriteString("\n## Protocol\n\n")
	fmt.Fprintf(&b, "Command: `%s`.\n\n", cmdline)
	b.WriteString("| task | scale | methods | seeds | runs at once | max steps | flags given |\n|---|---|---|---|---:|---:|---|\n")
	for _, t := range proto.Tasks {
		var given []string
		for k, v := range t.Flags {
			given = append(given, "--"+k+" "+v)
		}
		sort.Strings(given)
		flags := "none"
		if len(given) > 0 {
			flags = "`" + strings.Join(given, " ") + "`"
		}
		seeds := make([]string, len(t.Seeds))
		for i, s := range t.Seeds {
			seeds[i] = fmt.Sprint(s)
		}
		steps := "solver's default"
		if t.MaxSteps > 0 {
			steps = fmt.Sprint(t.MaxSteps)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %s |\n", t.Task, t.Scale, strings.Join(t.Methods, ", "), strings.Join(seeds, ", "), t.Workers, steps, flags)
	}
	b.WriteString("\nFlags not given take the scale's values; each task's full configuration is the `config` of its results JSON. " +
		"Each task's runs were made seed by seed (every method of a seed before the next seed; shards deal them round robin in that order), " +
		"so a drift of the machine's speed touches every method about alike; the tables group them by method.\n")

	b.WriteString("\n## Machine\n\n")
	fmt.Fprintf(&b, "- Build: %s.\n", files[0].file.Build)
	var machines []string
	shardsOn := map[string][]string{}
	start, end := files[0].file.Started, files[0].file.Finished
	for _, l := range files {
		ms := l.file.Machine.String()
		if _, ok := shardsOn[ms]; !ok {
			machines = append(machines, ms)
		}
		shardsOn[ms] = append(shardsOn[ms], fmt.Sprintf("%d/%d", l.file.Shard, l.file.Shards))
		start, end = min(start, l.file.Started), max(end, l.file.Finished)
	}
	for _, ms := range machines {
		if len(files) == 1 && files[0].file.Shards == 1 {
			fmt.Fprintf(&b, "- CPU: %s.\n", ms)
		} else {
			fmt.Fprintf(&b, "- CPU: %s (shards %s).\n", ms, strings.Join(shardsOn[ms], ", "))
		}
	}
	fmt.Fprintf(&b, "- Runs made from %s to %s (UTC).\n", start, end)

	for _, s := range secs {
		b.WriteString("\n")
		if s.err != "" {
			fmt.Fprintf(&b, "## %s\n\n**FAILED**: %s\n\n%d of its %d runs were made.\n", s.p.info.Name, s.err, s.runs, len(s.p.set.Runs()))
			continue
		}
		writeSection(&b, s, m.h.scale)
	}
	return b.Bytes()
}

// writeSection writes a task's section: heading, table, notes, checks,
// verdict, figures and results JSON.
func writeSection(b *bytes.Buffer, s section, scale string) {
	res := s.res
	fmt.Fprintf(b, "## %s (%s scale, %d seeds)\n\n", res.Task, scale, len(s.p.set.Seeds))
	report.Table(b, res, nil)
	var items []string
	items = append(items, res.Notes...)
	for _, c := range res.Checks {
		items = append(items, c.Text)
	}
	if res.Verdict != "" {
		items = append(items, "**"+res.Verdict+"**")
	}
	writeItems(b, items)
	if len(s.figs) > 0 {
		b.WriteString("\n")
		for _, f := range s.figs {
			fmt.Fprintf(b, "![%s: %s](%s)\n", res.Task, strings.TrimSuffix(path.Base(f), path.Ext(f)), f)
		}
	}
	fmt.Fprintf(b, "\nResults JSON: [%s](%s).\n", s.js, s.js)
}

// writeItems writes a section's notes, checks and verdict as a markdown
// list. A note that is already a list item ("- ...", a sub-point of the
// note before it) is nested under it; a note of several lines (a table)
// is a block of its own between the list's parts.
func writeItems(b *bytes.Buffer, items []string) {
	if len(items) == 0 {
		return
	}
	b.WriteString("\n")
	for _, it := range items {
		switch {
		case strings.Contains(it, "\n"):
			fmt.Fprintf(b, "\n%s\n\n", strings.TrimRight(it, "\n"))
		case strings.HasPrefix(it, "- "):
			fmt.Fprintf(b, "  %s\n", it)
		default:
			fmt.Fprintf(b, "- %s\n", it)
		}
	}
}

// cell makes text fit in a markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}
