package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

const rumoured = `version: 1
id: rumoured
title: After the attack
stakeholders:
  - {id: alex, name: Alex Morgan, roles: [comms], email: alex@northbridge.example}
  - {id: sam, name: Sam Patel, roles: [comms], email: sam@northbridge.example}
channels:
  - {id: website, type: log}
audiences:
  - {id: residents, kind: public, channels: [website]}
rumours: {approvers: [role:comms], min: 1, correct_within: 1h}
steps:
  - {id: s, title: S, at: 24h, notify: {to: [residents], subject: S, body: B}}
`

// A rumour logged, assessed false, corrected, approved and sent: the
// register and the report say when, and that it was within the hour.
func TestARumourIsCorrected(t *testing.T) {
	e, clock := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(rumoured), SourceName: "r.yaml", Mode: "live"}))
	index := apply(t, e, &LogRumour{Meta: Meta{Actor: "Nadia Rahman"}, Activation: id, Summary: "The attacker worshipped at the Eastgate mosque",
		Where: "Facebook group Northbridge Chat", Communities: []string{"Muslim"}})
	rumour := RumourID(id, index)
	if _, err := e.Apply(context.Background(), &AssessRumour{Rumour: rumour, Verdict: "wrong"}); err == nil {
		t.Error("a verdict off the list was accepted")
	}
	apply(t, e, &AssessRumour{Meta: Meta{Actor: "Alex Morgan"}, Rumour: rumour, Verdict: "false", Note: "Police: no one identified"})
	clock.Set(start.Add(20 * time.Minute))
	msg := AdHocID(id, apply(t, e, &WriteMessage{Meta: Meta{Actor: "Alex Morgan"}, Activation: id, By: "alex@northbridge.example",
		To: []string{"residents"}, Subject: "Correction", Body: "No one has been identified. Please do not share rumours.", Rumour: rumour}))
	if _, err := e.Apply(context.Background(), &Approve{Meta: Meta{Actor: "Alex Morgan"}, Message: msg, By: "alex@northbridge.example"}); err == nil {
		t.Error("the writer approved their own correction")
	}
	clock.Set(start.Add(35 * time.Minute))
	apply(t, e, &Approve{Meta: Meta{Actor: "Sam Patel"}, Message: msg, By: "sam@northbridge.example"})
	r, _ := e.Read().Rumour(nil, rumour)
	if r.Verdict != "false" || r.Correction != msg || !r.CorrectedAt.Equal(start.Add(35*time.Minute)) {
		t.Fatalf("the register holds %+v", r)
	}
	rep, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	x := rep.Rumours[0]
	if x.TimeToCorrectionSeconds == nil || *x.TimeToCorrectionSeconds != 35*60 || x.Met == nil || !*x.Met {
		t.Errorf("the report's rumour: %+v", x)
	}
	var md strings.Builder
	rep.Markdown(&md)
	if !strings.Contains(md.String(), "| The attacker worshipped at the Eastgate mosque | false | 10:35 | 35m | met (1h) |") {
		t.Errorf("the report:\n%s", md.String())
	}
	if m, _ := e.Read().Message(nil, msg); m.State == state.MessagePendingApproval {
		t.Error("the correction is still held")
	}
}

// A rumour still uncorrected when correct_within passes is escalated to
// the rumours section's escalate_to, once a round, until its correction
// goes out; a rumour found true is not chased.
func TestALateCorrectionIsEscalated(t *testing.T) {
	src := strings.Replace(rumoured, "correct_within: 1h}", "correct_within: 1h, escalate_to: [head]}", 1)
	src = strings.Replace(src, "stakeholders:\n", "stakeholders:\n  - {id: head, name: Head of Communications, email: head@northbridge.example}\n", 1)
	e, clock := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(src), SourceName: "r.yaml", Mode: "live"}))
	late := RumourID(id, apply(t, e, &LogRumour{Activation: id, Summary: "The leisure centre is closing for good"}))
	true_ := RumourID(id, apply(t, e, &LogRumour{Activation: id, Summary: "The road by the park is shut"}))
	apply(t, e, &AssessRumour{Rumour: true_, Verdict: "true", Note: "Police cordon"})
	if got := strings.Join(due(t, e, id), " "); got != "rumour#1@1h0m0s s#1@24h0m0s" {
		t.Fatalf("due: %s", got)
	}
	clock.Set(start.Add(time.Hour))
	apply(t, e, &Fire{Occurrence: late + "/" + checkCorrection + "/1"})
	ds, _ := e.Read().DeliveriesOfActivation(nil, id)
	if len(ds) != 1 || ds[0].Target != "head@northbridge.example" {
		t.Fatalf("deliveries: %+v", ds)
	}
	m, _ := e.Read().Message(nil, ds[0].MessageID)
	if rev := m.Revisions[0]; rev.Subject != "Overdue: the correction of the rumour “The leisure centre is closing for good”" ||
		!strings.Contains(rev.Body, "was due within 1h and is now overdue") || !strings.Contains(rev.Body, "Still waiting for: Alex Morgan (alex), Sam Patel (sam)") {
		t.Errorf("the notice: %q\n%s", rev.Subject, rev.Body)
	}
	clock.Set(start.Add(70 * time.Minute))
	msg := AdHocID(id, apply(t, e, &WriteMessage{Meta: Meta{Actor: "Alex Morgan"}, Activation: id, By: "alex@northbridge.example",
		To: []string{"residents"}, Subject: "Correction", Body: "The leisure centre stays open.", Rumour: late}))
	apply(t, e, &Approve{Meta: Meta{Actor: "Sam Patel"}, Message: msg, By: "sam@northbridge.example"})
	if got := strings.Join(due(t, e, id), " "); got != "s#1@24h0m0s" {
		t.Errorf("still due once corrected: %s", got)
	}
	rep, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Escalations) != 1 || rep.Escalations[0].Reason != state.EscalationCorrectionOverdue || len(rep.StillWaiting) != 0 {
		t.Errorf("the report's escalations: %+v; still waiting: %+v", rep.Escalations, rep.StillWaiting)
	}
}
