package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

const policyRunbook = `version: 1
id: policies
title: Escalation policies
stakeholders:
  - {id: officer, name: Duty officer, roles: [comms], slack: U04OFFICER1, email: officer@northbridge.gov.uk}
  - {id: deputy, name: Deputy head of comms, roles: [comms], email: deputy@northbridge.gov.uk}
  - {id: director, name: Director, roles: [exec], email: director@northbridge.gov.uk}
  - {id: chief, name: Chief executive, roles: [exec], email: chief@northbridge.gov.uk}
  - {id: partner, name: Police partner, email: bounced@police.example}
channels:
  - {id: log, type: log}
steps:
  - id: check-in
    title: Check in
    at: 0s
    task:
      assignee: officer
      instructions: Confirm you are on duty.
      ack_within: 15m
      escalation:
        reminders: 1
        remind_after: 1h
        levels:
          - to: [role:comms]
          - {after: 30m, to: [director]}
          - {after: 1h45m, to: [role:exec]}
  - id: alert
    title: Partner alert
    at: 0s
    notify: {to: [officer, partner], subject: Alert, body: Please acknowledge, ack_within: 15m, escalate_to: [deputy]}
`

// bouncer fails every delivery to one address for good, as a 550 does.
type bouncer struct{ recorder }

func (b *bouncer) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	if m.Target == "bounced@police.example" {
		return false, errors.New("550 5.1.1 no such mailbox")
	}
	return b.recorder.Notify(ctx, m)
}

// told lists an escalation's rounds as "offset round→people" and the
// chain's end as "offset exhausted: waiting".
func told(t *testing.T, e *Engine, subject string) []string {
	t.Helper()
	xs, err := e.Read().EscalationsAbout(nil, subject)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range xs {
		if x.Exhausted {
			out = append(out, x.At.Sub(start).String()+" exhausted: "+strings.Join(append(x.Waiting, x.Unreachable...), ","))
			continue
		}
		line := x.At.Sub(start).String() + " " + strings.Join(x.To, ",")
		if len(x.Unreachable) > 0 {
			line += " (unreachable: " + strings.Join(x.Unreachable, ",") + ")"
		}
		out = append(out, line)
	}
	return out
}

func TestEscalationLevelsThenRemindersThenStop(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	sent := &bouncer{}
	d := deliverer(t, e, sent)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(policyRunbook), SourceName: "p.yaml", Mode: "live"}))
	task := OccurrenceID(id, "check-in", 1)
	s.RunInstant(context.Background(), clock, start.Add(24*time.Hour))
	if err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Levels at 15m, 45m and 2h after the task opened, one reminder an hour
	// after the last, then the chain says it is done. The officer holds the
	// comms role of level 1 but is never told about their own delay.
	want := []string{
		"15m0s deputy",
		"45m0s director",
		"2h0m0s director,chief",
		"3h0m0s director,chief",
		"5h0m0s exhausted: officer",
	}
	if got := told(t, e, task); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("escalation of the task:\n got %q\nwant %q", got, want)
	}
	notices := map[string]int{}
	for _, m := range sent.got {
		if strings.HasPrefix(m.Message, task+"/") {
			notices[m.Target]++
		}
	}
	if notices["officer@northbridge.gov.uk"] != 0 || notices["U04OFFICER1"] != 0 || notices["chief@northbridge.gov.uk"] != 2 || notices["deputy@northbridge.gov.uk"] != 1 {
		t.Errorf("notices by address: %v", notices)
	}
	last, _ := e.Read().Message(nil, task+"/ack_check/4")
	if last == nil || last.Current().Subject != "Reminder 1 of 1, overdue: acknowledgement of task Check in" ||
		!strings.Contains(last.Current().Body, "This is the last notice crier sends about it.") ||
		!strings.Contains(last.Current().Body, "Still waiting for: Duty officer (officer).") {
		t.Errorf("last notice: %+v", last)
	}
	events, _ := e.Read().EventsOf(nil, id)
	var exhausted []string
	for _, ev := range events {
		if ev.Kind == state.EventEscalationExhausted && ev.Subject == task {
			exhausted = append(exhausted, ev.Detail)
		}
	}
	if len(exhausted) != 1 || !strings.HasSuffix(exhausted[0], "no more notices; still waiting: Duty officer (officer)") {
		t.Errorf("escalation_exhausted events: %q", exhausted)
	}
}

// A stakeholder every delivery failed to reach is escalated once as
// unreachable and not reminded; the chain ends when only they are left.
func TestUnreachableStakeholderEscalatedOnce(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	d := deliverer(t, e, &bouncer{})
	id := ActivationID(apply(t, e, &Activate{Source: []byte(policyRunbook), SourceName: "p.yaml", Mode: "live"}))
	alert := OccurrenceID(id, "alert", 1)
	s.RunInstant(context.Background(), clock, start)
	if err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.RunInstant(context.Background(), clock, start.Add(35*time.Minute))
	apply(t, e, &Acknowledge{Subject: alert, By: "officer"})
	s.RunInstant(context.Background(), clock, start.Add(24*time.Hour))
	want := []string{
		"15m0s deputy (unreachable: partner)",
		"30m0s deputy",
		"1h0m0s exhausted: partner",
	}
	if got := told(t, e, alert); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("escalation of the alert:\n got %q\nwant %q", got, want)
	}
	first, _ := e.Read().Message(nil, alert+"/ack_check/1")
	if first == nil || !strings.Contains(first.Current().Body, "Unreachable — every delivery to them failed: Police partner (partner).") {
		t.Errorf("first notice: %+v", first)
	}
}

