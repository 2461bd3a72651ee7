package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
)

const sealedRunbook = `version: 1
id: sealed
title: A sealed exercise
stakeholders:
  - {id: officer, name: Duty officer, roles: [comms], slack: U04OFFICER1, email: officer@northbridge.gov.uk, phone: "+447700900001"}
  - {id: deputy, name: Deputy, roles: [comms], email: deputy@northbridge.gov.uk}
  - {id: chief, name: Chief executive, email: chief@northbridge.gov.uk, phone: "+447700900009"}
  - {id: partner, name: Police partner, email: partner@police.example}
channels:
  - {id: public, type: slack, slack_channel: "#public-updates"}
  - {id: drill, type: slack, slack_channel: "#exercise-control"}
  - {id: partners, type: email, to: [partner, chief]}
steps:
  - id: statement
    title: Holding statement
    at: 0s
    notify:
      to: [public, partners, officer]
      subject: Statement
      body: We are aware of an incident.
      ack_within: 15m
      escalate_to: [chief]
      approval: {approvers: [role:comms], within: 5m, escalate_to: [chief]}
  - id: check-in
    title: Check in
    at: 0s
    task: {assignee: officer, instructions: Confirm you are on duty., ack_within: 10m, escalate_to: [chief]}
exercise:
  %s
  injects:
    - {id: rumour, at: 20m, to: [chief, public], body: A rumour is spreading}
`

// sink keeps every message, approval requests included.
func sink(t *testing.T, bounds string) (*recorder, *Engine, string) {
	t.Helper()
	sent := &recorder{}
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(strings.Replace(sealedRunbook, "%s", bounds, 1)), SourceName: "sealed.yaml",
		Start: start, Instant: true, Horizon: 2 * time.Hour, ApproveAfter: 30 * time.Minute,
		ApprovalsChannel: "#comms-approvals", Dispatch: to(sent), Log: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent, e, id
}

// With a redirect, nothing of any kind goes anywhere else: messages,
// approval requests, task notices, escalations and reminders, injects,
// and a task reassigned during the exercise.
func TestRedirectSealsTheExercise(t *testing.T) {
	sent, _, _ := sink(t, "redirect: [drill]")
	kinds := map[string]int{}
	for _, m := range sent.got {
		if m.Target != "#exercise-control" {
			t.Errorf("escaped the exercise: %s %q to %s %s", m.Type, m.Subject, m.Target, m.Stakeholder)
		}
		switch {
		case m.Kind == notifiers.KindApprovalRequest:
			kinds["approval request"]++
		case strings.Contains(m.Subject, "Overdue") || strings.Contains(m.Subject, "Reminder"):
			kinds["escalation"]++
		case strings.Contains(m.Subject, "Task:"):
			kinds["task notice"]++
		case strings.Contains(m.Subject, "inject"):
			kinds["inject"]++
		default:
			kinds["message"]++
		}
	}
	for _, k := range []string{"approval request", "escalation", "task notice", "inject", "message"} {
		if kinds[k] == 0 {
			t.Errorf("no %s was sent, so the seal was not tried on it: %v", k, kinds)
		}
	}
}

func TestReassignedTaskNoticeStaysInTheExercise(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	id := ActivationID(apply(t, e, &Activate{Source: []byte(strings.Replace(sealedRunbook, "%s", "redirect: [drill]", 1)),
		SourceName: "sealed.yaml", Mode: "exercise"}))
	s.RunInstant(context.Background(), clock, start)
	task := OccurrenceID(id, "check-in", 1)
	apply(t, e, &ReassignTask{Meta: Meta{Actor: "exercise-lead"}, Task: task, To: "deputy"})
	deliveries, _ := e.Read().DeliveriesOf(nil, task)
	var revised int
	for _, d := range deliveries {
		if d.Revision == 2 {
			revised++
			if d.Target != "#exercise-control" {
				t.Errorf("reassigned task notice went to %s", d.Target)
			}
		}
	}
	if revised == 0 {
		t.Error("no notice of the reassigned task")
	}
}

// With participants, a delivery to anyone else is withheld: recorded as
// withheld, never sent.
func TestNonParticipantsAreWithheld(t *testing.T) {
	sent, e, id := sink(t, "participants: [role:comms, drill]")
	for _, m := range sent.got {
		switch m.Target {
		case "U04OFFICER1", "officer@northbridge.gov.uk", "+447700900001", "deputy@northbridge.gov.uk", "#exercise-control":
		default:
			t.Errorf("sent to a non-participant: %s %q to %s", m.Type, m.Subject, m.Target)
		}
	}
	deliveries, err := e.Read().DeliveriesOfActivation(nil, id)
	if err != nil {
		t.Fatal(err)
	}
	withheld := map[string]bool{}
	for _, d := range deliveries {
		if d.State == state.DeliveryWithheld {
			withheld[d.Target] = true
		}
	}
	for _, target := range []string{"#public-updates", "partner@police.example", "chief@northbridge.gov.uk", "+447700900009"} {
		if !withheld[target] {
			t.Errorf("no withheld delivery to %s recorded; withheld: %v", target, withheld)
		}
	}
	inject, _ := e.Read().Message(nil, OccurrenceID(id, "rumour", 1))
	if inject == nil || inject.State != state.MessageWithheld {
		t.Errorf("an inject to non-participants only: %+v, want withheld", inject)
	}
}

