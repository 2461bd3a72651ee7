package engine

import (
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Report is an activation's record, live or finished, for a debrief.
type Report struct {
	Activation  string              `json:"activation"`
	Runbook     string              `json:"runbook"`
	Title       string              `json:"title"`
	Mode        string              `json:"mode"`
	State       string              `json:"state"`
	StartedAt   time.Time           `json:"started_at"`
	EndedAt     *time.Time          `json:"ended_at,omitempty"`
	EndReason   string              `json:"end_reason,omitempty"`
	Params      map[string]string   `json:"params,omitempty"`
	Timeline    []TimelineEntry     `json:"timeline"`
	Steps       []StepReport        `json:"steps"`
	Messages    []MessageReport     `json:"messages"`
	Deliveries  []DeliveryReport    `json:"deliveries"`
	ByChannel   []ChannelCount      `json:"deliveries_by_channel"`
	Tasks       []TaskReport        `json:"tasks"`
	Escalations []*state.Escalation `json:"escalations"`
	Decisions   []*state.Decision   `json:"decisions"`
	// Record is where crier's whole record had got to when the report was
	// made: with it, `crier audit verify --head` shows the record has not
	// been changed since.
	Record RecordHead `json:"record"`
}

// RecordHead is the head of the record's hash chain: a command's index
// and its link.
type RecordHead struct {
	Index uint64 `json:"index"`
	Head  string `json:"head"`
}

// TimelineEntry is one event, at its offset from activation.
type TimelineEntry struct {
	OffsetSeconds int64     `json:"offset_seconds"`
	At            time.Time `json:"at"`
	Kind          string    `json:"kind"`
	Step          string    `json:"step,omitempty"`
	Event         string    `json:"event"`
	Actor         string    `json:"actor"`
}

// StepReport sets a step occurrence's planned time beside what happened.
// A step that never came due (it waits for a step that did not complete)
// is listed with occurrence 0, state "not_reached" and what it waits for.
type StepReport struct {
	Step            string   `json:"step"`
	Occurrence      int      `json:"occurrence"`
	Kind            string   `json:"kind"`
	State           string   `json:"state"`
	WaitingFor      []string `json:"waiting_for,omitempty"`
	PlannedSeconds  *int64   `json:"planned_offset_seconds"`
	FiredSeconds    *int64   `json:"fired_offset_seconds,omitempty"`
	CompleteSeconds *int64   `json:"completed_offset_seconds,omitempty"`
}

// MessageReport is a message's final text, its revisions and approvals.
type MessageReport struct {
	ID              string            `json:"id"`
	Step            string            `json:"step"`
	State           string            `json:"state"`
	Subject         string            `json:"subject"`
	Body            string            `json:"body"`
	Revisions       []state.Revision  `json:"revisions"`
	Approvals       []*state.Approval `json:"approvals,omitempty"`
	ApprovalSeconds *int64            `json:"approval_seconds,omitempty"` // from draft to the approval that sent it
	RejectedBy      string            `json:"rejected_by,omitempty"`
	RejectReason    string            `json:"reject_reason,omitempty"`
	Acknowledged    []AckReport       `json:"acknowledged,omitempty"`
}

// AckReport is one acknowledgement and how long after the message was
// sent it came.
type AckReport struct {
	Stakeholder string `json:"stakeholder"`
	Via         string `json:"via,omitempty"`
	Seconds     int64  `json:"seconds"`
}

// DeliveryReport is one delivery and what became of it.
type DeliveryReport struct {
	ID          string `json:"id"`
	Step        string `json:"step"`
	Language    string `json:"language,omitempty"`
	Channel     string `json:"channel"`
	Type        string `json:"type"`
	Target      string `json:"target"`
	Stakeholder string `json:"stakeholder,omitempty"`
	Status      string `json:"status"`
	// PossiblyDuplicated: sent again after crier stopped mid-send.
	PossiblyDuplicated bool   `json:"possibly_duplicated,omitempty"`
	Attempts           int    `json:"attempts"`
	Error              string `json:"error,omitempty"`
	Subject            string `json:"subject"`
	Body               string `json:"body"`
}

// ChannelCount totals deliveries per channel.
type ChannelCount struct {
	Channel string `json:"channel"`
	Type    string `json:"type"`
	Sent    int    `json:"sent"`
	Failed  int    `json:"failed"`
	Other   int    `json:"other"`
}

// TaskReport is a task with how long it took to acknowledge and finish.
type TaskReport struct {
	*state.Task
	AckSeconds  *int64 `json:"ack_seconds,omitempty"`
	DoneSeconds *int64 `json:"done_seconds,omitempty"`
}

// Report builds an activation's report from the state as it is now.
func (e *Engine) Report(activation string) (*Report, error) {
	tx := e.Read()
	a, err := tx.Activation(nil, activation)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, notFound("no activation %q", activation)
	}
	rb, err := e.fsm.runbook(a)
	if err != nil {
		return nil, err
	}
	head, err := tx.Head(nil)
	if err != nil {
		return nil, err
	}
	r := &Report{Activation: a.ID, Runbook: a.Runbook, Title: a.Title, Mode: a.Mode, State: a.State,
		StartedAt: a.StartedAt, EndReason: a.EndReason, Params: a.Params,
		Record: RecordHead{Index: head.Index, Head: hex.EncodeToString(head.Link[:])}}
	if !a.EndedAt.IsZero() {
		r.EndedAt = &a.EndedAt
	}
	since := func(t time.Time) *int64 {
		if t.IsZero() {
			return nil
		}
		s := int64(t.Sub(a.StartedAt) / time.Second)
		return &s
	}
	events, err := tx.EventsOf(nil, a.ID)
	if err != nil {
		return nil, err
	}
	for _, ev := range events {
		r.Timeline = append(r.Timeline, TimelineEntry{OffsetSeconds: *since(ev.At), At: ev.At, Kind: ev.Kind,
			Step: StepOf(a.ID, ev.Subject), Event: ev.Detail, Actor: ev.Actor})
	}
	if err := r.addSteps(tx, a, rb, since); err != nil {
		return nil, err
	}
	if err := r.addMessages(tx, a); err != nil {
		return nil, err
	}
	tasks, err := tx.TasksOf(nil, a.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		tr := TaskReport{Task: t}
		if !t.AcknowledgedAt.IsZero() {
			s := int64(t.AcknowledgedAt.Sub(t.OpenedAt) / time.Second)
			tr.AckSeconds = &s
		}
		if !t.DoneAt.IsZero() {
			s := int64(t.DoneAt.Sub(t.OpenedAt) / time.Second)
			tr.DoneSeconds = &s
		}
		r.Tasks = append(r.Tasks, tr)
	}
	if r.Escalations, err = tx.EscalationsOf(nil, a.ID); err != nil {
		return nil, err
	}
	if r.Decisions, err = tx.DecisionsOf(nil, a.ID); err != nil {
		return nil, err
	}
	// Lists are lists in JSON, empty or not.
	r.Escalations = nonNil(r.Escalations)
	r.Decisions = nonNil(r.Decisions)
	r.Tasks = nonNil(r.Tasks)
	r.Deliveries = nonNil(r.Deliveries)
	r.Messages = nonNil(r.Messages)
	return r, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// StepOf reads the step out of an id built on an occurrence's: a/step/n/…
func StepOf(activation, subject string) string {
	rest, ok := strings.CutPrefix(subject, activation+"/")
	if !ok {
		return ""
	}
	step, _, _ := strings.Cut(rest, "/")
	return step
}

func (r *Report) addSteps(tx *state.Txn, a *state.Activation, rb *runbooks.Runbook, since func(time.Time) *int64) error {
	occ, err := tx.OccurrencesOf(nil, a.ID)
	if err != nil {
		return err
	}
	for _, o := range occ {
		if o.Kind == checkApproval || o.Kind == checkAck {
			continue // reported as escalations
		}
		r.Steps = append(r.Steps, StepReport{Step: o.Step, Occurrence: o.N, Kind: o.Kind, State: o.State,
			PlannedSeconds: since(o.DueAt), FiredSeconds: since(o.FiredAt), CompleteSeconds: since(o.CompletedAt)})
	}
	slices.SortStableFunc(r.Steps, func(x, y StepReport) int {
		if *x.PlannedSeconds != *y.PlannedSeconds {
			return int(*x.PlannedSeconds - *y.PlannedSeconds)
		}
		return strings.Compare(x.Step, y.Step)
	})
	// Account for every step, including those that never came due.
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if !slices.ContainsFunc(r.Steps, func(x StepReport) bool { return x.Step == string(s.ID) }) {
			r.Steps = append(r.Steps, StepReport{Step: string(s.ID), Kind: s.Kind(), State: "not_reached", WaitingFor: runbooks.Names(s.After)})
		}
	}
	return nil
}

