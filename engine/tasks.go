package engine

import (
	"fmt"
	"strings"

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
	} else if m != nil {
		activation = m.ActivationID
	} else {
		return notFound("no message or task %q", c.Subject)
	}
	a, rb, err := f.activationOf(w, activation)
	if err != nil {
		return err
	}
	sh, ok := stakeholderFor(rb, c.By)
	if !ok {
		return notAllowed("%s is not a stakeholder of runbook %q", c.By, rb.ID)
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
		SubjectID: c.Subject, Stakeholder: string(sh.ID), At: w.meta.At, Via: c.Via}
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
	return w.event(a.ID, "acknowledged", c.Subject, string(sh.ID))
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
	done := *t
	done.State, done.DoneAt, done.DoneBy = state.TaskDone, w.meta.At, c.By
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
		return fmt.Errorf("%q is not a stakeholder or role of runbook %q", c.To, rb.ID)
	}
	moved := *t
	moved.Assignee = c.To
	if err := w.tx.UpsertTask(&moved); err != nil {
		return err
	}
	return w.event(a.ID, "task_reassigned", t.ID, t.Assignee+" -> "+c.To)
}
