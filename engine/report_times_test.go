package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
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

// A drill's report says how far the drill ran, not that it is
// still running.
func TestADrillsReportSaysItRanToItsHorizon(t *testing.T) {
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(onTheHour), SourceName: "on-the-hour.yaml", Start: start, Instant: true, Horizon: 3*time.Hour + 30*time.Minute,
		Dispatch: to(&recorder{}), Log: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	md := markdownOf(t, r)
	for _, want := range []string{"(`on-the-hour`), drilled by crier drill.", "- **The drill ran to T+3h** (13:00) and stopped there; it was not stood down."} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Still running") || strings.Contains(md, ", active.") {
		t.Errorf("the drill is reported as still running:\n%s", md)
	}
}

// An exercise run at a pace says once what its times are.
func TestTheReportSaysOnceWhatItsTimesAre(t *testing.T) {
	r := &Report{Activation: "a-000001", Title: "Paced", Mode: "exercise", State: "active", StartedAt: start, AsOf: start.Add(time.Hour),
		Zone: "Europe/London", Paces: []state.Pace{{Speed: 60, Since: start}, {Speed: 1, Since: start.Add(time.Minute)}}}
	md := markdownOf(t, r)
	if n := strings.Count(md, "Times are"); n != 1 {
		t.Errorf("%q written %d times:\n%s", "Times are", n, md)
	}
	if want := "Its clock ran at ×60 real time from 10:00:00 GMT, 16 Mar, then at ×1 real time from 10:01:00 GMT, 16 Mar (real times)"; !strings.Contains(md, want) {
		t.Errorf("the report lacks %q:\n%s", want, md)
	}
}
