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
// restart. Each is one round of the deadline's escalation chain
// (runbooks.Chain): when it falls due it looks at what it watches and, if
// someone is still waiting, tells the round's level, then schedules the
// next round; the round after the last declares the chain exhausted and
// sends nothing.
const (
	checkApproval = "approval_check" // a message still waiting for approval
	checkAck      = "ack_check"      // a message or task not yet acknowledged
)

func (w *writer) scheduleCheck(a *state.Activation, step, kind, subject string, n, round int, due time.Time) error {
	o := &state.Occurrence{
		ID:           fmt.Sprintf("%s/%s/%d", subject, kind, n),
		ActivationID: a.ID,
		Step:         step,
		Kind:         kind,
		Subject:      subject,
		N:            n,
		Round:        round,
		DueAt:        due.UTC(),
		State:        state.OccurrencePending,
	}
	w.done.Scheduled = append(w.done.Scheduled, o)
	return w.tx.UpsertOccurrence(o)
}

// stopChecks cancels the pending checks of a kind on a subject, so that a
// watch can start again, and returns the last check's number, for the new
// one to follow on from.
func stopChecks(w *writer, a *state.Activation, kind, subject string) (int, error) {
	occurrences, err := w.tx.OccurrencesOf(nil, a.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range occurrences {
		if o.Subject != subject || o.Kind != kind {
			continue
		}
		n = max(n, o.N)
		if o.State == state.OccurrencePending {
			cancelled := *o
			cancelled.State = state.OccurrenceCancelled
			if err := w.tx.UpsertOccurrence(&cancelled); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// watch is what one check looks at.
type watch struct {
	chain       runbooks.Chain
	reason      string
	what        string   // "approval of …", for people
	waiting     []string // stakeholder ids still to act
	unreachable []string // stakeholder ids every delivery failed to reach
}

func (f *fsm) watched(w *writer, rb *runbooks.Runbook, o *state.Occurrence) (watch, error) {
	if o.Kind == checkCorrection {
		return correctionWatch(w.tx, rb, o)
	}
	s, ok := rb.Step(o.Step)
	if !ok {
		return watch{}, fmt.Errorf("its runbook has no step %q", o.Step)
	}
	var x watch
	var err error
	switch {
	case o.Kind == checkApproval:
		x.chain, ok = rb.ApprovalChain(s)
		x.reason, x.what = state.EscalationApprovalOverdue, "approval of "+s.Title
		x.waiting, err = awaitingApproval(w.tx, rb, s, o.Subject)
	case s.Task != nil:
		x.chain, ok = rb.AckChain(s)
		x.reason, x.what = state.EscalationAckOverdue, "acknowledgement of task "+s.Title
		x.waiting, err = taskUnacknowledged(w.tx, rb, o.Subject)
	default:
		x.chain, ok = rb.AckChain(s)
		x.reason, x.what = state.EscalationAckOverdue, "acknowledgement of "+s.Title
		x.waiting, x.unreachable, err = notYetAcknowledged(w.tx, o.Subject)
	}
	if err == nil && !ok {
		err = fmt.Errorf("step %q sets no deadline for its %s check", s.ID, o.Kind)
	}
	return x, err
}

// check runs one round of a deadline's escalation chain.
func (f *fsm) check(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence) error {
	x, err := f.watched(w, rb, o)
	if err != nil {
		return fmt.Errorf("activation %s: %w", a.ID, err)
	}
	earlier, err := w.tx.EscalationsAbout(nil, o.Subject)
	if err != nil {
		return err
	}
	var reported []string // unreachable people already escalated: once is enough
	for _, e := range earlier {
		reported = append(reported, e.Unreachable...)
	}
	fresh := slices.DeleteFunc(slices.Clone(x.unreachable), func(id string) bool { return slices.Contains(reported, id) })
	if len(x.waiting) == 0 && len(fresh) == 0 {
		if len(x.unreachable) > 0 {
			return f.exhausted(w, a, rb, o, x) // no one left who could still act
		}
		return f.finishCheck(w, o)
	}
	round := max(o.Round, 1)
	if o.Round == 0 {
		round = o.N // a check scheduled before rounds were kept
	}
	if round > x.chain.Rounds() {
		return f.exhausted(w, a, rb, o, x)
	}
	told := tellers(rb, x.chain.Level(round), x.waiting, x.unreachable)
	e := &state.Escalation{
		ID:           o.ID,
		ActivationID: a.ID,
		SubjectID:    o.Subject,
		Reason:       x.reason,
		To:           told,
		Waiting:      x.waiting,
		Unreachable:  fresh,
		Reminder:     round,
		Level:        min(round, len(x.chain.Levels)),
		At:           w.meta.At,
	}
	if err := w.tx.UpsertEscalation(e); err != nil {
		return err
	}
	detail := fmt.Sprintf("%s, %s: waiting for %s; told %s", x.reason, roundName(x.chain, round), list(x.waiting), list(told))
	if len(fresh) > 0 {
		detail += "; unreachable: " + strings.Join(fresh, ", ")
	}
	if err := w.event(a.ID, state.EventEscalated, o.Subject, detail); err != nil {
		return err
	}
	subject, body := notice(a, rb, x, round, fresh, w.meta.At.Sub(waitBegan(w.tx, o, x.chain, round)))
	m := &state.Message{ID: o.ID, OccurrenceID: o.ID, Step: o.Step, About: o.Subject}
	if err := tell(w, a, rb, w.people(a), m, subject, body, told); err != nil {
		return err
	}
	// The next round keeps its gap from this one, even when this one came
	// late (crier was stopped): never two notices back to back.
	gap := x.chain.Offset(round+1) - x.chain.Offset(round)
	next := o.DueAt.Add(gap)
	if late := w.meta.At.Add(gap); next.Before(late) {
		next = late
	}
	return w.scheduleCheck(a, o.Step, o.Kind, o.Subject, o.N+1, round+1, next)
}

// tellers are the stakeholders a round's notice goes to, each once however
// many roles or levels bring them in: the level's people, but never someone about
// their own delay as if they were the manager, nor someone no delivery
// reaches; when that leaves no one, or the level names no one, the people
// still waiting, as a reminder to themselves.
func tellers(rb *runbooks.Runbook, level runbooks.ChainLevel, waiting, unreachable []string) []string {
	var out []string
	for _, sh := range rb.Reach(level.To).Stakeholders {
		id := string(sh.ID)
		if !slices.Contains(waiting, id) && !slices.Contains(unreachable, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		out = slices.Clone(waiting)
	}
	return out
}

// notice is what a round of escalation says.
func notice(a *state.Activation, rb *runbooks.Runbook, x watch, round int, unreachable []string, waited time.Duration) (string, string) {
	c := x.chain
	What := strings.ToUpper(x.what[:1]) + x.what[1:]
	subject := "Overdue: " + x.what
	if round > len(c.Levels) || len(c.Levels) > 1 {
		name := roundName(c, round)
		subject = fmt.Sprintf("%s%s, overdue: %s", strings.ToUpper(name[:1]), name[1:], x.what)
	}
	var b strings.Builder
	late := "is now overdue"
	if over := (waited - c.Deadline).Truncate(time.Minute); over > 0 {
		late = "is overdue by " + runbooks.HumanDuration(over)
	}
	fmt.Fprintf(&b, "%s in activation %s (%s) was due within %s and %s.\n",
		What, a.ID, a.Title, runbooks.HumanDuration(c.Deadline), late)
	if len(x.waiting) > 0 {
		fmt.Fprintf(&b, "Still waiting for: %s.\n", names(rb, x.waiting))
	}
	if len(unreachable) > 0 {
		fmt.Fprintf(&b, "Unreachable — every delivery to them failed: %s. Reach them another way.\n", names(rb, unreachable))
	}
	if round == c.Rounds() {
		b.WriteString("This is the last notice crier sends about it.\n")
	}
	return subject, strings.TrimSpace(b.String())
}

// roundName says which notice of a chain a round is, as its subject and
// the record both say it: "escalation 2 of 3", "reminder 1 of 2".
func roundName(c runbooks.Chain, round int) string {
	if round > len(c.Levels) {
		return fmt.Sprintf("reminder %d of %d", round-len(c.Levels), c.Reminders)
	}
	return fmt.Sprintf("escalation %d of %d", round, len(c.Levels))
}

// waitBegan is when what a check watches began to wait: the first round's
// due time less the deadline.
func waitBegan(tx *state.Txn, o *state.Occurrence, c runbooks.Chain, round int) time.Time {
	if round > 1 {
		if first, _ := tx.Occurrence(nil, fmt.Sprintf("%s/%s/%d", o.Subject, o.Kind, o.N-round+1)); first != nil {
			return first.DueAt.Add(-c.Deadline)
		}
	}
	return o.DueAt.Add(-c.Deadline - c.Offset(round))
}

// exhausted ends a chain that has sent all its policy allows, or has no one
// left to remind, and says who is still waiting.
func (f *fsm) exhausted(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence, x watch) error {
	e := &state.Escalation{
		ID:           o.ID,
		ActivationID: a.ID,
		SubjectID:    o.Subject,
		Reason:       x.reason,
		Waiting:      x.waiting,
		Unreachable:  x.unreachable,
		Reminder:     max(o.Round, 1),
		Exhausted:    true,
		At:           w.meta.At,
	}
	if err := w.tx.UpsertEscalation(e); err != nil {
		return err
	}
	still := append(slices.Clone(x.waiting), x.unreachable...)
	if err := w.event(a.ID, state.EventEscalationExhausted, o.Subject,
		fmt.Sprintf("%s: no more notices; still waiting: %s", x.reason, names(rb, still))); err != nil {
		return err
	}
	return f.finishCheck(w, o)
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

// notYetAcknowledged lists the stakeholders a message was sent to who have
// not acknowledged it: waiting, while a delivery to them may still arrive,
// or unreachable, when every delivery to them failed.
func notYetAcknowledged(tx *state.Txn, id string) (waiting, unreachable []string, err error) {
	deliveries, err := tx.DeliveriesOf(nil, id)
	if err != nil {
		return nil, nil, err
	}
	acks, err := tx.AcknowledgementsOf(nil, id)
	if err != nil {
		return nil, nil, err
	}
	reached := map[string]bool{} // by stakeholder: whether any delivery may still reach them
	var order []string
	for _, d := range deliveries {
		if d.Stakeholder == "" || d.State == state.DeliveryCancelled || d.State == state.DeliveryWithheld {
			continue
		}
		if _, seen := reached[d.Stakeholder]; !seen {
			order = append(order, d.Stakeholder)
		}
		reached[d.Stakeholder] = reached[d.Stakeholder] || d.State != state.DeliveryFailed && d.State != state.DeliveryUndelivered
	}
	for _, sh := range order {
		if slices.ContainsFunc(acks, func(k *state.Acknowledgement) bool { return k.Stakeholder == sh }) {
			continue
		}
		if reached[sh] {
			waiting = append(waiting, sh)
		} else {
			unreachable = append(unreachable, sh)
		}
	}
	return waiting, unreachable, nil
}

// taskUnacknowledged names the people an open task waits on: its assignee,
// or everyone holding the role it is assigned to.
func taskUnacknowledged(tx *state.Txn, rb *runbooks.Runbook, id string) ([]string, error) {
	t, err := tx.Task(nil, id)
	if err != nil || t == nil || t.State != state.TaskOpen {
		return nil, err
	}
	var out []string
	for _, sh := range rb.Reach([]runbooks.Ref{{Name: t.Assignee}}).Stakeholders {
		out = append(out, string(sh.ID))
	}
	return out, nil
}

// names writes stakeholders as people read them: "Jo Bloggs (duty-comms)".
func names(rb *runbooks.Runbook, ids []string) string {
	var out []string
	for _, id := range ids {
		if sh, ok := stakeholderFor(rb, nil, id); ok && sh.Name != "" {
			out = append(out, fmt.Sprintf("%s (%s)", sh.Name, id))
		} else {
			out = append(out, id)
		}
	}
	return list(out)
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "no one"
	}
	return strings.Join(xs, ", ")
}

// tell sends a notice crier writes itself — a round of escalation, a
// request to sign off, a rise in tension — to the stakeholders ids, as m
// (its id and what it is about), marked as an exercise's when it is one.
func tell(w *writer, a *state.Activation, rb *runbooks.Runbook, p *people, m *state.Message, subject, body string, ids []string) error {
	subject, body = marked(a, rb, subject, body)
	m.ActivationID, m.CreatedAt, m.UpdatedAt = a.ID, w.meta.At, w.meta.At
	m.Revisions = []state.Revision{{N: 1, Subject: subject, Body: body, At: w.meta.At}}
	return dispatch(w, a, rb, m, p, noticeEndpoints(rb, p, ids))
}

// noticeEndpoints are where a round's notice goes: one notice a person, by
// the first contact they have of a Slack direct message, an email and a
// text — never the same notice three times over.
func noticeEndpoints(rb *runbooks.Runbook, p *people, ids []string) []endpoint {
	var out []endpoint
	for _, id := range ids {
		sh, ok := stakeholderFor(rb, p.dir, id)
		if !ok {
			continue
		}
		for _, c := range p.contacts(sh) {
			switch ep := (endpoint{stakeholder: id, person: c.Person}); {
			case c.Slack != "":
				ep.kind, ep.target = string(runbooks.ChannelSlack), c.Slack
				out = append(out, ep)
			case len(c.Email) > 0:
				ep.kind, ep.target = string(runbooks.ChannelEmail), c.Email[0]
				out = append(out, ep)
			case c.Phone != "":
				ep.kind, ep.target = string(runbooks.ChannelSMS), c.Phone
				out = append(out, ep)
			}
		}
	}
	return out
}
