package runbooks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Directory is what a runbook may point into instead of carrying contacts
// of its own: the organisations, people, duty rotas and contact lists that
// package directory reads. Parse never needs one; CheckDirectory holds a
// runbook's pointers to one, and ContactOf resolves a stakeholder through
// it at an instant.
type Directory interface {
	OrganisationName(id string) (string, bool)
	Contact(person string) (Contact, bool)
	RotaInfo(id string) (RotaInfo, bool)
	// OnDutyAt is the id of the person on a rota's duty at an instant.
	OnDutyAt(rota string, at time.Time) (string, bool)
	ListInfo(id string) (ListInfo, bool)
	// IDs are the ids of one kind, person, rota, list or organisation,
	// for suggestions.
	IDs(kind string) []string
}

// Contact is how to reach someone, and who they are.
type Contact struct {
	Person       string // the directory's id, or "" for a runbook's own stakeholder
	Name         string
	Organisation string // the directory's id of their organisation, if any
	Language     string
	Email        []string
	Slack        string
	Phone        string
}

// Reachable reports whether the contact has any way to be reached.
func (c Contact) Reachable() bool { return len(c.Email) > 0 || c.Slack != "" || c.Phone != "" }

// RotaInfo is what a runbook needs of a duty rota.
type RotaInfo struct {
	Name string
	// People are everyone who takes a turn or covers, each once.
	People []string
	// Starts is the first instant anyone is on duty.
	Starts time.Time
}

// ListInfo is what a runbook needs of a contact list.
type ListInfo struct {
	Name string
	// Loaded: the list's file has been read, and the rest is known.
	Loaded       bool
	Rows         int
	Email, Phone bool // whether it has the column
}

// pointer is a person:ID or rota:ID reference, and the path it is written at.
type pointer struct {
	Ref
	path string
}

// addPointedAt adds a stakeholder for each person:ID and rota:ID written
// in place of one, once each, before the runbook is indexed: the
// directory's people and rotas are then reached, approve and are assigned
// tasks as any stakeholder is.
func addPointedAt(rb *Runbook, refs []pointer) {
	seen := map[string]bool{}
	for _, r := range refs {
		kind, id, _ := r.Pointer()
		if seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		sh := Stakeholder{ID: Slug(r.Name), writtenAt: r.path}
		sh.pos = narrow(r.Pos)
		if kind == "person" {
			sh.Person = Slug(id)
		} else {
			sh.Rota = Slug(id)
		}
		rb.Stakeholders = append(rb.Stakeholders, sh)
	}
}

// NameIn is the stakeholder's name: its own, else the directory's name of
// its person or rota, else its id.
func (s *Stakeholder) NameIn(dir Directory) string {
	switch {
	case s.Name != "":
		return s.Name
	case dir == nil:
	case s.Person != "":
		if c, ok := dir.Contact(string(s.Person)); ok {
			return c.Name
		}
	case s.Rota != "":
		if r, ok := dir.RotaInfo(string(s.Rota)); ok {
			return r.Name
		}
	}
	return string(s.ID)
}

// ContactOf is how to reach a stakeholder at an instant: its own contacts,
// its person's, or those of whoever is on its rota's duty then.
func ContactOf(s *Stakeholder, dir Directory, at time.Time) (Contact, error) {
	if !s.InDirectory() {
		return Contact{Name: s.Name, Organisation: string(s.Organisation), Email: Names(s.Email), Slack: s.Slack, Phone: s.Phone}, nil
	}
	if dir == nil {
		return Contact{}, fmt.Errorf("stakeholder %q is kept in the directory, and crier has none", s.ID)
	}
	person := string(s.Person)
	if s.Rota != "" {
		r, ok := dir.RotaInfo(string(s.Rota))
		if !ok {
			return Contact{}, fmt.Errorf("rota %q is no longer in the directory", s.Rota)
		}
		if person, ok = dir.OnDutyAt(string(s.Rota), at); !ok {
			return Contact{}, fmt.Errorf("nobody is on duty on %s (rota %q) at %s", r.Name, s.Rota, at.Format(time.RFC3339))
		}
	}
	c, ok := dir.Contact(person)
	if !ok {
		return Contact{}, fmt.Errorf("person %q is no longer in the directory", person)
	}
	return c, nil
}

// Members are everyone who may act as a stakeholder: itself, its person,
// or everyone who takes a turn on its rota or covers it. Anyone on a rota
// may approve or act for it, so that whoever picks up the work when the
// person on duty cannot is not refused.
func Members(s *Stakeholder, dir Directory) []Contact {
	if !s.InDirectory() {
		c, _ := ContactOf(s, nil, time.Time{})
		return []Contact{c}
	}
	if dir == nil {
		return nil
	}
	people := []string{string(s.Person)}
	if s.Rota != "" {
		r, _ := dir.RotaInfo(string(s.Rota))
		people = r.People
	}
	var out []Contact
	for _, p := range people {
		if c, ok := dir.Contact(p); ok {
			out = append(out, c)
		}
	}
	return out
}

// IsAs reports whether who — an id, an email address or a Slack user id —
// may act as the stakeholder.
func IsAs(s *Stakeholder, dir Directory, who string) bool {
	if string(s.ID) == who {
		return true
	}
	return slices.ContainsFunc(Members(s, dir), func(c Contact) bool { return c.Is(who) })
}

// Is reports whether who, an email address or a Slack user id, is this
// contact's.
func (c Contact) Is(who string) bool {
	return (c.Slack != "" && c.Slack == who) || slices.ContainsFunc(c.Email, func(e string) bool { return strings.EqualFold(e, who) })
}
