package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// gathering is a runbook with many parameters and a task whose
// instructions run over several lines.
const gathering = `version: 1
id: gathering
title: Large gathering
params:
  - name: venue
    required: true
  - name: expected
    default: "5000"
  - name: organiser
    default: Northbridge Events
  - name: police_lead
    default: Inspector Shah
channels:
  - id: log
    type: log
stakeholders:
  - id: safety
    name: Safety officer
    email: safety@northbridge.gov.uk
steps:
  - id: check
    title: Check the stewarding plan
    at: 0s
    task:
      assignee: safety
      instructions: |-
        Ring the organiser.
        Walk the route.
        Report back by 10:00.
`

func newGatheringFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"gathering.yaml": gathering, "tension.yaml": statement} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return start }}))
	t.Cleanup(srv.Close)
	return &fixture{t: t, engine: e, lib: lib, http: srv}
}

func (f *fixture) activate(body map[string]any) string {
	f.t.Helper()
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", body)
	if code != http.StatusCreated {
		f.t.Fatalf("activate: %d %v", code, a)
	}
	return a["id"].(string)
}

// Review 5: an exercise halted eight real minutes after it began, at 60
// times real time, ended at 09:08 real time, eight hours into its
// scenario. The dashboard and the archive say it ended at 09:08, beside
// its start at 09:00, and give 17:00 only as exercise time. A live
// activation is listed before the exercises still running.
func TestListsKeepToRealTime(t *testing.T) {
	f := newGatheringFixture(t)
	live := f.activate(map[string]any{"runbook": "tension", "mode": "live", "params": map[string]string{"area": "Eastfield"}})
	halted := f.activate(map[string]any{"runbook": "tension", "mode": "exercise", "speed": 60, "params": map[string]string{"area": "Westfield"}})
	running := f.activate(map[string]any{"runbook": "tension", "mode": "exercise", "params": map[string]string{"area": "Southfield"}})
	if _, err := f.engine.Apply(context.Background(), &engine.Halt{Meta: engine.Meta{Actor: "planner@northbridge.gov.uk", Wall: start.Add(8 * time.Minute)},
		Activation: halted, Reason: "Lunch"}); err != nil {
		t.Fatal(err)
	}
	b := f.signedIn(token("Val"))
	_, dash, _ := b.do("GET", "/", nil)
	runningPart, endedPart, _ := strings.Cut(dash, "<h3>Ended</h3>")
	if !strings.Contains(endedPart, "started Sun 22 Nov 09:00 UTC · ended Sun 22 Nov 09:08 UTC (Sun 22 Nov 17:00 UTC exercise time)") {
		t.Errorf("the dashboard does not say the exercise ended at 09:08 real time, 17:00 exercise time:\n%s", endedPart)
	}
	if l, r := strings.Index(runningPart, "/ui/activations/"+live+`"`), strings.Index(runningPart, "/ui/activations/"+running+`"`); l < 0 || r < 0 || l > r {
		t.Errorf("the live activation %s is not listed before the newer exercise %s:\n%s", live, running, runningPart)
	}
	_, archive, _ := b.do("GET", "/ui/activations", nil)
	if !regexp.MustCompile(`<td data-label="Ended">Sun 22 Nov 09:08 UTC <span class="muted">by [^<]+</span><br><span class="muted">\(exercise time: Sun 22 Nov 17:00 UTC\)</span>`).MatchString(archive) ||
		strings.Contains(archive, `<td data-label="Ended">Sun 22 Nov 17:00`) {
		t.Errorf("the archive does not keep the exercise's end to real time:\n%s", archive)
	}
}

// Review 5: a message waiting for approval in an exercise says its time
// is exercise time; one in a live activation does not.
func TestDashboardSaysWhichClock(t *testing.T) {
	f := newGatheringFixture(t)
	for _, mode := range []string{"live", "exercise"} {
		// its statement, due at the start, fires with the activation
		f.activate(map[string]any{"runbook": "tension", "mode": mode, "params": map[string]string{"area": "Eastfield"}})
	}
	_, dash, _ := f.signedIn(token("Hana")).do("GET", "/", nil)
	if n := strings.Count(dash, "drafted 09:00 exercise time</span>"); n != 1 || strings.Count(dash, "drafted 09:00</span>") != 1 {
		t.Errorf("want one message drafted in exercise time and one in real time:\n%s", dash)
	}
}

// Review 5: a running activation's line gives two of its parameters and
// leaves the rest to its page, which lists them all; a task's
// instructions keep their lines.
func TestDashboardParametersAndInstructions(t *testing.T) {
	f := newGatheringFixture(t)
	id := f.activate(map[string]any{"runbook": "gathering", "mode": "live", "params": map[string]string{"venue": "Riverside Park"}})
	// its check, due at the start, fired with the activation
	b := f.signedIn(token("Priya"))
	_, dash, _ := b.do("GET", "/", nil)
	if !strings.Contains(dash, ` · venue: Riverside Park · expected: 5000 · <a href="/ui/activations/`+id+`#parameters">2 more parameters</a>`) ||
		strings.Contains(dash, "police_lead: Inspector Shah") {
		t.Errorf("the running line does not keep to two parameters:\n%s", dash)
	}
	_, page, _ := b.do("GET", "/ui/activations/"+id, nil)
	if !strings.Contains(page, `<section id="parameters"`) || !strings.Contains(page, "<dt>police_lead</dt><dd>Inspector Shah</dd>") {
		t.Errorf("the activation page does not list every parameter:\n%s", page)
	}
	if want := `<span class="instructions">Ring the organiser.
Walk the route.
Report back by 10:00.</span>`; !strings.Contains(page, want) {
		t.Errorf("the task's instructions lost their lines:\n%s", page)
	}
	css, err := webFiles.ReadFile("web/style.css")
	if err != nil || !strings.Contains(string(css), ".instructions{display:block;white-space:pre-line") {
		t.Errorf("the stylesheet does not keep instructions' line breaks")
	}
}
