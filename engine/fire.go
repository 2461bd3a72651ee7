package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// fire makes a due occurrence happen: a notify step's message is drafted
// (held for approval, or handed to delivery), a task is opened, an inject
// is sent; a recurring step's next occurrence is scheduled.
func (f *fsm) fire(w *writer, c *Fire) error {
	o, err := w.tx.Occurrence(nil, c.Occurrence)
	switch {
	case err != nil:
		return err
	case o == nil:
		return notFound("no occurrence %q", c.Occurrence)
	case o.State != state.OccurrencePending:
		return ErrNotPending
	}
	a, err := w.tx.Activation(nil, o.ActivationID)
	if err != nil {
		return err
	}
	if a.State != state.ActivationActive {
		return ErrNotPending
	}
	rb, err := f.runbook(a)
	if err != nil {
		return err
	}
	fired := *o
	fired.State, fired.FiredAt = state.OccurrenceFired, w.meta.At
	if err := w.tx.UpsertOccurrence(&fired); err != nil {
		return err
	}
	switch o.Kind {
	case "inject":
		return f.fireInject(w, a, rb, &fired)
	case checkApproval, checkAck, checkCorrection:
		return f.check(w, a, rb, &fired)
	case checkVoid:
		return f.checkVoid(w, a, rb, &fired)
	}
	s, ok := rb.Step(o.Step)
	if !ok {
		return fmt.Errorf("activation %s: its runbook has no step %q", a.ID, o.Step)
	}
	values := templateValues(a, s.Title, o, w.meta.At)
	switch {
	case s.Notify != nil:
		err = f.draft(w, a, rb, &fired, s, values)
	case s.Task != nil:
		err = f.openTask(w, a, rb, &fired, s, values)
	}
	if err != nil {
		return err
	}
	if s.Recurring() {
		if next, ok := rb.NextOccurrence(s, a.StartedAt, o.DueAt); ok {
			return w.schedule(a, o.Step, o.Kind, o.N+1, next)
		}
	}
	return nil
}

func templateValues(a *state.Activation, title string, o *state.Occurrence, now time.Time) runbooks.TemplateValues {
	return runbooks.TemplateValues{
		Params: a.Params,
		Activation: runbooks.ActivationInfo{ID: a.ID, Runbook: a.Runbook, Mode: a.Mode, Event: a.Event,
			Severity: a.Severity, StartedAt: a.StartedAt},
		Step:       runbooks.StepInfo{ID: o.Step, Title: title},
		Occurrence: o.N,
		Now:        now,
	}
}

// draft renders a notify step's message and either holds it for approval
// or hands it to delivery. It renders inside the write path, as every
// firing does: that is safe because a rendering is bounded in work
// (runbooks' maxSteps, checked before it runs) as well as in output, so an
// untrusted runbook's template cannot hold other writes for long.
func (f *fsm) draft(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence, s *runbooks.Step, v runbooks.TemplateValues) error {
	subject, err := s.Notify.Subject.Render(v)
	if err != nil {
		return f.renderFailed(w, a, o, err)
	}
	body, err := s.Notify.Body.Render(v)
	if err != nil {
		return f.renderFailed(w, a, o, err)
	}
	if strings.TrimSpace(subject) == "" {
		subject = s.Title // chat channels show it as the heading
	}
	translations := map[string]state.Translation{}
	for lang, tr := range s.Notify.Translations {
		tSubject, err := tr.Subject.Render(v)
		if err != nil {
			return f.renderFailed(w, a, o, err)
		}
		tBody, err := tr.Body.Render(v)
		if err != nil {
			return f.renderFailed(w, a, o, err)
		}
		if strings.TrimSpace(tSubject) == "" {
			tSubject = subject // the format's rule: emails in that language use the main subject
		}
		tSubject, tBody = marked(a, rb, tSubject, tBody)
		translations[lang] = state.Translation{Subject: tSubject, Body: tBody}
	}
	subject, body = marked(a, rb, subject, body)
	m := &state.Message{
		ID: o.ID, ActivationID: a.ID, OccurrenceID: o.ID, Step: o.Step, State: state.MessagePendingApproval,
		Revisions:    []state.Revision{{N: 1, Subject: subject, Body: body, At: w.meta.At}},
		Translations: translations,
		CreatedAt:    w.meta.At, UpdatedAt: w.meta.At,
	}
	if ap := s.Notify.Approval; ap != nil {
		m.NeedsApproval, m.MinApprovals = true, max(ap.Min, 1)
		if err := w.tx.UpsertMessage(m); err != nil {
			return err
		}
		if ap.Within != nil {
			if err := w.scheduleCheck(a, o.Step, checkApproval, m.ID, 1, 1, w.meta.At.Add(ap.Within.D)); err != nil {
				return err
			}
		}
		if err := w.event(a.ID, "message_drafted", m.ID, "held for approval: "+subject); err != nil {
			return err
		}
		return askSignatures(w, a, rb, ap, m)
	}
	return send(w, a, rb, s, m)
}

