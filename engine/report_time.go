package engine

import (
	"time"
)

// reportClock writes the report's times as people read them, in the
// runbook's zone: the day with the time where the day changes ("Tue 4 Dec
// 14:05"), the time alone while it stays the same ("14:05"), and each
// time's offset from activation ("T+30m").
type reportClock struct {
	loc   *time.Location
	start time.Time
	day   string // the day last written
}

func (r *Report) clock() *reportClock {
	loc, err := time.LoadLocation(r.Zone)
	if err != nil || r.Zone == "" {
		loc = time.UTC
	}
	return &reportClock{loc: loc, start: r.StartedAt}
}

// at writes t, with its day when the day is not the one last written.
func (c *reportClock) at(t time.Time) string {
	t = t.In(c.loc)
	if day := t.Format("Mon 2 Jan 2006"); day != c.day {
		c.day = day
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("15:04")
}

// full writes t with its day, year and zone, and makes it the day last
// written: "Tue 4 Dec 2026 14:05 GMT".
func (c *reportClock) full(t time.Time) string {
	t = t.In(c.loc)
	c.day = t.Format("Mon 2 Jan 2006")
	return t.Format("Mon 2 Jan 2006 15:04 MST")
}

// short writes t as its time, with its day when it is not from's day; it
// leaves the day last written alone (it is for times within a line).
func (c *reportClock) short(from, t time.Time) string {
	t = t.In(c.loc)
	if t.Format("2006-01-02") != from.In(c.loc).Format("2006-01-02") {
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("15:04")
}

// OffsetOf is t's offset from an activation that started at start, in
// whole seconds. It is reckoned from the start's whole second, so that a
// step planned on the hour is a whole number of minutes from a start on
// the minute, however far into its second the activation began: with the
// plan's own times (StepReport.PlannedAt) the offsets and the times shown
// agree, and nothing reads 07:59 or T+59m 59s for 08:00 and T+1h.
func OffsetOf(start, t time.Time) time.Duration {
	return t.Sub(start.Truncate(time.Second)).Truncate(time.Second)
}

// since writes t's offset from activation: "T+1h 30m".
func (c *reportClock) since(t time.Time) string {
	s := int64(OffsetOf(c.start, t) / time.Second)
	if s <= 0 {
		return "T+0"
	}
	return "T+" + offset(&s)
}
