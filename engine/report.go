package engine

import (
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Report is an activation's record, live or finished, for a debrief.
type Report struct {
	Activation string     `json:"activation"`
	Runbook    string     `json:"runbook"`
	Title      string     `json:"title"`
	Mode       string     `json:"mode"`
	State      string     `json:"state"`
	Event      string     `json:"event,omitempty"`
	Severity   string     `json:"severity,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	StartedBy  string     `json:"started_by,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	EndedBy    string     `json:"ended_by,omitempty"`
	EndReason  string     `json:"end_reason,omitempty"`
	// AsOf is when the report stands, in the activation's own time: its
	// end, or, while it runs, now (an exercise's now in scenario time).
	AsOf time.Time `json:"as_of"`
	// Zone is the runbook's time zone, which the report's times are
	// written in for people (the JSON's times are UTC).
	Zone string `json:"zone"`
	// Summary is what a debrief reads first: the runbook's targets met
	// and missed, who never acknowledged, what failed to deliver.
	Summary     Summary            `json:"summary"`
	Params      map[string]string  `json:"params,omitempty"`
	Timeline    []TimelineEntry    `json:"timeline"`
	Steps       []StepReport       `json:"steps"`
	Messages    []MessageReport    `json:"messages"`
	Deliveries  []DeliveryReport   `json:"deliveries"`
	ByChannel   []ChannelCount     `json:"deliveries_by_channel"`
	Tasks       []TaskReport       `json:"tasks"`
	Escalations []EscalationReport `json:"escalations"`
	// StillWaiting is what is still not done after its escalation chain
	// sent every notice it may: no more reminders will be sent about it.
	StillWaiting []StillWaiting    `json:"still_waiting"`
	Decisions    []*state.Decision `json:"decisions"`
	// Tension is the community tension log, oldest first.
	Tension []*state.Tension `json:"tension"`
	// Rumours is the rumour register, oldest first.
	Rumours []RumourReport `json:"rumours"`
	// People are the runbook's stakeholders' names, by id.
	People map[string]string `json:"people"`
	// Organisations are the names of those that sign joint statements, by id.
	Organisations map[string]string `json:"organisations,omitempty"`
	// Paces, for an exercise run faster than real time, are the speeds it
	// ran at and the real time each began: every time in the report is
	// exercise time.
	Paces []state.Pace `json:"paces,omitempty"`
	// Record is where crier's whole record had got to when the report was
	// made: with it, `crier audit verify --head` shows the record has not
	// been changed since.
	Record RecordHead `json:"record"`
}

// RecordHead is the head of the record's hash chain: a command's index
// and its link.
// A record kept only in memory (an instant drill's) has a head too, but
// nothing to verify it against later: InMemory says so.
type RecordHead struct {
	InMemory bool   `json:"in_memory,omitempty"`
	Index    uint64 `json:"index"`
	Head     string `json:"head"`
}

// TimelineEntry is one event, at its offset from activation.
type TimelineEntry struct {
	OffsetSeconds int64     `json:"offset_seconds"`
	At            time.Time `json:"at"`
	Kind          string    `json:"kind"`
	Step          string    `json:"step,omitempty"`
	Subject       string    `json:"subject,omitempty"` // the message, task or decision it is about
	Event         string    `json:"event"`
	Actor         string    `json:"actor"`
}

// StepReport sets a step occurrence's planned time beside what happened.
// A step that never came due (it waits for a step that did not complete)
// is listed with occurrence 0, state "not_reached" and what it waits for.
type StepReport struct {
	Step       string `json:"step"`
	Title      string `json:"title,omitempty"`
	Occurrence int    `json:"occurrence"`
	Kind       string `json:"kind"`
	State      string `json:"state"`
	// Outcome is what became of the occurrence's message or task: its
	// state (sent, rejected, withheld, done…), where State, the
	// occurrence's own, says only that it fired.
	Outcome         string   `json:"outcome,omitempty"`
	WaitingFor      []string `json:"waiting_for,omitempty"`
	PlannedSeconds  *int64   `json:"planned_offset_seconds"`
	FiredSeconds    *int64   `json:"fired_offset_seconds,omitempty"`
	CompleteSeconds *int64   `json:"completed_offset_seconds,omitempty"`
	// PlannedAt and FiredAt are the times themselves: the offsets are in
	// whole seconds from an activation that started part way through a
	// second, so a time to show is read from these, never rebuilt from
	// the offsets (08:00 would become 07:59).
	PlannedAt *time.Time `json:"planned_at,omitempty"`
	FiredAt   *time.Time `json:"fired_at,omitempty"`
}

// MessageReport is a message's final text, its revisions and approvals.
type MessageReport struct {
	ID              string            `json:"id"`
	Step            string            `json:"step"`
	Title           string            `json:"title,omitempty"` // the step's
	State           string            `json:"state"`
	DraftedAt       time.Time         `json:"drafted_at"`      // when the step fired and made it
	About           string            `json:"about,omitempty"` // for an escalation notice, the message or task it is about
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
	// Person is the directory's person reached for the stakeholder (for a
	// rota, whoever was on duty); List and Rows, for a contact list, its
	// id and each row's progress, counted (rows are never in a report).
	Person string      `json:"person,omitempty"`
	List   string      `json:"list,omitempty"`
	Rows   *state.Rows `json:"rows,omitempty"`
	Status string      `json:"status"`
	// PossiblyDuplicated: sent again after crier stopped mid-send.
	PossiblyDuplicated bool   `json:"possibly_duplicated,omitempty"`
	Attempts           int    `json:"attempts"`
	Error              string `json:"error,omitempty"`
	// Receipt is what the service last said became of it: for a text
	// not delivered, why the phone network gave up.
	Receipt string `json:"receipt,omitempty"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// ChannelCount totals deliveries per channel. Each delivery counts once
// in sent (the service took it), failed (never taken), withheld (an
// exercise's, to someone not taking part) or other (still on its way, or
// cancelled); of those sent, texts the phone network said reached the
// phone count in delivered too, and those it gave up on in undelivered.
type ChannelCount struct {
	Channel     string `json:"channel"`
	Type        string `json:"type"`
	Sent        int    `json:"sent"`
	Delivered   int    `json:"delivered"`
	Undelivered int    `json:"undelivered"`
	Failed      int    `json:"failed"`
	Withheld    int    `json:"withheld"`
	Other       int    `json:"other"`
}

// TaskReport is a task with how long it took to acknowledge and finish.
type TaskReport struct {
	*state.Task
	Title       string `json:"title,omitempty"` // the step's
	AckSeconds  *int64 `json:"ack_seconds,omitempty"`
	DoneSeconds *int64 `json:"done_seconds,omitempty"`
}

// Report builds an activation's report from the state as it is now.
func (e *Engine) Report(activation string) (*Report, error) {
	tx := e.Read()
	a, rb, err := e.activation(tx, activation)
	if err != nil {
		return nil, err
	}
	head, err := tx.Head(nil)
	if err != nil {
		return nil, err
	}
	r := &Report{Activation: a.ID, Runbook: a.Runbook, Title: a.Title, Mode: a.Mode, State: a.State,
		Event: a.Event, Severity: a.Severity, StartedAt: a.StartedAt, StartedBy: a.StartedBy, EndedBy: a.EndedBy,
		EndReason: a.EndReason, Params: a.Params, Zone: rb.Location().String(),
		Record: RecordHead{Index: head.Index, Head: hex.EncodeToString(head.Link[:])}}
	if _, ok := e.log.(*MemoryLog); ok {
		r.Record.InMemory = true
	}
	if a.Exercise() && a.Speed > 0 {
		r.Paces = a.Paces
		if len(r.Paces) == 0 { // an exercise activated before paces were kept
			r.Paces = []state.Pace{{Speed: a.Speed, Since: paceOf(a).wall0}}
		}
	}
	if !a.EndedAt.IsZero() {
		r.EndedAt = &a.EndedAt
	}
	since := func(t time.Time) *int64 {
		if t.IsZero() {
			return nil
		}
		s := int64(OffsetOf(a.StartedAt, t) / time.Second)
		return &s
	}
	events, err := tx.EventsOf(nil, a.ID)
	if err != nil {
		return nil, err
	}
	for _, ev := range events {
		r.Timeline = append(r.Timeline, TimelineEntry{OffsetSeconds: *since(ev.At), At: ev.At, Kind: ev.Kind,
			Step: StepOf(a.ID, ev.Subject), Subject: ev.Subject, Event: ev.Detail, Actor: ev.Actor})
	}
	if err := r.addSteps(tx, a, rb, since); err != nil {
		return nil, err
	}
	if err := r.addMessages(tx, a, rb); err != nil {
		return nil, err
	}
	tasks, err := tx.TasksOf(nil, a.ID)
	if err != nil {
		return nil, err
	}
	outcomes := map[string]string{}
	for _, m := range r.Messages {
		outcomes[m.ID] = m.State
	}
	for _, t := range tasks {
		outcomes[t.ID] = t.State
	}
	for i := range r.Steps {
		if s := &r.Steps[i]; s.Occurrence > 0 {
			s.Outcome = outcomes[OccurrenceID(a.ID, s.Step, s.Occurrence)]
		}
	}
	for _, t := range tasks {
		tr := TaskReport{Task: t, Title: stepTitle(rb, t.Step)}
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
	if r.Escalations, err = escalationReports(tx, rb, a.ID); err != nil {
		return nil, err
	}
	if r.StillWaiting, err = stillWaiting(tx, rb, a.ID); err != nil {
		return nil, err
	}
	dir := e.view()
	r.People = map[string]string{}
	for _, sh := range rb.Stakeholders {
		r.People[string(sh.ID)] = sh.NameIn(dir)
	}
	r.Organisations = map[string]string{}
	for _, o := range approvalOrganisations(rb) {
		r.Organisations[o], _ = organisationName(dir, o)
	}
	if r.Decisions, err = tx.DecisionsOf(nil, a.ID); err != nil {
		return nil, err
	}
	if r.Tension, err = tx.TensionOf(nil, a.ID); err != nil {
		return nil, err
	}
	cutoff := a.EndedAt
	if cutoff.IsZero() {
		scenario0, wall0, speed := ExerciseClock(a)
		cutoff = scenario0.Add(time.Duration(float64(e.clock.Now().Sub(wall0)) * speed))
	}
	r.AsOf = cutoff
	if r.Rumours, err = rumourReports(tx, rb, a.ID, cutoff); err != nil {
		return nil, err
	}
	if r.Summary, err = summarise(tx, rb, r, cutoff); err != nil {
		return nil, err
	}
	// Lists are lists in JSON, empty or not.
	r.Escalations = nonNil(r.Escalations)
	r.StillWaiting = nonNil(r.StillWaiting)
	r.Decisions = nonNil(r.Decisions)
	r.Tension = nonNil(r.Tension)
	r.Rumours = nonNil(r.Rumours)
	r.Tasks = nonNil(r.Tasks)
	r.Deliveries = nonNil(r.Deliveries)
	r.Messages = nonNil(r.Messages)
	return r, nil
}

// timeOrNil is t, or nil when it is zero.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
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
		if o.Kind == checkApproval || o.Kind == checkAck || o.Kind == checkVoid || o.Kind == checkCorrection {
			continue // reported as escalations
		}
		r.Steps = append(r.Steps, StepReport{Step: o.Step, Title: stepTitle(rb, o.Step), Occurrence: o.N, Kind: o.Kind, State: o.State,
			PlannedSeconds: since(o.DueAt), FiredSeconds: since(o.FiredAt), CompleteSeconds: since(o.CompletedAt),
			PlannedAt: timeOrNil(o.DueAt), FiredAt: timeOrNil(o.FiredAt)})
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
			r.Steps = append(r.Steps, StepReport{Step: string(s.ID), Title: s.Title, Kind: s.Kind(), State: "not_reached", WaitingFor: runbooks.Names(s.After)})
		}
	}
	return nil
}

func (r *Report) addMessages(tx *state.Txn, a *state.Activation, rb *runbooks.Runbook) error {
	messages, err := tx.MessagesOf(nil, a.ID)
	if err != nil {
		return err
	}
	counts := map[[2]string]*ChannelCount{}
	for _, m := range messages {
		rev := m.Current()
		mr := MessageReport{ID: m.ID, Step: m.Step, Title: stepTitle(rb, m.Step), State: m.State, DraftedAt: m.CreatedAt, About: m.About, Subject: rev.Subject, Body: rev.Body,
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
				Target: d.Target, Stakeholder: d.Stakeholder, Person: d.Person, List: d.List, Rows: d.Rows, Status: d.State, PossiblyDuplicated: d.PossiblyDuplicated, Attempts: d.Attempts, Error: d.Error, Receipt: d.Receipt, Subject: rev.Subject, Body: rev.Body})
			key := [2]string{d.Channel, d.Type}
			c, ok := counts[key]
			if !ok {
				c = &ChannelCount{Channel: d.Channel, Type: d.Type}
				counts[key] = c
			}
			switch {
			case d.Rows != nil: // a list: its rows, each a person
				c.Sent += d.Rows.Sent
				c.Failed += d.Rows.Failed
				c.Other += d.Rows.Contacts - d.Rows.Sent - d.Rows.Failed
				continue
			}
			switch d.State {
			case state.DeliverySent:
				c.Sent++
			case state.DeliveryDelivered:
				c.Sent++
				c.Delivered++
			case state.DeliveryUndelivered:
				c.Sent++
				c.Undelivered++
			case state.DeliveryFailed:
				c.Failed++
			case state.DeliveryWithheld:
				c.Withheld++
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

// stepTitle is a step's or an inject's title as the runbook gives it, or
// its id when it gives none.
func stepTitle(rb *runbooks.Runbook, id string) string {
	if id == AdHocStep {
		return "Ad-hoc message"
	}
	if s, ok := rb.Step(id); ok && s.Title != "" {
		return s.Title
	}
	return id
}
