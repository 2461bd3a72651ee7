package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// One correction at a time: a second while the first waits for approval
// is refused, naming the first; once that is rejected a new one may be
// written; the register keeps the correction that went out, with when it
// did, and a further one (to another audience) does not change them.
func TestTheRegisterKeepsTheCorrectionThatWentOut(t *testing.T) {
	e, clock := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(rumoured), SourceName: "r.yaml", Mode: "live"}))
	rumour := RumourID(id, apply(t, e, &LogRumour{Meta: Meta{Actor: "Nadia Rahman"}, Activation: id, Summary: "The bridge has collapsed"}))
	apply(t, e, &AssessRumour{Meta: Meta{Actor: "Alex Morgan"}, Rumour: rumour, Verdict: "false"})
	write := func(body string) (string, error) {
		index, err := e.Apply(context.Background(), &WriteMessage{Meta: Meta{Actor: "Alex Morgan"}, Activation: id, By: "alex@northbridge.example",
			To: []string{"residents"}, Subject: "Correction", Body: body, Rumour: rumour})
		return AdHocID(id, index), err
	}
	first, err := write("The bridge is open.")
	if err != nil {
		t.Fatal(err)
	}
	_, err = write("The bridge is open and safe.")
	if err == nil || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "waiting for approval") || !strings.Contains(err.Error(), "edit that one") {
		t.Fatalf("a second correction while %s waits: %v", first, err)
	}
	apply(t, e, &Reject{Meta: Meta{Actor: "Sam Patel"}, Message: first, By: "sam@northbridge.example", Reason: "say when it reopened"})
	second, err := write("The bridge reopened at 9am.")
	if err != nil {
		t.Fatalf("a new correction after the first was rejected: %v", err)
	}
	if r, _ := e.Read().Rumour(nil, rumour); r.Correction != second || !r.CorrectedAt.IsZero() {
		t.Errorf("after the rewrite the register holds %s corrected at %v; want %s, not yet corrected", r.Correction, r.CorrectedAt, second)
	}
	clock.Set(start.Add(30 * time.Minute))
	apply(t, e, &Approve{Meta: Meta{Actor: "Sam Patel"}, Message: second, By: "sam@northbridge.example"})
	clock.Set(start.Add(50 * time.Minute))
	third, err := write("Reminder: the bridge is open.")
	if err != nil {
		t.Fatalf("a further correction after one went out: %v", err)
	}
	clock.Set(start.Add(55 * time.Minute))
	apply(t, e, &Approve{Meta: Meta{Actor: "Sam Patel"}, Message: third, By: "sam@northbridge.example"})
	r, _ := e.Read().Rumour(nil, rumour)
	if r.Correction != second || !r.CorrectedAt.Equal(start.Add(30*time.Minute)) {
		t.Errorf("the register holds %s corrected at %v; want %s, at %v", r.Correction, r.CorrectedAt, second, start.Add(30*time.Minute))
	}
}
