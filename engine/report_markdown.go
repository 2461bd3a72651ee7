package engine

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Markdown writes the report for people.
func (r *Report) Markdown(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# %s\n\n", mdText(r.Title))
	p("Activation %s of runbook %s, %s, %s. Started %s.\n", mdText(r.Activation), mdCode(r.Runbook), mdText(r.Mode), mdText(strings.ReplaceAll(r.State, "_", " ")),
		r.StartedAt.Format(time.RFC3339))
	if r.EndedAt != nil {
		p("Ended %s: %s\n", r.EndedAt.Format(time.RFC3339), mdText(r.EndReason))
	}
	if len(r.Paces) > 0 {
		var paces []string
		for _, p := range r.Paces {
			paces = append(paces, fmt.Sprintf("×%g from %s", p.Speed, p.Since.Format("15:04:05 MST, 2 Jan")))
		}
		p("\nTimes are exercise time: speed %s real time. The record keeps the real time of each action beside it.\n", strings.Join(paces, ", then "))
	}
	if n := len(r.StillWaiting); n > 0 {
		p("\n**%s still waiting after every reminder: no more reminders will be sent.** See Still waiting, under Escalations.\n",
			plural(n, "thing is", "things are"))
	}
	p("\n## Steps: planned and actual\n\n| step | # | kind | planned | fired | complete | state |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		state := strings.ReplaceAll(s.State, "_", " ")
		if len(s.WaitingFor) > 0 {
			state += " (waits for " + strings.Join(s.WaitingFor, ", ") + ")"
		}
		p("| %s | %d | %s | %s | %s | %s | %s |\n", mdText(s.Step), s.Occurrence, mdText(s.Kind),
			offset(s.PlannedSeconds), offset(s.FiredSeconds), offset(s.CompleteSeconds), mdText(state))
	}
	p("\n## Messages\n")
	for _, m := range r.Messages {
		p("\n### %s (%s)\n\n", mdText(m.Step), mdText(strings.ReplaceAll(m.State, "_", " ")))
		if subject := mdText(m.Subject); subject != "" {
			p("**%s**\n\n", subject)
		}
		p("%s\n\n", quote(m.Body))
		if len(m.Revisions) > 1 {
			last := m.Revisions[len(m.Revisions)-1]
			p("Revisions: %d, last by %s.\n\n", len(m.Revisions), mdText(whoAs(last.Editor, last.EditedBy)))
		}
		for _, a := range m.Approvals {
			who := whoAs(a.Person, a.By)
			if a.Simulated {
				who = a.By + " (simulated)"
			}
			p("- approved revision %d by %s at %s\n", a.Revision, mdText(who), a.At.Format(time.RFC3339))
		}
		if m.ApprovalSeconds != nil {
			p("- approval took %s\n", offset(m.ApprovalSeconds))
		}
		if m.RejectedBy != "" {
			p("- rejected by %s: %s\n", mdText(m.RejectedBy), mdText(m.RejectReason))
		}
		for _, k := range m.Acknowledged {
			p("- acknowledged by %s after %s\n", mdText(k.Stakeholder), offset(&k.Seconds))
		}
	}
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
	p("\n## Tasks\n\n| task | assignee | state | acknowledged after | done after |\n|---|---|---|---|---|\n")
	for _, t := range r.Tasks {
		p("| %s | %s | %s | %s | %s |\n", mdText(t.Step), mdText(t.Assignee), mdText(t.State), offset(t.AckSeconds), offset(t.DoneSeconds))
	}
	r.escalationsMarkdown(p)
	p("\n## Decisions\n\n")
	if len(r.Decisions) == 0 {
		p("None recorded.\n")
	}
	for _, d := range r.Decisions {
		line := fmt.Sprintf("- %s, %s:", d.At.Format(time.RFC3339), mdText(d.By))
		if decision := mdText(d.Decision); decision != "" {
			line += " **" + decision + "**."
		}
		if rationale := mdText(d.Rationale); rationale != "" {
			line += " Rationale: " + rationale + "."
		}
		if information := mdText(d.Information); information != "" {
			line += " Information: " + information + "."
		}
		p("%s\n", line)
	}
	p("\n## Timeline\n\n| T+ | event | step | by | detail |\n|---|---|---|---|---|\n")
	for _, t := range r.Timeline {
		p("| %s | %s | %s | %s | %s |\n", offset(&t.OffsetSeconds), mdText(t.Kind), dash(mdText(t.Step)), mdText(t.Actor), mdText(t.Event))
	}
	if r.Record.InMemory {
		p("\n## The record\n\nThis activation's record was kept in memory only (a drill run by crier drill) and is gone once the drill ends: " +
			"it cannot be verified later. Activations that must stand up to an inquiry run on `crier serve`, whose record is on disk.\n")
		return nil
	}
	p("\n## The record\n\nWhen this report was made, crier's record had reached command %d, whose link in the record's hash chain is `%s`. "+
		"`crier audit verify --head %s --index %d` shows the record up to there is as it was.\n", r.Record.Index, r.Record.Head, r.Record.Head, r.Record.Index)
	return nil
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

// escalationsMarkdown writes each chain's rounds, a line a round, and
// then what is still waiting after its chain ran out.
func (r *Report) escalationsMarkdown(p func(string, ...any)) {
	p("\n## Escalations\n")
	if len(r.Escalations) == 0 {
		p("\nNone.\n")
	}
	for i, x := range r.Escalations {
		if i == 0 || r.Escalations[i-1].SubjectID != x.SubjectID {
			p("\n### %s\n\n", mdText(capital(x.What)))
		}
		told := "told " + r.names(x.To)
		switch {
		case sameSet(x.To, x.Waiting):
			told = "reminded " + r.names(x.To)
		case len(x.Waiting) > 0:
			told += "; waiting for " + r.names(x.Waiting)
		}
		line := "- " + x.At.Format(time.RFC3339) + ": "
		switch {
		case x.Exhausted && len(x.Waiting) == 0:
			line += "no more reminders will be sent"
		case x.Exhausted:
			line += "no more reminders will be sent; still waiting for " + r.names(x.Waiting)
		case x.Levels == 0:
			line += fmt.Sprintf("round %d: %s", x.Reminder, told)
		case x.Reminder > x.Levels:
			line += fmt.Sprintf("reminder %d of %d: %s", x.Reminder-x.Levels, x.Reminders, told)
		default:
			line += fmt.Sprintf("escalation %d of %d: %s", x.Reminder, x.Levels, told)
		}
		if len(x.Unreachable) > 0 {
			line += "; unreachable, every delivery failed: " + r.names(x.Unreachable)
		}
		p("%s\n", line)
	}
	if len(r.StillWaiting) == 0 {
		return
	}
	p("\n### Still waiting\n\nEach of these ran through its escalation and is still not done. Chase them another way.\n\n")
	for _, w := range r.StillWaiting {
		p("- %s\n", StillWaitingLine(w, true))
	}
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
		name, ok := r.People[id]
		if !ok || name == "" {
			name = id
		}
		out = append(out, mdText(name))
	}
	return strings.Join(out, ", ")
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// whoAs names a person and the stakeholder they acted as, when both are
// known and differ: "Dev Duty (as duty-comms)".
func whoAs(person, stakeholder string) string {
	if person == "" || person == stakeholder {
		return stakeholder
	}
	return person + " (as " + stakeholder + ")"
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
