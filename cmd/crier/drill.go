package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

func runDrill(ctx context.Context, args []string, e env) int {
	flags := newFlags("drill", "[--instant | --speed N] [--param name=value]... [--approve-after DURATION] [--ack-after DURATION | --no-ack] [--horizon DURATION] [--start RFC3339] [--outbox DIR | --config FILE [--allow-real-recipients]] [--directory FILE] [--json] FILE",
		"Run a runbook as an exercise, in-process and end to end: every step fires on its schedule,\n"+
			"every message is marked as an exercise, a simulated controller approves messages,\n"+
			"completes tasks and acknowledges what asks for it, and deliveries are written to a file of\n"+
			"the drill's own in an outbox (drill-RUNBOOK-TIME.jsonl) instead of being sent — or, with\n"+
			"--config, sent through the notifiers crier.yaml configures.\n"+
			"It first says who the drill can reach. A drill through real services that can reach\n"+
			"anyone outside exercise.redirect or exercise.participants is refused unless\n"+
			"--allow-real-recipients is given.\n"+
			"Prints the timeline as it happens, then the report. Without --speed the drill is instant:\n"+
			"a virtual clock jumps from one due item to the next.")
	instant := flags.Bool("instant", false, "jump from one due item to the next (the default)")
	speed := flags.Float64("speed", 0, "run at N scenario seconds per real second instead, from 1 (real time) to 10,000")
	approveAfter := flags.String("approve-after", "5m", "how long the simulated controller takes to approve a message or finish a task")
	ackAfter := flags.String("ack-after", "", "how long the people a message reached take to acknowledge it (default: --approve-after)")
	noAck := flags.Bool("no-ack", false, "nobody acknowledges messages: the escalation policies show what follows")
	allowReal := flags.Bool("allow-real-recipients", false, "with --config, drill even though real people outside the exercise can be reached")
	horizonText := flags.String("horizon", "", "how long the drill runs (default: to the last one-off step; recurring steps to their until, or 7d)")
	outbox := flags.String("outbox", "crier-data/outbox", "the directory deliveries are written to, in a file of the drill's own")
	configFile := flags.String("config", "", "send through the notifiers this crier.yaml configures instead of writing to an outbox")
	startText := flags.String("start", "", "the scenario's start, RFC3339, as plan takes it: to rehearse a handover or the change of the clocks (default: now)")
	named := flags.String("directory", "", "the directory file the runbook points into (default: crier.yaml's directory:, or directory.yaml beside the runbook)")
	jsonOut := flags.Bool("json", false, "print one JSON object: activation, mode, timeline, deliveries and report")
	params := paramFlag{}
	flags.Var(params, "param", "a param value, name=value (repeatable)")
	files, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	switch {
	case len(files) != 1:
		fmt.Fprintln(e.stderr, "crier drill: name exactly one runbook file")
		return exitUsage
	case *instant && *speed != 0:
		fmt.Fprintln(e.stderr, "crier drill: choose --instant or --speed, not both")
		return exitUsage
	case *speed != 0 && !(*speed >= 1 && *speed <= engine.MaxSpeed):
		fmt.Fprintf(e.stderr, "crier drill: --speed is %s (about a week in a minute); for faster, drill --instant\n", engine.SpeedRange)
		return exitUsage
	case *allowReal && *configFile == "":
		fmt.Fprintln(e.stderr, "crier drill: --allow-real-recipients is for drills through real services, with --config")
		return exitUsage
	case *configFile != "" && flagGiven(flags, "outbox"):
		fmt.Fprintln(e.stderr, "crier drill: choose --outbox or --config, not both (the configuration names its outbox)")
		return exitUsage
	case *noAck && *ackAfter != "":
		fmt.Fprintln(e.stderr, "crier drill: choose --ack-after or --no-ack, not both")
		return exitUsage
	case flagGiven(flags, "config") && *configFile == "":
		fmt.Fprintln(e.stderr, "crier drill: --config needs a file")
		return exitUsage
	}
	if _, err := os.Stat(*configFile); *configFile != "" && errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "crier drill: %s: no such file\n", *configFile)
		return exitUsage
	}
	after, err := runbooks.ParseDuration(*approveAfter)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier drill: --approve-after: %v\n", err)
		return exitUsage
	}
	acked := after
	if *ackAfter != "" {
		if acked, err = runbooks.ParseDuration(*ackAfter); err != nil {
			fmt.Fprintf(e.stderr, "crier drill: --ack-after: %v\n", err)
			return exitUsage
		}
	}
	if isDirectory(files[0]) {
		fmt.Fprintf(e.stderr, "crier drill: %s is the directory, not a runbook: name a runbook to drill (crier finds the directory beside it, or give it as --directory)\n", files[0])
		return exitUsage
	}
	if isConfiguration(files[0]) {
		fmt.Fprintf(e.stderr, "crier drill: %s is a configuration, not a runbook: give it as --config, and name a runbook to drill\n", files[0])
		return exitUsage
	}
	source, err := os.ReadFile(files[0])
	if err != nil {
		why := "no such file"
		if info, statErr := os.Stat(files[0]); statErr == nil && info.IsDir() {
			why = "a directory; name one runbook file"
		}
		fmt.Fprintf(e.stderr, "crier drill: %s: %s\n", files[0], why)
		return exitUsage
	}
	rb, err := runbooks.Parse(files[0], source)
	if err != nil {
		printLoadError(e, files[0], err)
		return exitError
	}
	horizon, err := drillHorizon(rb, *horizonText)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier drill: %v\n", err)
		return exitUsage
	}
	start := e.now().UTC().Truncate(time.Minute)
	if *startText != "" {
		t, err := time.Parse(time.RFC3339, *startText)
		if err != nil {
			fmt.Fprintf(e.stderr, "crier drill: --start %q is not an RFC3339 time like 2026-10-24T06:00:00Z\n", *startText)
			return exitUsage
		}
		start = t.UTC()
	}
	dir, dirFile, code, ok := DirectoryFor(e, "drill", *named, files[0], rb, start)
	if !ok {
		return code
	}
	sending, err := drillRoutes(e, *configFile, *outbox, rb)
	if err != nil {
		return exitError
	}
	defer sending.Close()
	reach := engine.CanReach(rb, dir, true, sending.ApprovalsChannel)
	if sending.outbox == "" && !reach.Sealed && !*allowReal {
		fmt.Fprintf(e.stderr, "crier drill: refusing to drill %s through real services: the runbook sets neither exercise.redirect\n"+
			"nor exercise.participants, so this drill would reach:\n", files[0])
		for _, l := range reach.Lines() {
			fmt.Fprintf(e.stderr, "  %s\n", l)
		}
		fmt.Fprintln(e.stderr, "Add exercise.redirect (exercise channels) or exercise.participants to the runbook, drill with --outbox,\n"+
			"or give --allow-real-recipients if every one of them is taking part.")
		return exitError
	}
	given, placeholders := drillParams(rb, params)
	if len(placeholders) > 0 && !*jsonOut {
		fmt.Fprintf(e.stdout, "Params not given, drilled as placeholders: %s\n", strings.Join(placeholders, ", "))
	}
	var printer *timelinePrinter
	if !*jsonOut {
		printer = &timelinePrinter{w: e.stdout, start: start}
		fmt.Fprintf(e.stdout, "Drill of %s (%s), %s\n", rb.Title, rb.ID, pace(*speed))
		printReach(e.stdout, reach, sending.outbox)
	}
	opts := engine.DrillOptions{
		Source: source, SourceName: files[0], Params: given, Start: start,
		Instant: *speed == 0, Speed: *speed, Horizon: horizon, ApproveAfter: after, AckAfter: acked, NoAck: *noAck,
		Dispatch: sending.Options, ApprovalsChannel: sending.ApprovalsChannel,
		Log:      sending.Options.Log,
		OnCommit: printer.print,
	}
	if dir != nil {
		if opts.Directory, err = os.ReadFile(dirFile); err != nil {
			fmt.Fprintf(e.stderr, "crier drill: %v\n", err)
			return exitError
		}
		opts.DirectoryName, opts.ListFiles = dirFile, os.DirFS(filepath.Dir(dirFile))
	}
	eng, id, err := engine.Drill(ctx, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier drill: %v\n", err)
		return exitError
	}
	report, err := eng.Report(id)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier drill: %v\n", err)
		return exitError
	}
	if *jsonOut {
		return printDrillJSON(e, report, reach, sending.outbox)
	}
	if sending.outbox != "" {
		fmt.Fprintf(e.stdout, "\nDeliveries are in %s.\n\n", sending.outbox)
	} else {
		fmt.Fprintf(e.stdout, "\nDeliveries were sent through the notifiers %s configures.\n\n", *configFile)
	}
	report.Markdown(e.stdout)
	return exitOK
}

