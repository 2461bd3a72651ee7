package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// redraft writes a new revision of a rejected message and puts it back
// for approval: the rejection stays in the record and in the revision
// that answers it; approvals of earlier revisions do not count (they
// never do); the approval deadline, and its escalation, start again.
// Only the message's approvers may, as only they may edit it.
func (f *fsm) redraft(w *writer, c *Redraft) error {
	m, err := w.tx.Message(nil, c.Message)
	switch {
	case err != nil:
		return err
	case m == nil:
		return notFound("no message %q", c.Message)
	case c.Revision != 0 && c.Revision != m.Current().N:
		// Someone re-drafted it since: say so, whatever its state now.
	case m.State != state.MessageRejected:
		return invalid("this message is %s: only a rejected message is re-drafted (edit one waiting for approval)", words(m.State))
	}
	a, err := w.tx.Activation(nil, m.ActivationID)
	if err != nil {
		return err
	}
	if a.State != state.ActivationActive {
		return invalid("activation %s has ended (%s): nothing more is sent", a.ID, words(a.State))
	}
	rb, err := f.runbook(a)
	if err != nil {
		return err
	}
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return fmt.Errorf("message %s: step %q needs no approval", m.ID, m.Step)
	}
	sh, err := approver(rb, w.fsm.directory(w.tx), s, c.By)
	if err != nil {
		return notAllowed("%s is not an approver of %s; only its approvers re-draft it", c.By, stepName(s))
	}
	if err := seen(rb, m, c.Revision); err != nil {
		return err
	}
	rev, err := revise(w, a, rb, s, m, sh, c.Subject, c.Body, c.Translations, c.Withhold)
	if err != nil {
		return err
	}
	rev.Rejected = &state.Rejection{By: m.RejectedBy, Reason: m.RejectReason, At: m.UpdatedAt}
	next := *m
	next.Revisions = append(slices.Clone(m.Revisions), rev)
	next.State, next.RejectedBy, next.RejectReason, next.UpdatedAt = state.MessagePendingApproval, "", "", w.meta.At
	if err := w.tx.UpsertMessage(&next); err != nil {
		return err
	}
	if err := w.event(a.ID, "message_redrafted", m.ID, fmt.Sprintf("%s wrote revision %d after %s rejected it%s; it waits for approval again",
		actingAs(rev.Editor, sh), rev.N, rev.Rejected.By, translationsNote(rev))); err != nil {
		return err
	}
	if err := restartApprovalWatch(w, a, s, m.ID); err != nil {
		return err
	}
	again, err := w.tx.Message(nil, m.ID)
	if err != nil || again == nil {
		return err
	}
	return askSignatures(w, a, rb, s.Notify.Approval, again)
}

// restartApprovalWatch cancels what is left of a message's approval
// deadline and starts it again from now: a fresh chain of checks,
// numbered on from the last.
func restartApprovalWatch(w *writer, a *state.Activation, s *runbooks.Step, message string) error {
	n, err := stopChecks(w, a, checkApproval, message)
	if err != nil {
		return err
	}
	if s.Notify.Approval.Within == nil {
		return nil
	}
	return w.scheduleCheck(a, string(s.ID), checkApproval, message, n+1, 1, w.meta.At.Add(s.Notify.Approval.Within.D))
}

func words(state string) string { return strings.ReplaceAll(state, "_", " ") }
