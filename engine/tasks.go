package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// activationOf loads a record's activation, which must still be running,
// and its runbook.
func (f *fsm) activationOf(w *writer, id string) (*state.Activation, *runbooks.Runbook, error) {
	a, err := w.tx.Activation(nil, id)
	switch {
	case err != nil:
		return nil, nil, err
	case a == nil:
		return nil, nil, notFound("no activation %q", id)
	case a.State != state.ActivationActive:
		return nil, nil, fmt.Errorf("activation %s has ended (%s)", id, strings.ReplaceAll(a.State, "_", " "))
	}
	rb, err := f.runbook(a)
	return a, rb, err
}

func (f *fsm) acknowledge(w *writer, c *Acknowledge) error {
	var activation string
	task, err := w.tx.Task(nil, c.Subject)
	if err != nil {
		return err
	}
	if task != nil {
		activation = task.ActivationID
	} else if m, err := w.tx.Message(nil, c.Subject); err != nil {
		return err
	} else if m != nil && m.About != "" {
		return notAllowed("%s is an escalation notice about %s: it is read, not acknowledged; acknowledge %s itself", c.Subject, m.About, m.About)
	} else if m != nil {
		activation = m.ActivationID
	} else {
		return notFound("no message or task %q", c.Subject)
	}
	a, rb, err := f.activationOf(w, activation)
	if err != nil {
		return err
	}
	who := c.By
	if c.For != "" {
		who = c.For
	}
	sh, err := addressee(w.tx, rb, w.fsm.directory(w.tx), task, c.Subject, who)
	if err != nil {
		return err
	}
	acks, err := w.tx.AcknowledgementsOf(nil, c.Subject)
	if err != nil {
		return err
	}
	for _, k := range acks {
		if k.Stakeholder == string(sh.ID) {
			return fmt.Errorf("%s has already acknowledged %s", sh.ID, c.Subject)
		}
	}
	k := &state.Acknowledgement{ID: fmt.Sprintf("%s/ack/%d", c.Subject, w.meta.Index), ActivationID: a.ID,
		SubjectID: c.Subject, Stakeholder: string(sh.ID), At: w.meta.At, Via: c.Via, For: c.For != "", By: cmp.Or(w.meta.Actor, c.By)}
	if err := w.tx.UpsertAcknowledgement(k); err != nil {
		return err
	}
	if task != nil && task.State == state.TaskOpen {
		acked := *task
		acked.State, acked.AcknowledgedAt, acked.AcknowledgedBy = state.TaskAcknowledged, w.meta.At, string(sh.ID)
		if err := w.tx.UpsertTask(&acked); err != nil {
			return err
		}
	}
	detail := string(sh.ID)
	if c.For != "" {
		detail = fmt.Sprintf("%s, by %s for them", sh.ID, c.By)
	}
	return w.event(a.ID, "acknowledged", c.Subject, detail)
}

// addressee is the one rule for who may acknowledge, and as which
// stakeholder: a task, only someone it is assigned to (by name or role);
// a message, only a stakeholder it was sent to. An admin acting for them
// is the person's acknowledgement. Someone who is several stakeholders
// acknowledges as the one concerned.
func addressee(tx *state.Txn, rb *runbooks.Runbook, dir runbooks.Directory, task *state.Task, subject, who string) (*runbooks.Stakeholder, error) {
	someone, known := stakeholderFor(rb, dir, who)
	if !known {
		return nil, notAllowed("%s is not a stakeholder of runbook %q", who, rb.ID)
	}
	if task != nil {
		sh, ok := actsFor(dir, who, rb.Reach([]runbooks.Ref{{Name: task.Assignee}}).Stakeholders)
		if !ok {
			return nil, notAllowed("task %s is assigned to %s, not %s: only they acknowledge it", subject, task.Assignee, someone.ID)
		}
		return sh, nil
	}
	for _, rota := range []bool{false, true} { // the posts they hold before the rotas they stand in for
		for i := range rb.Stakeholders {
			sh := &rb.Stakeholders[i]
			if (sh.Rota != "") != rota || !runbooks.IsAs(sh, dir, who) {
				continue
			}
			reached, err := wasReached(tx, subject, string(sh.ID))
			if err != nil || reached {
				return sh, err
			}
		}
	}
	return nil, notAllowed("%s was not sent %s, so has nothing to acknowledge", someone.ID, subject)
}

// openTask loads a task that is still to be done.
func (f *fsm) openTaskNamed(w *writer, id string) (*state.Task, *state.Activation, *runbooks.Runbook, error) {
	t, err := w.tx.Task(nil, id)
	switch {
	case err != nil:
		return nil, nil, nil, err
	case t == nil:
		return nil, nil, nil, notFound("no task %q", id)
	case t.State != state.TaskOpen && t.State != state.TaskAcknowledged:
		return nil, nil, nil, fmt.Errorf("task %s is %s", id, t.State)
	}
	a, rb, err := f.activationOf(w, t.ActivationID)
	return t, a, rb, err
}

