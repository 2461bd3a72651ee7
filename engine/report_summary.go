package engine

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Summary is the first page of a debrief: each target the runbook sets
// and whether it was met, who never acknowledged, and what failed to
// deliver. (The activation itself and its decisions are the report's.)
type Summary struct {
	// Targets are, for each message and task, its deadlines and how they
	// went: an approval within its window, each person's acknowledgement
	// within ack_within, and a task's completion, which has no deadline.
	Targets []Target `json:"targets"`
	// NeverAcknowledged are the people who were asked to acknowledge and
	// did not, with what; for an activation still running, not yet.
	NeverAcknowledged []Unacknowledged `json:"never_acknowledged"`
	// Failed is what did not reach people, by channel.
	Failed []FailedChannel `json:"failed"`
	// PublicSilences are, when the runbook promises public updates, the
	// gaps between them (and before the first, and since the last) longer
	// than it promised.
	PublicSilences []Silence `json:"public_silences,omitempty"`
	// FirstHour is how the first hour went, against the guidance's
	// targets: partners told, the public told, no long silence.
	FirstHour FirstHour `json:"first_hour"`
}

// Silence is a gap in the updates the runbook promised the public.
type Silence struct {
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"` // the next update, or when the report was made
	Seconds int64     `json:"seconds"`
	Promise int64     `json:"promised_seconds"` // public_updates.every
	Ongoing bool      `json:"ongoing,omitempty"`
}

// Target kinds.
const (
	TargetApproval        = "approval"        // approval.within: drafted to approved
	TargetAcknowledgement = "acknowledgement" // ack_within: sent or opened to acknowledged, per person
	TargetDone            = "done"            // a task's completion: opened to done
)

// Target is one deadline and what became of it.
type Target struct {
	Kind        string `json:"kind"`
	Step        string `json:"step"`
	Occurrence  int    `json:"occurrence"`
	Subject     string `json:"subject"` // the message or task
	What        string `json:"what"`    // "approval of Holding statement"
	Stakeholder string `json:"stakeholder,omitempty"`
	// By are, for an approval, the approvers who gave it (stakeholder ids).
	By []string `json:"by,omitempty"`
	// From is when the clock started: the draft, the sending, the task.
	From time.Time `json:"from"`
	// TargetSeconds is the deadline; null for a task's completion.
	TargetSeconds *int64 `json:"target_seconds"`
	// ActualSeconds is how long it took; null when it never happened.
	ActualSeconds *int64 `json:"actual_seconds"`
	// Met: done within the deadline (a task's completion: done at all).
	Met bool `json:"met"`
	// Due: the deadline had passed (or it was done) when the report was
	// made or the activation ended; a target not yet due is neither met
	// nor missed. A task's completion is due once it is done or the
	// activation has ended.
	Due bool `json:"due"`
	// Note says why it never happened, where the record knows: "rejected",
	// "cancelled", "every delivery failed", "still waiting".
	Note string `json:"note,omitempty"`
}

// Unacknowledged is someone who never acknowledged what they were asked
// to: What names each thing, Subjects the messages and tasks.
type Unacknowledged struct {
	Person
	What     []string `json:"what"`
	Subjects []string `json:"subjects"`
}

// FailedChannel is what failed on one channel: deliveries never taken
// (failed) and texts the phone network gave up on (undelivered), and
// whom they were for, by name or, without one, by address.
type FailedChannel struct {
	Channel     string   `json:"channel"`
	Type        string   `json:"type"`
	Failed      int      `json:"failed"`
	Undelivered int      `json:"undelivered"`
	For         []string `json:"for"`
	Errors      []string `json:"errors,omitempty"` // each distinct reason once
}

