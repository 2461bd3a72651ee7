package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// onTheHour is a check on the hour, every hour.
const onTheHour = `version: 1
id: on-the-hour
title: On the hour
stakeholders:
  - {id: head, name: Head of Comms, email: head@northbridge.gov.uk}
channels:
  - {id: log, type: log}
steps:
  - id: check
    title: Tension check
    every: "0 * * * *"
    until: 4h
    notify: {to: [head], subject: Check, body: "Check the tension."}
exercise:
  participants: [head]
`

// An activation started part way through a second keeps the plan's own
// times: a check planned for 13:00 is 13:00 in the report's timeline, as
// in its messages, never 12:59.
func TestTheReportKeepsThePlansMinute(t *testing.T) {
	begin := time.Date(2026, 3, 16, 10, 0, 0, 500_000_000, time.UTC) // half a second past ten
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(onTheHour), SourceName: "on-the-hour.yaml", Start: begin, Instant: true, Horizon: 3*time.Hour + 30*time.Minute,
		Dispatch: to(&recorder{}), Log: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Steps {
		if s.PlannedAt == nil || s.PlannedAt.Minute() != 0 || s.PlannedAt.Second() != 0 {
			t.Errorf("occurrence %d planned at %v, want on the hour", s.Occurrence, s.PlannedAt)
		}
	}
	md := markdownOf(t, r)
	if !strings.Contains(md, "| 11:00 | T+1h | Tension check, 3 times, the last 13:00: 3 sent |") {
		t.Errorf("the timeline's line for the check:\n%s", md)
	}
	if strings.Contains(md, ":59") {
		t.Errorf("a time a minute early:\n%s", md)
	}
}
