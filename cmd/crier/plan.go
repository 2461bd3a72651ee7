package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// paramFlag collects repeated --param k=v values.
type paramFlag map[string]string

func (p paramFlag) String() string { return "" }

func (p paramFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not name=value", v)
	}
	p[k] = val
	return nil
}

func runPlan(ctx context.Context, args []string, e env) int {
	flags := newFlags("plan", "[--json] [--start RFC3339] [--horizon DURATION] [--exercise] [--param name=value]... [--directory FILE] FILE",
		"Show when each step of a runbook would happen for an activation at --start: a timeline\n"+
			"with offsets, local times in the runbook's time zone, phases, steps, what each needs\n"+
			"(approval, acknowledgement) and who it reaches then: each person by email, slack or\n"+
			"sms, a rota's by whoever is on duty at that row's time, and contact lists by size.\n"+
			"Runbooks that point into a directory use the one --directory names, else the one\n"+
			"crier.yaml beside the runbook names with directory:, else directory.yaml beside it.")
	jsonOut := flags.Bool("json", false, "print the plan as one JSON array (the format's machine-readable output, with reaches)")
	startText := flags.String("start", "", "activation time, RFC3339 (default: now)")
	horizonText := flags.String("horizon", "14d", "how far ahead to plan, e.g. 36h, 14d, 6w")
	exercise := flags.Bool("exercise", false, "plan a drill: include injects and exercise redirects")
	named := flags.String("directory", "", "the directory file the runbook points into (default: crier.yaml's directory:, else directory.yaml beside it)")
	params := paramFlag{}
	flags.Var(params, "param", "a param value, name=value (repeatable)")
	files, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "crier plan: name exactly one runbook file")
		return exitUsage
	}
	start := e.now().Truncate(time.Minute)
	if *startText != "" {
		t, err := time.Parse(time.RFC3339, *startText)
		if err != nil {
			fmt.Fprintf(e.stderr, "crier plan: --start %q is not an RFC3339 time like 2026-03-28T09:00:00Z\n", *startText)
			return exitUsage
		}
		start = t
	}
	horizon, err := runbooks.ParseDuration(*horizonText)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier plan: --horizon: %v\n", err)
		return exitUsage
	}
	if flagGiven(flags, "directory") && *named == "" {
		fmt.Fprintln(e.stderr, "crier plan: --directory needs a file")
		return exitUsage
	}
	if _, err := os.Stat(files[0]); err != nil {
		fmt.Fprintf(e.stderr, "crier plan: %s: no such file\n", files[0])
		return exitUsage
	}
	if isDirectory(files[0]) {
		fmt.Fprintf(e.stderr, "crier plan: %s is the directory, not a runbook: name a runbook to plan (crier finds the directory beside it, or give it as --directory)\n", files[0])
		return exitUsage
	}
	rb, err := runbooks.Load(files[0])
	if err != nil {
		printLoadError(e, files[0], err)
		return exitError
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if !slices.ContainsFunc(rb.Params, func(p runbooks.Param) bool { return p.Name == name }) {
			fmt.Fprintf(e.stderr, "crier plan: runbook %q declares no param %q\n", rb.ID, name)
			return exitUsage
		}
	}
	found, _, code, ok := DirectoryFor(e, "plan", *named, files[0], rb, start)
	if !ok {
		return code
	}
	var dir runbooks.Directory
	if found != nil {
		dir = found
	}
	plan, err := runbooks.Plan(rb, start, horizon, runbooks.PlanOptions{Exercise: *exercise})
	if err != nil {
		fmt.Fprintf(e.stderr, "crier plan: %v\n", err)
		return exitUsage
	}
	rows := engine.PlanReaches(rb, dir, plan, *exercise)
	if *jsonOut {
		if rows == nil {
			rows = []engine.PlanRow{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(e.stderr, "crier plan: %v\n", err)
			return exitError
		}
		return exitOK
	}
	printTimeline(e.stdout, rb, found, rows, start, horizon, *exercise, params)
	return exitOK
}

func printLoadError(e env, file string, err error) {
	var list runbooks.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintf(e.stderr, "%s:1:1: error: %s\n", file, describeFileError(err))
		return
	}
	for _, d := range list {
		fmt.Fprintln(e.stderr, humanDiagnostic(d))
	}
}

