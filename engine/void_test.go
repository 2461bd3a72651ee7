package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

const silent = `version: 1
id: silent
title: A silent afternoon
stakeholders:
  - {id: head, name: Head of Communications, email: head@northbridge.example}
channels:
  - {id: website, type: log}
audiences:
  - {id: residents, kind: public, channels: [website]}
public_updates: {audiences: [residents], every: 2h, escalate_to: [head]}
steps:
  - {id: first, title: First update, at: 0s, notify: {to: [residents], subject: First, body: One}}
  - {id: late, title: Late update, at: 5h, notify: {to: [residents], subject: Late, body: Two}}
`

// An instant drill with a 2-hour promise of public updates and a 5-hour
// silence escalates an information void, and the watch starts afresh once
// the public hears again.
func TestASilenceToThePublicIsEscalated(t *testing.T) {
	sent := &recorder{}
	e, id, err := Drill(context.Background(), DrillOptions{Source: []byte(silent), SourceName: "s.yaml", Start: start,
		Instant: true, Horizon: 6*time.Hour + 30*time.Minute, Dispatch: to(sent), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := e.Read().EventsOf(nil, id)
	var voids []string
	for _, ev := range events {
		if ev.Kind == state.EventEscalated && strings.HasPrefix(ev.Detail, state.EscalationInformationVoid) {
			voids = append(voids, ev.At.Sub(start).String()+" "+ev.Detail)
		}
	}
	if len(voids) == 0 || !strings.HasPrefix(voids[0], "2h0m0s information_void") || !strings.Contains(voids[0], "nothing has reached residents for 2h") {
		t.Fatalf("escalations of the silence:\n%s", strings.Join(voids, "\n"))
	}
	for _, v := range voids {
		if !strings.HasPrefix(v, "2h") && !strings.HasPrefix(v, "4h") {
			t.Errorf("escalated after the public heard again at 5h: %s", v)
		}
	}
	told := 0
	for _, m := range sent.got {
		if m.Target == "head@northbridge.example" && strings.Contains(m.Subject, "No public update for 2h") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("the head was told of the first silence %d times", told)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Summary.PublicSilences; len(s) == 0 || s[0].Seconds != 5*3600 || s[0].Promise != 2*3600 {
		t.Errorf("the report's silences: %+v", s)
	}
}

// The first hour is measured against the guidance: the silent runbook
// tells the public at once, then falls silent for 5h against a promise of
// 2h; it has no partners audience, so nothing is said of partners.
func TestTheFirstHourIsMeasured(t *testing.T) {
	e, id, err := Drill(context.Background(), DrillOptions{Source: []byte(silent), SourceName: "s.yaml", Start: start,
		Instant: true, Horizon: 6 * time.Hour, Dispatch: to(&recorder{}), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	f := r.Summary.FirstHour
	if f.PartnerDeclaration != nil || f.FirstPublic == nil || *f.FirstPublic.Seconds != 0 || !f.FirstPublic.Met {
		t.Errorf("first hour: %+v %+v", f.PartnerDeclaration, f.FirstPublic)
	}
	if s := f.LongestPublicSilence; s == nil || *s.Seconds != 5*3600 || s.Met {
		t.Errorf("longest silence: %+v", s)
	}
	var md strings.Builder
	r.Markdown(&md)
	if !strings.Contains(md.String(), "| Longest silence to the public | 5h | 2h | **missed** |") || strings.Contains(md.String(), "Partners told") {
		t.Errorf("the report's first hour:\n%s", md.String())
	}
}

// Two silences to the public are two failures: the report gives each its
// own chain (its escalation and its reminder), in the JSON and as a line
// each in the Markdown timeline, never one line across the update
// between them.
func TestTwoSilencesAreTwoChainsInTheReport(t *testing.T) {
	e, id, err := Drill(context.Background(), DrillOptions{Source: []byte(silent), SourceName: "s.yaml", Start: start,
		Instant: true, Horizon: 10 * time.Hour, Dispatch: to(&recorder{}), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range r.Escalations {
		got = append(got, fmt.Sprintf("chain %d round %d at %s", x.Chain, x.Reminder, x.At.Sub(start)))
	}
	want := "chain 1 round 1 at 2h0m0s, chain 1 round 2 at 4h0m0s, chain 2 round 1 at 7h0m0s, chain 2 round 2 at 9h0m0s"
	if strings.Join(got, ", ") != want {
		t.Errorf("the report's escalations:\n%s\nwant:\n%s", strings.Join(got, ", "), want)
	}
	var md strings.Builder
	r.Markdown(&md)
	for _, line := range []string{
		"| T+2h | 1 escalation and 1 reminder to Head of Communications about an update to residents, 12:00–14:00 | - |",
		"| T+7h | 1 escalation and 1 reminder to Head of Communications about an update to residents, 17:00–19:00 | - |",
	} {
		if !strings.Contains(md.String(), line) {
			t.Errorf("the timeline lacks %q:\n%s", line, md.String())
		}
	}
}
