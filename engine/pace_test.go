package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Review 12: failing tests that reproduce defects found in review. Each
// asserts an outcome, never how long something took.

// lastStepNeedsApproval is a runbook whose last step, at its horizon,
// waits for an approval, as the flood warning's and many others' do.
const lastStepNeedsApproval = `version: 1
id: last-approval
title: Last step needs approval
stakeholders:
  - {id: head, name: Head of Communications, roles: [approver], email: head.comms@northbridge.gov.uk}
channels: [{id: ctl, type: log}]
steps:
  - {id: alert, title: Alert, at: 0s, notify: {to: [ctl], body: At once.}}
  - id: statement
    title: Public statement
    at: 1m
    notify: {to: [ctl], body: We are responding., approval: {approvers: [head]}}
exercise: {redirect: [ctl]}
`

// A paced drill, like an instant one, runs on while the simulated
// controller has an approval to give. The statement at the horizon is
// drafted a moment after it in scenario time (the real clock never fires
// exactly on time, and 600x makes microseconds milliseconds), so the
// drill counted it as "after the horizon" and stopped with the statement
// still pending: `crier drill --speed 600` of such a runbook never sends
// it, where `crier drill` does.
func TestPacedDrillApprovesTheStepAtItsHorizon(t *testing.T) {
	rb, err := runbooks.Parse("last.yaml", []byte(lastStepNeedsApproval))
	if err != nil {
		t.Fatal(err)
	}
	horizon, err := DrillHorizon(rb)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		instant bool
		speed   float64
	}{{"instant", true, 0}, {"paced at 600x", false, 600}} {
		e, id, err := Drill(context.Background(), DrillOptions{Source: []byte(lastStepNeedsApproval), SourceName: "last.yaml",
			Start: time.Now().UTC().Truncate(time.Minute), Instant: c.instant, Speed: c.speed, Horizon: horizon,
			ApproveAfter: 5 * time.Minute, Dispatch: to(&recorder{}), Log: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := e.Read().Message(nil, OccurrenceID(id, "statement", 1))
		if m == nil || m.State != state.MessageSent {
			state := "missing"
			if m != nil {
				state = m.State
			}
			t.Errorf("%s drill: the statement at the horizon ends %s, want sent after the simulated approval", c.name, state)
		}
	}
}

// Every time recorded for an exercise is scenario time; a speed so high
// that scenario time overflows time.Duration turns every later time in
// the record into a nonsense date ~292 years before the start ("T+
// -106751d 23h" in the report). The API, the web form and `crier speed`
// accept any speed (1e12, 100000), while `crier drill` caps it at 10080.
// At 100000x the overflow comes after about a day of real time.
func TestAHugeSpeedNeverPutsTimesBeforeTheStart(t *testing.T) {
	clock := NewVirtualClock(start)
	e, err := Open(context.Background(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	index, err := e.Apply(context.Background(), &Activate{Meta: Meta{Actor: "Priya Shah"}, Source: []byte(lastStepNeedsApproval),
		SourceName: "last.yaml", Mode: "exercise", Speed: 1e12})
	if err != nil {
		return // refused: a speed crier cannot keep time at
	}
	id := ActivationID(index)
	clock.Set(start.Add(time.Minute))
	if _, err := e.Apply(context.Background(), &RecordDecision{Meta: Meta{Actor: "Priya Shah"}, Activation: id,
		Decision: "Open the rest centre"}); err != nil {
		t.Fatal(err)
	}
	a, _ := e.Read().Activation(nil, id)
	decisions, _ := e.Read().DecisionsOf(nil, id)
	if len(decisions) != 1 || decisions[0].At.Before(a.StartedAt) {
		t.Errorf("a decision a real minute after the start is recorded at %v, before the start %v", decisions[0].At, a.StartedAt)
	}
}

// The report says once at what speed an exercise's times ran, from when.
// After a change of speed it gives only the last pace ("speed ×120 from
// <the change>"), so the times before the change are described wrongly
// and the speed the exercise started at appears nowhere in the report.
func TestTheReportKeepsEveryPaceOfAnExercise(t *testing.T) {
	clock := NewVirtualClock(start)
	e, err := Open(context.Background(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	id := ActivationID(apply(t, e, &Activate{Meta: Meta{Actor: "Priya Shah"}, Source: []byte(lastStepNeedsApproval),
		SourceName: "last.yaml", Mode: "exercise", Speed: 600}))
	clock.Set(start.Add(30 * time.Second)) // 5 scenario hours at 600x
	apply(t, e, &SetSpeed{Meta: Meta{Actor: "Priya Shah"}, Activation: id, Speed: 120, Wall: start.Add(30 * time.Second)})
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	r.Markdown(&md)
	if !strings.Contains(md.String(), "600") {
		t.Errorf("the report never says the exercise ran at 600x for its first five hours:\n%s", md.String())
	}
}
