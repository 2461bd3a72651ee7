package server

import (
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// runningWaits is a running activation and what it still waits for after
// the escalation watching it ran out: the dashboard puts these first, as
// nothing more will be sent about them.
type runningWaits struct {
	Activation activationView
	Items      []engine.StillWaiting
}

// stillWaiting lists, for each running activation, newest first, what is
// still waiting after its escalation ran out, and counts it on the
// activation views the dashboard lists.
func (s *Server) stillWaiting(views []activationView) []runningWaits {
	var out []runningWaits
	for i := range views {
		if views[i].State != state.ActivationActive {
			continue
		}
		items, err := s.engine.StillWaiting(views[i].ID)
		if err != nil {
			s.log.Error("reading what is still waiting", "activation", views[i].ID, "err", err)
			continue
		}
		views[i].StillWaiting = len(items)
		if len(items) > 0 {
			out = append(out, runningWaits{Activation: views[i], Items: items})
		}
	}
	return out
}

// stakeholderName is what people call a stakeholder in the runbook, or
// their id when it gives no name.
func stakeholderName(rb *runbooks.Runbook, id string) string {
	if rb == nil {
		return id
	}
	for i := range rb.Stakeholders {
		if sh := &rb.Stakeholders[i]; string(sh.ID) == id && sh.Name != "" {
			return sh.Name
		}
	}
	return id
}
