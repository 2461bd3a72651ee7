package engine

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// EscalationReport is one round of a deadline's escalation chain, or its
// end (Exhausted), with what it was about and the shape of its chain.
type EscalationReport struct {
	*state.Escalation
	Step      string `json:"step"`
	What      string `json:"what"`      // "acknowledgement of task Walk the area"
	Levels    int    `json:"levels"`    // in its chain; 0 when the runbook no longer says
	Reminders int    `json:"reminders"` // after the last level
	// Chain counts the chains about one subject for one reason: 1, then 2
	// when the watch starts afresh and falls behind again (a second
	// silence to the public is a second chain, a second failure).
	Chain int `json:"chain"`
}

// Person is a stakeholder as people read them.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"` // the runbook's name for them, else their id
}

// StillWaiting is a deadline whose escalation chain ran out with people
// still to act: nothing more will be sent about it, so someone must
// notice it and chase them another way.
type StillWaiting struct {
	Subject string   `json:"subject"` // the message or task
	Step    string   `json:"step"`
	What    string   `json:"what"`
	Reason  string   `json:"reason"`
	Waiting []Person `json:"waiting"`
	// Unreachable are those every delivery failed to reach.
	Unreachable []Person  `json:"unreachable,omitempty"`
	Since       time.Time `json:"since"` // when the chain ran out
}

// StillWaiting lists what an activation still waits for after the
// escalation chain watching it ran out, as things are now: someone who
// has since acted is no longer listed, nor a task given to someone else.
func (e *Engine) StillWaiting(activation string) ([]StillWaiting, error) {
	tx := e.Read()
	_, rb, err := e.activation(tx, activation)
	if err != nil {
		return nil, err
	}
	return stillWaiting(tx, rb, activation)
}

func stillWaiting(tx *state.Txn, rb *runbooks.Runbook, activation string) ([]StillWaiting, error) {
	xs, err := tx.EscalationsOf(nil, activation)
	if err != nil {
		return nil, err
	}
	var out []StillWaiting
	for _, x := range xs {
		if !x.Exhausted {
			continue
		}
		waiting, unreachable, err := stillOwed(tx, x)
		if err != nil {
			return nil, err
		}
		if len(waiting) == 0 && len(unreachable) == 0 {
			continue
		}
		step, what, _, err := about(tx, rb, x)
		if err != nil {
			return nil, err
		}
		out = append(out, StillWaiting{Subject: x.SubjectID, Step: step, What: what, Reason: x.Reason,
			Waiting: peopleOf(rb, waiting), Unreachable: peopleOf(rb, unreachable), Since: x.At})
	}
	slices.SortStableFunc(out, func(a, b StillWaiting) int { return a.Since.Compare(b.Since) })
	return out, nil
}

// stillOwed is who, of those an exhausted chain left waiting, has still
// not acted: not approved the current revision of a message still
// waiting for approval, or not acknowledged what they were sent.
func stillOwed(tx *state.Txn, x *state.Escalation) (waiting, unreachable []string, err error) {
	acted := map[string]bool{}
	if x.Reason == state.EscalationCorrectionOverdue {
		r, err := tx.Rumour(nil, x.SubjectID)
		if err != nil || r == nil || !r.CorrectedAt.IsZero() || r.Verdict == "true" {
			return nil, nil, err
		}
		return x.Waiting, nil, nil
	}
	if x.Reason == state.EscalationApprovalOverdue {
		m, err := tx.Message(nil, x.SubjectID)
		if err != nil || m == nil || m.State != state.MessagePendingApproval {
			return nil, nil, err
		}
		given, err := tx.ApprovalsOf(nil, m.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range given {
			acted[p.By] = acted[p.By] || p.Revision == m.Current().N
		}
	} else {
		t, err := tx.Task(nil, x.SubjectID)
		if err != nil || t != nil && (t.State != state.TaskOpen || t.ReassignedAt.After(x.At)) {
			return nil, nil, err // acknowledged, done, cancelled, or now someone else's
		}
		acks, err := tx.AcknowledgementsOf(nil, x.SubjectID)
		if err != nil {
			return nil, nil, err
		}
		for _, k := range acks {
			acted[k.Stakeholder] = true
		}
	}
	owed := func(ids []string) []string {
		return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return acted[id] })
	}
	return owed(x.Waiting), owed(x.Unreachable), nil
}

