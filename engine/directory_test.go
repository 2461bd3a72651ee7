package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// northbridge has a duty comms rota handing over daily at 09:00 London
// time, across the end of summer time on Sunday 25 October 2026, with Dee
// covering from noon on the 26th.
const northbridge = `kind: directory
version: 1
timezone: Europe/London
organisations:
  - {id: nbc, name: Northbridge Council}
  - {id: police, name: Northbridge Police}
people:
  - {id: asha, name: Asha Patel, organisation: nbc, email: asha@northbridge.example, slack: U0ASHA001}
  - {id: bryn, name: Bryn Evans, organisation: nbc, email: bryn@northbridge.example}
  - {id: dee, name: Dee Khan, organisation: nbc, email: dee@northbridge.example}
  - {id: chen, name: Chen Li, organisation: police, email: chen@police.example}
rotas:
  - id: duty-comms
    name: Duty communications officer
    people: [asha, bryn]
    start: 2026-10-24
    handover: "09:00"
    overrides:
      - {person: dee, from: "2026-10-26 12:00", until: "2026-10-27 09:00"}
`

const pointing = `version: 1
id: pointing
title: Points into the directory
stakeholders:
  - {id: duty, roles: [approver], rota: duty-comms}
  - {id: head, roles: [approver], person: dee}
channels:
  - {id: log, type: log}
steps:
  - {id: first, title: First, at: 0s, notify: {to: [duty], subject: First, body: One}}
  - {id: second, title: Second, at: 24h, notify: {to: [duty], subject: Second, body: Two}}
  - {id: third, title: Third, at: 50h, notify: {to: [duty], subject: Third, body: Three}}
  - id: joint
    title: Joint statement
    at: 0s
    notify:
      to: [log]
      body: Joint
      approval: {approvers: [duty, head, "person:chen"], min: 2, organisations: [nbc, police]}
`

func directoryEngine(t *testing.T, at time.Time) (*Engine, *VirtualClock, string) {
	t.Helper()
	clock := NewVirtualClock(at)
	e, err := Open(context.Background(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, e, &SetDirectory{Meta: Meta{Actor: "planner@northbridge.example"}, Source: []byte(northbridge), Name: "directory.yaml", FileSHA256: "x"})
	id := ActivationID(apply(t, e, &Activate{Source: []byte(pointing), SourceName: "p.yaml", Mode: "live"}))
	return e, clock, id
}

func TestARotaReachesWhoeverIsOnDutyWhenTheStepFires(t *testing.T) {
	// 10:00 UTC on Saturday 24 October is 11:00 summer time: Asha's turn.
	e, clock, id := directoryEngine(t, time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		step string
		at   time.Duration
		want string
	}{
		{"first", 0, "asha@northbridge.example U0ASHA001"},
		{"second", 24 * time.Hour, "bryn@northbridge.example"}, // 10:00 GMT on the 25th: the 09:00 GMT handover has passed
		{"third", 50 * time.Hour, "dee@northbridge.example"},   // noon on the 26th: Dee's cover begins
	} {
		clock.Set(time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC).Add(tc.at))
		occ := OccurrenceID(id, tc.step, 1)
		if tc.at > 0 { // the first fired with the activation
			apply(t, e, &Fire{Occurrence: occ})
		}
		ds, _ := e.Read().DeliveriesOf(nil, occ)
		var got []string
		for _, d := range ds {
			got = append(got, d.Target)
			if d.Stakeholder != "duty" || d.Person == "" {
				t.Errorf("%s: delivery %+v does not say who it reached", tc.step, d)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s reached %q, want %q", tc.step, strings.Join(got, " "), tc.want)
		}
	}
	events, _ := e.Read().EventsOf(nil, id)
	var duty []string
	for _, ev := range events {
		if ev.Kind == "on_duty" {
			duty = append(duty, ev.Detail)
		}
	}
	// Asha twice: the joint statement, due at the start too, asks the duty.
	want := "Duty communications officer: Asha Patel (asha) on duty|Duty communications officer: Asha Patel (asha) on duty|" +
		"Duty communications officer: Bryn Evans (bryn) on duty|Duty communications officer: Dee Khan (dee) on duty"
	if strings.Join(duty, "|") != want {
		t.Errorf("the record says\n%s\nwant\n%s", strings.Join(duty, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}

func TestAJointStatementWaitsForEachOrganisation(t *testing.T) {
	e, _, id := directoryEngine(t, time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC))
	joint := OccurrenceID(id, "joint", 1) // due at the start: fired with the activation
	// Those who can sign for the council and the police are asked
	// directly: the rota's person on duty, Dee, and Chen.
	notices, _ := e.Read().DeliveriesOf(nil, joint+"/sign-off/r1")
	var asked []string
	for _, d := range notices {
		asked = append(asked, d.Target)
	}
	if got := strings.Join(asked, " "); got != "U0ASHA001 dee@northbridge.example chen@police.example" {
		t.Errorf("sign-off asked of %q", got)
	}
	// Two council approvals meet min, but the police have not signed.
	apply(t, e, &Approve{Meta: Meta{Actor: "Asha Patel"}, Message: joint, By: "asha@northbridge.example"})
	apply(t, e, &Approve{Meta: Meta{Actor: "Dee Khan"}, Message: joint, By: "dee@northbridge.example"})
	if m, _ := e.Read().Message(nil, joint); m.State != state.MessagePendingApproval {
		t.Fatalf("after two council approvals the joint statement is %s, want held for the police", m.State)
	}
	events, _ := e.Read().EventsOf(nil, id)
	if last := events[len(events)-1]; !strings.Contains(last.Detail, "still to sign: Northbridge Police") {
		t.Errorf("the record does not say who is still to sign: %q", last.Detail)
	}
	apply(t, e, &Approve{Meta: Meta{Actor: "Chen Li"}, Message: joint, By: "chen@police.example"})
	m, _ := e.Read().Message(nil, joint)
	if m.State == state.MessagePendingApproval {
		t.Fatal("the police officer's approval did not release the joint statement")
	}
	approvals, _ := e.Read().ApprovalsOf(nil, joint)
	var signed []string
	for _, a := range approvals {
		signed = append(signed, a.Person+"="+a.Organisation)
	}
	if got := strings.Join(signed, " "); got != "Asha Patel=nbc Dee Khan=nbc Chen Li=police" {
		t.Errorf("signed for: %s", got)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"approved revision 1 by Chen Li, signing for Northbridge Police at",
		"approval 2 of 3, by Dee Khan, signing for Northbridge Council; still to sign: Northbridge Police",
		"approval 3 of 3, by Chen Li, signing for Northbridge Police"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, md.String())
		}
	}
}

func TestAnyoneOnARotaMayActForIt(t *testing.T) {
	e, _, id := directoryEngine(t, time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC))
	joint := OccurrenceID(id, "joint", 1)
	// Bryn is not on duty, but is on the rota: the approval counts.
	if _, err := e.Apply(context.Background(), &Approve{Meta: Meta{Actor: "Bryn Evans"}, Message: joint, By: "bryn@northbridge.example"}); err != nil {
		t.Fatalf("Bryn, on the rota, may not approve: %v", err)
	}
	// Someone on no rota and in no step is refused.
	if _, err := e.Apply(context.Background(), &Approve{Meta: Meta{Actor: "Zed"}, Message: joint, By: "zed@northbridge.example"}); err == nil {
		t.Error("someone outside the directory approved")
	}
}

