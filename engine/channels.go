package engine

import (
	"errors"
	"fmt"

	"github.com/crierhq/crier/runbooks"
)

// CheckChannels refuses to activate a runbook that has a channel of a type
// nothing is configured to send: its messages would have nowhere to go.
// handles says whether a channel type has a notifier. In an exercise with
// a redirect only the redirect channels are used, and with participants
// only theirs, so only they are checked. Each problem is located in the runbook file.
func CheckChannels(rb *runbooks.Runbook, exercise bool, handles func(channelType string) bool) error {
	var refs []runbooks.Ref
	switch x := rb.Exercise; {
	case exercise && x != nil && len(x.Redirect) > 0:
		refs = x.Redirect
	case exercise && x != nil && len(x.Participants) > 0:
		refs = x.Participants
	default:
		for i := range rb.Channels {
			refs = append(refs, runbooks.Ref{Name: string(rb.Channels[i].ID)})
		}
	}
	var errs []error
	for _, c := range rb.Reach(refs).Channels {
		if !handles(string(c.Type)) {
			errs = append(errs, fmt.Errorf("%s:%d:%d: channel %q sends by %s, and no %s notifier is configured (notifiers.%s in the configuration)",
				rb.File(), c.Pos().Line, c.Pos().Column, c.ID, c.Type, c.Type, c.Type))
		}
	}
	return errors.Join(errs...)
}

// UnreachableContacts names the stakeholders' contacts that no notifier
// can use: messages to those people by that route will fail, in the
// report, while their other contacts are used. They are worth a warning
// before activation, not a refusal: a phone number kept for the day SMS
// is set up should not stop a runbook.
func UnreachableContacts(rb *runbooks.Runbook, handles func(channelType string) bool) []string {
	var out []string
	for i := range rb.Stakeholders {
		s := &rb.Stakeholders[i]
		for _, c := range []struct {
			kind, what string
			has        bool
		}{{"email", "an email address", len(s.Email) > 0}, {"slack", "a Slack user id", s.Slack != ""}, {"sms", "a phone number", s.Phone != ""}} {
			if c.has && !handles(c.kind) {
				out = append(out, fmt.Sprintf("%s:%d:%d: stakeholder %q has %s, and no %s notifier is configured: messages to them that way will fail",
					rb.File(), s.Pos().Line, s.Pos().Column, s.ID, c.what, c.kind))
			}
		}
	}
	return out
}
