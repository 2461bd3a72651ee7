package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// messagesMarkdown writes the messages in the order they were made, each
// with its final text once: its revisions are counted, with who edited
// them, and a recurring step's messages are one entry, with the last
// one's text. Escalation notices are the timeline's reminder lines, and a
// task's message is its task, in the summary.
func (r *Report) messagesMarkdown(p func(string, ...any), c *reportClock) {
	p("\n## Messages\n")
	c.day = "" // the section's first time gives its day
	var ms []MessageReport
	for _, m := range r.Messages {
		if m.About == "" && !r.isTaskStep(m.Step) {
			ms = append(ms, m)
		}
	}
	slices.SortStableFunc(ms, func(a, b MessageReport) int {
		return cmp.Or(a.DraftedAt.Compare(b.DraftedAt), strings.Compare(a.ID, b.ID))
	})
	if len(ms) == 0 {
		p("\nNone.\n")
	}
	recurring := r.recurringSteps()
	done := map[string]bool{}
	for _, m := range ms {
		if !recurring[m.Step] {
			r.messageMarkdown(p, c, m)
			continue
		}
		if done[m.Step] {
			continue
		}
		done[m.Step] = true
		var all []MessageReport
		for _, x := range ms {
			if x.Step == m.Step {
				all = append(all, x)
			}
		}
		r.recurringMessageMarkdown(p, c, all)
	}
}

func (r *Report) messageMarkdown(p func(string, ...any), c *reportClock, m MessageReport) {
	p("\n### %s · %s (%s)\n\n", c.at(m.DraftedAt), dash(mdText(cmp.Or(m.Title, m.Step))), dash(mdText(strings.ReplaceAll(m.State, "_", " "))))
	textMarkdown(p, m)
	if len(m.Revisions) > 1 {
		var editors []string
		for _, rev := range m.Revisions[1:] {
			if who := mdText(r.whoAs(rev.Editor, rev.EditedBy)); who != "" && !slices.Contains(editors, who) {
				editors = append(editors, who)
			}
		}
		line := fmt.Sprintf("- %d revisions", len(m.Revisions))
		if len(editors) > 0 {
			line += ", edited by " + strings.Join(editors, ", ")
		}
		p("%s\n", line)
	}
	for i, a := range m.Approvals {
		who := "by " + r.whoAs(a.Person, a.By)
		if a.Simulated {
			who = "for " + r.name(a.By) + " by the simulated controller"
		}
		if name := r.Organisations[a.Organisation]; name != "" {
			who += ", signing for " + name
		}
		line := fmt.Sprintf("- approved revision %d %s at %s", a.Revision, mdText(who), c.short(m.DraftedAt, a.At))
		if i == len(m.Approvals)-1 && m.ApprovalSeconds != nil {
			line += ", " + offset(m.ApprovalSeconds) + " after it was drafted"
		}
		p("%s\n", line)
	}
	if m.RejectedBy != "" {
		line := "- **rejected** by " + r.names([]string{m.RejectedBy})
		if why := mdText(m.RejectReason); why != "" {
			line += ": " + why
		}
		p("%s\n", line)
	}
	if m.State == "withheld" {
		p("- **withheld**: an exercise's, to no one taking part; it reached no one\n")
	}
	if len(m.Acknowledged) > 0 {
		var who []string
		for _, k := range m.Acknowledged {
			who = append(who, fmt.Sprintf("%s after %s", dash(mdText(r.name(k.Stakeholder))), offset(&k.Seconds)))
		}
		p("- acknowledged by %s\n", strings.Join(who, ", "))
	}
}

// textMarkdown writes a message's subject and text.
func textMarkdown(p func(string, ...any), m MessageReport) {
	if subject := mdText(m.Subject); subject != "" {
		p("**%s**\n\n", subject)
	}
	p("%s\n\n", quote(m.Body))
}

