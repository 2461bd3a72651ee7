package engine

import (
	"regexp"
	"strings"
)

// The report names people as the runbook does, never by their ids, and
// says who crier's own actors are: the scheduler and the dispatcher are
// crier itself, a drill's simulated controller is said to be one, and
// whoever ran `crier drill` is "crier drill". The record keeps the ids.

// actorName is who did something, for people: a stakeholder's name, or
// what one of crier's own actors is.
func (r *Report) actorName(actor string) string {
	switch actor {
	case "scheduler", "dispatcher":
		return "crier" // the engine itself
	case "simulated-controller":
		return "the simulated controller"
	case drillLead:
		return "crier drill" // the actor a drill activates as
	}
	if name := r.People[actor]; name != "" {
		return name
	}
	return actor
}

// name is a stakeholder's name, or the id when the runbook has none; a
// role is "whoever holds the comms-lead role".
func (r *Report) name(id string) string {
	if name := r.People[id]; name != "" {
		return name
	}
	if role, ok := strings.CutPrefix(id, "role:"); ok {
		return "whoever holds the " + role + " role"
	}
	return id
}

var (
	approvedDetail = regexp.MustCompile(`^(.+) approved revision (\d+)(?: for (.+?))? \((\d+) of (\d+)\)(.*)$`)
	asStakeholder  = regexp.MustCompile(`\(as ([A-Za-z0-9_.:-]+)\)`)
	assignedTo     = regexp.MustCompile(`^assigned to ([A-Za-z0-9_.:-]+)$`)
	reassigned     = regexp.MustCompile(`^([A-Za-z0-9_.-]+) -> ([A-Za-z0-9_.-]+)$`)
)

// eventDetail rewrites an event's own words for people: stakeholders by
// name, and an approval as whose it was and how many of how many, said
// once ("revision 1, approval 1 of 2, for Duty Communications Officer"),
// where the record says "simulated controller for duty-comms approved
// revision 1 (1 of 2) by the simulated controller". Free text (a reason,
// a decision) is left as it is, ids and all.
func (r *Report) eventDetail(t TimelineEntry, detail string) string {
	switch t.Kind {
	case "message_approved":
		m := approvedDetail.FindStringSubmatch(detail)
		if m == nil {
			break
		}
		out := "revision " + m[2] + ", approval " + m[4] + " of " + m[5]
		who, signing := m[1], ""
		if m[3] != "" {
			signing = ", signing for " + m[3]
		}
		if _, still, ok := strings.Cut(m[6], "still to sign: "); ok {
			signing += "; still to sign: " + still
		}
		if id, ok := strings.CutPrefix(who, "simulated controller for "); ok {
			return out + ", for " + r.name(id) + signing
		}
		if as := asStakeholder.FindStringSubmatchIndex(who); as != nil && as[1] == len(who) {
			return out + ", by " + r.whoAs(strings.TrimSpace(who[:as[0]]), who[as[2]:as[3]]) + signing
		}
		return out + ", by " + r.name(who) + signing
	case "message_rejected":
		if id, reason, ok := strings.Cut(detail, ": "); ok && r.People[id] != "" {
			return "by " + r.name(id) + ": " + reason
		}
		return detail
	case "task_reassigned":
		if m := reassigned.FindStringSubmatch(detail); m != nil {
			return "from " + r.name(m[1]) + " to " + r.name(m[2])
		}
		return detail
	}
	if m := assignedTo.FindStringSubmatch(detail); m != nil {
		return "assigned to " + r.name(m[1])
	}
	if r.People[detail] != "" {
		return r.People[detail] // who acknowledged, who did the task
	}
	return asStakeholder.ReplaceAllStringFunc(detail, func(s string) string {
		return "(as " + r.name(asStakeholder.FindStringSubmatch(s)[1]) + ")"
	})
}

// drillLead is who `crier drill` activates as (see Drill).
const drillLead = "exercise-lead"

// ranToHorizon: the report is of a drill run by `crier drill`, which runs
// an exercise in memory to its horizon and stands nothing down. Its
// report says so, rather than that it is still running.
func (r *Report) ranToHorizon() bool {
	return r.Record.InMemory && r.StartedBy == drillLead && r.EndedAt == nil && r.Mode == "exercise"
}
