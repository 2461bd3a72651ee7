package server

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// runbookDoc is a runbook written out for people to read, on its page and
// in its pack: every field in words, nothing left to look up elsewhere.
type runbookDoc struct {
	ID, Title, Owner, ReviewBy, Zone string
	Description                      []string // paragraphs
	Triggers                         []string
	Params                           []paramView
	Contacts                         []contact
	Channels                         []channelDoc
	Audiences                        []audienceDoc
	Steps                            []stepDoc
	Escalation                       string
	Exercise                         *exerciseDoc
}

// contact is a stakeholder and every way to reach them.
type contact struct {
	ID, Name, Roles, Slack, Phone string
	Email                         []address
}

// address is an email address, in two parts so that a narrow column
// breaks it before the @ and nowhere else.
type address struct{ Address, Local, Domain string }

type channelDoc struct {
	ID, Type, Where, Description string
}

type audienceDoc struct {
	ID, Description, Channels, Stakeholders, Languages string
}

// stepDoc is a step: when, what, to whom, and what it asks of people.
type stepDoc struct {
	ID, Title, Phase, Kind, When, To, Subject, Text string
	Asks                                            []string // approval and deadlines
	Languages                                       []string
}

type exerciseDoc struct {
	Prefix, Redirect, Participants string
	Injects                        []injectDoc
}

type injectDoc struct {
	ID, At, To, Text string
}

func describeRunbook(rb *runbooks.Runbook) runbookDoc {
	d := runbookDoc{ID: string(rb.ID), Title: rb.Title, Description: paragraphs(rb.Description), ReviewBy: rb.ReviewBy, Zone: rb.Location().String(),
		Params: viewRunbook(rb, "").Params}
	d.Owner = rb.Owner
	if rb.Owner != "" {
		d.Owner = stakeholderName(rb, rb.Owner)
	}
	for _, t := range rb.Triggers {
		tr := string(t.Event)
		if t.MinSeverity != "" {
			tr += fmt.Sprintf(" (severity %s or higher)", t.MinSeverity)
		}
		d.Triggers = append(d.Triggers, tr)
	}
	for _, sh := range rb.Stakeholders {
		c := contact{ID: string(sh.ID), Name: sh.Name, Roles: strings.Join(runbooks.Names(sh.Roles), ", "), Slack: sh.Slack, Phone: sh.Phone}
		for _, e := range runbooks.Names(sh.Email) {
			local, domain, _ := strings.Cut(e, "@")
			c.Email = append(c.Email, address{Address: e, Local: local, Domain: domain})
		}
		d.Contacts = append(d.Contacts, c)
	}
	for _, ch := range rb.Channels {
		d.Channels = append(d.Channels, channelDoc{ID: string(ch.ID), Type: string(ch.Type), Where: channelWhere(rb, &ch), Description: ch.Description})
	}
	for _, a := range rb.Audiences {
		d.Audiences = append(d.Audiences, audienceDoc{ID: string(a.ID), Description: a.Description,
			Channels: strings.Join(runbooks.Names(a.Channels), ", "), Stakeholders: names(rb, a.Stakeholders),
			Languages: languageNames(runbooks.Names(a.Languages))})
	}
	for i := range rb.Steps {
		d.Steps = append(d.Steps, describeStep(rb, &rb.Steps[i]))
	}
	d.Escalation = escalationText(rb, rb.Escalation, nil)
	if x := rb.Exercise; x != nil {
		e := &exerciseDoc{Prefix: rb.ExercisePrefix(), Redirect: strings.Join(runbooks.Names(x.Redirect), ", "), Participants: names(rb, x.Participants)}
		for _, in := range x.Injects {
			e.Injects = append(e.Injects, injectDoc{ID: string(in.ID), At: offset(in.At.D), To: names(rb, in.To), Text: blanks(in.Body.Text)})
		}
		d.Exercise = e
	} else {
		d.Exercise = &exerciseDoc{Prefix: rb.ExercisePrefix()}
	}
	return d
}

// channelWhere says where a channel's messages go.
func channelWhere(rb *runbooks.Runbook, ch *runbooks.Channel) string {
	switch {
	case ch.SlackChannel != "":
		return "Slack " + ch.SlackChannel
	case len(ch.To) > 0:
		return names(rb, ch.To)
	case ch.URL != "":
		return ch.URL
	}
	return "crier's log"
}