// about says what an escalation watches, in people's words, and the chain
// it follows (ok false when the runbook no longer gives one).
func about(tx *state.Txn, rb *runbooks.Runbook, x *state.Escalation) (step, what string, chain runbooks.Chain, err error) {
	step = StepOf(x.ActivationID, x.SubjectID)
	title := step
	s, ok := rb.Step(step)
	if ok && s.Title != "" {
		title = s.Title
	}
	if x.Reason == state.EscalationInformationVoid {
		chain, _ = rb.PublicUpdatesChain()
		return voidStep, "an update to " + strings.Join(runbooks.Names(rb.PublicUpdates.Audiences), ", "), chain, nil
	}
	if x.Reason == state.EscalationCorrectionOverdue {
		chain, _ = rb.CorrectionChain()
		r, err := tx.Rumour(nil, x.SubjectID)
		if err != nil || r == nil {
			return rumourStep, "the correction of a rumour", chain, err
		}
		return rumourStep, "the correction of the rumour " + quoted(r.Summary), chain, nil
	}
	if x.Reason == state.EscalationApprovalOverdue {
		if ok {
			chain, _ = rb.ApprovalChain(s)
		}
		return step, "approval of " + title, chain, nil
	}
	if ok {
		chain, _ = rb.AckChain(s)
	}
	t, err := tx.Task(nil, x.SubjectID)
	if t != nil {
		return step, "acknowledgement of task " + title, chain, err
	}
	return step, "acknowledgement of " + title, chain, err
}

// escalationReports are an activation's escalations, each chain's rounds
// in the order they came, chains in the order they started. A chain is
// one deadline's: a first round (Reminder 1) about a subject for a reason
// already escalated starts another (Chain 2), as each silence to the
// public does.
func escalationReports(tx *state.Txn, rb *runbooks.Runbook, activation string) ([]EscalationReport, error) {
	xs, err := tx.EscalationsOf(nil, activation)
	if err != nil {
		return nil, err
	}
	xs = slices.Clone(xs)
	slices.SortStableFunc(xs, func(a, b *state.Escalation) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Reminder, b.Reminder), cmp.Compare(boolInt(a.Exhausted), boolInt(b.Exhausted)))
	})
	type chainKey struct {
		subject, reason string
		chain           int
	}
	chains := map[[2]string]int{} // the chain under way, by subject and reason
	began := map[chainKey]time.Time{}
	var out []EscalationReport
	for _, x := range xs {
		step, what, chain, err := about(tx, rb, x)
		if err != nil {
			return nil, err
		}
		key := [2]string{x.SubjectID, x.Reason}
		if n := chains[key]; n == 0 || !x.Exhausted && x.Reminder <= 1 {
			chains[key] = n + 1
			began[chainKey{x.SubjectID, x.Reason, n + 1}] = x.At
		}
		out = append(out, EscalationReport{Escalation: x, Step: step, What: what, Levels: len(chain.Levels), Reminders: chain.Reminders, Chain: chains[key]})
	}
	started := func(r EscalationReport) time.Time { return began[chainKey{r.SubjectID, r.Reason, r.Chain}] }
	slices.SortStableFunc(out, func(a, b EscalationReport) int {
		switch {
		case a.SubjectID != b.SubjectID || a.Reason != b.Reason || a.Chain != b.Chain:
			return cmp.Or(started(a).Compare(started(b)), strings.Compare(a.SubjectID, b.SubjectID), strings.Compare(a.Reason, b.Reason), cmp.Compare(a.Chain, b.Chain))
		case a.Exhausted && !b.Exhausted: // the chain's end comes last
			return 1
		case b.Exhausted && !a.Exhausted:
			return -1
		}
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Reminder, b.Reminder))
	})
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func personOf(rb *runbooks.Runbook, id string) Person {
	if sh, ok := stakeholderFor(rb, nil, id); ok && sh.Name != "" {
		return Person{ID: id, Name: sh.Name}
	}
	return Person{ID: id, Name: id}
}

func peopleOf(rb *runbooks.Runbook, ids []string) []Person {
	var out []Person
	for _, id := range ids {
		out = append(out, personOf(rb, id))
	}
	return out
}
