package engine

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
)

// ways are how crier reaches a person, in the order plans name them.
var ways = []string{"email", "slack", "sms"}

// Reached is someone a step reaches, ahead of time, and how: a runbook's
// own stakeholder, a person in the directory (a rota's resolved to
// whoever is on duty then), a rota with nobody on duty, an address or
// number written out in a channel, or a contact list, told by its id and
// size alone.
type Reached struct {
	ID   string // the person's id in the directory, else the stakeholder's
	Name string
	// Stakeholder is the runbook's id for them, when it is not ID.
	Stakeholder  string
	Rota         string // the rota they are on duty on
	RotaName     string // as the directory names it
	Via          []string
	NobodyOnDuty bool
	List         string
	ListName     string // as the directory names it
	Rows         int
}

// MarshalJSON writes {id, name, via} (and stakeholder, rota and
// nobody_on_duty where they apply), or {list, rows} for a list.
func (r Reached) MarshalJSON() ([]byte, error) {
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

// key tells apart who is reached: a person once, however they are named.
func (r Reached) key() string {
	switch {
	case r.List != "":
		return "list:" + r.List
	case r.NobodyOnDuty:
		return "nobody:" + r.Rota
	}
	return r.ID
}

// PlanRow is a row of a plan and who it reaches.
type PlanRow struct {
	runbooks.Occurrence
	Reaches  []Reached
	Withheld []Reached // an exercise's, outside its participants
}

// MarshalJSON is the runbook format's plan entry with reaches (and
// withheld, in an exercise that withholds some) added.
func (p PlanRow) MarshalJSON() ([]byte, error) {
	o, err := json.Marshal(p.Occurrence)
	if err != nil {
		return nil, err
	}
	reaches := p.Reaches
	if reaches == nil {
		reaches = []Reached{}
	}
	extra, err := json.Marshal(struct {
		Reaches  []Reached `json:"reaches"`
		Withheld []Reached `json:"withheld,omitempty"`
	}{reaches, p.Withheld})
	if err != nil {
		return nil, err
	}
	o = bytes.TrimSuffix(o, []byte("}"))
	return append(append(o, ','), extra[1:]...), nil
}

// ReachesAt is who one row of a plan reaches when it fires, and who an
// exercise withholds, through the directory (nil when there is none).
func ReachesAt(rb *runbooks.Runbook, dir *directory.Directory, o runbooks.Occurrence, exercise bool) PlanRow {
	return NewReacher(rb, view(dir), exercise).Row(o)
}

// PlanReaches adds to each row of a plan who it reaches at its time.
func PlanReaches(rb *runbooks.Runbook, dir runbooks.Directory, plan []runbooks.Occurrence, exercise bool) []PlanRow {
	r := NewReacher(rb, dir, exercise)
	rows := make([]PlanRow, len(plan))
	for i, o := range plan {
		rows[i] = r.Row(o)
	}
	return rows
}

// Reacher works out who a runbook's steps reach, each at its own time,
// as a firing would: the same endpoints, rotas resolved to whoever is on
// duty then, and in an exercise the same redirect and participants. It
// asks the directory about each rota once a turn, and works out who a
// row's targets reach once for each shift (who is on each of the
// runbook's rotas) they come up in: a plan's rows cost little more than
// with fixed stakeholders. Rows it gives may share their slices.
type Reacher struct {
	rb     *runbooks.Runbook
	dir    runbooks.Directory
	bounds *exerciseBounds
	byID   map[string]*runbooks.Stakeholder
	people *people                       // reused row after row, its record of who was on duty emptied
	rotas  []string                      // the runbook's rotas, each once
	known  map[string]map[string]reached // by targets, then by shift
	// duty is who is on each rota from from until until; shift is duty
	// written as one string.
	duty        []string
	from, until time.Time
	shift       string
}

// reached is who a row's targets reach in a shift, and who is withheld.
type reached struct{ reaches, withheld []Reached }

// NewReacher is a Reacher for a runbook and its directory (nil when there
// is none), live or in an exercise.
func NewReacher(rb *runbooks.Runbook, dir runbooks.Directory, exercise bool) *Reacher {
	if dir != nil {
		dir = turnsOnce(dir)
	}
	r := &Reacher{rb: rb, dir: dir, byID: map[string]*runbooks.Stakeholder{}, people: peopleAt(dir, time.Time{}), known: map[string]map[string]reached{}}
	if rb == nil {
		return r
	}
	for i := range rb.Stakeholders {
		s := &rb.Stakeholders[i]
		r.byID[string(s.ID)] = s
		if s.Rota != "" && !slices.Contains(r.rotas, string(s.Rota)) {
			r.rotas = append(r.rotas, string(s.Rota))
		}
	}
	if exercise {
		r.bounds = exerciseSeal(rb, dir)
	}
	return r
}

// Row is who an occurrence reaches at its time, and who is withheld.
func (r *Reacher) Row(o runbooks.Occurrence) PlanRow {
	r.onDutyAt(o.At)
	key := strings.Join(o.To, "\x00")
	known, ok := r.known[key]
	if !ok {
		known = map[string]reached{}
		r.known[key] = known
	}
	got, ok := known[r.shift]
	if !ok {
		got.reaches, got.withheld = r.At(refs(o.To), o.At)
		known[r.shift] = got
	}
	return PlanRow{Occurrence: o, Reaches: got.reaches, Withheld: got.withheld}
}

// onDutyAt makes duty who is on each of the runbook's rotas at an
// instant, asking the directory only outside the time it last held for,
// and writes shift again when anyone has changed.
func (r *Reacher) onDutyAt(at time.Time) {
	if !at.Before(r.from) && at.Before(r.until) || r.dir == nil {
		return
	}
	if r.duty == nil {
		r.duty = make([]string, len(r.rotas))
	}
	r.from, r.until = at, at.Add(time.Duration(1<<63-1))
	known, _ := r.dir.(*turns)
	changed := false
	for i, rota := range r.rotas {
		person, _ := r.dir.OnDutyAt(rota, at)
		if person != r.duty[i] {
			r.duty[i], changed = person, true
		}
		t, ok := turn{}, false
		if known != nil {
			t, ok = known.last[rota]
		}
		if !ok || at.Before(t.from) || !at.Before(t.until) {
			t.until = at // not known beyond this instant: ask again next time
		}
		r.until = minTime(r.until, t.until)
	}
	if changed {
		r.shift = strings.Join(r.duty, "\x00")
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// At is who targets reach at an instant, in the order they are named:
// those named directly, then those a channel names, then contact lists;
// and, in an exercise with participants, who is withheld.
func (r *Reacher) At(targets []runbooks.Ref, at time.Time) (reaches, withheld []Reached) {
	p := r.people
	p.at, p.onDuty, p.unreached = at, p.onDuty[:0], p.unreached[:0]
	eps := endpoints(r.rb, p, targets)
	send, held := r.bounds.route(eps)
	reaches = r.group(send)
	if r.bounds == nil || len(r.bounds.redirect) == 0 || len(eps) == 0 {
		reaches = r.unreached(reaches, eps, targets, at)
	}
	return reaches, r.group(held)
}

// group makes endpoints into people: each once, with every way they are
// reached, those named directly first, then a channel's, then lists.
func (r *Reacher) group(eps []endpoint) []Reached {
	if len(eps) == 0 {
		return nil
	}
	out := make([]Reached, 0, len(eps))
	for _, section := range []int{named, inChannel, listed} {
		for _, ep := range eps {
			if sectionOf(ep) != section || ep.channel != "" && ep.kind != "email" && ep.kind != "sms" {
				continue // a Slack or Teams channel, a webhook, the log: no one in particular
			}
			out = add(out, r.who(ep))
		}
	}
	return out
}

const (
	named = iota
	inChannel
	listed
)

func sectionOf(ep endpoint) int {
	switch {
	case ep.channel != "":
		return inChannel
	case ep.list != "":
		return listed
	}
	return named
}

// add puts who among out, once, with every way they are reached.
func add(out []Reached, who Reached) []Reached {
	i := slices.IndexFunc(out, func(o Reached) bool { return o.key() == who.key() })
	if i < 0 {
		return append(out, who)
	}
	for _, w := range who.Via {
		if !slices.Contains(out[i].Via, w) {
			out[i].Via = append(out[i].Via, w)
		}
	}
	slices.SortFunc(out[i].Via, func(a, b string) int { return slices.Index(ways, a) - slices.Index(ways, b) })
	return out
}

// who is whom an endpoint reaches.
func (r *Reacher) who(ep endpoint) Reached {
	if ep.list != "" {
		return r.list(ep.list)
	}
	way := ep.kind
	s, ok := r.byID[ep.stakeholder]
	if !ok {
		return Reached{ID: ep.target, Name: ep.target, Via: []string{way}} // written out in the channel
	}
	who := Reached{ID: ep.stakeholder, Rota: string(s.Rota), Via: []string{way}}
	if s.Rota != "" && r.dir != nil {
		info, _ := r.dir.RotaInfo(string(s.Rota))
		who.RotaName = info.Name
	}
	if ep.person == "" || r.dir == nil {
		who.Name = s.NameIn(r.dir)
		return who
	}
	c, _ := r.dir.Contact(ep.person)
	who.ID, who.Name = ep.person, c.Name
	if ep.person != ep.stakeholder {
		who.Stakeholder = ep.stakeholder
	}
	return who
}

// list is a contact list, by its id, name and the rows it has.
func (r *Reacher) list(id string) Reached {
	who := Reached{List: id}
	if r.dir != nil {
		if l, ok := r.dir.ListInfo(id); ok {
			who.Rows, who.ListName = l.Rows, l.Name
		}
	}
	return who
}

// unreached adds to reaches whoever targets name that no endpoint
// reaches: a rota with nobody on duty, or someone with no contact a
// channel needs, so that a planner sees the gap before a firing meets it.
func (r *Reacher) unreached(reaches []Reached, eps []endpoint, targets []runbooks.Ref, at time.Time) []Reached {
	reached := func(s *runbooks.Stakeholder, channel string) bool {
		return slices.ContainsFunc(eps, func(ep endpoint) bool { return ep.stakeholder == string(s.ID) && ep.channel == channel })
	}
	reach := r.rb.Reach(targets)
	for _, s := range reach.Stakeholders {
		if !reached(s, "") {
			reaches = add(reaches, r.stakeholder(s, at, ""))
		}
	}
	for _, ch := range reach.Channels {
		if ch.Type != runbooks.ChannelEmail && ch.Type != runbooks.ChannelSMS {
			continue
		}
		for _, to := range ch.To {
			if _, ok := to.List(); ok || literal(ch.Type, to.Name) {
				continue
			}
			for _, s := range r.rb.Reach([]runbooks.Ref{to}).Stakeholders {
				if !reached(s, string(ch.ID)) {
					reaches = add(reaches, r.stakeholder(s, at, string(ch.Type)))
				}
			}
		}
	}
	return reaches
}

// stakeholder is who a stakeholder no endpoint reaches is at an instant,
// and the ways they have: by way alone, or every way when way is "".
func (r *Reacher) stakeholder(s *runbooks.Stakeholder, at time.Time, way string) Reached {
	who := Reached{ID: string(s.ID), Rota: string(s.Rota)}
	if s.Rota != "" && r.dir != nil {
		info, _ := r.dir.RotaInfo(string(s.Rota))
		who.RotaName = info.Name
	}
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
