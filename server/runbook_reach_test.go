package server

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/examples"
)

// examplesFixture serves the examples with their directory in force, at
// Friday 4 December 2026 14:00: Grace Bennett's week on the duty comms
// rota, Priya Shah's day on the duty emergency planning rota.
func examplesFixture(t *testing.T) *fixture {
	t.Helper()
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	e := examplesEngine(t, context.Background())
	now := time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return now }}))
	t.Cleanup(srv.Close)
	return &fixture{t: t, engine: e, lib: lib, http: srv}
}

// The runbook page says under each row of its plan who it reaches then:
// the duty comms officer of that week by name, across a handover, and the
// vulnerable residents' list by its name and size, never its rows.
func TestRunbookPageSaysWhoEachRowReaches(t *testing.T) {
	b := examplesFixture(t).signedIn(token("Priya"))
	for start, want := range map[string]string{
		"2026-12-04T14:00": "Duty Communications Officer: Grace Bennett, by email, Slack and text",
		"2026-11-27T14:00": "Duty Communications Officer: Sam Patel, by email, Slack and text", // the week before
	} {
		code, page, _ := b.do("GET", "/ui/runbooks/major-incident-community-reassurance?start="+start, nil)
		if page = html.UnescapeString(page); code != http.StatusOK || !strings.Contains(page, "<li>"+want+"</li>") {
			t.Errorf("the reassurance plan from %s does not say %q: %d\n%s", start, want, code, page)
		}
	}
	code, page, _ := b.do("GET", "/ui/runbooks/flood-warning?start=2026-12-04T14:00", nil)
	page = html.UnescapeString(page)
	if code != http.StatusOK || !strings.Contains(page, "<li>Vulnerable residents (Priority Services Register and social care, shared through the LRF), 300 people</li>") ||
		!strings.Contains(page, "<li>Duty Emergency Planning Officer: Priya Shah, by email, Slack and text</li>") ||
		!strings.Contains(page, "<li>Duty Emergency Planning Officer: Dafydd Hughes, by email, Slack and text</li>") { // after Saturday's 08:00 handover
		t.Errorf("the flood warning plan does not name the list and the duty officer: %d\n%s", code, page)
	}
	if strings.Contains(page, "Alfie Appleby") || strings.Contains(page, "+447700900700") {
		t.Errorf("the page shows a row of the vulnerable residents' list")
	}
}

// The activate form says who a live activation now reaches first: the
// rota's officer on duty by name, before anyone presses Activate.
func TestActivateFormSaysWhoItReachesFirst(t *testing.T) {
	b := examplesFixture(t).signedIn(token("Priya"))
	code, form, _ := b.do("GET", "/ui/runbooks/major-incident-community-reassurance/activate", nil)
	form = html.UnescapeString(form)
	first, _, _ := strings.Cut(form[strings.Index(form, "Who this reaches first"):], "</section>")
	if code != http.StatusOK || !strings.Contains(first, "<li>Duty Communications Officer: Grace Bennett, by email, Slack and text</li>") ||
		!strings.Contains(first, "<li>Amir Hussain, by email, Slack and text</li>") || strings.Count(first, "<li") > 9 {
		t.Errorf("the activate form's first reach: %d\n%s", code, first)
	}
}

// A pack made with the directory says who each row reaches; made without
// it, a runbook that points into one leaves the column out rather than
// saying its rows reach no one.
func TestRunbookPackReachesOnlyWithTheDirectory(t *testing.T) {
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	rb, _, _, ok := lib.Get("flood-warning")
	if !ok {
		t.Fatal("no flood-warning example")
	}
	dir, err := directory.OpenFS(examples.FS, examples.DirectoryFile)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
	var with, without strings.Builder
	if err := RunbookPack(&with, rb, at, PackOptions{Directory: dir}); err != nil {
		t.Fatal(err)
	}
	if err := RunbookPack(&without, rb, at, PackOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with.String(), "Reaches then") || !strings.Contains(with.String(), ", 300 people</li>") {
		t.Errorf("the pack made with the directory does not say who the rows reach")
	}
	if strings.Contains(without.String(), "Reaches then") || strings.Contains(without.String(), "nobody on duty") {
		t.Errorf("the pack made without the directory says who the rows reach")
	}
}