func printTimeline(w io.Writer, rb *runbooks.Runbook, dir *directory.Directory, plan []engine.PlanRow, start time.Time, horizon time.Duration, exercise bool, params map[string]string) {
	loc := rb.Location()
	mode := "live"
	if exercise {
		mode = "exercise"
	}
	fmt.Fprintf(w, "%s (%s)\n", rb.Title, rb.ID)
	fmt.Fprintf(w, "Activated %s (%s), %s, next %s\n", start.In(loc).Format("Mon 2 Jan 2006 15:04 MST"), loc, mode, runbooks.HumanDuration(horizon))
	if exercise {
		fmt.Fprintf(w, "Every message is marked %q", rb.ExercisePrefix())
		if rb.Exercise != nil && len(rb.Exercise.Redirect) > 0 {
			fmt.Fprintf(w, " and goes only to %s", strings.Join(runbooks.Names(rb.Exercise.Redirect), ", "))
		}
		fmt.Fprintln(w)
	}
	printReach(w, engine.CanReach(rb, dir, exercise, ""), "")
	for _, wv := range rb.Waive {
		fmt.Fprintf(w, "Waived: %s \u2014 %s\n", wv.Code, wv.Reason)
	}
	if missing := missingParams(rb, params); len(missing) > 0 {
		fmt.Fprintf(w, "Params to give at activation: %s\n", strings.Join(missing, ", "))
	}
	fmt.Fprintln(w)
	if len(plan) == 0 {
		fmt.Fprintln(w, "Nothing happens within the horizon.")
		return
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OFFSET\tTIME\tPHASE\tSTEP\tKIND\tNEEDS\tTO\tWHAT")
	for _, row := range plan {
		o := row.Occurrence
		offset := "T+0"
		if o.Offset > 0 {
			offset = "T+" + runbooks.HumanDuration(o.Offset)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			offset, o.At.In(loc).Format("Mon 2 Jan 15:04 MST"), dash(o.Phase),
			stepLabel(rb, o), o.Kind, dash(needs(rb, o)), strings.Join(o.To, ", "), what(rb, o, start, exercise, params))
	}
	tw.Flush()
	// Who each row reaches goes under it, wrapped, so that the table keeps
	// its columns however many people a row reaches.
	lines := strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n")
	fmt.Fprintln(w, lines[0])
	for i, row := range plan {
		fmt.Fprintln(w, lines[i+1])
		printWho(w, "reaches", row.Reaches)
		printWho(w, "withheld", row.Withheld)
	}
}

// reachWidth is the width the lines under each row are wrapped to.
const reachWidth = 80

// printWho writes "    reaches: A (email), B (sms)" wrapped at
// reachWidth, or nothing when there is no one.
func printWho(w io.Writer, label string, who []engine.Reached) {
	if len(who) == 0 {
		return
	}
	lead := "    " + label + ": "
	indent := strings.Repeat(" ", len(lead))
	line, empty := lead, true
	for i, r := range who {
		item := reachedText(r)
		if i < len(who)-1 {
			item += ","
		}
		switch {
		case empty:
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(item) > reachWidth:
			fmt.Fprintln(w, line)
			line = indent
		default:
			line += " "
		}
		line, empty = line+item, false
	}
	fmt.Fprintln(w, line)
}

// stepLabel numbers the occurrences of recurring steps: monitor #3.
func stepLabel(rb *runbooks.Runbook, o runbooks.Occurrence) string {
	if s, ok := rb.Step(o.Step); ok && s.Recurring() {
		return fmt.Sprintf("%s #%d", o.Step, o.Occurrence)
	}
	return o.Step
}

// needs says what a step waits on or asks of people.
func needs(rb *runbooks.Runbook, o runbooks.Occurrence) string {
	var parts []string
	if len(o.After) > 0 {
		parts = append(parts, "after "+strings.Join(o.After, "+"))
	}
	s, ok := rb.Step(o.Step)
	if !ok {
		return strings.Join(parts, "; ")
	}
	switch {
	case s.Notify != nil && s.Notify.Approval != nil:
		a := s.Notify.Approval
		p := "approval"
		if a.Min > 1 {
			p = fmt.Sprintf("%d approvals", a.Min)
		}
		if len(a.Organisations) > 0 {
			p += ", signed by " + strings.Join(runbooks.Names(a.Organisations), "+")
		}
		if a.Within != nil {
			p += " within " + a.Within.Text
		}
		parts = append(parts, p)
	}
	var ack *runbooks.Duration
	if s.Notify != nil {
		ack = s.Notify.AckWithin
	} else if s.Task != nil {
		ack = s.Task.AckWithin
	}
	if ack != nil {
		parts = append(parts, "ack within "+ack.Text)
	}
	return strings.Join(parts, "; ")
}

// what previews a step: a notify's subject rendered with the given params
// (placeholders for the rest), otherwise its title.
func what(rb *runbooks.Runbook, o runbooks.Occurrence, start time.Time, exercise bool, params map[string]string) string {
	s, ok := rb.Step(o.Step)
	if !ok {
		return "scenario inject"
	}
	if s.Notify == nil || s.Notify.Subject.Text == "" {
		return s.Title
	}
	mode := "live"
	if exercise {
		mode = "exercise"
	}
	data := runbooks.TemplateValues{
		Params:     map[string]string{},
		Activation: runbooks.ActivationInfo{ID: "plan", Runbook: string(rb.ID), Mode: mode, StartedAt: start},
		Step:       runbooks.StepInfo{ID: string(s.ID), Title: s.Title},
		Occurrence: o.Occurrence,
		Now:        o.At,
	}
	for _, p := range rb.Params {
		switch v, given := params[p.Name]; {
		case given:
			data.Params[p.Name] = v
		case p.Default != "":
			data.Params[p.Name] = p.Default
		default:
			data.Params[p.Name] = "<" + p.Name + ">"
		}
	}
	subject, err := s.Notify.Subject.Render(data)
	if err != nil {
		return s.Title
	}
	if exercise {
		subject = rb.ExercisePrefix() + " " + subject
	}
	return "\u201c" + subject + "\u201d"
}

func missingParams(rb *runbooks.Runbook, given map[string]string) []string {
	var out []string
	for _, p := range rb.Params {
		if _, ok := given[p.Name]; !ok && p.Required {
			out = append(out, p.Name)
		}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