// summarise works out the summary as things stood at cutoff: the end
// of the activation, or now in its own time.
func summarise(tx *state.Txn, rb *runbooks.Runbook, r *Report, cutoff time.Time) (Summary, error) {
	var s Summary
	messages, err := tx.MessagesOf(nil, r.Activation)
	if err != nil {
		return s, err
	}
	seconds := func(d time.Duration) *int64 { v := int64(d / time.Second); return &v }
	for _, m := range messages {
		step, ok := rb.Step(m.Step)
		if m.About != "" || !ok || step.Notify == nil {
			continue // notices, injects and tasks' messages set no targets
		}
		occurrence := occurrenceN(m.OccurrenceID)
		sentAt := m.CreatedAt
		if ap := step.Notify.Approval; ap != nil && m.NeedsApproval {
			approvals, err := tx.ApprovalsOf(nil, m.ID)
			if err != nil {
				return s, err
			}
			approved := len(approvals) > 0 && slices.Contains(approvedStates, m.State)
			if approved {
				sentAt = approvals[len(approvals)-1].At
			}
			if ap.Within != nil {
				t := Target{Kind: TargetApproval, Step: m.Step, Occurrence: occurrence, Subject: m.ID, What: "approval of " + step.Title,
					From: m.CreatedAt, TargetSeconds: seconds(ap.Within.D)}
				for _, a := range approvals {
					if a.Revision == m.Current().N {
						t.By = appendNew(t.By, a.By)
					}
				}
				if approved {
					t.ActualSeconds = seconds(sentAt.Sub(m.CreatedAt))
					t.Met = *t.ActualSeconds <= *t.TargetSeconds
				} else {
					t.Note = neverNote(m.State)
				}
				s.Targets = append(s.Targets, t)
			}
			if !approved {
				continue // never sent: no one was asked to acknowledge it
			}
		}
		if step.Notify.AckWithin == nil {
			continue
		}
		waiting, unreachable, err := notYetAcknowledged(tx, m.ID)
		if err != nil {
			return s, err
		}
		acks, err := tx.AcknowledgementsOf(nil, m.ID)
		if err != nil {
			return s, err
		}
		what := "acknowledgement of " + step.Title
		for _, k := range acks {
			t := Target{Kind: TargetAcknowledgement, Step: m.Step, Occurrence: occurrence, Subject: m.ID, What: what, Stakeholder: k.Stakeholder,
				From: sentAt, TargetSeconds: seconds(step.Notify.AckWithin.D), ActualSeconds: seconds(k.At.Sub(sentAt))}
			t.Met = *t.ActualSeconds <= *t.TargetSeconds
			s.Targets = append(s.Targets, t)
		}
		for _, id := range append(waiting, unreachable...) {
			t := Target{Kind: TargetAcknowledgement, Step: m.Step, Occurrence: occurrence, Subject: m.ID, What: what, Stakeholder: id,
				From: sentAt, TargetSeconds: seconds(step.Notify.AckWithin.D)}
			if slices.Contains(unreachable, id) {
				t.Note = "every delivery failed"
			}
			s.Targets = append(s.Targets, t)
		}
	}
	for _, task := range r.Tasks {
		step, ok := rb.Step(task.Step)
		if !ok || step.Task == nil {
			continue
		}
		occurrence := occurrenceN(task.OccurrenceID)
		who := cmp.Or(task.AcknowledgedBy, task.Assignee)
		if step.Task.AckWithin != nil {
			t := Target{Kind: TargetAcknowledgement, Step: task.Step, Occurrence: occurrence, Subject: task.ID, What: "acknowledgement of task " + step.Title,
				Stakeholder: who, From: task.OpenedAt, TargetSeconds: seconds(step.Task.AckWithin.D), ActualSeconds: task.AckSeconds}
			t.Met = t.ActualSeconds != nil && *t.ActualSeconds <= *t.TargetSeconds
			if t.ActualSeconds == nil && task.DoneSeconds != nil {
				t.ActualSeconds, t.Met = task.DoneSeconds, *task.DoneSeconds <= *t.TargetSeconds // done without a separate acknowledgement
			}
			if task.State == state.TaskCancelled && t.ActualSeconds == nil {
				t.Note = "cancelled"
			}
			s.Targets = append(s.Targets, t)
		}
		t := Target{Kind: TargetDone, Step: task.Step, Occurrence: occurrence, Subject: task.ID, What: "task " + step.Title,
			Stakeholder: who, From: task.OpenedAt, ActualSeconds: task.DoneSeconds, Met: task.DoneSeconds != nil}
		if task.State == state.TaskCancelled {
			t.Note = "cancelled"
		}
		s.Targets = append(s.Targets, t)
	}
	for i := range s.Targets {
		t := &s.Targets[i]
		switch {
		case t.ActualSeconds != nil:
			t.Due = true
		case t.TargetSeconds != nil:
			t.Due = !t.From.Add(time.Duration(*t.TargetSeconds) * time.Second).After(cutoff)
		default:
			t.Due = r.EndedAt != nil
		}
	}
	slices.SortStableFunc(s.Targets, func(a, b Target) int { return a.From.Compare(b.From) })
	s.NeverAcknowledged = neverAcknowledged(rb, s.Targets, cancelledWhen(r))
	s.Failed = failedByChannel(r)
	gaps, err := publicGaps(tx, rb, r, cutoff)
	if err != nil {
		return s, err
	}
	s.PublicSilences = longerThanPromised(gaps)
	if s.FirstHour, err = firstHour(tx, rb, r, gaps); err != nil {
		return s, err
	}
	s.Targets = nonNil(s.Targets)
	s.NeverAcknowledged = nonNil(s.NeverAcknowledged)
	s.Failed = nonNil(s.Failed)
	return s, nil
}