// sendInject sends an inject the exercise lead writes during an exercise.
func (f *fsm) sendInject(w *writer, c *SendInject) error {
	a, rb, err := f.activationOf(w, c.Activation)
	if err != nil {
		return err
	}
	if !a.Exercise() {
		return fmt.Errorf("activation %s is live: injects are for exercises", a.ID)
	}
	if strings.TrimSpace(c.Body) == "" || len(c.To) == 0 {
		return invalid("an inject needs a body and someone to send it to")
	}
	refs := make([]runbooks.Ref, len(c.To))
	for i, to := range c.To {
		refs[i] = runbooks.Ref{Name: to}
		if r := rb.Reach(refs[i : i+1]); len(r.Channels) == 0 && len(r.Stakeholders) == 0 {
			return invalid("%q is not a channel, audience, stakeholder or role of runbook %q", to, rb.ID)
		}
	}
	subject, body := marked(a, rb, "Scenario inject", c.Body)
	id := fmt.Sprintf("%s/inject/%d", a.ID, w.meta.Index)
	m := &state.Message{ID: id, ActivationID: a.ID, Step: "inject",
		Revisions: []state.Revision{{N: 1, Subject: subject, Body: body, At: w.meta.At, EditedBy: w.meta.Actor}},
		CreatedAt: w.meta.At, UpdatedAt: w.meta.At}
	if err := w.event(a.ID, "inject_sent", id, w.meta.Actor+": "+strings.Join(c.To, ", ")); err != nil {
		return err
	}
	p := w.people(a)
	return dispatch(w, a, rb, m, p, endpoints(rb, p, refs))
}

// fireInject sends a drill's scenario inject to its targets.
func (f *fsm) fireInject(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence) error {
	for _, in := range rb.Exercise.Injects {
		if string(in.ID) != o.Step {
			continue
		}
		body, err := in.Body.Render(templateValues(a, "Inject "+o.Step, o, w.meta.At))
		if err != nil {
			return f.renderFailed(w, a, o, err)
		}
		subject, body := marked(a, rb, "Scenario inject: "+o.Step, body)
		m := &state.Message{ID: o.ID, ActivationID: a.ID, OccurrenceID: o.ID, Step: o.Step,
			Revisions: []state.Revision{{N: 1, Subject: subject, Body: body, At: w.meta.At}},
			CreatedAt: w.meta.At, UpdatedAt: w.meta.At}
		p := w.people(a)
		return dispatch(w, a, rb, m, p, endpoints(rb, p, in.To))
	}
	return fmt.Errorf("activation %s: its runbook has no inject %q", a.ID, o.Step)
}

// marked puts the exercise prefix before the subject and before and after
// the body of every drill message.
func marked(a *state.Activation, rb *runbooks.Runbook, subject, body string) (string, string) {
	if !a.Exercise() {
		return subject, body
	}
	return rb.MarkExercise(subject, body)
}

// renderFailed records a message that could not be rendered; the step
// stays fired so that someone can see it and act.
func (f *fsm) renderFailed(w *writer, a *state.Activation, o *state.Occurrence, err error) error {
	return w.event(a.ID, "render_failed", o.ID, err.Error())
}

