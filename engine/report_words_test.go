package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// haltedTask is a drill whose task nobody acknowledges before the
// exercise is halted.
const haltedTask = `version: 1
id: halted
title: Halted check
stakeholders:
  - {id: officer, name: Duty officer, email: officer@northbridge.gov.uk}
channels:
  - {id: log, type: log}
steps:
  - id: check-in
    title: Check in
    at: 0s
    task: {assignee: officer, instructions: Confirm you are on duty., ack_within: 10m}
exercise:
  participants: [officer]
`

// A task cancelled by a halt before anyone acknowledged it is missed in
// the targets table, and the summary's "Never acknowledged" says so too,
// and why, rather than that everyone acknowledged.
func TestAHaltedTaskIsNeverAcknowledged(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	id := ActivationID(apply(t, e, &Activate{Source: []byte(haltedTask), SourceName: "halted.yaml", Mode: "exercise"}))
	s.RunInstant(context.Background(), clock, start.Add(time.Hour))
	apply(t, e, &Halt{Meta: Meta{Actor: "Priya Shah"}, Activation: id, Reason: "a real incident"})
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Summary.NeverAcknowledged) != 1 || r.Summary.NeverAcknowledged[0].Name != "Duty officer" {
		t.Fatalf("never acknowledged: %+v\n%+v\n%s", r.Summary.NeverAcknowledged, r.Summary.Targets, markdownOf(t, r))
	}
	md := markdownOf(t, r)
	if !strings.Contains(md, "never acknowledged (cancelled") {
		t.Errorf("the targets table does not say the task was missed:\n%s", md)
	}
	_, never, _ := strings.Cut(md, "### Never acknowledged")
	never, _, _ = strings.Cut(never, "###")
	if strings.Contains(never, "No one") || !strings.Contains(never, "**Duty officer**: acknowledgement of task Check in (cancelled when the exercise was halted, never acknowledged)") {
		t.Errorf("never acknowledged:%s", never)
	}
}

// The report names people, never by their ids, and says once that the
// simulated controller gave an approval, and for whom.
func TestTheReportNamesPeople(t *testing.T) {
	_, _, md := drillDebrief(t)
	for _, want := range []string{
		"| Holding statement: message approved — revision 1, approval 1 of 1, for Head of Comms | the simulated controller |",
		"- approved revision 1 for Head of Comms by the simulated controller at 15:15, 45m after it was drafted",
		"| Activated in exercise mode | crier drill |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	for _, never := range []string{"simulated-controller", "exercise-lead", "(simulated)", "| head |", "for head "} {
		if strings.Contains(md, never) {
			t.Errorf("the report says %q:\n%s", never, md)
		}
	}
}

// An ad-hoc message is called one in the report, never "ad_hoc".
func TestTheReportCallsAnAdHocMessageOne(t *testing.T) {
	e, _, id, _ := firedBilingual(t, "live")
	msg := AdHocID(id, apply(t, e, &WriteMessage{Meta: Meta{Actor: "Dev Duty"}, Activation: id, By: "comms",
		To: []string{"residents"}, Subject: "Correction", Body: "The road reopens at 5pm, not 6pm."}))
	apply(t, e, &Approve{Meta: Meta{Actor: "Head"}, Message: msg, By: "head"})
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	md := markdownOf(t, r)
	if strings.Contains(md, "ad_hoc") || !strings.Contains(md, "· Ad-hoc message (") || !strings.Contains(md, "| Ad-hoc message: message drafted") {
		t.Errorf("the ad-hoc message:\n%s", md)
	}
}

// twoApprovers is a statement two people must approve, and a task for a
// role.
const twoApprovers = `version: 1
id: two
title: Two approvers
stakeholders:
  - {id: sam, name: Sam Patel, roles: [comms-lead], email: sam@northbridge.gov.uk}
  - {id: jo, name: Jo Evans, email: jo@northbridge.gov.uk}
channels:
  - {id: log, type: log}
steps:
  - id: joint
    title: Joint statement
    at: 0s
    notify: {to: [log], body: "Together.", approval: {approvers: [sam, jo], min: 2}}
  - id: cell
    title: Open the cell
    at: 0s
    task: {assignee: "role:comms-lead", instructions: Open it.}
exercise:
  participants: [sam, jo]
`

// Each of two approvals the simulated controller gives at once is said to
// be for its own approver; a task for a role says so in words.
func TestTheReportNamesEachApprover(t *testing.T) {
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(twoApprovers), SourceName: "two.yaml", Start: start, Instant: true, Horizon: time.Hour,
		ApproveAfter: 5 * time.Minute, Dispatch: to(&recorder{}), Log: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	md := markdownOf(t, r)
	for _, want := range []string{
		"Joint statement: message approved — revision 1, approval 1 of 2, for Sam Patel |",
		"Joint statement: message approved — revision 1, approval 2 of 2, for Jo Evans |",
		"Open the cell: task opened — assigned to whoever holds the comms-lead role |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}
