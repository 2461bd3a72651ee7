package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// The report's timeline is for reading, not the record's every event
// (the JSON's timeline has those): the rounds of one deadline's
// escalation chain are one line, a message's dispatch and its outcome are
// one line, and a recurring step whose occurrences went as planned is one
// line at its first, saying how many there were and how they went.
// Anything that went wrong with one of them (a rejection, a text not
// delivered, a reminder) keeps its own line.

// timelineLine is one line of the report's timeline.
type timelineLine struct {
	at       time.Time
	what, by string // Markdown, escaped
}

// routine are the events of a recurring step's occurrence folded into
// its one line.
var routine = []string{"task_opened", "acknowledged", "task_done", "message_drafted", "message_approved",
	"message_dispatched", "message_sent", "inject_sent"}

// outcomes are the events that end a message's dispatch.
var outcomes = []string{"message_sent", "message_partially_failed", "message_failed", "message_withheld"}

func (r *Report) timelineLines(c *reportClock) []timelineLine {
	recurring := r.recurringSteps()
	notices := map[string]bool{} // escalation notices: their chain's line says them
	for _, m := range r.Messages {
		if m.About != "" && m.About != m.ID { // a tension notice is about itself (TensionID): its lines stay
			notices[m.ID] = true
		}
	}
	concluded := map[string]bool{}
	for _, t := range r.Timeline {
		if slices.Contains(outcomes, t.Kind) {
			concluded[t.Subject] = true
		}
	}
	var lines []timelineLine
	folded := map[string]bool{}
	onDuty := map[string]string{} // by rota: who the timeline last said was on duty
	for _, t := range r.Timeline {
		if t.Kind == "on_duty" {
			rota, who, _ := strings.Cut(t.Event, ": ")
			if onDuty[rota] == who || recurring[t.Step] {
				continue // said already, or a recurring step's: the timeline tells a handover once, the record every time
			}
			onDuty[rota] = who
		}
		switch {
		case t.Kind == state.EventEscalated || t.Kind == state.EventEscalationExhausted || notices[t.Subject]:
			continue // one line a deadline, below
		case t.Kind == "message_dispatched" && concluded[t.Subject]:
			continue // its outcome says it
		case t.Kind == "message_sent" && r.isTaskStep(t.Step):
			continue // a task's own message: the task's lines say it
		case recurring[t.Step] && slices.Contains(routine, t.Kind):
			if !folded[t.Step] {
				folded[t.Step] = true
				lines = append(lines, timelineLine{at: t.At, what: r.recurringLine(c, t.Step)})
			}
			continue
		}
		lines = append(lines, timelineLine{at: t.At, what: r.eventWords(t), by: mdText(r.actorName(t.Actor))})
	}
	lines = append(lines, r.escalationLines(c)...)
	slices.SortStableFunc(lines, func(a, b timelineLine) int { return a.at.Compare(b.at) })
	return lines
}

// recurringSteps are the steps that came more than once.
func (r *Report) recurringSteps() map[string]bool {
	out := map[string]bool{}
	for _, s := range r.Steps {
		if s.Occurrence > 1 {
			out[s.Step] = true
		}
	}
	return out
}

// titleOf is a step's title as the report knows it, else its id.
func (r *Report) titleOf(step string) string {
	if step == AdHocStep {
		return "Ad-hoc message"
	}
	for _, s := range r.Steps {
		if s.Step == step && s.Title != "" {
			return s.Title
		}
	}
	return step
}

// eventWords writes an event for people: the step's title, what
// happened, and the event's own words.
func (r *Report) eventWords(t TimelineEntry) string {
	if t.Kind == "activated" && t.Step == "" {
		return "Activated in " + mdText(r.Mode) + " mode"
	}
	kind := strings.ReplaceAll(t.Kind, "_", " ")
	detail := t.Event
	if t.Step != "" {
		title := r.titleOf(t.Step)
		detail = strings.TrimPrefix(detail, title+" ")
		if inner, ok := strings.CutPrefix(detail, "("); ok && strings.HasSuffix(inner, ")") {
			detail = strings.TrimSuffix(inner, ")") // "(assigned to cohesion)"
		}
		kind = mdText(title) + ": " + mdText(kind)
	} else {
		kind = capital(mdText(kind))
	}
	switch t.Kind {
	case "message_rejected", "message_failed", "message_partially_failed", "escalation_exhausted", "delivery_undelivered", "render_failed":
		kind = "**" + kind + "**"
	}
	if detail := mdText(r.eventDetail(t, detail)); detail != "" {
		return kind + " — " + detail
	}
	return kind
}

