package engine

import (
	"context"
	"strings"
	"testing"
)

const tense = `version: 1
id: tense
title: After the march
stakeholders:
  - {id: cohesion, name: Community Cohesion Manager, email: cohesion@northbridge.example}
  - {id: police, name: Police liaison, email: liaison@police.example}
channels:
  - {id: log, type: log}
tension: {escalate_to: [cohesion, police]}
steps:
  - {id: s, title: S, at: 24h, notify: {to: [log], subject: S, body: B}}
`

// Anyone records tension; a rise to 4 or more tells the runbook's
// tension.escalate_to once, not again while it stays high; the report
// carries the log.
func TestARiseInTensionIsTold(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(tense), SourceName: "t.yaml", Mode: "live"}))
	for _, c := range []RecordTension{
		{Area: "Eastgate", Community: "Muslim", Level: 2, Trend: "steady"},
		{Area: "Eastgate", Community: "Muslim", Level: 4, Trend: "rising", Note: "Leaflets outside the mosque"},
		{Area: "Eastgate", Community: "Muslim", Level: 5, Trend: "rising"},
	} {
		c.Meta, c.Activation = Meta{Actor: "Nadia Rahman"}, id
		apply(t, e, &c)
	}
	ds, _ := e.Read().DeliveriesOfActivation(nil, id)
	var told []string
	for _, d := range ds {
		told = append(told, d.Target)
	}
	if strings.Join(told, " ") != "cohesion@northbridge.example liaison@police.example" {
		t.Errorf("told: %v", told)
	}
	bad := []RecordTension{
		{Area: "", Level: 3, Trend: "steady"},
		{Area: "Eastgate", Level: 6, Trend: "steady"},
		{Area: "Eastgate", Level: 3, Trend: "worse"},
	}
	for _, c := range bad {
		c.Activation = id
		if _, err := e.Apply(context.Background(), &c); err == nil {
			t.Errorf("%+v was accepted", c)
		}
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	r.Markdown(&md)
	if len(r.Tension) != 3 || !strings.Contains(md.String(), "| Eastgate | Muslim | 4 | rising | Leaflets outside the mosque | Nadia Rahman |") {
		t.Errorf("the report's tension log:\n%s", md.String())
	}
}
