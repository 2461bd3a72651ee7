package runbooks

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Schedule is a recurring step's `every`: a 5-field cron spec, a descriptor
// such as @daily, or @every DURATION.
//
// Calendar specs follow the wall clock in the runbook's time zone. On the
// spring-forward day a time that does not exist fires once, at the first
// instant after the gap, as ISC cron does (robfig/cron would skip it); a
// time in the repeated autumn hour fires once, the first time it occurs.
// @every counts elapsed time and ignores clock changes.
type Schedule struct {
	Spec string
	Pos  Pos

	interval time.Duration // for @every
	cal      cron.Schedule // for calendar specs, evaluated on wall-clock times in UTC
}

// minInterval stops a step from flooding people with messages.
const minInterval = time.Minute

// horizonCheck is how far ahead a calendar spec must have an occurrence.
const horizonCheck = 5 * 366 * 24 * time.Hour

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (s *Schedule) decodeNode(d *decoder, n *yaml.Node, path string) {
	v, ok := d.scalar(n, path, "a cron spec such as \"0 9 * * *\", @daily or @every 4h")
	if !ok {
		return
	}
	sched, err := ParseSchedule(v)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	sched.Pos = posOf(n)
	*s = *sched
}

// ParseSchedule reads a cron spec, descriptor or @every interval.
func ParseSchedule(spec string) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every"); ok {
		d, err := ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("@every needs a duration: %w", err)
		}
		if d < minInterval {
			return nil, fmt.Errorf("%q is more often than once a minute; use an interval of at least 1m", spec)
		}
		return &Schedule{Spec: spec, interval: d}, nil
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("%q sets a time zone in the spec; set the runbook's timezone field instead", spec)
	}
	cal, err := parseCron(spec)
	if err != nil {
		return nil, err
	}
	// A fixed reference keeps validation deterministic; a spec that cannot
	// fire within five years of it (31 February) cannot fire at all.
	ref := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if cal.Next(ref).IsZero() {
		return nil, fmt.Errorf("cron spec %q never fires (no matching date within 5 years)", spec)
	}
	return &Schedule{Spec: spec, cal: cal}, nil
}

// parseCron wraps robfig's parser, which panics on some malformed input.
func parseCron(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("%q is not a valid cron spec", spec)
		}
	}()
	sched, err = cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid cron spec: %v; expected 5 fields (minute hour day-of-month month day-of-week) like \"0 9 * * 1\", or @hourly, @daily, @weekly, @monthly, @yearly, or @every 4h", spec, err)
	}
	if _, ok := sched.(*cron.SpecSchedule); !ok {
		return nil, fmt.Errorf("%q is not a valid cron spec", spec)
	}
	return sched, nil
}

// next returns the first occurrence strictly after t, anchor being the time
// @every intervals count from. ok is false when there is none.
func (s *Schedule) next(anchor, t time.Time, loc *time.Location) (time.Time, bool) {
	if s.interval > 0 {
		if t.Before(anchor) {
			return anchor, true
		}
		k := t.Sub(anchor)/s.interval + 1
		return anchor.Add(k * s.interval), true
	}
	w := wallClock(t.In(loc))
	// Step through matching wall times until one happens after t. A wall
	// time in the repeated autumn hour happens twice: the first of its
	// instants after t fires, and the wall clock moves on past it, so each
	// wall time fires once.
	for range 24 * 60 {
		wn := s.cal.Next(w)
		if wn.IsZero() {
			return time.Time{}, false
		}
		for _, at := range instants(wn, loc) {
			if at.After(t) {
				return at, true
			}
		}
		w = wn
	}
	return time.Time{}, false
}

// wallClock is t's clock reading in its zone, as a UTC time, so that cron
// matching never sees a clock change.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// instants are the moments the wall clock in loc reads w, earliest first:
// usually one; two in a repeated hour; for a reading skipped by a clock
// change, the first instant after the gap.
func instants(w time.Time, loc *time.Location) []time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	got := wallClock(t)
	if !got.Equal(w) {
		start, end := t.ZoneBounds()
		if got.After(w) {
			return []time.Time{start} // t is after the gap; the gap ends where t's zone starts
		}
		return []time.Time{end}
	}
	// The same reading in the zone before or after t's.
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		_, offset := start.Add(-time.Nanosecond).Zone()
		earlier := w.Add(-time.Duration(offset) * time.Second).In(loc)
		if earlier.Before(start) && wallClock(earlier).Equal(w) {
			return []time.Time{earlier, t}
		}
	}
	if !end.IsZero() {
		_, offset := end.Zone()
		later := w.Add(-time.Duration(offset) * time.Second).In(loc)
		if !later.Before(end) && wallClock(later).Equal(w) {
			return []time.Time{t, later}
		}
	}
	return []time.Time{t}
}
