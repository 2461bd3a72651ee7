package server

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// whyNot says, in one line, why a signed-in user cannot approve a message
// waiting for approval: their role, the runbook not naming them, four
// eyes, or their approval already given. "" when they can, or when the
// message is not waiting.
func (s *Server) whyNot(m *state.Message, v messageView, u *User) string {
	if m.State != state.MessagePendingApproval {
		return ""
	}
	var approvers string
	if rb, err := s.engine.Runbook(m.ActivationID); err == nil {
		if names := engine.ApproversOf(rb, s.engine.Directory(), m); len(names) > 0 {
			approvers = " (" + strings.Join(names, ", ") + ")"
		}
	}
	switch {
	case !u.Has(RoleComms):
		role := "Your role (" + cmp.Or(roleWords(u.Roles), "none") + ")"
		if len(u.Roles) > 1 {
			role = "Your roles (" + roleWords(u.Roles) + ")"
		}
		return role + " may not approve messages: that is for the comms officers the runbook names" + approvers + "."
	case !s.approverOf(m, u):
		return "You are not one of this message's approvers" + approvers + "."
	}
	rev := m.Current()
	if rev.EditedBy != "" && rev.Editor == u.Person() {
		return fmt.Sprintf("Four eyes: you wrote revision %d, so another approver must approve it%s.", rev.N, approvers)
	}
	for _, a := range v.Approvals {
		if a.Revision == rev.N && cmp.Or(a.Person, a.By) == u.Person() {
			if len(v.StillToSign) > 0 {
				return fmt.Sprintf("You have approved revision %d; it waits for %s to sign.", rev.N, strings.Join(v.StillToSign, " and "))
			}
			return fmt.Sprintf("You have approved revision %d; it waits for another approver%s.", rev.N, approvers)
		}
	}
	return ""
}
