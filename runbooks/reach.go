package runbooks

import (
	"fmt"
	"slices"
	"strings"
)

// targetKinds says what a list of references may name.
type targetKinds uint8

const (
	kindStakeholder targetKinds = 1 << iota
	kindRole
	kindChannel
	kindAudience
	kindList

	people      = kindStakeholder | kindRole
	anyTarget   = kindStakeholder | kindRole | kindChannel | kindAudience
	channelOnly = kindChannel
	// messageTargets: a message's to may also name a contact list.
	messageTargets = anyTarget | kindList
)

func (k targetKinds) String() string {
	var parts []string
	if k&kindAudience != 0 {
		parts = append(parts, "an audience")
	}
	if k&kindChannel != 0 {
		parts = append(parts, "a channel")
	}
	if k&kindStakeholder != 0 {
		parts = append(parts, "a stakeholder")
	}
	if k&kindRole != 0 {
		parts = append(parts, "role:X")
	}
	if k&kindList != 0 {
		parts = append(parts, "list:X")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// Reach is who and where a list of targets reaches.
type Reach struct {
	Channels     []*Channel
	Stakeholders []*Stakeholder
	// Languages are the languages of the audiences reached.
	Languages []string
	// Lists are the ids of the directory's contact lists named.
	Lists []string
}

// index finds a runbook's stakeholders, channels, audiences, roles and steps
// by name. Validation builds it once; the runbook keeps it.
type index struct {
	stakeholders map[string]*Stakeholder
	channels     map[string]*Channel
	audiences    map[string]*Audience
	roles        map[string][]*Stakeholder
	steps        map[string]*Step
}

func newIndex(rb *Runbook) *index {
	ix := &index{
		stakeholders: map[string]*Stakeholder{},
		channels:     map[string]*Channel{},
		audiences:    map[string]*Audience{},
		roles:        map[string][]*Stakeholder{},
		steps:        map[string]*Step{},
	}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if _, dup := ix.steps[string(s.ID)]; !dup {
			ix.steps[string(s.ID)] = s
		}
	}
	for i := range rb.Stakeholders {
		s := &rb.Stakeholders[i]
		if _, dup := ix.stakeholders[string(s.ID)]; !dup {
			ix.stakeholders[string(s.ID)] = s
		}
		for _, role := range firstOfEach(Names(s.Roles)) {
			ix.roles[role] = append(ix.roles[role], s)
		}
	}
	for i := range rb.Channels {
		c := &rb.Channels[i]
		if _, dup := ix.channels[string(c.ID)]; !dup {
			ix.channels[string(c.ID)] = c
		}
	}
	for i := range rb.Audiences {
		a := &rb.Audiences[i]
		if _, dup := ix.audiences[string(a.ID)]; !dup {
			ix.audiences[string(a.ID)] = a
		}
	}
	return ix
}

// Reach resolves targets of a valid runbook (audience, channel and
// stakeholder ids, role:X, person:X, rota:X, list:X) to the channels,
// stakeholders and lists they name.
func (rb *Runbook) Reach(targets []Ref) Reach {
	return rb.index.reach(targets, messageTargets, nil)
}

// reach resolves refs, calling bad for each one that does not resolve to
// something of the allowed kinds.
func (ix *index) reach(refs []Ref, kinds targetKinds, bad func(i int, msg string)) Reach {
	var r Reach
	audiences := false
	defer func() {
		// One role or one id names no one twice; more than one may overlap.
		if len(refs) > 1 || audiences {
			r.dedupe()
		}
	}()
	addStakeholder := func(s *Stakeholder) { r.Stakeholders = append(r.Stakeholders, s) }
	addChannel := func(c *Channel) { r.Channels = append(r.Channels, c) }
	for i, ref := range refs {
		if ref.Name == "" {
			continue // decoding has reported it
		}
		if list, ok := ref.List(); ok {
			if kinds&kindList == 0 {
				report(bad, i, "%q is a contact list; a list can be named only in a message's to, or in an email or sms channel's to", ref.Name)
			}
			r.Lists = append(r.Lists, list)
			continue
		}
		if role, ok := ref.Role(); ok {
			holders, found := ix.roles[role]
			switch {
			case kinds&kindRole == 0:
				report(bad, i, "%q is a role; expected %s", ref.Name, kinds)
			case !found:
				report(bad, i, "no stakeholder has role %q%s%s", role, ix.roleList(), suggest(role, mapKeys(ix.roles)))
			}
			r.Stakeholders = append(r.Stakeholders, holders...)
			continue
		}
		s, isStakeholder := ix.stakeholders[ref.Name]
		c, isChannel := ix.channels[ref.Name]
		a, isAudience := ix.audiences[ref.Name]
		switch {
		case isStakeholder && kinds&kindStakeholder != 0:
			addStakeholder(s)
		case isChannel && kinds&kindChannel != 0:
			addChannel(c)
		case isAudience && kinds&kindAudience != 0:
			audiences = true
			for _, ch := range ix.reach(a.Channels, kindChannel, nil).Channels {
				addChannel(ch)
			}
			for _, s := range ix.reach(a.Stakeholders, people, nil).Stakeholders {
				addStakeholder(s)
			}
			r.Languages = append(r.Languages, Names(a.Languages)...)
		case isStakeholder:
			report(bad, i, "%q is a stakeholder; expected %s", ref.Name, kinds)
		case isChannel:
			report(bad, i, "%q is a channel; expected %s", ref.Name, kinds)
		case isAudience:
			report(bad, i, "%q is an audience; expected %s", ref.Name, kinds)
		default:
			report(bad, i, "%q is not defined; expected %s%s", ref.Name, kinds, suggest(ref.Name, ix.names(kinds)))
		}
	}
	return r
}

// dedupe keeps the first of each stakeholder, channel and language, in order.
func (r *Reach) dedupe() {
	r.Stakeholders = firstOfEach(r.Stakeholders)
	r.Channels = firstOfEach(r.Channels)
	r.Languages = firstOfEach(r.Languages)
	r.Lists = firstOfEach(r.Lists)
}

func firstOfEach[T comparable](items []T) []T {
	if len(items) < 2 {
		return items
	}
	seen := make(map[T]bool, len(items))
	out := items[:0:0]
	for _, it := range items {
		if !seen[it] {
			seen[it] = true
			out = append(out, it)
		}
	}
	return out
}

func report(bad func(int, string), i int, format string, args ...any) {
	if bad != nil {
		bad(i, fmt.Sprintf(format, args...))
	}
}

func (ix *index) roleList() string {
	roles := mapKeys(ix.roles)
	if len(roles) == 0 {
		return " (no stakeholder has any roles)"
	}
	return "; roles in this runbook: " + strings.Join(roles, ", ")
}

// names lists the ids of the allowed kinds, for suggestions.
func (ix *index) names(kinds targetKinds) []string {
	var out []string
	if kinds&kindStakeholder != 0 {
		out = append(out, mapKeys(ix.stakeholders)...)
	}
	if kinds&kindChannel != 0 {
		out = append(out, mapKeys(ix.channels)...)
	}
	if kinds&kindAudience != 0 {
		out = append(out, mapKeys(ix.audiences)...)
	}
	if kinds&kindRole != 0 {
		for r := range ix.roles {
			out = append(out, "role:"+r)
		}
	}
	slices.Sort(out)
	return out
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// contactable reports whether a stakeholder can be reached at all: one in
// the directory is checked against it, by CheckDirectory.
func (s *Stakeholder) contactable() bool {
	return len(s.Email) > 0 || s.Slack != "" || s.Phone != "" || s.InDirectory()
}
