package engine

import (
	"slices"

	"github.com/crierhq/crier/runbooks"
)

// ReachesText reports whether a step's message, once approved, would go
// by text message (SMS) to anyone: through an sms channel or to a
// stakeholder's phone, in an exercise only where its redirect and
// participants let it. A comms officer reading a draft needs to know
// whether its length matters before approving it.
func ReachesText(rb *runbooks.Runbook, step string, exercise bool) bool {
	s, ok := rb.Step(step)
	if !ok {
		return false
	}
	var to []runbooks.Ref
	switch {
	case s.Notify != nil:
		to = s.Notify.To
	case s.Task != nil:
		to = []runbooks.Ref{s.Task.Assignee}
	default:
		return false
	}
	var seal *exerciseBounds
	if exercise {
		seal = exerciseSeal(rb)
	}
	send, _ := seal.route(endpoints(rb, to))
	return slices.ContainsFunc(send, func(ep endpoint) bool { return ep.kind == string(runbooks.ChannelSMS) })
}
