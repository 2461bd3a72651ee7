package server

import (
	"context"
	"strings"
	"testing"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/examples"
)

// Before approving a text to the vulnerable residents' list, a comms
// officer reads how many people it goes to, not "1 person".
func TestAListIsCountedByItsPeople(t *testing.T) {
	ctx := context.Background()
	e := examplesEngine(t, ctx)
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	_, src, file, _ := lib.Get("flood-warning")
	index, err := e.Apply(ctx, &engine.Activate{Source: src, SourceName: file, Mode: "live",
		Params: map[string]string{"warning_area": "Riverside"}})
	if err != nil {
		t.Fatal(err)
	}
	occ := engine.OccurrenceID(engine.ActivationID(index), "vulnerable-residents-text", 1)
	if _, err := e.Apply(ctx, &engine.Fire{Occurrence: occ}); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Engine: e, Library: lib})
	m, _ := e.Read().Message(nil, occ)
	r := s.recipientsOf(m, nil)
	if r == nil || r.Counts != "300 people by text" || r.Short != "300 people" || len(r.People) != 1 || !strings.HasPrefix(r.People[0], "Vulnerable residents (") || !strings.HasSuffix(r.People[0], " (300 people)") {
		t.Errorf("the text goes to %+v", r)
	}
}

// A delivery to a list says how far it has got, in rows.
func TestAListDeliverySaysHowFarItHasGot(t *testing.T) {
	going := deliveryView{State: "pending", List: "vulnerable", Rows: &rowsView{Rows: 300, Contacts: 280, Sent: 119, Failed: 1}}
	if got := going.Words(); got != "being sent: 120 of 280 done so far" {
		t.Errorf("while sending: %q", got)
	}
	done := deliveryView{State: "sent", List: "vulnerable", Rows: &rowsView{Rows: 300, Contacts: 280, Sent: 280}}
	if got := done.Words(); got != "280 of 280 sent" {
		t.Errorf("once sent: %q", got)
	}
}