// Only the addressee acknowledges: a task, whoever it is assigned to; a
// message, whoever it was sent to; an admin acting for them is recorded so.
func TestOnlyTheAddresseeAcknowledges(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	d := deliverer(t, e, &bouncer{})
	id := ActivationID(apply(t, e, &Activate{Source: []byte(policyRunbook), SourceName: "p.yaml", Mode: "live"}))
	s.RunInstant(context.Background(), clock, start)
	if err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	task, alert := OccurrenceID(id, "check-in", 1), OccurrenceID(id, "alert", 1)
	for _, tc := range []struct {
		subject, by, want string
	}{
		{task, "deputy@northbridge.gov.uk", "task " + task + " is assigned to officer, not deputy"},
		{task, "chief", "assigned to officer, not chief"},
		{alert, "U04NOBODY01", "is not a stakeholder"},
		{alert, "director", "director was not sent " + alert},
	} {
		_, err := e.Apply(context.Background(), &Acknowledge{Subject: tc.subject, By: tc.by, Via: "slack"})
		if err == nil || !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s acknowledging %s: %v; want refused with %q", tc.by, tc.subject, err, tc.want)
		}
	}
	apply(t, e, &Acknowledge{Subject: task, By: "U04OFFICER1", Via: "slack"})
	apply(t, e, &Acknowledge{Meta: Meta{Actor: "admin@northbridge.gov.uk"}, Subject: alert, By: "admin@northbridge.gov.uk", For: "officer", Via: "api"})
	acks, _ := e.Read().AcknowledgementsOf(nil, alert)
	if len(acks) != 1 || acks[0].Stakeholder != "officer" || !acks[0].For || acks[0].By != "admin@northbridge.gov.uk" {
		t.Errorf("an admin's acknowledgement for the officer: %+v", acks)
	}
}

// A week-long instant drill in which nobody acknowledges a partner alert
// sends each deadline's three notices and stops; with the simulated
// controller acknowledging, nothing is escalated at all.
func TestDrillEscalationIsBounded(t *testing.T) {
	src := strings.Replace(policyRunbook, "  - id: alert\n", `  - id: sitrep
    title: Situation report
    every: "@every 4h"
    until: 7d
    notify: {to: [officer, deputy, director], subject: Sitrep, body: Acknowledge the sitrep, ack_within: 15m}
  - id: alert
`, 1)
	for _, tc := range []struct {
		name    string
		noAck   bool
		notices int // most escalation deliveries
	}{
		// 41 sitreps to 3 people, 3 rounds each, one notice a person a
		// round; the alert's 3 rounds to the deputy.
		{name: "nobody acknowledges", noAck: true, notices: 41*3*3 + 3},
		{name: "the controller acknowledges", notices: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := &recorder{}
			e, id, err := Drill(context.Background(), DrillOptions{
				Source: []byte(src), SourceName: "p.yaml", Start: start, Instant: true, Horizon: 7 * 24 * time.Hour,
				ApproveAfter: 5 * time.Minute, AckAfter: 5 * time.Minute, NoAck: tc.noAck, Dispatch: to(sent), Log: quiet(),
			})
			if err != nil {
				t.Fatal(err)
			}
			var notices, reminders int
			perPerson := map[string]int{} // by deadline and person
			for _, m := range sent.got {
				if strings.Contains(m.Message, "_check/") {
					notices++
					about, _, _ := strings.Cut(m.Message, "_check/")
					if perPerson[about+" "+m.Stakeholder]++; perPerson[about+" "+m.Stakeholder] > 3 {
						t.Errorf("%s was sent more than 3 notices about %s", m.Stakeholder, about)
					}
				}
				if strings.Contains(m.Subject, "Reminder 3") {
					reminders++
				}
			}
			xs, _ := e.Read().EscalationsOf(nil, id)
			rounds := map[string]int{}
			for _, x := range xs {
				if !x.Exhausted {
					rounds[x.SubjectID]++
				}
			}
			for subject, n := range rounds {
				if n > 3 {
					t.Errorf("%s: %d notices, want at most 3 with no policy written", subject, n)
				}
			}
			if notices > tc.notices || reminders != 0 || (tc.noAck && notices == 0) || (!tc.noAck && len(rounds) > 0) {
				t.Errorf("%d escalation deliveries (at most %d), %d third reminders, rounds %v", notices, tc.notices, reminders, rounds)
			}
			t.Logf("%d deliveries in all, %d of them escalation notices", len(sent.got), notices)
		})
	}
}

// A round that fires late, as after crier was stopped, keeps its gap to the
// next: no two notices back to back, nor out of order.
func TestLateRoundKeepsItsGap(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	id := ActivationID(apply(t, e, &Activate{Source: []byte(policyRunbook), SourceName: "p.yaml", Mode: "live"}))
	s.RunInstant(context.Background(), clock, start)
	task := OccurrenceID(id, "check-in", 1)
	apply(t, e, &Fire{Meta: Meta{At: start.Add(3 * time.Hour)}, Occurrence: task + "/ack_check/1"})
	next, _ := e.Read().Occurrence(nil, task+"/ack_check/2")
	if next == nil || !next.DueAt.Equal(start.Add(3*time.Hour+30*time.Minute)) {
		t.Errorf("the round after one three hours late: %+v, want due 30 minutes after it", next)
	}
	notice, _ := e.Read().Message(nil, task+"/ack_check/1")
	if notice == nil || !strings.Contains(notice.Current().Body, "was due within 15m and is overdue by 2h 45m") {
		t.Errorf("late notice: %+v", notice)
	}
}
