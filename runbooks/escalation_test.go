package runbooks

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const escalationRunbook = `version: 1
id: chains
title: Escalation chains
escalation:
  reminders: 1
stakeholders:
  - {id: officer, name: Duty officer, roles: [comms], phone: "+447700900001"}
  - {id: deputy, name: Deputy, email: deputy@example.org}
  - {id: director, name: Director, email: director@example.org}
  - {id: chief, name: Chief executive, email: chief@example.org}
channels:
  - {id: log, type: log}
steps:
  - id: bare
    title: A bare deadline
    at: 0s
    task: {assignee: officer, instructions: x, ack_within: 15m}
  - id: one-level
    title: escalate_to is one level
    at: 0s
    notify: {to: [officer], body: x, ack_within: 30m, escalate_to: [deputy]}
  - id: chain
    title: Three levels, then reminders
    at: 0s
    notify:
      to: [log]
      body: x
      approval:
        approvers: [role:comms]
        within: 15m
        escalation:
          reminders: 2
          remind_after: 1h
          levels:
            - to: [deputy]
            - {after: 30m, to: [director]}
            - {after: 1h45m, to: [chief]}
  - id: texty
    title: Reminders to a phone every two minutes
    at: 0s
    task:
      assignee: officer
      instructions: x
      ack_within: 2m
`

func TestEscalationChains(t *testing.T) {
	rb, err := Parse("chains.yaml", []byte(escalationRunbook))
	if err != nil {
		t.Fatal(err)
	}
	offsets := func(c Chain) []string {
		var out []string
		for n := 1; n <= c.Rounds()+1; n++ {
			out = append(out, FormatDuration(c.Deadline+c.Offset(n)))
		}
		return out
	}
	for _, tc := range []struct {
		step, want string
		ack        bool
	}{
		// The runbook's reminders: 1 applies to every deadline that does not say.
		{step: "bare", ack: true, want: "levels=1 [15m 30m 1h]"},
		{step: "one-level", ack: true, want: "levels=1 [30m 1h 2h]"},
		// Levels from the deadline at 15m; reminders an hour, then two, after the last.
		{step: "chain", want: "levels=3 [15m 45m 2h 3h 5h 9h]"},
	} {
		s, _ := rb.Step(tc.step)
		c, ok := rb.AckChain(s)
		if !tc.ack {
			c, ok = rb.ApprovalChain(s)
		}
		if !ok {
			t.Fatalf("%s: no chain", tc.step)
		}
		got := fmt.Sprintf("levels=%d %v", len(c.Levels), offsets(c))
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.step, got, tc.want)
		}
	}
	s, _ := rb.Step("one-level")
	if c, _ := rb.AckChain(s); len(c.Level(1).To) != 1 || c.Level(1).To[0].Name != "deputy" || c.Level(3).To[0].Name != "deputy" {
		t.Errorf("escalate_to is one level, repeated by reminders: %+v", c.Levels)
	}
	s, _ = rb.Step("bare")
	if c, _ := rb.AckChain(s); c.Level(1).To != nil {
		t.Errorf("a bare deadline reminds whoever has not acted, got %+v", c.Level(1))
	}
	var warned []string
	for _, w := range rb.Warnings(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		warned = append(warned, w.String())
	}
	if len(warned) != 1 || !strings.Contains(warned[0], `reminders every 2m can text "officer"`) || !strings.Contains(warned[0], "chains.yaml:44:") {
		t.Errorf("want one warning about texting the officer every 2m at the deadline, got %q", warned)
	}
}

func TestDefaultChainSendsAtMostThreeNotices(t *testing.T) {
	src := strings.Replace(escalationRunbook, "escalation:\n  reminders: 1\n", "", 1)
	rb, err := Parse("chains.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bare", "one-level", "texty"} {
		s, _ := rb.Step(id)
		if c, _ := rb.AckChain(s); c.Rounds() != 3 {
			t.Errorf("%s: with no policy written, %d notices; want 3", id, c.Rounds())
		}
	}
}
