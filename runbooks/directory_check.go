package runbooks

import (
	"fmt"
	"slices"
	"time"
)

// CheckDirectory holds a valid runbook's pointers into a directory (dir
// nil: there is none) and returns what is wrong, each problem where it is
// written: an id the directory does not have is an error, as is a person a
// step must reach by a contact they do not have; a rota's member without
// that contact, and a rota nobody is on yet at now, are warnings. A
// runbook that points nowhere has nothing to check.
func CheckDirectory(rb *Runbook, dir Directory, now time.Time) []Diagnostic {
	c := &dirCheck{rb: rb, dir: dir, ds: &diagnostics{file: rb.file}, now: now}
	for i := range rb.Stakeholders {
		c.stakeholder(&rb.Stakeholders[i], i)
	}
	for i := range rb.Channels {
		ch := &rb.Channels[i]
		for j, t := range ch.To {
			c.channelTarget(ch, t, fmt.Sprintf("channels[%d].to[%d]", i, j))
		}
	}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if s.Notify == nil {
			continue
		}
		path := fmt.Sprintf("steps[%d].notify", i)
		for j, t := range s.Notify.To {
			if id, ok := t.List(); ok {
				if l, ok := c.list(id, t.Pos, fmt.Sprintf("%s.to[%d]", path, j)); ok && l.Email && s.Notify.Subject.Text == "" {
					c.ds.errorf(s.keyAt("notify"), path, "step %q: the message reaches the email addresses in list %q, which needs a subject; add subject", s.ID, id)
				}
			}
		}
		if a := s.Notify.Approval; a != nil {
			c.organisations(s, a, path+".approval")
		}
	}
	errs, warns := c.ds.split()
	return append(errs, warns...)
}

type dirCheck struct {
	rb  *Runbook
	dir Directory
	ds  *diagnostics
	now time.Time
	// missing: a directory is needed and there is none, said once.
	missing bool
	// unread: the lists that could not be read, said once each.
	unread map[string]bool
}

// present reports whether there is a directory, saying once that there is
// none.
func (c *dirCheck) present(p Pos, path, what string) bool {
	if c.dir != nil {
		return true
	}
	if !c.missing {
		c.missing = true
		c.ds.errorf(p, path, "%s is kept in the directory, and there is none: put directory.yaml beside the runbook, or name the directory with --directory or in crier.yaml", what)
	}
	return false
}

// unknown reports an id the directory does not have.
func (c *dirCheck) unknown(p Pos, path, kind, id string) {
	c.ds.errorf(p, path, "the directory has no %s %q%s", kind, id, suggest(id, c.dir.IDs(kind)))
}

func (c *dirCheck) stakeholder(s *Stakeholder, i int) {
	path := fmt.Sprintf("stakeholders[%d]", i)
	field := func(f string) string {
		if !s.decoded() { // pointed at in a list of targets: said where it was first written
			return s.writtenAt
		}
		return path + "." + f
	}
	at := func(field string) Pos {
		if !s.decoded() { // pointed at in a list of targets: where it was first written
			return s.Pos()
		}
		return s.at(field)
	}
	switch {
	case s.Person != "":
		if !c.present(at("person"), field("person"), fmt.Sprintf("person %q", s.Person)) {
			return
		}
		if p, ok := c.dir.Contact(string(s.Person)); !ok {
			c.unknown(at("person"), field("person"), "person", string(s.Person))
		} else if !p.Reachable() {
			c.ds.errorf(at("person"), field("person"), "%s (person %q) has no email, slack or phone in the directory; add one there", p.Name, s.Person)
		}
	case s.Rota != "":
		if !c.present(at("rota"), field("rota"), fmt.Sprintf("rota %q", s.Rota)) {
			return
		}
		r, ok := c.dir.RotaInfo(string(s.Rota))
		if !ok {
			c.unknown(at("rota"), field("rota"), "rota", string(s.Rota))
			return
		}
		if _, onDuty := c.dir.OnDutyAt(string(s.Rota), c.now); !onDuty {
			c.ds.warnf(at("rota"), field("rota"), "nobody is on %s (rota %q) now (%s): a step that fires while nobody is on duty reaches no one through it; start the rota earlier, or cover the gap with an override",
				r.Name, s.Rota, c.now.In(c.rb.location).Format("Mon 2 Jan 2006 15:04 MST"))
		}
		for _, m := range Members(s, c.dir) {
			if !m.Reachable() {
				c.ds.warnf(at("rota"), field("rota"), "%s, on %s (rota %q), has no email, slack or phone in the directory, so their turns reach no one", m.Name, r.Name, s.Rota)
			}
		}
	case s.Organisation != "" && s.decoded():
		if c.present(s.at("organisation"), path+".organisation", fmt.Sprintf("organisation %q", s.Organisation)) {
			if _, ok := c.dir.OrganisationName(string(s.Organisation)); !ok {
				c.unknown(s.at("organisation"), path+".organisation", "organisation", string(s.Organisation))
			}
		}
	}
}