func (f *fsm) completeTask(w *writer, c *CompleteTask) error {
	t, a, rb, err := f.openTaskNamed(w, c.Task)
	if err != nil {
		return err
	}
	if _, ok := actsFor(w.fsm.directory(w.tx), c.By, rb.Reach([]runbooks.Ref{{Name: t.Assignee}}).Stakeholders); c.AsAssignee && !ok {
		return notAllowed("task %s is assigned to %s, not %s: only they, or a planner, may complete it", t.ID, t.Assignee, c.By)
	}
	done := *t
	done.State, done.DoneAt, done.DoneBy = state.TaskDone, w.meta.At, cmp.Or(w.meta.Actor, c.By)
	if err := w.tx.UpsertTask(&done); err != nil {
		return err
	}
	if err := w.event(a.ID, "task_done", t.ID, c.By); err != nil {
		return err
	}
	return f.complete(w, a, rb, t.OccurrenceID)
}

func (f *fsm) reassignTask(w *writer, c *ReassignTask) error {
	t, a, rb, err := f.openTaskNamed(w, c.Task)
	if err != nil {
		return err
	}
	if rb.Reach([]runbooks.Ref{{Name: c.To}}).Stakeholders == nil {
		return invalid("%q is not a stakeholder or role of runbook %q", c.To, rb.ID)
	}
	moved := *t
	moved.Assignee, moved.State, moved.AcknowledgedAt, moved.AcknowledgedBy, moved.ReassignedAt = c.To, state.TaskOpen, time.Time{}, "", w.meta.At
	if err := w.tx.UpsertTask(&moved); err != nil {
		return err
	}
	if err := w.event(a.ID, "task_reassigned", t.ID, t.Assignee+" -> "+c.To); err != nil {
		return err
	}
	return f.tellNewAssignee(w, a, rb, &moved)
}

// tellNewAssignee sends a reassigned task to its new assignee, as the next
// revision of its notice, and watches again for their acknowledgement
// when the step sets a deadline for it.
func (f *fsm) tellNewAssignee(w *writer, a *state.Activation, rb *runbooks.Runbook, t *state.Task) error {
	s, ok := rb.Step(t.Step)
	if !ok || s.Task == nil {
		return fmt.Errorf("activation %s: its runbook has no task step %q", a.ID, t.Step)
	}
	notice, err := w.tx.Message(nil, t.ID)
	if err != nil {
		return err
	}
	subject, _ := marked(a, rb, "Task (reassigned to you): "+s.Title, "")
	next := state.Revision{N: 1, Subject: subject, Body: t.Instructions, At: w.meta.At}
	if notice == nil {
		notice = &state.Message{ID: t.ID, ActivationID: a.ID, Step: t.Step, CreatedAt: w.meta.At}
	} else {
		cp := *notice
		notice, next.N = &cp, notice.Current().N+1
	}
	notice.Revisions = append(slices.Clone(notice.Revisions), next)
	p := w.people(a)
	if err := dispatch(w, a, rb, notice, p, endpoints(rb, p, []runbooks.Ref{{Name: t.Assignee}})); err != nil {
		return err
	}
	if s.Task.AckWithin == nil {
		return nil
	}
	checks, err := w.tx.OccurrencesOf(nil, a.ID)
	if err != nil {
		return err
	}
	n := 1
	for _, o := range checks {
		if o.Kind == checkAck && o.Subject == t.ID {
			if o.State == state.OccurrencePending {
				return nil // still watching
			}
			n = max(n, o.N+1)
		}
	}
	return w.scheduleCheck(a, t.Step, checkAck, t.ID, n, 1, w.meta.At.Add(s.Task.AckWithin.D))
}

// wasReached reports whether a message was sent, or is being sent, to a
// stakeholder: only they are asked to acknowledge it.
func wasReached(tx *state.Txn, message, stakeholder string) (bool, error) {
	deliveries, err := tx.DeliveriesOf(nil, message)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(deliveries, func(d *state.Delivery) bool {
		return d.Stakeholder == stakeholder && d.State != state.DeliveryWithheld && d.State != state.DeliveryCancelled
	}), nil
}

// AwaitsAcknowledgement reports whether who (a stakeholder id, an email
// address or a Slack user id) is asked to acknowledge a message or task
// and has not yet: a message sent to them, not an escalation notice; a
// task assigned to them that nobody has acknowledged. The engine's own
// rule (addressee), for those who want to know before asking.
func AwaitsAcknowledgement(tx *state.Txn, rb *runbooks.Runbook, dir *directory.Directory, subject, who string) bool {
	task, err := tx.Task(nil, subject)
	if err != nil || task != nil && task.State != state.TaskOpen {
		return false
	}
	if task == nil {
		m, err := tx.Message(nil, subject)
		if err != nil || m == nil || m.About != "" {
			return false
		}
	}
	sh, err := addressee(tx, rb, view(dir), task, subject, who)
	if err != nil {
		return false
	}
	acks, err := tx.AcknowledgementsOf(nil, subject)
	return err == nil && !slices.ContainsFunc(acks, func(k *state.Acknowledgement) bool { return k.Stakeholder == string(sh.ID) })
}
