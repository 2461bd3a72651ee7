package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/runbooks"
)

// stakeholderFor finds the stakeholder someone is: by id, email address
// or Slack user id.
func stakeholderFor(rb *runbooks.Runbook, who string) (*runbooks.Stakeholder, bool) {
	for i := range rb.Stakeholders {
		s := &rb.Stakeholders[i]
		if string(s.ID) == who || (s.Slack != "" && s.Slack == who) ||
			slices.ContainsFunc(s.Email, func(e runbooks.Ref) bool { return strings.EqualFold(e.Name, who) }) {
			return s, true
		}
	}
	return nil, false
}

// MayApprove reports whether the runbook names who (a stakeholder id, an
// email address or a Slack user id) as an approver of a step's messages:
// the rule the engine applies, for those who want to know before asking.
func MayApprove(rb *runbooks.Runbook, step, who string) bool {
	s, ok := rb.Step(step)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return false
	}
	_, err := approver(rb, s, who)
	return err == nil
}

// Approvers names the stakeholders who may approve a step's messages.
func Approvers(rb *runbooks.Runbook, step string) []string {
	s, ok := rb.Step(step)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return nil
	}
	var names []string
	for _, sh := range rb.Reach(s.Notify.Approval.Approvers).Stakeholders {
		names = append(names, sh.Name)
	}
	return names
}

// IsAssignee reports whether who (a stakeholder id, an email address or a
// Slack user id) is, or holds the role, a task is assigned to.
func IsAssignee(rb *runbooks.Runbook, assignee, who string) bool {
	sh, ok := stakeholderFor(rb, who)
	return ok && slices.Contains(rb.Reach([]runbooks.Ref{{Name: assignee}}).Stakeholders, sh)
}

// awaiting loads a message that is waiting for approval, with its
// activation, runbook and step.
func (f *fsm) awaiting(w *writer, id string) (*state.Message, *state.Activation, *runbooks.Runbook, *runbooks.Step, error) {
	m, err := w.tx.Message(nil, id)
	switch {
	case err != nil:
		return nil, nil, nil, nil, err
	case m == nil:
		return nil, nil, nil, nil, notFound("no message %q", id)
	case m.State != state.MessagePendingApproval:
		return nil, nil, nil, nil, fmt.Errorf("message %s is %s, not waiting for approval", id, strings.ReplaceAll(m.State, "_", " "))
	}
	a, err := w.tx.Activation(nil, m.ActivationID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rb, err := f.runbook(a)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, ok := rb.Step(m.Step)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return nil, nil, nil, nil, fmt.Errorf("message %s: step %q needs no approval", id, m.Step)
	}
	return m, a, rb, s, nil
}

// approver checks that who may approve the step's messages.
func approver(rb *runbooks.Runbook, s *runbooks.Step, who string) (*runbooks.Stakeholder, error) {
	sh, ok := stakeholderFor(rb, who)
	if !ok || !slices.Contains(rb.Reach(s.Notify.Approval.Approvers).Stakeholders, sh) {
		return nil, notAllowed("%s is not an approver of step %q", who, s.ID)
	}
	return sh, nil
}

func (f *fsm) approve(w *writer, c *Approve) error {
	m, a, rb, s, err := f.awaiting(w, c.Message)
	if err != nil {
		return err
	}
	sh, err := approver(rb, s, c.By)
	if err != nil {
		return err
	}
	rev := m.Current()
	if c.Revision != 0 && c.Revision != rev.N {
		return fmt.Errorf("message %s has been edited since revision %d, which %s saw: revision %d is waiting for approval", m.ID, c.Revision, sh.ID, rev.N)
	}
	// Four eyes, person by person: where either side has no person behind
	// it (a system, an older record), stakeholder by stakeholder.
	who := person(w.meta, sh, c.Simulated)
	byPerson := rev.Editor != "" && rev.Editor != rev.EditedBy && who != string(sh.ID)
	if byPerson && rev.Editor == who || !byPerson && rev.EditedBy == string(sh.ID) {
		return notAllowed("four eyes: %s wrote revision %d of message %s, so someone else must approve it", who, rev.N, m.ID)
	}
	given, err := w.tx.ApprovalsOf(nil, m.ID)
	if err != nil {
		return err
	}
	approvers := map[string]bool{} // by person
	for _, p := range given {
		if p.Revision == rev.N {
			approvers[cmp.Or(p.Person, p.By)] = true
		}
	}
	if approvers[who] {
		return fmt.Errorf("%s has already approved revision %d of message %s", who, rev.N, m.ID)
	}
	approvers[who] = true
	p := &state.Approval{ID: fmt.Sprintf("%s/approval/%d", m.ID, w.meta.Index), MessageID: m.ID, Revision: rev.N,
		By: string(sh.ID), Person: who, At: w.meta.At, Simulated: c.Simulated}
	if err := w.tx.UpsertApproval(p); err != nil {
		return err
	}
	detail := fmt.Sprintf("approved revision %d (%d of %d)", rev.N, len(approvers), m.MinApprovals)
	if c.Simulated {
		detail += " by the simulated controller"
	}
	if err := w.event(a.ID, "message_approved", m.ID, actingAs(who, sh)+" "+detail); err != nil {
		return err
	}
	if len(approvers) < m.MinApprovals {
		return nil
	}
	approved := *m
	approved.State = state.MessageApproved
	return send(w, a, rb, s, &approved)
}

