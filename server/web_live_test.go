package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The live refresh is the page's sections alone, drawn as on the page,
// for a signed-in user, by the same role checks: a viewer gets no task
// buttons; an unknown activation is a plain 404 in words; without a
// session it is the sign-in page, as for any page.
func TestLiveSections(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	anon := f.browser()
	if code, _, h := anon.do("GET", "/ui/activations/"+id+"/live", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("without a session: %d to %s", code, h.Get("Location"))
	}
	sections := []string{"live-facts", "live-clocks", "live-summary", "live-still", "live-due", "live-messages", "live-acks",
		"live-tasks", "live-decisions", "live-steps", "live-deliveries", "live-timeline"}
	for _, who := range []string{"Val", "Priya"} {
		b := f.browser()
		b.do("POST", "/login", url.Values{"token": {token(who)}})
		_, page, _ := b.do("GET", "/ui/activations/"+id, nil)
		code, live, h := b.do("GET", "/ui/activations/"+id+"/live", nil)
		if code != http.StatusOK || h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %v", who, code, h)
		}
		for _, id := range sections {
			if !strings.Contains(live, `id="`+id+`"`) || !strings.Contains(page, `id="`+id+`"`) {
				t.Errorf("%s: section %s missing from the page or its refresh", who, id)
			}
		}
		if strings.Contains(live, "<html") || strings.Contains(live, `id="decision"`) || !strings.Contains(live, "Walk the area with the ward councillors.") {
			t.Errorf("%s: the refresh is not the sections alone:\n%s", who, live)
		}
		if buttons := strings.Contains(live, `value="done"`); buttons != (who == "Priya") {
			t.Errorf("%s: task buttons %v", who, buttons)
		}
		if !strings.Contains(page, `class="live-banner"`) || !strings.Contains(page, "LIVE</strong> — messages go to real people") {
			t.Errorf("%s: a live activation's page has no LIVE banner", who)
		}
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	// Stood down: it says so, the clock has stopped, nothing is due.
	if code, m := f.call(token("Priya"), "POST", "/api/v1/activations/"+id+"/standdown", map[string]string{"reason": "all clear"}); code != http.StatusOK {
		t.Fatalf("standing down: %d %v", code, m)
	}
	_, live, _ := b.do("GET", "/ui/activations/"+id+"/live", nil)
	for _, want := range []string{"<strong>Stood down.</strong>", "Ended at: <time", "Nothing more will fire: this activation has ended."} {
		if !strings.Contains(live, want) {
			t.Errorf("stood down, the refresh lacks %q:\n%s", want, live)
		}
	}
	if strings.Contains(live, `data-running`) {
		t.Error("the incident clock still runs after standing down")
	}
	if code, body, _ := b.do("GET", "/ui/activations/a-999999/live", nil); code != http.StatusNotFound || body != "There is no activation a-999999.\n" {
		t.Errorf("no such activation: %d %q", code, body)
	}
}
