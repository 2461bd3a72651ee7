package server

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// dueNext is how many of the steps still to come the activation page
// lists at the top; the rest are in the plan further down.
const dueNext = 5

// dueItem is one thing at the top of the activation page: a step still to
// fire, or a deadline (an approval, an acknowledgement) coming or passed.
type dueItem struct {
	What   string // "Statement to the public", "Approval of …"
	Who    string // who must act, when someone must
	Href   string // where to act on it: the message's page, or the tasks
	At     string // wall clock in the server's zone, with the day when not today
	Offset string // from activation: "T+1h 5m"
	Late   string // how long ago a passed deadline passed: "12m"
	at     time.Time
}

// dueView is what is due next and what is overdue, in the activation's
// own time: an exercise's scenario time.
type dueView struct {
	Ended   bool
	Next    []dueItem
	More    int // steps still to come beyond Next
	Overdue []dueItem
}

// dueOf reads what is due next and what is overdue from the engine: the
// steps its report has still pending, and the deadlines its checks keep
// (the first round of each check is the deadline itself), against who is
// still waiting.
func (s *Server) dueOf(tx *state.Txn, a *state.Activation, rep *engine.Report, waiting []ackWaiting) dueView {
	var v dueView
	if a.State != state.ActivationActive {
		v.Ended = true
		return v
	}
	rb, err := s.engine.Runbook(a.ID)
	if err != nil {
		return v
	}
	now := s.activationNow(a.ID)
	item := func(what string, at time.Time) dueItem {
		return dueItem{What: what, at: at, At: s.wallClock(at, now), Offset: "T+" + runbooks.HumanDuration(engine.OffsetOf(a.StartedAt, at))}
	}
	var next []dueItem
	if rep != nil {
		for _, st := range rep.Steps {
			if st.State != state.OccurrencePending || st.PlannedAt == nil {
				continue
			}
			it := item(stepTitle(rb, st.Step, st.Kind), *st.PlannedAt) // the plan's own time: 08:00, not 07:59
			next = append(next, it)
		}
	}
	acks := map[string][]string{}
	for _, w := range waiting {
		acks[w.Message] = w.Who
	}
	for _, d := range s.deadlines(tx, a.ID) {
		it := item("", d.DueAt)
		switch {
		case d.Kind == "void_check":
			it.What, it.Href = publicUpdateDue(tx, rb, a.ID, now), "#messages"
		case d.Kind == "approval_check":
			m, _ := tx.Message(nil, d.Subject)
			if m == nil || m.State != state.MessagePendingApproval {
				continue
			}
			it.What, it.Href = "Approval of “"+stepTitle(rb, m.Step, "notify")+"”", "/ui/messages/"+m.ID
			it.Who = joinNames(engine.ApproversOf(rb, s.engine.Directory(), m))
		default:
			// A task's notice has the task's id: the task is what is waited for.
			if t, _ := tx.Task(nil, d.Subject); t != nil {
				if t.State != state.TaskOpen {
					continue
				}
				it.What, it.Href, it.Who = "Acknowledgement of the task “"+stepTitle(rb, t.Step, "task")+"”", "#tasks", assigneeName(rb, t.Assignee)
				break
			}
			m, _ := tx.Message(nil, d.Subject)
			if m == nil || acks[d.Subject] == nil {
				continue
			}
			it.What, it.Href, it.Who = "Acknowledgement of “"+stepTitle(rb, m.Step, "notify")+"”", "/ui/messages/"+m.ID, joinNames(acks[d.Subject])
		}
		if d.DueAt.After(now) {
			it.What = "Deadline: " + it.What
			next = append(next, it)
			continue
		}
		it.Late = runbooks.HumanDuration(now.Sub(d.DueAt).Truncate(time.Minute))
		if it.Late == "0s" {
			it.Late = "less than a minute"
		}
		v.Overdue = append(v.Overdue, it)
	}
	slices.SortStableFunc(next, func(x, y dueItem) int { return x.at.Compare(y.at) })
	if len(next) > dueNext {
		v.More = len(next) - dueNext
		next = next[:dueNext]
	}
	v.Next = next
	slices.SortStableFunc(v.Overdue, func(x, y dueItem) int { return x.at.Compare(y.at) })
	return v
}

// deadlines are the first round of each deadline check of an activation:
// when a message's approval, or a message's or task's acknowledgement, is
// due. A task given to someone else starts its deadline again, so the
// latest first round stands.
func (s *Server) deadlines(tx *state.Txn, activation string) []*state.Occurrence {
	occ, _ := tx.OccurrencesOf(nil, activation)
	first := map[string]*state.Occurrence{}
	var order []string
	for _, o := range occ {
		void := o.Kind == "void_check" && o.State == state.OccurrencePending // the promise of public updates, whatever its round
		if !void && (o.Kind != "approval_check" && o.Kind != "ack_check" || o.Round > 1 || o.Round == 0 && o.N > 1) {
			continue
		}
		key := o.Kind + " " + o.Subject
		if old, ok := first[key]; !ok || o.N > old.N {
			if !ok {
				order = append(order, key)
			}
			first[key] = o
		}
	}
	out := make([]*state.Occurrence, 0, len(order))
	for _, k := range order {
		out = append(out, first[k])
	}
	return out
}

// wallClock writes a time as the wall clock in the server's zone, with
// the day when it is not the day of now.
func (s *Server) wallClock(t, now time.Time) string {
	t, now = t.In(s.loc), now.In(s.loc)
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

// stepTitle is what the runbook calls a step, or an inject by its id.
func stepTitle(rb *runbooks.Runbook, step, kind string) string {
	if st, ok := rb.Step(step); ok && st.Title != "" {
		return st.Title
	}
	if kind == "inject" {
		return "Inject: " + step
	}
	return step
}

// joinNames lists people: "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := ""
	for i, n := range names[:len(names)-1] {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out + " and " + names[len(names)-1]
}

// publicUpdateDue says what the promise of public updates asks now: "A
// public update to residents (every 2h; the last 1h 10m ago)".
func publicUpdateDue(tx *state.Txn, rb *runbooks.Runbook, activation string, now time.Time) string {
	pu := rb.PublicUpdates
	if pu == nil {
		return "A public update"
	}
	what := fmt.Sprintf("A public update to %s (promised every %s", strings.Join(runbooks.Names(pu.Audiences), ", "), runbooks.HumanDuration(pu.Every.D))
	if updates, _ := engine.PublicUpdates(tx, rb, activation); len(updates) > 0 {
		ago := runbooks.HumanDuration(now.Sub(updates[len(updates)-1]).Truncate(time.Minute))
		if ago == "0s" {
			ago = "less than a minute"
		}
		what += "; the last " + ago + " ago"
	} else {
		what += "; none sent yet"
	}
	return what + ")"
}
