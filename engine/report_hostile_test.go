package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// Hostile text entered where people and runbooks enter it (a runbook's
// titles and names, params, an edited message, a delivery's error, a
// rejection, a decision, a stand-down) leaves the report with the shape
// the same activation has with plain text.
func TestHostileTextThroughTheEngine(t *testing.T) {
	var texts []string
	for _, h := range hostile {
		if strings.TrimSpace(h) != "" {
			texts = append(texts, h)
		}
	}
	for round := range texts {
		text := func(i int) string { return texts[(round+i)%len(texts)] }
		md := reportOfRun(t, text)
		checkShape(t, md, reportOfRun(t, func(int) string { return "plain" }))
		if t.Failed() {
			t.Fatalf("round %d, Markdown:\n%s", round, md)
		}
	}
}

func reportOfRun(t *testing.T, text func(int) string) string {
	t.Helper()
	ctx := context.Background()
	e, clock := newEngine(t, nil)
	s, err := NewScheduler(e, clock, quiet())
	if err != nil {
		t.Fatal(err)
	}
	// A runbook's text is on one line in YAML; JSON's quoting is YAML's.
	line := func(i int) string {
		q, _ := json.Marshal(strings.Join(strings.Fields(text(i)), " "))
		return string(q)
	}
	src := strings.NewReplacer(
		"title: Smallest useful runbook", "title: "+line(0),
		"name: Duty communications officer", "name: "+line(1),
		"title: Holding statement", "title: "+line(2),
	).Replace(string(readRunbook(t, "minimal.good.yaml")))
	id := ActivationID(apply(t, e, &Activate{Source: []byte(src), SourceName: "m.yaml", Mode: "live",
		Params: map[string]string{"venue": text(3)}}))
	s.RunInstant(ctx, clock, start)
	deliveries, _ := e.Read().DeliveriesOf(nil, OccurrenceID(id, "declare", 1))
	var outcomes []Outcome
	for i, d := range deliveries {
		outcome := Outcome{Delivery: d.ID, State: state.DeliverySent}
		if i == 0 {
			outcome = Outcome{Delivery: d.ID, State: state.DeliveryFailed, Error: text(4)}
		}
		outcomes = append(outcomes, outcome)
	}
	apply(t, e, &RecordOutcomes{Meta: Meta{Actor: "dispatcher"}, Outcomes: outcomes})
	s.RunInstant(ctx, clock, start.Add(30*time.Minute))
	holding := OccurrenceID(id, "holding", 1)
	apply(t, e, &Edit{Meta: Meta{Actor: text(5)}, Message: holding, By: "duty.comms@northbridge.gov.uk",
		Subject: text(6), Body: text(7) + "\n" + text(8)})
	apply(t, e, &Reject{Meta: Meta{Actor: text(9)}, Message: holding, By: "head-comms", Reason: text(10)})
	apply(t, e, &RecordDecision{Meta: Meta{Actor: text(11)}, Activation: id, Decision: text(12), Rationale: text(13), Information: text(14)})
	apply(t, e, &StandDown{Meta: Meta{Actor: text(15)}, Activation: id, Reason: text(16)})
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	return markdownOf(t, r)
}