// recurringLine says how a recurring step's occurrences went: "Rumour and
// tension check, 42 times, the last Tue 11 Dec 10:00: 42 done".
func (r *Report) recurringLine(c *reportClock, step string) string {
	var fired []StepReport
	for _, s := range r.Steps {
		if s.Step == step && s.FiredAt != nil {
			fired = append(fired, s)
		}
	}
	line := mdText(r.titleOf(step))
	if len(fired) == 0 {
		return line
	}
	first, last := *fired[0].FiredAt, *fired[len(fired)-1].FiredAt
	if len(fired) == 1 {
		line += ", once so far"
	} else {
		line += fmt.Sprintf(", %d times, the last %s", len(fired), c.short(first, last))
	}
	var how []string
	states := map[string]int{}
	var order []string
	for _, t := range r.Tasks {
		if t.Step == step {
			if states[t.State]++; states[t.State] == 1 {
				order = append(order, t.State)
			}
		}
	}
	for _, m := range r.Messages {
		if m.Step == step && m.About == "" && !r.isTaskStep(step) {
			if states[m.State]++; states[m.State] == 1 {
				order = append(order, m.State)
			}
		}
	}
	for _, s := range order {
		how = append(how, fmt.Sprintf("%d %s", states[s], mdText(strings.ReplaceAll(s, "_", " "))))
	}
	if len(how) > 0 {
		line += ": " + strings.Join(how, ", ")
	}
	return line
}

func (r *Report) isTaskStep(step string) bool {
	return slices.ContainsFunc(r.Steps, func(s StepReport) bool { return s.Step == step && s.Kind == "task" })
}

// escalationLines are one line a deadline: "3 reminders to Sam Patel and
// Jo Evans about approval of Holding statement, 14:05–14:45; chain ran
// out, still waiting for Sam Patel".
func (r *Report) escalationLines(c *reportClock) []timelineLine {
	var lines []timelineLine
	var chains [][]EscalationReport
	type chainKey struct {
		subject, reason string
		chain           int
	}
	index := map[chainKey]int{}
	for _, x := range r.Escalations {
		// a message's approval and its acknowledgements are two deadlines;
		// two silences to the public are two chains
		key := chainKey{x.SubjectID, x.Reason, x.Chain}
		i, ok := index[key]
		if !ok {
			i = len(chains)
			index[key] = i
			chains = append(chains, nil)
		}
		chains[i] = append(chains[i], x)
	}
	for _, chain := range chains {
		var to, waiting []string
		escalations, reminders := 0, 0
		var first, last time.Time
		var ranOut *EscalationReport
		var unreachable []string
		for k := range chain {
			x := &chain[k]
			unreachable = appendNew(unreachable, x.Unreachable...)
			if x.Exhausted {
				ranOut = x
				continue
			}
			if first.IsZero() {
				first = x.At
			}
			last = x.At
			to = appendNew(to, x.To...)
			waiting = appendNew(waiting, x.Waiting...)
			if x.Levels > 0 && x.Reminder <= x.Levels && !sameSet(x.To, x.Waiting) {
				escalations++ // others told; telling those who have not acted is a reminder
			} else {
				reminders++
			}
		}
		var notices []string
		if escalations > 0 {
			notices = append(notices, plural(escalations, "escalation", "escalations"))
		}
		if reminders > 0 {
			notices = append(notices, plural(reminders, "reminder", "reminders"))
		}
		line := strings.Join(notices, " and ")
		if line == "" {
			line = "No reminders"
			first = chain[0].At
			last = first
		} else {
			line += " to " + r.names(to)
		}
		line += " about " + mdText(chain[0].What)
		if len(waiting) > 0 && !sameSet(to, waiting) {
			line += " (waiting for " + r.names(waiting) + ")"
		}
		if last.After(first) {
			line += ", " + c.short(first, first) + "–" + c.short(first, last)
		}
		switch {
		case ranOut != nil && len(ranOut.Waiting) > 0:
			line += "; **chain ran out, still waiting for " + r.names(ranOut.Waiting) + "**"
		case ranOut != nil:
			line += "; chain ran out"
		}
		if len(unreachable) > 0 {
			line += "; unreachable, every delivery failed: " + r.names(unreachable)
		}
		lines = append(lines, timelineLine{at: first, what: line})
	}
	return lines
}

func appendNew(to []string, xs ...string) []string {
	for _, x := range xs {
		if !slices.Contains(to, x) {
			to = append(to, x)
		}
	}
	return to
}

// timelineMarkdown writes the timeline as a table.
func (r *Report) timelineMarkdown(p func(string, ...any), c *reportClock) {
	p("\n## Timeline\n\n| when | T+ | what | by |\n|---|---|---|---|\n")
	for _, l := range r.timelineLines(c) {
		p("| %s | %s | %s | %s |\n", c.at(l.at), c.since(l.at), dash(l.what), dash(l.by))
	}
}