func (r *Report) addMessages(tx *state.Txn, a *state.Activation) error {
	messages, err := tx.MessagesOf(nil, a.ID)
	if err != nil {
		return err
	}
	counts := map[[2]string]*ChannelCount{}
	for _, m := range messages {
		rev := m.Current()
		mr := MessageReport{ID: m.ID, Step: m.Step, State: m.State, Subject: rev.Subject, Body: rev.Body,
			Revisions: m.Revisions, RejectedBy: m.RejectedBy, RejectReason: m.RejectReason}
		if mr.Approvals, err = tx.ApprovalsOf(nil, m.ID); err != nil {
			return err
		}
		if n := len(mr.Approvals); n > 0 && m.State != state.MessagePendingApproval {
			s := int64(mr.Approvals[n-1].At.Sub(m.CreatedAt) / time.Second)
			mr.ApprovalSeconds = &s
		}
		acks, err := tx.AcknowledgementsOf(nil, m.ID)
		if err != nil {
			return err
		}
		sentAt := m.CreatedAt
		if mr.ApprovalSeconds != nil {
			sentAt = mr.Approvals[len(mr.Approvals)-1].At
		}
		for _, k := range acks {
			mr.Acknowledged = append(mr.Acknowledged, AckReport{Stakeholder: k.Stakeholder, Via: k.Via, Seconds: int64(k.At.Sub(sentAt) / time.Second)})
		}
		r.Messages = append(r.Messages, mr)
		deliveries, err := tx.DeliveriesOf(nil, m.ID)
		if err != nil {
			return err
		}
		for _, d := range deliveries {
			rev := m.Revisions[d.Revision-1]
			if tr, ok := m.Translations[d.Language]; ok && d.Language != "" {
				rev.Subject, rev.Body = tr.Subject, tr.Body
			}
			r.Deliveries = append(r.Deliveries, DeliveryReport{ID: d.ID, Step: m.Step, Language: d.Language, Channel: d.Channel, Type: d.Type,
				Target: d.Target, Stakeholder: d.Stakeholder, Status: d.State, PossiblyDuplicated: d.PossiblyDuplicated, Attempts: d.Attempts, Error: d.Error, Subject: rev.Subject, Body: rev.Body})
			key := [2]string{d.Channel, d.Type}
			c, ok := counts[key]
			if !ok {
				c = &ChannelCount{Channel: d.Channel, Type: d.Type}
				counts[key] = c
			}
			switch d.State {
			case state.DeliverySent:
				c.Sent++
			case state.DeliveryFailed:
				c.Failed++
			default:
				c.Other++
			}
		}
	}
	for _, c := range counts {
		r.ByChannel = append(r.ByChannel, *c)
	}
	slices.SortFunc(r.ByChannel, func(x, y ChannelCount) int {
		return strings.Compare(x.Channel+"/"+x.Type, y.Channel+"/"+y.Type)
	})
	return nil
}