// approvedStates are those of a message that was approved.
var approvedStates = []string{state.MessageApproved, state.MessageDispatching, state.MessageSent,
	state.MessagePartiallyFailed, state.MessageFailed, state.MessageWithheld}

// neverNote says why a message held for approval was never approved.
func neverNote(messageState string) string {
	switch messageState {
	case state.MessageRejected:
		return "rejected"
	case state.MessageCancelled:
		return "cancelled"
	}
	return "still waiting"
}

// occurrenceN reads the occurrence's number out of its id: a/step/n.
func occurrenceN(id string) int {
	n, _ := strconv.Atoi(id[strings.LastIndex(id, "/")+1:])
	return n
}

// neverAcknowledged gathers, by person, the acknowledgements that never
// came, in the order they were due. A task cancelled before anyone
// acknowledged it is among them, saying so: the targets table counts it
// missed too.
func neverAcknowledged(rb *runbooks.Runbook, targets []Target, cancelled string) []Unacknowledged {
	var out []Unacknowledged
	for _, t := range targets {
		if t.Kind != TargetAcknowledgement || t.ActualSeconds != nil || !t.Due {
			continue
		}
		if t.Note == "cancelled" {
			t.What += " (" + cancelled + ", never acknowledged)"
		}
		i := slices.IndexFunc(out, func(u Unacknowledged) bool { return u.ID == t.Stakeholder })
		if i < 0 {
			out = append(out, Unacknowledged{Person: personOf(rb, t.Stakeholder)})
			i = len(out) - 1
		}
		out[i].What = append(out[i].What, t.What)
		out[i].Subjects = append(out[i].Subjects, t.Subject)
	}
	return out
}

// cancelledWhen says what cancelled an activation's open tasks: "cancelled
// when the exercise was halted".
func cancelledWhen(r *Report) string {
	what := "activation"
	if r.Mode != "live" {
		what = r.Mode
	}
	switch r.State {
	case state.ActivationHalted:
		return "cancelled when the " + what + " was halted"
	case state.ActivationStoodDown:
		return "cancelled when the " + what + " was stood down"
	}
	return "cancelled"
}

// failedByChannel counts the deliveries that failed or were not
// delivered, by channel, and names whom they were for.
func failedByChannel(r *Report) []FailedChannel {
	var out []FailedChannel
	for _, d := range r.Deliveries {
		if d.Status != state.DeliveryFailed && d.Status != state.DeliveryUndelivered {
			continue
		}
		i := slices.IndexFunc(out, func(c FailedChannel) bool { return c.Channel == d.Channel && c.Type == d.Type })
		if i < 0 {
			out = append(out, FailedChannel{Channel: d.Channel, Type: d.Type, For: []string{}})
			i = len(out) - 1
		}
		c := &out[i]
		why := d.Error
		if d.Status == state.DeliveryFailed {
			c.Failed++
		} else {
			c.Undelivered++
			why = d.Receipt
		}
		who := d.Target
		if name := r.People[d.Stakeholder]; name != "" {
			who = name
		}
		if !slices.Contains(c.For, who) {
			c.For = append(c.For, who)
		}
		if why != "" && !slices.Contains(c.Errors, why) {
			c.Errors = append(c.Errors, why)
		}
	}
	slices.SortFunc(out, func(a, b FailedChannel) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Type, b.Type))
	})
	return out
}