func pace(speed float64) string {
	if speed == 0 {
		return "instant"
	}
	return fmt.Sprintf("at %gx", speed)
}

func drillHorizon(rb *runbooks.Runbook, text string) (time.Duration, error) {
	if text == "" {
		return engine.DrillHorizon(rb)
	}
	h, err := runbooks.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("--horizon: %w", err)
	}
	return h, nil
}

// drillParams fills required params that were not given with visible
// placeholders, so any runbook can be drilled as it stands.
func drillParams(rb *runbooks.Runbook, given map[string]string) (map[string]string, []string) {
	out := maps.Clone(given)
	var placeholders []string
	for _, p := range rb.Params {
		if _, ok := out[p.Name]; !ok && p.Required {
			out[p.Name] = "<" + p.Name + ">"
			placeholders = append(placeholders, p.Name)
		}
	}
	return out, placeholders
}

// timelinePrinter prints events as the drill commits them.
type timelinePrinter struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex // commits come from the scheduler and the dispatcher's workers
	// onDuty is who each rota was last said to have on duty: a handover
	// is printed, the same person again at the next firing is not.
	onDuty map[string]string
}

func (p *timelinePrinter) print(c engine.Committed) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range c.Events {
		if ev.Kind == "on_duty" {
			rota, who, _ := strings.Cut(ev.Detail, ": ")
			if p.onDuty[rota] == who {
				continue
			}
			if p.onDuty == nil {
				p.onDuty = map[string]string{}
			}
			p.onDuty[rota] = who
		}
		offset := "T+0"
		if d := ev.At.Sub(p.start).Truncate(time.Second); d > 0 { // whole seconds, as the report counts
			offset = "T+" + runbooks.HumanDuration(d)
		}
		fmt.Fprintf(p.w, "%-10s %-28s %-24s %s\n", offset, engine.StepOf(ev.ActivationID, ev.Subject), strings.ReplaceAll(ev.Kind, "_", " "), ev.Detail)
	}
}