// send dispatches an approved message to the step's targets, and its
// translations to the audiences that read them.
func send(w *writer, a *state.Activation, rb *runbooks.Runbook, s *runbooks.Step, m *state.Message) error {
	if s.Notify.AckWithin != nil {
		if err := w.scheduleCheck(a, string(s.ID), checkAck, m.ID, 1, 1, w.meta.At.Add(s.Notify.AckWithin.D)); err != nil {
			return err
		}
	}
	eps := endpoints(rb, s.Notify.To)
	switch {
	case len(m.Translations) == 0:
	case m.Current().EditedBy != "":
		// The translations say what the text said before it was edited;
		// sending them could spread what the edit corrected.
		if err := w.event(a.ID, "translations_withheld", m.ID, "the message was edited after its translations were made"); err != nil {
			return err
		}
	default:
		langs := map[string]bool{}
		for lang := range m.Translations {
			langs[lang] = true
		}
		eps = append(eps, translatedEndpoints(rb, s.Notify.To, langs)...)
	}
	return dispatch(w, a, rb, m, eps)
}

func (f *fsm) reject(w *writer, c *Reject) error {
	m, a, rb, s, err := f.awaiting(w, c.Message)
	if err != nil {
		return err
	}
	sh, err := approver(rb, s, c.By)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return invalid("a rejection needs a reason")
	}
	rejected := *m
	rejected.State, rejected.RejectedBy, rejected.RejectReason, rejected.UpdatedAt = state.MessageRejected, string(sh.ID), c.Reason, w.meta.At
	if err := w.tx.UpsertMessage(&rejected); err != nil {
		return err
	}
	return w.event(a.ID, "message_rejected", m.ID, string(sh.ID)+": "+c.Reason)
}

// edit writes a new revision of a message waiting for approval. Only its
// approvers may: those the runbook trusts with its words. In an exercise
// the new text is marked as the draft was, whether or not the editor kept
// the marking.
func (f *fsm) edit(w *writer, c *Edit) error {
	m, a, rb, s, err := f.awaiting(w, c.Message)
	if err != nil {
		return err
	}
	sh, err := approver(rb, s, c.By)
	if err != nil {
		return notAllowed("%s is not an approver of step %q; only its approvers edit its messages", c.By, s.ID)
	}
	if strings.TrimSpace(c.Body) == "" {
		return invalid("a message needs a body")
	}
	subject := c.Subject
	if strings.TrimSpace(subject) == "" {
		subject = m.Current().Subject
	}
	subject, body := marked(a, rb, subject, c.Body)
	if err := fitsText(a, rb, s, subject, body); err != nil {
		return err
	}
	editor := person(w.meta, sh, false)
	edited := *m
	edited.Revisions = append(slices.Clone(m.Revisions), state.Revision{
		N: m.Current().N + 1, Subject: subject, Body: body, EditedBy: string(sh.ID), Editor: editor, At: w.meta.At})
	edited.UpdatedAt = w.meta.At
	if err := w.tx.UpsertMessage(&edited); err != nil {
		return err
	}
	return w.event(a.ID, "message_edited", m.ID, fmt.Sprintf("%s wrote revision %d; earlier approvals no longer count", actingAs(editor, sh), edited.Current().N))
}

// fitsText refuses an edit that makes a message too long for the texts it
// is sent as: better refused now, with the reason, than failed at send.
func fitsText(a *state.Activation, rb *runbooks.Runbook, s *runbooks.Step, subject, body string) error {
	if !ReachesText(rb, string(s.ID), a.Exercise()) {
		return nil
	}
	if n, _ := sms.Length(sms.Text(subject, body)); n > sms.MaxLength {
		counted := "subject and body"
		if a.Exercise() {
			counted += ", with the exercise marking"
		}
		return invalid("this message is also sent as a text, and as edited it is %d characters (%s); GOV.UK Notify takes at most %d: shorten it",
			n, counted, sms.MaxLength)
	}
	return nil
}

// person is who did something: the person who signed in (the command's
// actor), not the post or mailbox they act as; for a command with no
// person behind it (a test, a system), the stakeholder; for the simulated
// controller, the controller standing in for that stakeholder.
func person(m *Meta, sh *runbooks.Stakeholder, simulated bool) string {
	switch {
	case simulated:
		return "simulated controller for " + string(sh.ID)
	case m.Actor == "":
		return string(sh.ID)
	}
	return m.Actor
}

// actingAs names a person and, when it says something more, the
// stakeholder they act as: "Dev Duty (as duty-comms)".
func actingAs(who string, sh *runbooks.Stakeholder) string {
	if who == string(sh.ID) || strings.HasSuffix(who, " "+string(sh.ID)) {
		return who
	}
	return fmt.Sprintf("%s (as %s)", who, sh.ID)
}
