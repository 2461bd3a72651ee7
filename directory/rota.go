package directory

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// rota is a Rota made ready to answer who is on duty.
type rota struct {
	id       string
	people   []Person
	period   int // days between handovers: 1 or 7
	hour     int
	minute   int
	first    time.Time // the date of the first handover, at midnight UTC
	location *time.Location
	// overrides are sorted by start and do not overlap.
	overrides []override
	// info is what runbooks ask of the rota, made once.
	info runbooks.RotaInfo
}

type override struct {
	person      Person
	from, until time.Time
}

// Formats of the times a directory is written with.
const (
	dateLayout  = "2006-01-02"
	localLayout = "2006-01-02 15:04"
	// shownLayout is how a time is shown to people.
	shownLayout = "Mon 2 Jan 2006 15:04 MST"
)

var handoverRE = regexp.MustCompile(`^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([01][0-9]|2[0-3]):([0-5][0-9])$`)

var weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// checkRota checks a rota and, when it has no problem, makes it ready.
func (c *checker) checkRota(p string, r *Rota, people map[runbooks.Slug]int) *rota {
	before := len(c.diags)
	out := &rota{id: string(r.ID), period: 1, location: c.d.location}
	for j, id := range r.People {
		q := fmt.Sprintf("%s.people[%d]", p, j)
		if !c.ok(q) {
			continue
		}
		i, ok := people[id]
		if !ok {
			c.errorf(q, "no person has id %q; add them to people first", id)
			continue
		}
		out.people = append(out.people, c.d.People[i])
	}
	weekday := -1
	if c.ok(p + ".handover") {
		m := handoverRE.FindStringSubmatch(r.Handover)
		if m == nil {
			c.errorf(p+".handover", "%q is not a handover time; expected a day and a 24-hour time for a weekly rota, like \"Mon 09:00\", or only the time for a daily one, like \"09:00\"", r.Handover)
		} else {
			out.hour, _ = strconv.Atoi(m[2])
			out.minute, _ = strconv.Atoi(m[3])
			if m[1] != "" {
				out.period = 7
				weekday = slices.Index(weekdays, m[1])
			}
		}
	}
	if c.ok(p + ".start") {
		start, err := time.Parse(dateLayout, r.Start)
		switch {
		case err != nil:
			c.errorf(p+".start", "%q is not a date; expected the date of the first handover, like 2026-01-05", r.Start)
		case weekday >= 0 && int(start.Weekday()) != weekday:
			next := start.AddDate(0, 0, (weekday-int(start.Weekday())+7)%7)
			c.errorf(p+".start", "%s is a %s, but the rota hands over on %ss; start it on a %s, such as %s",
				r.Start, start.Weekday(), time.Weekday(weekday), time.Weekday(weekday), next.Format(dateLayout))
		default:
			out.first = start
		}
	}
	for j, o := range r.Overrides {
		q := fmt.Sprintf("%s.overrides[%d]", p, j)
		ov := override{}
		if c.ok(q + ".person") {
			if i, ok := people[o.Person]; ok {
				ov.person = c.d.People[i]
			} else {
				c.errorf(q+".person", "no person has id %q; add them to people first", o.Person)
			}
		}
		ov.from = c.localTime(q+".from", o.From)
		ov.until = c.localTime(q+".until", o.Until)
		if !ov.from.IsZero() && !ov.until.IsZero() && !ov.from.Before(ov.until) {
			c.errorf(q+".until", "the override ends at %s, not after it starts at %s", o.Until, o.From)
		}
		out.overrides = append(out.overrides, ov)
	}
	if len(c.diags) > before {
		return nil
	}
	c.checkOverlaps(p, r, out)
	if len(c.diags) > before {
		return nil
	}
	out.info = out.describe(r.Name)
	return out
}

// describe is the rota as runbooks see it: its name, everyone who takes a
// turn or covers, each once, and when anyone is first on duty.
func (r *rota) describe(name string) runbooks.RotaInfo {
	info := runbooks.RotaInfo{Name: name, Starts: r.handover(0)}
	add := func(p Person) {
		if !slices.Contains(info.People, string(p.ID)) {
			info.People = append(info.People, string(p.ID))
		}
	}
	for _, p := range r.people {
		add(p)
	}
	for _, o := range r.overrides {
		add(o.person)
		if o.from.Before(info.Starts) {
			info.Starts = o.from
		}
	}
	return info
}

// localTime reads a time written as "2026-12-24 09:00" in the directory's
// zone, or returns the zero time having said what is wrong.
func (c *checker) localTime(p, v string) time.Time {
	if !c.ok(p) {
		return time.Time{}
	}
	t, err := time.ParseInLocation(localLayout, v, c.d.location)
	if err != nil {
		c.errorf(p, "%q is not a local date and time; expected a date and a 24-hour time like \"2026-12-24 09:00\", in the directory's time zone (%s)", v, c.d.Timezone)
		return time.Time{}
	}
	return t
}