// Markdown writes the report for people.
func (r *Report) Markdown(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# %s\n\n", r.Title)
	p("Activation %s of runbook `%s`, %s, %s. Started %s.\n", r.Activation, r.Runbook, r.Mode, strings.ReplaceAll(r.State, "_", " "), r.StartedAt.Format(time.RFC3339))
	if r.EndedAt != nil {
		p("Ended %s: %s\n", r.EndedAt.Format(time.RFC3339), r.EndReason)
	}
	p("\n## Steps: planned and actual\n\n| step | # | kind | planned | fired | complete | state |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		state := strings.ReplaceAll(s.State, "_", " ")
		if len(s.WaitingFor) > 0 {
			state += " (waits for " + strings.Join(s.WaitingFor, ", ") + ")"
		}
		p("| %s | %d | %s | %s | %s | %s | %s |\n", s.Step, s.Occurrence, s.Kind, offset(s.PlannedSeconds), offset(s.FiredSeconds), offset(s.CompleteSeconds), state)
	}
	p("\n## Messages\n")
	for _, m := range r.Messages {
		p("\n### %s (%s)\n\n**%s**\n\n%s\n\n", m.Step, strings.ReplaceAll(m.State, "_", " "), m.Subject, quote(m.Body))
		if len(m.Revisions) > 1 {
			p("Revisions: %d, last by %s.\n\n", len(m.Revisions), m.Revisions[len(m.Revisions)-1].EditedBy)
		}
		for _, a := range m.Approvals {
			sim := ""
			if a.Simulated {
				sim = " (simulated)"
			}
			p("- approved revision %d by %s at %s%s\n", a.Revision, a.By, a.At.Format(time.RFC3339), sim)
		}
		if m.ApprovalSeconds != nil {
			p("- approval took %s\n", offset(m.ApprovalSeconds))
		}
		if m.RejectedBy != "" {
			p("- rejected by %s: %s\n", m.RejectedBy, m.RejectReason)
		}
		for _, k := range m.Acknowledged {
			p("- acknowledged by %s after %s\n", k.Stakeholder, offset(&k.Seconds))
		}
	}
	p("\n## Deliveries by channel\n\n| channel | type | sent | failed | other |\n|---|---|---|---|---|\n")
	for _, c := range r.ByChannel {
		p("| %s | %s | %d | %d | %d |\n", dash(c.Channel), c.Type, c.Sent, c.Failed, c.Other)
	}
	var failed []DeliveryReport
	for _, d := range r.Deliveries {
		if d.Status == state.DeliveryFailed {
			failed = append(failed, d)
		}
	}
	if len(failed) > 0 {
		p("\n## Failed deliveries\n\n| step | type | to | attempts | why |\n|---|---|---|---|---|\n")
		for _, d := range failed {
			p("| %s | %s | %s | %d | %s |\n", d.Step, d.Type, d.Target, d.Attempts, strings.ReplaceAll(d.Error, "|", "\\|"))
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
			p("| %s | %s | %s | %s |\n", d.Step, d.Type, d.Target, d.Status)
		}
	}
	p("\n## Tasks\n\n| task | assignee | state | acknowledged after | done after |\n|---|---|---|---|---|\n")
	for _, t := range r.Tasks {
		p("| %s | %s | %s | %s | %s |\n", t.Step, t.Assignee, t.State, offset(t.AckSeconds), offset(t.DoneSeconds))
	}
	p("\n## Escalations\n\n")
	if len(r.Escalations) == 0 {
		p("None.\n")
	}
	for _, x := range r.Escalations {
		p("- %s: %s, to %s (waiting for %s)\n", x.At.Format(time.RFC3339), x.Reason, strings.Join(x.To, ", "), strings.Join(x.Waiting, ", "))
	}
	p("\n## Decisions\n\n")
	if len(r.Decisions) == 0 {
		p("None recorded.\n")
	}
	for _, d := range r.Decisions {
		line := fmt.Sprintf("- %s, %s: **%s**.", d.At.Format(time.RFC3339), d.By, d.Decision)
		if d.Rationale != "" {
			line += " Rationale: " + d.Rationale + "."
		}
		if d.Information != "" {
			line += " Information: " + d.Information + "."
		}
		p("%s\n", line)
	}
	p("\n## Timeline\n\n| T+ | event | step | by | detail |\n|---|---|---|---|---|\n")
	for _, t := range r.Timeline {
		p("| %s | %s | %s | %s | %s |\n", offset(&t.OffsetSeconds), t.Kind, dash(t.Step), t.Actor, strings.ReplaceAll(t.Event, "|", "/"))
	}
	p("\n## The record\n\nWhen this report was made, crier's record had reached command %d, whose link in the record's hash chain is `%s`. "+
		"`crier audit verify --head %s` shows the record up to there is as it was.\n", r.Record.Index, r.Record.Head, r.Record.Head)
	return nil
}

func offset(s *int64) string {
	if s == nil {
		return "-"
	}
	if *s == 0 {
		return "0"
	}
	return runbooks.FormatDuration(time.Duration(*s) * time.Second)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func quote(body string) string {
	return "> " + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n> ")
}
