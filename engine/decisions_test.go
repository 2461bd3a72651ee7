package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crierhq/crier/engine/state"
)

// A decision taken on a revision someone has since replaced is refused,
// naming who saved the newer one; one that does not say which revision
// it saw (an older record, an API client) is taken as before.
func TestDecisionsOnAStaleRevisionAreRefused(t *testing.T) {
	e, _, _, msg := firedBilingual(t, "live")
	ctx := context.Background()
	apply(t, e, &Edit{Meta: Meta{Actor: "Alex Morgan"}, Message: msg, Revision: 1, By: "comms", Body: "Closed until 6pm.", Withhold: []string{"cy", "pl"}})
	stale := "Alex Morgan saved revision 2 since you opened revision 1: read it, then decide again"
	for _, c := range []Command{
		&Edit{Meta: Meta{Actor: "Sam Lee"}, Message: msg, Revision: 1, By: "head", Body: "Closed until 7pm.", Withhold: []string{"cy", "pl"}},
		&Reject{Meta: Meta{Actor: "Sam Lee"}, Message: msg, Revision: 1, By: "head", Reason: "wrong time"},
		&Approve{Meta: Meta{Actor: "Sam Lee"}, Message: msg, Revision: 1, By: "head"},
	} {
		if _, err := e.Apply(ctx, c); err == nil || err.Error() != stale {
			t.Errorf("%s on a stale revision: %v", c.Kind(), err)
		}
	}
	m, _ := e.Read().Message(nil, msg)
	if m.State != state.MessagePendingApproval || m.Current().N != 2 || m.Current().Body != "Closed until 6pm." {
		t.Fatalf("a stale decision changed the message: %s, revision %d %q", m.State, m.Current().N, m.Current().Body)
	}
	apply(t, e, &Reject{Meta: Meta{Actor: "Sam Lee"}, Message: msg, Revision: 2, By: "head", Reason: "say the road"})
	// A re-draft on the revision seen; then another on the same, stale.
	apply(t, e, &Redraft{Message: msg, Revision: 2, By: "head", Body: "High Street closed until 6pm.", Withhold: []string{"cy", "pl"}})
	_, err := e.Apply(ctx, &Redraft{Meta: Meta{Actor: "Alex Morgan"}, Message: msg, Revision: 2, By: "comms", Body: "Closed.", Withhold: []string{"cy", "pl"}})
	if err == nil || err.Error() != "Head of comms saved revision 3 since you opened revision 2: read it, then decide again" {
		t.Errorf("a stale re-draft: %v", err)
	}
	// Not saying which revision: as before.
	apply(t, e, &Edit{Message: msg, By: "comms", Body: "High Street closed until 7pm.", Withhold: []string{"cy", "pl"}})
	if m, _ := e.Read().Message(nil, msg); m.Current().N != 4 {
		t.Errorf("an edit that does not say which revision it saw: revision %d", m.Current().N)
	}
}

// An ad-hoc message asks no more approvals than there are approvers other
// than its writer; one only its writer could approve is not written.
func TestAnAdHocMessageCanBeApproved(t *testing.T) {
	src := strings.Replace(bilingual, "approval: {approvers: [role:approver], within: 15m}", "approval: {approvers: [role:approver], min: 2, within: 15m}", 1)
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(src), SourceName: "b.yaml", Mode: "live"}))
	rb, _ := e.Runbook(id)
	if _, least := AdHocApprovers(rb, nil, []string{"residents"}, ""); least != 2 {
		t.Errorf("written by no approver: min %d, want the statement's 2", least)
	}
	if _, least := AdHocApprovers(rb, nil, []string{"residents"}, "comms@northbridge.gov.uk"); least != 1 {
		t.Errorf("written by one of the two approvers: min %d, want 1", least)
	}
	msg := AdHocID(id, apply(t, e, &WriteMessage{Meta: Meta{Actor: "Alex Morgan"}, Activation: id, By: "comms", To: []string{"residents"},
		Subject: "Correction", Body: "The road reopens at 5pm."}))
	apply(t, e, &Approve{Meta: Meta{Actor: "Sam Lee"}, Message: msg, By: "head"})
	if m, _ := e.Read().Message(nil, msg); m.State == state.MessagePendingApproval {
		t.Errorf("approved by the one other approver, the message still waits: %+v", m)
	}
	// The media brief's only approver is head: head may not write to the media.
	_, err := e.Apply(context.Background(), &WriteMessage{Meta: Meta{Actor: "Sam Lee"}, Activation: id, By: "head", To: []string{"media"},
		Subject: "Briefing", Body: "At 5pm."})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "only you may approve a message to media") {
		t.Errorf("a message only its writer could approve: %v", err)
	}
}