// checkOverlaps sorts the rota's overrides by start and refuses any two
// that overlap: who would be on duty then is not clear.
func (c *checker) checkOverlaps(p string, r *Rota, out *rota) {
	order := make([]int, len(out.overrides))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return out.overrides[order[a]].from.Before(out.overrides[order[b]].from) })
	sorted := make([]override, len(order))
	for k, i := range order {
		sorted[k] = out.overrides[i]
		if k > 0 && out.overrides[order[k-1]].until.After(sorted[k].from) {
			prev := order[k-1]
			// Report the one written later in the file.
			at, other := i, prev
			if at < other {
				at, other = other, at
			}
			c.errorf(fmt.Sprintf("%s.overrides[%d].from", p, at), "this override overlaps the one at line %d (%s until %s); overrides on a rota must not overlap, so that who is on duty is never in doubt",
				c.pos.At(fmt.Sprintf("%s.overrides[%d]", p, other)).Line, r.Overrides[other].From, r.Overrides[other].Until)
		}
	}
	out.overrides = sorted
}

// handover is when the k-th handover happens, k counting from 0 at the
// rota's start. It is computed on the local calendar, so that a 09:00
// handover stays at 09:00 across a change of the clocks.
func (r *rota) handover(k int) time.Time {
	return time.Date(r.first.Year(), r.first.Month(), r.first.Day()+k*r.period, r.hour, r.minute, 0, 0, r.location)
}

// turn is how many handovers have happened by at, less one: the index of
// the turn at is in, or -1 before the first handover.
func (r *rota) turn(at time.Time) int {
	if at.Before(r.handover(0)) {
		return -1
	}
	local := at.In(r.location)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	k := int((day.Unix()-r.first.Unix())/(24*60*60)) / r.period // seconds, which do not overflow as a Duration would
	for k > 0 && r.handover(k).After(at) {
		k--
	}
	for !r.handover(k + 1).After(at) {
		k++
	}
	return k
}

// covering is the override in force at at, if any: O(log n).
func (r *rota) covering(at time.Time) (override, bool) {
	i := r.after(at)
	if i > 0 && at.Before(r.overrides[i-1].until) {
		return r.overrides[i-1], true
	}
	return override{}, false
}

// after is the index of the first override starting after at.
func (r *rota) after(at time.Time) int {
	return sort.Search(len(r.overrides), func(i int) bool { return r.overrides[i].from.After(at) })
}

// onDuty is who is on duty at at; false before the rota starts.
func (r *rota) onDuty(at time.Time) (Person, bool) {
	if o, ok := r.covering(at); ok {
		return o.person, true
	}
	k := r.turn(at)
	if k < 0 {
		return Person{}, false
	}
	return r.people[k%len(r.people)], true
}

// change is the first instant after at when a handover happens or an
// override starts or ends.
func (r *rota) change(at time.Time) time.Time {
	next := r.handover(r.turn(at) + 1)
	if o, ok := r.covering(at); ok && o.until.Before(next) {
		next = o.until
	}
	if i := r.after(at); i < len(r.overrides) && r.overrides[i].from.Before(next) {
		next = r.overrides[i].from
	}
	return next
}

func (d *Directory) rota(id string) (*rota, error) {
	r, ok := d.rotas[runbooks.Slug(id)]
	if !ok {
		return nil, fmt.Errorf("no rota has id %q", id)
	}
	return r, nil
}

// OnDuty says who is on the rota's duty at an instant: an override in
// force then, or else whose turn it is. Before the rota's first handover,
// outside an override, nobody is, and that is an error.
func (d *Directory) OnDuty(rotaID string, at time.Time) (Person, error) {
	r, err := d.rota(rotaID)
	if err != nil {
		return Person{}, err
	}
	p, ok := r.onDuty(at)
	if !ok {
		return Person{}, fmt.Errorf("rota %q starts at %s; nobody is on duty before then", rotaID, r.handover(0).Format(shownLayout))
	}
	return p, nil
}

// Next says who takes over the rota's duty next after at, and when: the
// first handover, or start or end of an override, that brings someone
// else on duty. On a rota of one person with no override ahead, it is the
// next handover, to the same person.
func (d *Directory) Next(rotaID string, at time.Time) (Person, time.Time, error) {
	r, err := d.rota(rotaID)
	if err != nil {
		return Person{}, time.Time{}, err
	}
	now, _ := r.onDuty(at)
	t := at
	var p Person
	// Each turn of the rota and each override brings at most two changes
	// that keep the same person on duty.
	for range len(r.people) + 2*len(r.overrides) + 2 {
		t = r.change(t)
		p, _ = r.onDuty(t)
		if p.ID != now.ID {
			return p, t, nil
		}
	}
	return p, r.handover(r.turn(at) + 1), nil
}
