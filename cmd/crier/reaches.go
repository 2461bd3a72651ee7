package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
)

// ways are how crier reaches a person, in the order plans name them.
var ways = []string{"email", "slack", "sms"}

// reached is someone a plan's row reaches, and how: a runbook's own
// stakeholder, a person in the directory (a rota's resolved to whoever is
// on duty then), a rota with nobody on duty, or a contact list, which is
// told by its id and size alone.
type reached struct {
	ID   string // the person's id in the directory, else the stakeholder's
	Name string
	// Stakeholder is the runbook's id for them, when it is not ID.
	Stakeholder  string
	Rota         string // the rota they are on duty on
	Via          []string
	NobodyOnDuty bool
	List         string
	Rows         int
}

// MarshalJSON writes {id, name, via} (and stakeholder, rota and
// nobody_on_duty where they apply), or {list, rows} for a list.
func (r reached) MarshalJSON() ([]byte, error) {
	if r.List != "" {
		return json.Marshal(struct {
			List string `json:"list"`
			Rows int    `json:"rows"`
		}{r.List, r.Rows})
	}
	via := r.Via
	if via == nil {
		via = []string{}
	}
	return json.Marshal(struct {
		ID           string   `json:"id"`
		Name         string   `json:"name"`
		Via          []string `json:"via"`
		Stakeholder  string   `json:"stakeholder,omitempty"`
		Rota         string   `json:"rota,omitempty"`
		NobodyOnDuty bool     `json:"nobody_on_duty,omitempty"`
	}{r.ID, r.Name, via, r.Stakeholder, r.Rota, r.NobodyOnDuty})
}

// String is how the plan's text names them: "Asha Patel (email, sms; rota
// duty-comms)", "list vulnerable (312 rows)".
func (r reached) String() string {
	switch {
	case r.List != "":
		return fmt.Sprintf("list %s (%d %s)", r.List, r.Rows, plural(r.Rows, "row", "rows"))
	case r.NobodyOnDuty:
		return fmt.Sprintf("%s (rota %s): nobody on duty", r.Name, r.Rota)
	}
	how := strings.Join(r.Via, ", ")
	if how == "" {
		how = "no way to reach them"
	}
	if r.Rota != "" {
		how += "; rota " + r.Rota
	}
	return fmt.Sprintf("%s (%s)", r.Name, how)
}

// key tells apart who is reached: a person once, however they are named.
func (r reached) key() string {
	switch {
	case r.List != "":
		return "list:" + r.List
	case r.NobodyOnDuty:
		return "nobody:" + r.Rota
	}
	return r.ID
}

// planRow is a row of the plan and who it reaches.
type planRow struct {
	runbooks.Occurrence
	Reaches  []reached
	Withheld []reached // an exercise's, outside its participants
}

// MarshalJSON is the runbook format's plan entry with reaches (and
// withheld, in an exercise that withholds some) added.
func (p planRow) MarshalJSON() ([]byte, error) {
	o, err := json.Marshal(p.Occurrence)
	if err != nil {
		return nil, err
	}
	reaches := p.Reaches
	if reaches == nil {
		reaches = []reached{}
	}
	extra, err := json.Marshal(struct {
		Reaches  []reached `json:"reaches"`
		Withheld []reached `json:"withheld,omitempty"`
	}{reaches, p.Withheld})
	if err != nil {
		return nil, err
	}
	o = bytes.TrimSuffix(o, []byte("}"))
	return append(append(o, ','), extra[1:]...), nil
}

// reacher works out who targets reach at an instant, through the
// directory (nil when there is none).
type reacher struct {
	rb  *runbooks.Runbook
	dir runbooks.Directory
}

// newReacher is a reacher for a runbook and its directory, or none.
func newReacher(rb *runbooks.Runbook, dir runbooks.Directory) reacher {
	if dir != nil {
		once := &rotasOnce{Directory: dir, rotas: map[string]rotaInfo{}, people: map[string]runbooks.Contact{}, turns: map[string]turn{}}
		if d, ok := dir.(*directory.Directory); ok {
			once.next = d
		}
		dir = once
	}
	return reacher{rb: rb, dir: dir}
}

// rotasOnce is a directory whose rotas' names, members and starts, and
// people's contacts, are worked out once each, and each rota's turn once
// for as long as it lasts: a plan asks for them at every row, and the
// directory works them out afresh each time.
type rotasOnce struct {
	runbooks.Directory
	rotas  map[string]rotaInfo
	people map[string]runbooks.Contact
	turns  map[string]turn // the last turn asked about, by rota
	next   interface {
		Next(rota string, at time.Time) (directory.Person, time.Time, error)
	}
}

// turn is someone's time on a rota's duty: from an instant they were
// asked about until the next change of person.
type turn struct {
	person      string
	from, until time.Time
}

// OnDutyAt is who is on the rota's duty at an instant, as the directory
// says, asking it again only when at is outside the last turn found.
func (d *rotasOnce) OnDutyAt(rota string, at time.Time) (string, bool) {
	if t, ok := d.turns[rota]; ok && !at.Before(t.from) && at.Before(t.until) {
		return t.person, true
	}
	person, ok := d.Directory.OnDutyAt(rota, at)
	if ok && d.next != nil {
		if _, until, err := d.next.Next(rota, at); err == nil && until.After(at) {
			d.turns[rota] = turn{person, at, until}
		}
	}
	return person, ok
}

func (d *rotasOnce) Contact(person string) (runbooks.Contact, bool) {
	if c, seen := d.people[person]; seen {
		return c, true
	}
	c, ok := d.Directory.Contact(person)
	if ok {
		d.people[person] = c
	}
	return c, ok
}

type rotaInfo struct {
	info runbooks.RotaInfo
	ok   bool
}