func TestCanReach(t *testing.T) {
	for _, tc := range []struct {
		bounds   string
		exercise bool
		want     string
	}{
		{bounds: "redirect: [drill]", exercise: true, want: "slack: 1 Slack user or channel: #exercise-control (drill)"},
		{bounds: "participants: [officer]", exercise: true, want: "email: 1 address: officer@northbridge.gov.uk (officer)|" +
			"slack: 1 Slack user or channel: U04OFFICER1 (officer)|sms: 1 phone: +447700900001 (officer)"},
		{bounds: "redirect: [drill]", exercise: false, want: "email: 4 addresses: partner@police.example (partners), chief@northbridge.gov.uk (partners), " +
			"officer@northbridge.gov.uk (officer), deputy@northbridge.gov.uk (deputy)|" +
			"slack: 4 Slack users and channels: #public-updates (public), #exercise-control (drill), U04OFFICER1 (officer), #comms-approvals (approvals channel)|" +
			"sms: 2 phones: +447700900001 (officer), +447700900009 (chief)"},
	} {
		rb, err := runbooks.Parse("sealed.yaml", []byte(strings.Replace(sealedRunbook, "%s", tc.bounds, 1)))
		if err != nil {
			t.Fatal(err)
		}
		r := CanReach(rb, nil, tc.exercise, "#comms-approvals")
		if got := strings.Join(r.Lines(), "|"); got != tc.want || r.Sealed != tc.exercise {
			t.Errorf("%s (exercise %v):\n got %s (sealed %v)\nwant %s", tc.bounds, tc.exercise, got, r.Sealed, tc.want)
		}
	}
}

// An edit that makes a message too long for the texts it is sent as is
// refused, saying why; one that fits is taken.
func TestEditTooLongForATextIsRefused(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	id := ActivationID(apply(t, e, &Activate{Source: []byte(strings.Replace(sealedRunbook, "%s", "redirect: [drill]", 1)),
		SourceName: "sealed.yaml", Mode: "live"}))
	s.RunInstant(context.Background(), clock, start)
	statement := OccurrenceID(id, "statement", 1)
	_, err := e.Apply(context.Background(), &Edit{Message: statement, By: "deputy", Body: strings.Repeat("flood ", 171) + "xxxx"})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "as edited it is 1041 characters (subject and body); GOV.UK Notify takes at most 918") {
		t.Errorf("a 1,030-character edit: %v", err)
	}
	apply(t, e, &Edit{Message: statement, By: "deputy", Body: "We are aware of an incident in the town centre."})
}

// People, not posts: two officers sharing the duty mailbox are two
// approvers, and four eyes is about the person who wrote the words.
func TestTwoPeopleBehindOneMailboxApproveAsTwo(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	src := strings.Replace(sealedRunbook, "%s", "redirect: [drill]", 1)
	src = strings.Replace(src, "approval: {approvers: [role:comms], within: 5m, escalate_to: [chief]}", "approval: {approvers: [role:comms], min: 2}", 1)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(src), SourceName: "sealed.yaml", Mode: "live"}))
	s.RunInstant(context.Background(), clock, start)
	statement := OccurrenceID(id, "statement", 1)
	as := func(person string) Meta { return Meta{Actor: person} }
	const mailbox = "deputy@northbridge.gov.uk"
	apply(t, e, &Edit{Meta: as("Dev Duty"), Message: statement, By: mailbox, Body: "We are aware of an incident in the town centre."})
	if _, err := e.Apply(context.Background(), &Approve{Meta: as("Dev Duty"), Message: statement, By: mailbox}); err == nil || !strings.Contains(err.Error(), "four eyes: Dev Duty wrote revision 2") {
		t.Errorf("the editor approving their own words: %v", err)
	}
	apply(t, e, &Approve{Meta: as("Dina Duty"), Message: statement, By: mailbox})
	if _, err := e.Apply(context.Background(), &Approve{Meta: as("Dina Duty"), Message: statement, By: mailbox}); err == nil || !strings.Contains(err.Error(), "Dina Duty has already approved") {
		t.Errorf("the same person approving twice: %v", err)
	}
	apply(t, e, &Approve{Meta: as("Sam Standby"), Message: statement, By: mailbox})
	m, _ := e.Read().Message(nil, statement)
	approvals, _ := e.Read().ApprovalsOf(nil, statement)
	if m.State != state.MessageDispatching || len(approvals) != 2 || approvals[0].Person != "Dina Duty" || approvals[1].Person != "Sam Standby" || approvals[0].By != "deputy" {
		t.Errorf("after two people behind one mailbox approved: %s %+v", m.State, approvals)
	}
}