func describeStep(rb *runbooks.Runbook, s *runbooks.Step) stepDoc {
	d := stepDoc{ID: string(s.ID), Title: s.Title, Phase: string(s.Phase), Kind: s.Kind(), When: when(s), Asks: deadlines(rb, s)}
	switch {
	case s.Notify != nil:
		d.To, d.Subject, d.Text = names(rb, s.Notify.To), blanks(s.Notify.Subject.Text), blanks(s.Notify.Body.Text)
		for _, lang := range slices.Sorted(maps.Keys(s.Notify.Translations)) {
			d.Languages = append(d.Languages, engine.LanguageName(lang))
		}
		if s.Notify.Approval != nil {
			d.Asks = append(d.Asks, escalationText(rb, s.Notify.Approval.Escalation, s.Notify.Approval.EscalateTo))
		}
		d.Asks = append(d.Asks, escalationText(rb, s.Notify.Escalation, s.Notify.EscalateTo))
	case s.Task != nil:
		d.To, d.Text = names(rb, []runbooks.Ref{s.Task.Assignee}), blanks(s.Task.Instructions.Text)
		d.Asks = append(d.Asks, escalationText(rb, s.Task.Escalation, s.Task.EscalateTo))
	}
	d.Asks = slices.DeleteFunc(d.Asks, func(a string) bool { return a == "" })
	return d
}

// when says when a step happens, counted from activation.
func when(s *runbooks.Step) string {
	switch {
	case s.At != nil:
		return "at " + offset(s.At.D)
	case s.Every != nil:
		w := scheduleWords(s.Every.Spec)
		if s.Start != nil {
			w += ", from " + offset(s.Start.D)
		}
		if s.Until != nil {
			w += ", until " + offset(s.Until.D)
		}
		return w
	case len(s.After) > 0:
		w := "when " + strings.Join(runbooks.Names(s.After), " and ") + " are complete"
		if len(s.After) == 1 {
			w = "when " + s.After[0].Name + " is complete"
		}
		if s.Delay != nil && s.Delay.D > 0 {
			w += ", then after " + runbooks.HumanDuration(s.Delay.D)
		}
		return w
	}
	return "at activation"
}

// offset writes an offset from activation: T+0, T+1h 30m.
func offset(d time.Duration) string {
	if d <= 0 {
		return "T+0 (at activation)"
	}
	return "T+" + runbooks.HumanDuration(d)
}

// names writes refs for people: a stakeholder by name, anything else
// (a role, channel or audience) as the runbook writes it.
func names(rb *runbooks.Runbook, refs []runbooks.Ref) string {
	var out []string
	for _, r := range refs {
		if role, ok := strings.CutPrefix(r.Name, "role:"); ok {
			out = append(out, "role "+role)
			continue
		}
		out = append(out, stakeholderName(rb, r.Name))
	}
	return strings.Join(out, ", ")
}

// deadlines are what a step asks of people, and by when.
func deadlines(rb *runbooks.Runbook, s *runbooks.Step) []string {
	var out []string
	if n := s.Notify; n != nil && n.Approval != nil {
		a := "approval by " + names(rb, n.Approval.Approvers)
		if n.Approval.Min > 1 {
			a = fmt.Sprintf("%d approvals by %s", n.Approval.Min, names(rb, n.Approval.Approvers))
		}
		if n.Approval.Within != nil {
			a += " within " + runbooks.HumanDuration(n.Approval.Within.D)
		}
		out = append(out, a)
	}
	var ack *runbooks.Duration
	switch {
	case s.Notify != nil:
		ack = s.Notify.AckWithin
	case s.Task != nil:
		ack = s.Task.AckWithin
	}
	if ack != nil {
		out = append(out, "acknowledge within "+runbooks.HumanDuration(ack.D))
	}
	return out
}

// escalationText says who is told when a deadline passes: a step's own
// policy, its escalate_to, or (for the runbook) the default policy. ""
// when there is nothing to say.
func escalationText(rb *runbooks.Runbook, e *runbooks.Escalation, to []runbooks.Ref) string {
	var parts []string
	if len(to) > 0 {
		parts = append(parts, "when late, tell "+names(rb, to))
	}
	if e != nil {
		for i, l := range e.Levels {
			level := fmt.Sprintf("level %d: tell %s", i+1, names(rb, l.To))
			if l.After.D > 0 {
				level += " " + runbooks.HumanDuration(l.After.D) + " after the deadline"
			}
			parts = append(parts, level)
		}
		if e.Reminders != nil {
			parts = append(parts, plural(*e.Reminders, "reminder", "reminders")+" after that")
		}
		if e.RemindAfter != nil {
			parts = append(parts, "the first reminder "+runbooks.HumanDuration(e.RemindAfter.D)+" later, each gap doubling")
		}
	}
	return strings.Join(parts, "; ")
}

// paragraphs splits text at its blank lines, each paragraph's lines
// joined, as a YAML block's hard-wrapped lines are meant.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// languageNames lists languages by name, with their tags: "Polish (pl)".
func languageNames(tags []string) string {
	var out []string
	for _, t := range tags {
		out = append(out, engine.LanguageName(t))
	}
	return strings.Join(out, ", ")
}