// recurringMessageMarkdown writes a recurring step's messages as one
// entry: how many, how each ended, the last one's text, and any that was
// rejected.
func (r *Report) recurringMessageMarkdown(p func(string, ...any), c *reportClock, ms []MessageReport) {
	first, last := ms[0], ms[len(ms)-1]
	times := fmt.Sprintf("%d times, the last %s", len(ms), c.short(first.DraftedAt, last.DraftedAt))
	if len(ms) == 1 {
		times = "once so far"
	}
	p("\n### %s · %s, %s\n\n", c.at(first.DraftedAt), dash(mdText(cmp.Or(first.Title, first.Step))), times)
	states := map[string]int{}
	var order []string
	for _, m := range ms {
		if states[m.State]++; states[m.State] == 1 {
			order = append(order, m.State)
		}
	}
	var how []string
	for _, s := range order {
		how = append(how, fmt.Sprintf("%d %s", states[s], mdText(strings.ReplaceAll(s, "_", " "))))
	}
	p("%s. The last one said:\n\n", capital(strings.Join(how, ", ")))
	textMarkdown(p, last)
	for _, m := range ms {
		if m.RejectedBy == "" {
			continue
		}
		line := "- " + c.short(first.DraftedAt, m.DraftedAt) + ": **rejected** by " + r.names([]string{m.RejectedBy})
		if why := mdText(m.RejectReason); why != "" {
			line += ": " + why
		}
		p("%s\n", line)
	}
}

// stepsMarkdown writes each step's planned time beside what happened; a
// recurring step is one row, with the range of its planned times, how
// late it fired at worst and how many occurrences completed.
func (r *Report) stepsMarkdown(p func(string, ...any)) {
	p("\n## Steps: planned and actual\n\n| step | # | kind | planned | fired | complete | state |\n|---|---|---|---|---|---|---|\n")
	recurring := r.recurringSteps()
	done := map[string]bool{}
	for _, s := range r.Steps {
		if recurring[s.Step] {
			if !done[s.Step] {
				done[s.Step] = true
				r.recurringStepRow(p, s.Step)
			}
			continue
		}
		state := strings.ReplaceAll(cmp.Or(s.Outcome, s.State), "_", " ")
		if len(s.WaitingFor) > 0 {
			state += " (waits for " + strings.Join(s.WaitingFor, ", ") + ")"
		}
		p("| %s | %d | %s | %s | %s | %s | %s |\n", mdText(s.Step), s.Occurrence, mdText(s.Kind),
			offset(s.PlannedSeconds), offset(s.FiredSeconds), offset(s.CompleteSeconds), mdText(state))
	}
}

func (r *Report) recurringStepRow(p func(string, ...any), step string) {
	var occ []StepReport
	for _, s := range r.Steps {
		if s.Step == step {
			occ = append(occ, s)
		}
	}
	var late int64
	fired, complete := 0, 0
	states := map[string]int{}
	var order []string
	for _, s := range occ {
		if s.FiredSeconds != nil {
			fired++
			if s.PlannedSeconds != nil {
				late = max(late, *s.FiredSeconds-*s.PlannedSeconds)
			}
		}
		if s.CompleteSeconds != nil {
			complete++
		}
		st := strings.ReplaceAll(cmp.Or(s.Outcome, s.State), "_", " ")
		if states[st]++; states[st] == 1 {
			order = append(order, st)
		}
	}
	firedText := fmt.Sprintf("%d, on time", fired)
	if late > 0 {
		firedText = fmt.Sprintf("%d, up to %s late", fired, offset(&late))
	}
	var how []string
	for _, s := range order {
		how = append(how, fmt.Sprintf("%d %s", states[s], s))
	}
	p("| %s | %d–%d | %s | %s to %s | %s | %d | %s |\n", mdText(step), occ[0].Occurrence, occ[len(occ)-1].Occurrence, mdText(occ[0].Kind),
		offset(occ[0].PlannedSeconds), offset(occ[len(occ)-1].PlannedSeconds), firedText, complete, mdText(strings.Join(how, ", ")))
}
