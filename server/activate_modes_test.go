package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Review 6: an exercise lead's activate form offers an exercise only: no
// Live option and no box to confirm one. A live activation asked for
// anyway (a form from elsewhere) is refused on the form again, with what
// was typed and why.
func TestActivateFormOffersOnlyTheModesYouMayStart(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(token("Elle"))
	code, form, _ := b.do("GET", "/ui/runbooks/tension/activate", nil)
	if code != http.StatusOK || strings.Contains(form, `value="live"`) || strings.Contains(form, `id="confirm"`) || strings.Contains(form, "Activate live") ||
		!strings.Contains(form, `<input type="radio" name="mode" value="exercise" checked>`) || !strings.Contains(form, "a live activation needs the planner role") {
		t.Errorf("the exercise lead's form: %d\n%s", code, form)
	}
	code, page, _ := b.do("POST", "/ui/runbooks/tension/activate", url.Values{"csrf": {csrfField.FindStringSubmatch(form)[1]},
		"mode": {"live"}, "param.area": {"Eastfield"}, "event": {"Disorder on the high street"}, "confirm": {"tension"}})
	if code != http.StatusForbidden || !strings.Contains(page, "you may not start a live activation, which needs the planner role (your role: exercise lead). You may start it as an exercise.") ||
		!strings.Contains(page, `value="Disorder on the high street"`) || !strings.Contains(page, `value="Eastfield"`) ||
		!strings.Contains(page, `<input type="radio" name="mode" value="exercise" checked>`) {
		t.Errorf("a live activation refused: %d\n%s", code, page)
	}
	if as, _ := f.engine.Read().Activations(nil); len(as) != 0 {
		t.Errorf("activated: %+v", as)
	}
	// A planner has both, and the confirm box.
	_, form, _ = f.signedIn(token("Priya")).do("GET", "/ui/runbooks/tension/activate", nil)
	if !strings.Contains(form, `<input type="radio" name="mode" value="live">`) || !strings.Contains(form, `id="confirm"`) {
		t.Errorf("the planner's form:\n%s", form)
	}
}

// Review 6: someone who may start neither mode, opening the form by its
// address, gets a page that says why and links to the runbook's page.
func TestActivateFormForSomeoneWhoMayNot(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(token("Hana"))
	code, page, _ := b.do("GET", "/ui/runbooks/tension/activate", nil)
	if code != http.StatusForbidden || strings.Contains(page, "<form method=\"post\"><input type=\"hidden\" name=\"csrf\"") || strings.Contains(page, `name="mode"`) ||
		!strings.Contains(page, "<h1>You may not activate Community tension after a local incident</h1>") ||
		!strings.Contains(page, "Your role: comms officer.") || !strings.Contains(page, `<a href="/ui/runbooks/tension">`) {
		t.Errorf("a comms officer opening the activate form: %d\n%s", code, page)
	}
}
