package server

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// daily is a runbook with a briefing at 15:00 each day: from an
// activation at 09:44:15.626, its first comes 5h15m44.374s later.
const daily = `version: 1
id: daily
title: Daily briefing
timezone: UTC
stakeholders:
  - id: planner
    name: Duty planner
    email: planner@northbridge.gov.uk
steps:
  - id: briefing
    title: Partner briefing
    every: "0 15 * * *"
    until: 1d
    notify:
      to: [log]
      subject: Briefing
      body: The day's briefing.
channels:
  - id: log
    type: log
`

// Offsets are shown to people to the second at most, in their two largest
// units, on the activate form and in the API's plan; offset_seconds keeps
// the number for programs.
func TestPlanOffsetsForPeople(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "daily.yaml"), []byte(daily), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 44, 15, 626198583, time.UTC)
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return now }}))
	defer srv.Close()
	f := &fixture{t: t, engine: e, lib: lib, http: srv}

	code, rb := f.call(token("Val"), "GET", "/api/v1/runbooks/daily", nil)
	plan, _ := rb["plan"].([]any)
	if code != 200 || len(plan) == 0 {
		t.Fatalf("runbook: %d %v", code, rb)
	}
	if first := plan[0].(map[string]any); first["offset"] != "5h 15m" || first["offset_seconds"] != 18944.0 {
		t.Errorf("the plan's first offset: %v (%v seconds)", first["offset"], first["offset_seconds"])
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	_, form, _ := b.do("GET", "/ui/runbooks/daily/activate", nil)
	if !strings.Contains(form, `<span class="muted">+5h 15m</span> Partner briefing`) || strings.Contains(form, "ms</span>") {
		t.Errorf("the activate form's plan:\n%s", form)
	}
}
