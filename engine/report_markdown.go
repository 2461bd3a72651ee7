package engine

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Markdown writes the report for people: the summary, then the rest.
func (r *Report) Markdown(w io.Writer) error {
	c := r.clock()
	r.markdownSummary(w, c)
	r.markdownDetail(w, c)
	return nil
}

// MarkdownSummary writes the report's title and first page, and
// MarkdownDetail the rest: the timeline, the messages, the plan against
// what happened, the deliveries and the record. Together they are
// Markdown; the web page puts the picture of planned against actual
// between them.
func (r *Report) MarkdownSummary(w io.Writer) error {
	r.markdownSummary(w, r.clock())
	return nil
}

// MarkdownDetail writes what follows the summary (see MarkdownSummary).
func (r *Report) MarkdownDetail(w io.Writer) error {
	c := r.clock()
	c.full(r.StartedAt) // the timeline's first line gives its day only if it is not the start's
	r.markdownDetail(w, c)
	return nil
}

func (r *Report) markdownSummary(w io.Writer, c *reportClock) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# %s\n", mdText(r.Title))
	r.summaryMarkdown(p, c)
}

func (r *Report) markdownDetail(w io.Writer, c *reportClock) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	r.timelineMarkdown(p, c)
	r.messagesMarkdown(p, c)
	r.stepsMarkdown(p)
	p("\n## Deliveries by channel\n\n| channel | type | sent | of those, delivered to the phone | of those, not delivered | failed | withheld | other |\n" +
		"|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.ByChannel {
		p("| %s | %s | %d | %d | %d | %d | %d | %d |\n", dash(mdText(c.Channel)), mdText(c.Type), c.Sent, c.Delivered, c.Undelivered, c.Failed, c.Withheld, c.Other)
	}
	p("\nSent: the service took it; of those, delivered or not delivered: what the phone network said of a text. " +
		"Withheld: an exercise's, to someone not taking part, never sent.\n")
	if failed := r.deliveriesIn(state.DeliveryFailed); len(failed) > 0 {
		p("\n## Failed deliveries\n\n| step | type | to | attempts | why |\n|---|---|---|---|---|\n")
		for _, d := range failed {
			p("| %s | %s | %s | %d | %s |\n", mdText(d.Step), mdText(d.Type), mdText(d.Target), d.Attempts, mdText(d.Error))
		}
	}
	if undelivered := r.deliveriesIn(state.DeliveryUndelivered); len(undelivered) > 0 {
		p("\n## Texts not delivered\n\nThe service took them; the phone network could not deliver them.\n\n| step | to | why |\n|---|---|---|\n")
		for _, d := range undelivered {
			p("| %s | %s | %s |\n", mdText(d.Step), mdText(d.Target), dash(mdText(d.Receipt)))
		}
	}
	var again []DeliveryReport
	for _, d := range r.Deliveries {
		if d.PossiblyDuplicated {
			again = append(again, d)
		}
	}
	if len(again) > 0 {
		p("\n## Possibly duplicated\n\ncrier stopped while these were being sent, and sent them again: each may have arrived twice.\n\n| step | type | to | state |\n|---|---|---|---|\n")
		for _, d := range again {
			p("| %s | %s | %s | %s |\n", mdText(d.Step), mdText(d.Type), mdText(d.Target), mdText(d.Status))
		}
	}
	if r.Record.InMemory {
		p("\n## The record\n\nThis activation's record was kept in memory only (a drill run by crier drill) and is gone once the drill ends: " +
			"it cannot be verified later. Activations that must stand up to an inquiry run on `crier serve`, whose record is on disk.\n")
		return
	}
	p("\n## The record\n\nWhen this report was made, crier's record had reached command %d, whose link in the record's hash chain is `%s`. "+
		"`crier audit verify --head %s --index %d` shows the record up to there is as it was.\n", r.Record.Index, r.Record.Head, r.Record.Head, r.Record.Index)
}

func offset(s *int64) string {
	if s == nil {
		return "-"
	}
	if *s == 0 {
		return "0"
	}
	return runbooks.HumanDuration(time.Duration(*s) * time.Second)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// StillWaitingLine says what an exhausted chain still waits for, as a
// line of Markdown (people's words escaped) or of plain text:
// "Still waiting: Jo Bloggs — acknowledgement of … (no more reminders
// will be sent)".
func StillWaitingLine(w StillWaiting, markdown bool) string {
	esc := func(s string) string { return s }
	if markdown {
		esc = mdText
	}
	var who []string
	for _, p := range w.Waiting {
		who = append(who, esc(p.Name))
	}
	for _, p := range w.Unreachable {
		who = append(who, esc(p.Name)+" (unreachable: every delivery failed)")
	}
	line := "Still waiting: " + strings.Join(who, ", ") + " — " + esc(w.What)
	if markdown {
		line = "**" + line + "**"
	}
	return line + " (no more reminders will be sent)"
}

// names writes stakeholder ids as the runbook names them, escaped.
func (r *Report) names(ids []string) string {
	if len(ids) == 0 {
		return "no one"
	}
	var out []string
	for _, id := range ids {
		out = append(out, mdText(r.name(id)))
	}
	return strings.Join(out, ", ")
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

func capital(s string) string {
	c, n := utf8.DecodeRuneInString(s)
	if c == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(c)) + s[n:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// whoAs names a person and the stakeholder they acted as, by the
// stakeholder's name, when both are known and differ: "Dev Duty (as Duty
// Communications Officer)".
func (r *Report) whoAs(person, stakeholder string) string {
	name := r.name(stakeholder)
	if person == "" || person == stakeholder || person == name {
		return name
	}
	return person + " (as " + name + ")"
}

// deliveriesIn are the report's deliveries in one state.
func (r *Report) deliveriesIn(status string) []DeliveryReport {
	var out []DeliveryReport
	for _, d := range r.Deliveries {
		if d.Status == status {
			out = append(out, d)
		}
	}
	return out
}
