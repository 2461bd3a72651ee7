package server

import (
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// The activation's timeline in the words people use: "Message drafted",
// "Escalated: acknowledgement overdue", never message_drafted.

// timelineLine is one event as the timeline and the live summary say it.
type timelineLine struct {
	Kind   string // the event's kind, for scripts and tests, never shown
	At     time.Time
	What   string // what happened, in words
	About  string // the step it is about, by its title, or what was decided
	Detail string
}

// happened names a kind of event as people say it.
func happened(kind string) string {
	switch kind {
	case "activated":
		return "Activated"
	case "step_fired":
		return "Step fired"
	case "message_drafted":
		return "Message drafted"
	case "message_edited":
		return "Message edited"
	case "message_approved":
		return "Message approved"
	case "message_rejected":
		return "Message rejected"
	case "message_redrafted":
		return "Message re-drafted"
	case "message_dispatched":
		return "Message going out"
	case "message_sent":
		return "Message sent"
	case "message_partially_failed":
		return "Message partly failed to send"
	case "message_failed":
		return "Message failed to send"
	case "message_withheld":
		return "Message withheld: no one in the exercise to send it to"
	case "message_cancelled":
		return "Message cancelled"
	case "translations_withheld":
		return "Translations withheld"
	case "render_failed":
		return "Message could not be written from its template"
	case "task_opened":
		return "Task opened"
	case "task_done":
		return "Task done"
	case "task_reassigned":
		return "Task reassigned"
	case "acknowledged":
		return "Acknowledged"
	case state.EventEscalated:
		return "Escalated"
	case state.EventEscalationExhausted:
		return "Reminders ran out"
	case "decision_recorded":
		return "Decision recorded"
	case "inject_sent":
		return "Inject sent"
	case "speed_changed":
		return "Speed changed"
	case "halted":
		return "Exercise halted"
	case "stood_down":
		return "Stood down"
	case "delivery_resumed":
		return "Delivery resumed after a restart"
	case "delivery_undelivered":
		return "Text not delivered"
	case "on_duty":
		return "On duty"
	case "not_reached":
		return "Not reached"
	case "sign_off_requested":
		return "Sign-off asked for"
	case "tension_recorded":
		return "Tension recorded"
	case "tension_raised":
		return "Tension high: told"
	}
	words := strings.ReplaceAll(kind, "_", " ")
	if words == "" {
		return ""
	}
	return strings.ToUpper(words[:1]) + words[1:]
}

// overdueWords says why an escalation ran, from the reason its detail
// begins with: "acknowledgement overdue".
func overdueWords(reason string) (string, bool) {
	switch reason {
	case state.EscalationAckOverdue:
		return "acknowledgement overdue", true
	case state.EscalationApprovalOverdue:
		return "approval overdue", true
	case state.EscalationInformationVoid:
		return "no public update in time", true
	case state.EscalationCorrectionOverdue:
		return "rumour not corrected in time", true
	}
	return "", false
}

// lineOfEvent is an event as the timeline says it. rb, the activation's
// runbook, names steps by their titles; without it, by their ids.
func lineOfEvent(rb *runbooks.Runbook, e eventView) timelineLine {
	l := timelineLine{Kind: e.Kind, At: e.At, What: happened(e.Kind), Detail: e.Detail}
	switch e.Kind {
	case "activated", "halted", "stood_down", "speed_changed", "inject_sent":
		// about the activation itself: the detail says it
	case "decision_recorded":
		l.About, l.Detail = e.Detail, "" // the decision, once
	case state.EventEscalated, state.EventEscalationExhausted:
		reason, rest, _ := strings.Cut(e.Detail, ", ")
		if e.Kind == state.EventEscalationExhausted {
			reason, rest, _ = strings.Cut(e.Detail, ": ")
		}
		if words, ok := overdueWords(reason); ok {
			l.What += ": " + words
			l.Detail = rest
		}
		l.About = titleOf(rb, e.Step)
	default:
		l.About = titleOf(rb, e.Step)
		if rest, ok := strings.CutPrefix(l.Detail, l.About+" "); ok && l.About != "" { // "Walkabout (assigned to cohesion)"
			l.Detail = strings.Trim(rest, "()")
		}
	}
	return l
}

// titleOf is a step's title, or its id when there is no runbook to say.
func titleOf(rb *runbooks.Runbook, id string) string {
	if rb == nil || id == "" {
		return id
	}
	return stepTitle(rb, id, "")
}

// Said is the line in a few words, as the live summary's "Latest:" has it.
func (l timelineLine) Said() string {
	if l.About != "" {
		return l.What + ": " + l.About
	}
	return l.What
}