func (d *rotasOnce) RotaInfo(id string) (runbooks.RotaInfo, bool) {
	r, seen := d.rotas[id]
	if !seen {
		r.info, r.ok = d.Directory.RotaInfo(id)
		d.rotas[id] = r
	}
	return r.info, r.ok
}

// planRows adds to each row of a plan who it reaches at its time. In an
// exercise with a redirect every row reaches the redirect, tasks and
// injects too, as crier drill sends them; with participants, whoever is
// not one is withheld.
func (r reacher) planRows(plan []runbooks.Occurrence, exercise bool) []planRow {
	rows := make([]planRow, len(plan))
	var participants, redirect []runbooks.Ref
	if x := r.rb.Exercise; exercise && x != nil {
		redirect = x.Redirect
		if len(x.Participants) > 0 {
			participants = slices.Concat(x.Participants, x.Redirect)
		}
	}
	for i, o := range plan {
		targets := refs(o.To)
		if len(redirect) > 0 {
			targets = redirect
		}
		rows[i] = planRow{Occurrence: o, Reaches: r.reaches(targets, o.At)}
		if participants != nil {
			rows[i].Reaches, rows[i].Withheld = withhold(rows[i].Reaches, r.reaches(participants, o.At))
		}
	}
	return rows
}

func refs(names []string) []runbooks.Ref {
	out := make([]runbooks.Ref, len(names))
	for i, n := range names {
		out[i] = runbooks.Ref{Name: n}
	}
	return out
}

// reaches is who targets reach at an instant: each stakeholder by every
// contact they have, each person an email or sms channel names by that
// channel (an address or number written out in it as itself), and each
// contact list, in the order they are named.
func (r reacher) reaches(targets []runbooks.Ref, at time.Time) []reached {
	var out []reached
	add := func(who reached) {
		i := slices.IndexFunc(out, func(o reached) bool { return o.key() == who.key() })
		if i < 0 {
			out = append(out, who)
			return
		}
		for _, w := range who.Via {
			if !slices.Contains(out[i].Via, w) {
				out[i].Via = append(out[i].Via, w)
			}
		}
		slices.SortFunc(out[i].Via, func(a, b string) int { return slices.Index(ways, a) - slices.Index(ways, b) })
	}
	reach := r.rb.Reach(targets)
	for _, s := range reach.Stakeholders {
		add(r.stakeholder(s, at, ""))
	}
	for _, ch := range reach.Channels {
		way := map[runbooks.ChannelType]string{runbooks.ChannelEmail: "email", runbooks.ChannelSMS: "sms"}[ch.Type]
		if way == "" {
			continue // a Slack or Teams channel, a webhook, the log: no one in particular
		}
		for _, to := range ch.To {
			if list, ok := to.List(); ok {
				add(r.list(list))
				continue
			}
			if writtenOut(ch.Type, to.Name) {
				add(reached{ID: to.Name, Name: to.Name, Via: []string{way}})
				continue
			}
			for _, s := range r.rb.Reach([]runbooks.Ref{to}).Stakeholders {
				add(r.stakeholder(s, at, way))
			}
		}
	}
	for _, l := range reach.Lists {
		add(r.list(l))
	}
	return out
}

// writtenOut reports whether an email or sms channel's recipient is an
// address or a number written out, rather than a stakeholder or role.
func writtenOut(t runbooks.ChannelType, to string) bool {
	if t == runbooks.ChannelEmail {
		return strings.Contains(to, "@")
	}
	return strings.HasPrefix(to, "+")
}

// stakeholder is who a stakeholder is at an instant, and how they are
// reached: by way alone, or by every contact they have when way is "".
func (r reacher) stakeholder(s *runbooks.Stakeholder, at time.Time, way string) reached {
	who := reached{ID: string(s.ID), Rota: string(s.Rota)}
	c, err := runbooks.ContactOf(s, r.dir, at)
	switch {
	case err != nil:
		who.Name, who.NobodyOnDuty = s.NameIn(r.dir), s.Rota != ""
		return who
	case c.Person != "":
		who.ID, who.Name = c.Person, c.Name
		if c.Person != string(s.ID) {
			who.Stakeholder = string(s.ID)
		}
	default:
		who.Name = s.NameIn(r.dir)
	}
	for _, w := range ways {
		has := w == "email" && len(c.Email) > 0 || w == "slack" && c.Slack != "" || w == "sms" && c.Phone != ""
		if has && (way == "" || way == w) {
			who.Via = append(who.Via, w)
		}
	}
	return who
}

// list is a contact list, by its id and the rows it has.
func (r reacher) list(id string) reached {
	who := reached{List: id}
	if r.dir != nil {
		if l, ok := r.dir.ListInfo(id); ok {
			who.Rows = l.Rows
		}
	}
	return who
}

// withhold splits who a row reaches into those an exercise's participants
// (allowed) take in, by the ways the participants are reached, and the
// rest.
func withhold(reaches, allowed []reached) (kept, withheld []reached) {
	for _, who := range reaches {
		i := slices.IndexFunc(allowed, func(a reached) bool { return a.key() == who.key() })
		if who.NobodyOnDuty {
			kept = append(kept, who)
			continue
		}
		if i < 0 {
			withheld = append(withheld, who)
			continue
		}
		if who.List != "" {
			kept = append(kept, who)
			continue
		}
		var via, not []string
		for _, w := range who.Via {
			if slices.Contains(allowed[i].Via, w) {
				via = append(via, w)
			} else {
				not = append(not, w)
			}
		}
		if len(via) > 0 {
			k := who
			k.Via = via
			kept = append(kept, k)
		}
		if len(not) > 0 {
			w := who
			w.Via = not
			withheld = append(withheld, w)
		}
	}
	return kept, withheld
}
