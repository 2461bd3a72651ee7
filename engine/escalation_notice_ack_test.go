package engine

import (
	"context"
	"errors"
	"testing"
	"time"
)

// An escalation notice is read, not acknowledged (engine.md): the deputy
// told that the officer has not acknowledged the alert cannot acknowledge
// the notice, and nothing about the notice is recorded as acknowledged.
func TestEscalationNoticeIsNotAcknowledged(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	d := deliverer(t, e, &bouncer{})
	id := ActivationID(apply(t, e, &Activate{Source: []byte(policyRunbook), SourceName: "p.yaml", Mode: "live"}))
	alert := OccurrenceID(id, "alert", 1)
	s.RunInstant(context.Background(), clock, start)
	if err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.RunInstant(context.Background(), clock, start.Add(20*time.Minute))
	if err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	notice := alert + "/ack_check/1"
	if m, _ := e.Read().Message(nil, notice); m == nil {
		t.Fatalf("no escalation notice %s", notice)
	}
	_, err := e.Apply(context.Background(), &Acknowledge{Subject: notice, By: "deputy", Via: "api"})
	if err == nil || !errors.Is(err, ErrNotAllowed) {
		t.Errorf("the deputy acknowledging the escalation notice %s: %v; want refused", notice, err)
	}
	if acks, _ := e.Read().AcknowledgementsOf(nil, notice); len(acks) != 0 {
		t.Errorf("acknowledgements of an escalation notice recorded: %+v", acks)
	}
}
