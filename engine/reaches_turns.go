package engine

import (
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
)

// turns is a directory whose rotas' names, members and starts, and
// people's contacts, are worked out once each, and each rota's turn once
// for as long as it lasts: a plan asks for them at every row, and the
// directory works them out afresh each time.
type turns struct {
	runbooks.Directory
	rotas  map[string]rotaOnce
	people map[string]runbooks.Contact
	last   map[string]turn // the last turn asked about, by rota
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

type rotaOnce struct {
	info runbooks.RotaInfo
	ok   bool
}

// turnsOnce is dir, asking it about each rota once a turn.
func turnsOnce(dir runbooks.Directory) *turns {
	t := &turns{Directory: dir, rotas: map[string]rotaOnce{}, people: map[string]runbooks.Contact{}, last: map[string]turn{}}
	if d, ok := dir.(*directory.Directory); ok {
		t.next = d
	}
	return t
}

// OnDutyAt is who is on the rota's duty at an instant, as the directory
// says, asking it again only when at is outside the last turn found.
func (d *turns) OnDutyAt(rota string, at time.Time) (string, bool) {
	if t, ok := d.last[rota]; ok && !at.Before(t.from) && at.Before(t.until) {
		return t.person, true
	}
	person, ok := d.Directory.OnDutyAt(rota, at)
	if ok && d.next != nil {
		if _, until, err := d.next.Next(rota, at); err == nil && until.After(at) {
			d.last[rota] = turn{person, at, until}
		}
	}
	return person, ok
}

func (d *turns) Contact(person string) (runbooks.Contact, bool) {
	if c, seen := d.people[person]; seen {
		return c, true
	}
	c, ok := d.Directory.Contact(person)
	if ok {
		d.people[person] = c
	}
	return c, ok
}

func (d *turns) RotaInfo(id string) (runbooks.RotaInfo, bool) {
	r, seen := d.rotas[id]
	if !seen {
		r.info, r.ok = d.Directory.RotaInfo(id)
		d.rotas[id] = r
	}
	return r.info, r.ok
}