// channelTarget: an email channel's people need an address, an sms
// channel's a phone, and a list the column.
func (c *dirCheck) channelTarget(ch *Channel, t Ref, path string) {
	need, column := "email address", func(l ListInfo) bool { return l.Email }
	has := func(m Contact) bool { return len(m.Email) > 0 }
	if ch.Type == ChannelSMS {
		need, column = "phone", func(l ListInfo) bool { return l.Phone }
		has = func(m Contact) bool { return m.Phone != "" }
	} else if ch.Type != ChannelEmail {
		return
	}
	if id, ok := t.List(); ok {
		if l, ok := c.list(id, t.Pos, path); ok && l.Loaded && !column(l) {
			c.ds.errorf(t.Pos, path, "list %q has no %s column, so %s channel %q cannot reach anyone on it", id, need, ch.Type, ch.ID)
		}
		return
	}
	if c.dir == nil {
		return
	}
	for _, s := range c.rb.index.reach([]Ref{t}, people, nil).Stakeholders {
		if !s.InDirectory() {
			continue
		}
		for _, m := range Members(s, c.dir) {
			switch {
			case has(m):
			case s.Person != "":
				c.ds.errorf(t.Pos, path, "%s (person %q) has no %s in the directory, so %s channel %q cannot reach them", m.Name, s.Person, need, ch.Type, ch.ID)
			default:
				c.ds.warnf(t.Pos, path, "%s, on rota %q, has no %s in the directory, so on their turns %s channel %q reaches no one", m.Name, s.Rota, need, ch.Type, ch.ID)
			}
		}
	}
}

// list finds a contact list, saying so when it cannot.
func (c *dirCheck) list(id string, p Pos, path string) (ListInfo, bool) {
	if !c.present(p, path, fmt.Sprintf("list %q", id)) {
		return ListInfo{}, false
	}
	l, ok := c.dir.ListInfo(id)
	switch {
	case !ok:
		c.unknown(p, path, "list", id)
	case !l.Loaded && !c.unread[id]:
		if c.unread == nil {
			c.unread = map[string]bool{}
		}
		c.unread[id] = true
		c.ds.warnf(p, path, "list %q could not be read (its problems are listed with the directory): a message to it fails, on the record, until its file is fixed", id)
	}
	return l, ok
}

// organisations: each organisation that must sign exists, and one of the
// approvers speaks for it.
func (c *dirCheck) organisations(s *Step, a *Approval, path string) {
	for i, o := range a.Organisations {
		p := fmt.Sprintf("%s.organisations[%d]", path, i)
		if o.Name == "" || !c.present(o.Pos, p, fmt.Sprintf("organisation %q", o.Name)) {
			continue
		}
		name, ok := c.dir.OrganisationName(o.Name)
		if !ok {
			c.unknown(o.Pos, p, "organisation", o.Name)
			continue
		}
		if !slices.ContainsFunc(c.rb.index.reach(a.Approvers, people, nil).Stakeholders, func(sh *Stakeholder) bool {
			return slices.Contains(OrganisationsOf(sh, c.dir), o.Name)
		}) {
			c.ds.errorf(o.Pos, p, "step %q: no approver speaks for %s (%q), so the message could never be sent; add an approver from it", s.ID, name, o.Name)
		}
	}
}

// OrganisationsOf are the organisations a stakeholder may sign for: its
// own, its person's, or those of the people on its rota.
func OrganisationsOf(s *Stakeholder, dir Directory) []string {
	var out []string
	for _, m := range Members(s, dir) {
		if m.Organisation != "" && !slices.Contains(out, m.Organisation) {
			out = append(out, m.Organisation)
		}
	}
	return out
}
