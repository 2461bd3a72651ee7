package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Checks are occurrences like any other, so that a deadline survives a
// restart: when one falls due, it looks at what it watches and escalates
// whatever is still waiting, then checks again after the same interval,
// until the thing is done or the activation ends.
const (
	checkApproval = "approval_check" // a message still waiting for approval
	checkAck      = "ack_check"      // a message or task not yet acknowledged
)

func (w *writer) scheduleCheck(a *state.Activation, step, kind, subject string, n int, due time.Time) error {
	o := &state.Occurrence{
		ID: fmt.Sprintf("%s/%s/%d", subject, kind, n), ActivationID: a.ID, Step: step, Kind: kind, Subject: subject,
		N: n, DueAt: due.UTC(), State: state.OccurrencePending,
	}
	w.done.Scheduled = append(w.done.Scheduled, o)
	return w.tx.UpsertOccurrence(o)
}

// check escalates what a check occurrence watches, if it is still waiting.
func (f *fsm) check(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence) error {
	s, ok := rb.Step(o.Step)
	if !ok {
		return fmt.Errorf("activation %s: its runbook has no step %q", a.ID, o.Step)
	}
	var waiting []string
	var interval time.Duration
	var to []runbooks.Ref
	var reason, what string
	var err error
	switch {
	case o.Kind == checkApproval:
		reason, what = state.EscalationApprovalOverdue, "approval of "+s.Title
		interval, to = s.Notify.Approval.Within.D, s.Notify.Approval.EscalateTo
		if len(to) == 0 {
			to = s.Notify.Approval.Approvers // a reminder to the approvers themselves
		}
		waiting, err = awaitingApproval(w.tx, rb, s, o.Subject)
	case s.Task != nil:
		reason, what = state.EscalationAckOverdue, "acknowledgement of task "+s.Title
		interval, to = s.Task.AckWithin.D, s.Task.EscalateTo
		waiting, err = taskUnacknowledged(w.tx, o.Subject)
	default:
		reason, what = state.EscalationAckOverdue, "acknowledgement of "+s.Title
		interval, to = s.Notify.AckWithin.D, s.Notify.EscalateTo
		waiting, err = notYetAcknowledged(w.tx, o.Subject)
	}
	if err != nil {
		return err
	}
	if len(waiting) == 0 {
		return f.finishCheck(w, o)
	}
	told := runbooks.Names(to)
	x := &state.Escalation{ID: o.ID, ActivationID: a.ID, SubjectID: o.Subject, Reason: reason,
		To: told, Waiting: waiting, Reminder: o.N, At: w.meta.At}
	if err := w.tx.UpsertEscalation(x); err != nil {
		return err
	}
	overdue := w.meta.At.Sub(firstDue(o, interval))
	subject := fmt.Sprintf("Overdue: %s", what)
	if o.N > 1 {
		subject = fmt.Sprintf("Reminder %d, overdue: %s", o.N-1, what)
	}
	body := fmt.Sprintf("%s in activation %s (%s) is overdue by %s.\nStill waiting for: %s.",
		strings.ToUpper(what[:1])+what[1:], a.ID, a.Title, runbooks.FormatDuration(overdue+interval), strings.Join(waiting, ", "))
	subject, body = marked(a, rb, subject, body)
	notice := &state.Message{ID: o.ID, ActivationID: a.ID, OccurrenceID: o.ID, Step: o.Step,
		Revisions: []state.Revision{{N: 1, Subject: subject, Body: body, At: w.meta.At}}, CreatedAt: w.meta.At, UpdatedAt: w.meta.At}
	if err := w.event(a.ID, "escalated", o.Subject, fmt.Sprintf("%s: waiting for %s; told %s", reason, strings.Join(waiting, ", "), strings.Join(told, ", "))); err != nil {
		return err
	}
	if err := dispatch(w, notice, endpoints(rb, drillTargets(a, rb, to))); err != nil {
		return err
	}
	return w.scheduleCheck(a, o.Step, o.Kind, o.Subject, o.N+1, w.meta.At.Add(interval))
}

// firstDue is when the first check in a chain fell due.
func firstDue(o *state.Occurrence, interval time.Duration) time.Time {
	return o.DueAt.Add(-time.Duration(o.N-1) * interval)
}

func (f *fsm) finishCheck(w *writer, o *state.Occurrence) error {
	done := *o
	done.State, done.CompletedAt = state.OccurrenceComplete, w.meta.At
	return w.tx.UpsertOccurrence(&done)
}

// awaitingApproval lists the approvers who have not yet approved the
// current revision of a message still waiting for approval.
func awaitingApproval(tx *state.Txn, rb *runbooks.Runbook, s *runbooks.Step, id string) ([]string, error) {
	m, err := tx.Message(nil, id)
	if err != nil || m == nil || m.State != state.MessagePendingApproval {
		return nil, err
	}
	given, err := tx.ApprovalsOf(nil, id)
	if err != nil {
		return nil, err
	}
	var waiting []string
	for _, sh := range rb.Reach(s.Notify.Approval.Approvers).Stakeholders {
		if !slices.ContainsFunc(given, func(p *state.Approval) bool { return p.By == string(sh.ID) && p.Revision == m.Current().N }) {
			waiting = append(waiting, string(sh.ID))
		}
	}
	return waiting, nil
}

// notYetAcknowledged lists the stakeholders a message reached who have not
// acknowledged it.
func notYetAcknowledged(tx *state.Txn, id string) ([]string, error) {
	deliveries, err := tx.DeliveriesOf(nil, id)
	if err != nil {
		return nil, err
	}
	acks, err := tx.AcknowledgementsOf(nil, id)
	if err != nil {
		return nil, err
	}
	var waiting []string
	for _, d := range deliveries {
		if d.Stakeholder == "" || d.State == state.DeliveryCancelled || slices.Contains(waiting, d.Stakeholder) ||
			slices.ContainsFunc(acks, func(k *state.Acknowledgement) bool { return k.Stakeholder == d.Stakeholder }) {
			continue
		}
		waiting = append(waiting, d.Stakeholder)
	}
	return waiting, nil
}

func taskUnacknowledged(tx *state.Txn, id string) ([]string, error) {
	t, err := tx.Task(nil, id)
	if err != nil || t == nil || t.State != state.TaskOpen {
		return nil, err
	}
	return []string{t.Assignee}, nil
}
