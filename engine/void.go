package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// No information void: a runbook's public_updates promises the public an
// update at least every so often. A check watches the promise like any
// other deadline: when it falls due and something has reached the public
// since the last, it looks again a promise after that; when nothing has,
// it tells the round's level of the escalation chain, and goes on round
// by round until something is sent, which starts the watch afresh.

const (
	checkVoid = "void_check"
	voidStep  = "public-updates" // the check's step: the promise, not a step of the runbook
)

func (f *fsm) checkVoid(w *writer, a *state.Activation, rb *runbooks.Runbook, o *state.Occurrence) error {
	chain, ok := rb.PublicUpdatesChain()
	if !ok {
		return f.finishCheck(w, o)
	}
	last, err := lastPublicUpdate(w.tx, rb, a)
	if err != nil {
		return err
	}
	since := a.StartedAt
	if !last.IsZero() {
		since = last
	}
	now := w.meta.At
	if err := f.finishCheck(w, o); err != nil {
		return err
	}
	if now.Sub(since) < chain.Deadline { // the public heard: watch from then
		return w.scheduleCheck(a, voidStep, checkVoid, o.Subject, o.N+1, 1, since.Add(chain.Deadline))
	}
	round := max(o.Round, 1)
	next := now.Add(chain.Offset(round+1) - chain.Offset(round))
	if round > chain.Rounds() { // told all it may: still watching, for the next silence after an update
		return w.scheduleCheck(a, voidStep, checkVoid, o.Subject, o.N+1, round, now.Add(chain.Deadline))
	}
	told := tellers(rb, chain.Level(round), nil, nil)
	e := &state.Escalation{ID: o.ID, ActivationID: a.ID, SubjectID: o.Subject, Reason: state.EscalationInformationVoid,
		To: told, Reminder: round, Level: min(round, len(chain.Levels)), At: now}
	if err := w.tx.UpsertEscalation(e); err != nil {
		return err
	}
	silence := runbooks.HumanDuration(now.Sub(since).Truncate(time.Minute))
	what := fmt.Sprintf("nothing has reached %s for %s", strings.Join(runbooks.Names(rb.PublicUpdates.Audiences), ", "), silence)
	if err := w.event(a.ID, state.EventEscalated, o.Subject, fmt.Sprintf("%s, %s: %s; told %s",
		state.EscalationInformationVoid, roundName(chain, round), what, list(told))); err != nil {
		return err
	}
	m := &state.Message{ID: o.ID, OccurrenceID: o.ID, Step: voidStep, About: o.Subject}
	if err := tell(w, a, rb, w.people(a), m, "No public update for "+silence+": "+a.Title, fmt.Sprintf(
		"In activation %s (%s), %s; the runbook promises an update at least every %s.\n"+
			"Leave no information void: say what is known, what is being done, and when the next update will come, even if little has changed.",
		a.ID, a.Title, what, runbooks.HumanDuration(chain.Deadline)), told); err != nil {
		return err
	}
	return w.scheduleCheck(a, voidStep, checkVoid, o.Subject, o.N+1, round+1, next)
}

// lastPublicUpdate is when a message last went to one of the audiences
// the runbook promises updates to: a step's, or an ad-hoc one; zero when
// none has.
func lastPublicUpdate(tx *state.Txn, rb *runbooks.Runbook, a *state.Activation) (time.Time, error) {
	updates, err := PublicUpdates(tx, rb, a.ID)
	if err != nil || len(updates) == 0 {
		return time.Time{}, err
	}
	return updates[len(updates)-1], nil
}

// PublicUpdates are the times, in order, at which a message went to one
// of the audiences a runbook's public_updates names.
func PublicUpdates(tx *state.Txn, rb *runbooks.Runbook, activation string) ([]time.Time, error) {
	if rb.PublicUpdates == nil {
		return nil, nil
	}
	audiences := runbooks.Names(rb.PublicUpdates.Audiences)
	messages, err := tx.MessagesOf(nil, activation)
	if err != nil {
		return nil, err
	}
	public := map[string]bool{}
	for _, m := range messages {
		public[m.ID] = m.About == "" && reachesAudiences(rb, m, audiences)
	}
	events, err := tx.EventsOf(nil, activation)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, ev := range events {
		if ev.Kind == "message_dispatched" && public[ev.Subject] {
			out = append(out, ev.At)
		}
	}
	return out, nil
}

// restartVoidWatch, when a message goes to the public the runbook promises
// updates to, watches the promise afresh from now: the next check is a
// promise away, and a silence after it starts the chain again.
func restartVoidWatch(w *writer, a *state.Activation, rb *runbooks.Runbook, m *state.Message) error {
	pu := rb.PublicUpdates
	if pu == nil || m.About != "" || !reachesAudiences(rb, m, runbooks.Names(pu.Audiences)) {
		return nil
	}
	subject := a.ID + "/" + voidStep
	n, err := stopChecks(w, a, checkVoid, subject)
	if err != nil {
		return err
	}
	return w.scheduleCheck(a, voidStep, checkVoid, subject, n+1, 1, w.meta.At.Add(pu.Every.D))
}

// reachesAudiences reports whether a message is addressed to any of the
// audiences: its step's, or an ad-hoc message's.
func reachesAudiences(rb *runbooks.Runbook, m *state.Message, audiences []string) bool {
	var to []string
	if s, ok := rb.Step(m.Step); ok && s.Notify != nil {
		to = runbooks.Names(s.Notify.To)
	}
	if m.AdHoc != nil {
		to = m.AdHoc.To
	}
	return slices.ContainsFunc(to, func(t string) bool { return slices.Contains(audiences, t) })
}

// publicGaps are the gaps between the public updates a runbook promises:
// from the activation (or an update) to the next update, or to cutoff;
// none when it promises none.
func publicGaps(tx *state.Txn, rb *runbooks.Runbook, r *Report, cutoff time.Time) ([]Silence, error) {
	if rb.PublicUpdates == nil {
		return nil, nil
	}
	updates, err := PublicUpdates(tx, rb, r.Activation)
	if err != nil {
		return nil, err
	}
	promise := int64(rb.PublicUpdates.Every.D / time.Second)
	var out []Silence
	from := r.StartedAt
	for i, until := range append(updates, cutoff) {
		out = append(out, Silence{From: from, Until: until, Seconds: int64(until.Sub(from) / time.Second), Promise: promise,
			Ongoing: i == len(updates)})
		from = until
	}
	return out, nil
}

// longerThanPromised are the gaps longer than the runbook promised.
func longerThanPromised(gaps []Silence) []Silence {
	var out []Silence
	for _, g := range gaps {
		if g.Seconds > g.Promise {
			out = append(out, g)
		}
	}
	return out
}
