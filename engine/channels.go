package engine

import (
	"errors"
	"fmt"

	"github.com/crierhq/crier/runbooks"
)

// CheckChannels refuses to activate a runbook that has a channel of a type
// nothing is configured to send: its messages would have nowhere to go.
// handles says whether a channel type has a notifier. In an exercise with
// a redirect only the redirect channels and the injects' are used, so only
// they are checked. (A stakeholder's own contact of an unconfigured type is
// not refused here: its delivery fails, in the report, and the others go.)
func CheckChannels(rb *runbooks.Runbook, exercise bool, handles func(channelType string) bool) error {
	var refs []runbooks.Ref
	if exercise && rb.Exercise != nil && len(rb.Exercise.Redirect) > 0 {
		refs = append(refs, rb.Exercise.Redirect...)
		for _, in := range rb.Exercise.Injects {
			refs = append(refs, in.To...)
		}
	} else {
		for i := range rb.Channels {
			refs = append(refs, runbooks.Ref{Name: string(rb.Channels[i].ID)})
		}
	}
	var errs []error
	for _, c := range rb.Reach(refs).Channels {
		if !handles(string(c.Type)) {
			errs = append(errs, fmt.Errorf("channel %q sends by %s, and no %s notifier is configured (notifiers.%s in the configuration)",
				c.ID, c.Type, c.Type, c.Type))
		}
	}
	return errors.Join(errs...)
}