// dispatch writes an approved message and one delivery per endpoint:
// pending, or in a sealed exercise, withheld where the seal says so. Every
// message crier sends passes through here, so the seal has no way round.
func dispatch(w *writer, a *state.Activation, rb *runbooks.Runbook, m *state.Message, p *people, eps []endpoint) error {
	eps, withheld := sealOf(a, rb, p.dir).route(eps)
	m.State, m.UpdatedAt = state.MessageDispatching, w.meta.At
	m.Outstanding, m.Sent, m.Failed, m.Withheld = len(eps), 0, 0, len(withheld)
	if err := w.tx.UpsertMessage(m); err != nil {
		return err
	}
	rev := m.Current().N
	for i, ep := range slices.Concat(eps, withheld) {
		d := &state.Delivery{ID: state.DeliveryID(m.ID, rev, i), ActivationID: m.ActivationID, MessageID: m.ID,
			Revision: rev, Channel: ep.channel, Type: ep.kind, Target: ep.target, Stakeholder: ep.stakeholder, Person: ep.person, List: ep.list,
			Language: ep.language, State: state.DeliveryPending, UpdatedAt: w.meta.At}
		if i >= len(eps) {
			d.State, d.Error = state.DeliveryWithheld, "withheld: not a participant of the exercise"
		}
		if err := w.tx.UpsertDelivery(d); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("%s: %s", deliveries(len(eps)), m.Current().Subject)
	if len(withheld) > 0 {
		detail = fmt.Sprintf("%s, %d withheld (not taking part): %s", deliveries(len(eps)), len(withheld), m.Current().Subject)
	}
	if err := w.event(m.ActivationID, "message_dispatched", m.ID, detail); err != nil {
		return err
	}
	if err := recordDuty(w, m, p); err != nil {
		return err
	}
	if err := restartVoidWatch(w, a, rb, m); err != nil {
		return err
	}
	if err := corrected(w, m); err != nil {
		return err
	}
	if len(eps) == 0 {
		return w.settleNow(m.ID) // nothing to wait for
	}
	return nil
}

func (f *fsm) openTask(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence, s *runbooks.Step, v runbooks.TemplateValues) error {
	instructions, err := s.Task.Instructions.Render(v)
	if err != nil {
		return f.renderFailed(w, a, o, err)
	}
	_, instructions = marked(a, rb, "", instructions)
	t := &state.Task{ID: o.ID, ActivationID: a.ID, OccurrenceID: o.ID, Step: o.Step,
		Assignee: s.Task.Assignee.Name, Instructions: strings.TrimSpace(instructions), State: state.TaskOpen, OpenedAt: w.meta.At}
	if err := w.tx.UpsertTask(t); err != nil {
		return err
	}
	if s.Task.AckWithin != nil {
		if err := w.scheduleCheck(a, o.Step, checkAck, t.ID, 1, 1, w.meta.At.Add(s.Task.AckWithin.D)); err != nil {
			return err
		}
	}
	if err := w.event(a.ID, "task_opened", t.ID, s.Title+" (assigned to "+t.Assignee+")"); err != nil {
		return err
	}
	return tellAssignee(w, a, rb, t, s.Title)
}

// tellAssignee sends a task to whoever it is assigned to, by each of their
// contacts (in a sealed exercise, where the seal allows). The notice shares the task's id (an
// acknowledgement of either is of the task); it is sent like any message,
// but completing the task, not sending its notice, completes the step.
func tellAssignee(w *writer, a *state.Activation, rb *runbooks.Runbook, t *state.Task, title string) error {
	subject, _ := marked(a, rb, "Task: "+title, "") // the instructions are marked already
	notice := &state.Message{ID: t.ID, ActivationID: a.ID, Step: t.Step,
		Revisions: []state.Revision{{N: 1, Subject: subject, Body: t.Instructions, At: w.meta.At}}, CreatedAt: w.meta.At, UpdatedAt: w.meta.At}
	p := w.people(a)
	return dispatch(w, a, rb, notice, p, endpoints(rb, p, []runbooks.Ref{{Name: t.Assignee}}))
}

func deliveries(n int) string {
	if n == 1 {
		return "1 delivery"
	}
	return fmt.Sprintf("%d deliveries", n)
}
