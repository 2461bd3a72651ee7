package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Multi-agency sign-off: a message whose approval names organisations is
// held until someone of each has approved it, on top of min; those who
// can sign for them are asked directly, for they may not be in the
// council's approvals channel.

// signsFor is the organisation an approver signs for: the directory's
// organisation of the person who approves (as the one matched by who, an
// address or Slack id, or the person on the rota's duty at an instant
// when who is the stakeholder itself), or the stakeholder's own.
func signsFor(sh *runbooks.Stakeholder, dir runbooks.Directory, who string, at time.Time) string {
	for _, m := range runbooks.Members(sh, dir) {
		if m.Is(who) {
			return m.Organisation
		}
	}
	c, err := runbooks.ContactOf(sh, dir, at)
	if err != nil {
		return ""
	}
	return c.Organisation
}

// unsignedBy names the organisations an approval still needs one of.
func unsignedBy(a *runbooks.Approval, dir runbooks.Directory, signed map[string]bool) []string {
	var out []string
	for _, o := range a.Organisations {
		if !signed[o.Name] {
			name, _ := organisationName(dir, o.Name)
			out = append(out, name)
		}
	}
	return out
}

func organisationName(dir runbooks.Directory, id string) (string, bool) {
	if dir == nil || id == "" {
		return id, false
	}
	if name, ok := dir.OrganisationName(id); ok {
		return name, true
	}
	return id, false
}

// signingOrder puts first an approver for each organisation that must
// sign, then the rest.
func signingOrder(a *runbooks.Approval, approvers []*runbooks.Stakeholder, dir runbooks.Directory) []*runbooks.Stakeholder {
	var first []*runbooks.Stakeholder
	for _, o := range a.Organisations {
		for _, sh := range approvers {
			if slices.Contains(runbooks.OrganisationsOf(sh, dir), o.Name) && !slices.Contains(first, sh) {
				first = append(first, sh)
				break
			}
		}
	}
	rest := slices.DeleteFunc(slices.Clone(approvers), func(sh *runbooks.Stakeholder) bool { return slices.Contains(first, sh) })
	return append(first, rest...)
}

// askSignatures asks the approvers who speak for the organisations a
// draft needs, by a notice to each (on the first contact they have, a
// rota's to whoever is on duty), since a partner's officer may not be in
// the council's approvals channel.
func askSignatures(w *writer, a *state.Activation, rb *runbooks.Runbook, ap *runbooks.Approval, m *state.Message) error {
	if len(ap.Organisations) == 0 {
		return nil
	}
	p := w.people(a)
	var ids []string
	for _, sh := range rb.Reach(ap.Approvers).Stakeholders {
		if slices.ContainsFunc(runbooks.OrganisationsOf(sh, p.dir), func(o string) bool {
			return slices.ContainsFunc(ap.Organisations, func(r runbooks.Ref) bool { return r.Name == o })
		}) {
			ids = append(ids, string(sh.ID))
		}
	}
	rev := m.Current()
	orgs := unsignedBy(ap, p.dir, nil)
	title := "a message"
	if s, ok := stepOf(rb, m); ok {
		title = s.Title
	}
	if err := w.event(a.ID, "sign_off_requested", m.ID, "from "+strings.Join(orgs, " and ")+": asked "+names(rb, ids)); err != nil {
		return err
	}
	notice := &state.Message{ID: fmt.Sprintf("%s/sign-off/r%d", m.ID, rev.N), Step: m.Step, About: m.ID}
	return tell(w, a, rb, p, notice, "Approval needed: "+title, fmt.Sprintf(
		"%s, in activation %s (%s), is held until %s have each approved it.\n"+
			"Read it in crier, then approve or reject it there: message %s, revision %d.",
		title, a.ID, a.Title, strings.Join(orgs, " and "), m.ID, rev.N), ids)
}

// approvalOrganisations are the organisations any of a runbook's messages
// must be signed for.
func approvalOrganisations(rb *runbooks.Runbook) []string {
	var out []string
	for i := range rb.Steps {
		if n := rb.Steps[i].Notify; n != nil && n.Approval != nil {
			for _, o := range n.Approval.Organisations {
				if !slices.Contains(out, o.Name) {
					out = append(out, o.Name)
				}
			}
		}
	}
	return out
}

// Signatures says, for a message whose approval names organisations,
// which must sign and which are still to, each with who may sign for it:
// "Northbridge Police (Laura Chen)". Both are nil for other messages.
func Signatures(rb *runbooks.Runbook, dir *directory.Directory, m *state.Message, approvals []*state.Approval) (needed, still []string) {
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil || s.Notify.Approval == nil || len(s.Notify.Approval.Organisations) == 0 {
		return nil, nil
	}
	d := view(dir)
	signed := map[string]bool{}
	for _, a := range approvals {
		if a.Revision == m.Current().N {
			signed[a.Organisation] = true
		}
	}
	approvers := rb.Reach(s.Notify.Approval.Approvers).Stakeholders
	for _, o := range s.Notify.Approval.Organisations {
		name, _ := organisationName(d, o.Name)
		var who []string
		for _, sh := range approvers {
			for _, c := range runbooks.Members(sh, d) {
				if c.Organisation == o.Name && !slices.Contains(who, c.Name) {
					who = append(who, c.Name)
				}
			}
		}
		if len(who) > 0 {
			name += " (" + strings.Join(who, ", ") + ")"
		}
		needed = append(needed, name)
		if !signed[o.Name] {
			still = append(still, name)
		}
	}
	return needed, still
}