// printReach says who a drill or activation can reach, by channel type.
func printReach(w io.Writer, r engine.Reach, outbox string) {
	switch {
	case outbox != "":
		fmt.Fprintf(w, "Writes to the outbox file %s, sending nothing; through real services it could reach:\n", outbox)
	case r.Exercise && r.Sealed:
		fmt.Fprintln(w, "This exercise can reach only (everything else is withheld or redirected):")
	case r.Exercise:
		fmt.Fprintln(w, "This exercise is not sealed (no exercise.redirect or exercise.participants): it can reach real people:")
	default:
		fmt.Fprintln(w, "This activation can reach:")
	}
	for _, l := range r.Lines() {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintln(w)
}

func printDrillJSON(e env, r *engine.Report, reach engine.Reach, outbox string) int {
	type timelineEntry struct {
		OffsetSeconds int64  `json:"offset_seconds"`
		Kind          string `json:"kind"`
		Step          string `json:"step"`
		Event         string `json:"event"`
	}
	out := struct {
		Activation string                  `json:"activation"`
		Mode       string                  `json:"mode"`
		Outbox     string                  `json:"outbox,omitempty"` // the drill's own file, when it writes to the outbox
		Timeline   []timelineEntry         `json:"timeline"`
		Reach      engine.Reach            `json:"reach"`
		Deliveries []engine.DeliveryReport `json:"deliveries"`
		Report     *engine.Report          `json:"report"`
	}{Activation: r.Activation, Mode: r.Mode, Outbox: outbox, Timeline: []timelineEntry{}, Reach: reach, Deliveries: r.Deliveries, Report: r}
	for _, t := range r.Timeline {
		out.Timeline = append(out.Timeline, timelineEntry{OffsetSeconds: t.OffsetSeconds, Kind: t.Kind, Step: t.Step, Event: t.Event})
	}
	if out.Deliveries == nil {
		out.Deliveries = []engine.DeliveryReport{}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(e.stderr, "crier drill: %v\n", err)
		return exitError
	}
	return exitOK
}