func TestTheDirectoryComesBackWithTheRecord(t *testing.T) {
	e, _, _ := directoryEngine(t, time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC))
	var snap strings.Builder
	if err := e.WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	back, err := Open(context.Background(), Options{Clock: NewVirtualClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Restore(strings.NewReader(snap.String())); err != nil {
		t.Fatal(err)
	}
	rec := back.DirectoryRecord()
	if rec == nil || rec.FileSHA256 != "x" || rec.By != "planner@northbridge.example" || back.Directory() == nil {
		t.Fatalf("the directory did not come back with the snapshot: %+v", rec)
	}
	if _, ok := back.Directory().Person("chen"); !ok {
		t.Error("the restored directory has lost its people")
	}
}

func TestAnActivationPointingNowhereIsRefused(t *testing.T) {
	e, _, _ := directoryEngine(t, time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC))
	ghost := strings.Replace(pointing, "person: dee", "person: ghost", 1)
	_, err := e.Apply(context.Background(), &Activate{Source: []byte(ghost), SourceName: "p.yaml", Mode: "live"})
	if err == nil || !strings.Contains(err.Error(), `p.yaml:6:`) || !strings.Contains(err.Error(), `the directory has no person "ghost"`) {
		t.Errorf("activating a runbook pointing at nobody: %v", err)
	}
}

// A person who reads Welsh is sent the Welsh translation, when the
// message carries one, instead of the English.
func TestAPersonIsSentTheirLanguage(t *testing.T) {
	welsh := strings.Replace(northbridge, "email: bryn@northbridge.example}", "email: bryn@northbridge.example, language: cy}", 1)
	src := `version: 1
id: welsh
title: Welsh
stakeholders:
  - {id: bryn, person: bryn}
  - {id: asha, person: asha}
channels:
  - {id: log, type: log}
steps:
  - id: tell
    title: Tell
    at: 0s
    notify:
      to: [bryn, asha]
      subject: Flood
      body: Flood warning.
      translations:
        cy: {subject: Llifogydd, body: Rhybudd llifogydd.}
`
	e, err := Open(context.Background(), Options{Clock: NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, e, &SetDirectory{Source: []byte(welsh), Name: "directory.yaml"})
	id := ActivationID(apply(t, e, &Activate{Source: []byte(src), SourceName: "w.yaml", Mode: "live"}))
	occ := OccurrenceID(id, "tell", 1)
	ds, _ := e.Read().DeliveriesOf(nil, occ)
	var got []string
	for _, d := range ds {
		got = append(got, d.Target+"="+d.Language)
	}
	if strings.Join(got, " ") != "bryn@northbridge.example=cy asha@northbridge.example= U0ASHA001=" {
		t.Errorf("deliveries: %v", got)
	}
}

// Dee is the head (person: dee) and covers the duty rota: her approval is
// the head's, the post she holds, not the rota's she stands in for.
func TestASignOffIsCreditedToThePostHeld(t *testing.T) {
	e, _, id := directoryEngine(t, time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC))
	joint := OccurrenceID(id, "joint", 1)
	apply(t, e, &Approve{Meta: Meta{Actor: "Dee Khan"}, Message: joint, By: "dee@northbridge.example"})
	approvals, _ := e.Read().ApprovalsOf(nil, joint)
	if len(approvals) != 1 || approvals[0].By != "head" {
		t.Errorf("Dee's approval is recorded as %+v, want by head", approvals[0])
	}
}
