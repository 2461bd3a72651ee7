package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// formKey finds the idempotency key of the form posting to action.
func formKey(t *testing.T, page, action string) string {
	t.Helper()
	m := regexp.MustCompile(`action="` + regexp.QuoteMeta(action) + `"[^>]*><input type="hidden" name="csrf" value="[^"]+">` +
		`<input type="hidden" name="idempotency_key" value="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form posting to %s with an idempotency key:\n%s", action, page)
	}
	return m[1]
}

// A planner records a decision from the activation page: the answer is a
// redirect to the page, which says so once. The browser sending the same
// form again (a reload of the POST, a double click) gets the same answer
// and records nothing more; the next form the page renders is a new action.
func TestWebDecisionOnce(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	page := "/ui/activations/" + id
	_, html, _ := b.do("GET", page, nil)
	action := page + "/decisions"
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(html)[1]}, "idempotency_key": {formKey(t, html, action)},
		"decision": {"Open Mill Lane rest centre"}, "rationale": {"40 homes evacuated"}, "information": {"<b>EA</b> at 14:10"}}
	code, _, first := b.do("POST", action, form)
	if code != http.StatusSeeOther || first.Get("Location") != page {
		t.Fatalf("recording: %d to %q", code, first.Get("Location"))
	}
	_, shown, _ := b.do("GET", page, nil)
	if !strings.Contains(shown, `<p class="done" role="status">Decision recorded: it is in the log below.</p>`) ||
		!strings.Contains(shown, "Known then: &lt;b&gt;EA&lt;/b&gt; at 14:10") {
		t.Errorf("the page after recording:\n%s", shown)
	}
	_, reloaded, _ := b.do("GET", page, nil)
	if strings.Contains(reloaded, `<p class="done" role="status">Decision recorded`) {
		t.Error("a reload of the page says again that the decision was recorded")
	}
	code, _, again := b.do("POST", action, form)
	if code != http.StatusSeeOther || again.Get("Location") != first.Get("Location") || again.Get("Set-Cookie") != first.Get("Set-Cookie") {
		t.Errorf("the form sent again: %d %v, first %v", code, again, first)
	}
	if n := f.decisions(id); n != 1 {
		t.Errorf("%d decisions recorded, want 1", n)
	}
	// The same key with something else in the form is refused.
	form.Set("decision", "Close Mill Lane rest centre")
	if code, body, _ := b.do("POST", action, form); code != http.StatusUnprocessableEntity || !strings.Contains(body, "already used for something else") {
		t.Errorf("the key with another decision: %d\n%s", code, body)
	}
	// A form without a proper key does nothing.
	if code, body, _ := b.do("POST", action, url.Values{"csrf": form["csrf"], "idempotency_key": {"\x01"}, "decision": {"x"}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "older page") {
		t.Errorf("a form with a bad key: %d\n%s", code, body)
	}
	// The page rendered anew carries a new key: the next decision is one.
	form.Set("idempotency_key", formKey(t, reloaded, action))
	if code, _ := b.post(action, form); code != http.StatusOK || f.decisions(id) != 2 {
		t.Errorf("the next decision: %d, %d recorded", code, f.decisions(id))
	}
	// A refused form shows the page again, with why and what was typed.
	_, html, _ = b.do("GET", page, nil)
	refused := url.Values{"csrf": form["csrf"], "idempotency_key": {formKey(t, html, action)}, "decision": {" "}, "rationale": {"Typed at 2am"}}
	if code, body, _ := b.do("POST", action, refused); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Write the decision.") ||
		!strings.Contains(body, `name="rationale" value="Typed at 2am"`) {
		t.Errorf("a decision left empty: %d\n%s", code, body)
	}
}

// A live activation from the web app needs the runbook's id typed to
// confirm it: without it, or with something else, nothing is activated and
// the form says what to type, keeping what was given. An exercise needs
// nothing typed. Standing down needs its box ticked.
func TestWebConfirmations(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	_, html, _ := b.do("GET", "/ui/runbooks/tension/activate", nil)
	if !strings.Contains(html, `<label for="confirm">To confirm, type the runbook's id: <strong>tension</strong></label>`) {
		t.Errorf("the activate form does not say what to type:\n%s", html)
	}
	csrf := csrfField.FindStringSubmatch(html)[1]
	for _, typed := range []string{"", "tensio", "Community tension after a local incident"} {
		form := url.Values{"csrf": {csrf}, "mode": {"live"}, "param.area": {"Eastfield"}, "event": {"Disorder after a stabbing"}, "confirm": {typed}}
		code, body, _ := b.do("POST", "/ui/runbooks/tension/activate", form)
		if code != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "Not activated. A live activation sends to real people at once: to confirm it, type the runbook&#39;s id, tension,") ||
			!strings.Contains(body, `value="live" checked`) || !strings.Contains(body, `value="Disorder after a stabbing"`) || !strings.Contains(body, `value="Eastfield"`) {
			t.Errorf("live, %q typed: %d\n%s", typed, code, body)
		}
	}
	if as, _ := f.engine.Read().Activations(nil); len(as) != 0 {
		t.Fatalf("activated without confirmation: %+v", as)
	}
	code, _, h := b.do("POST", "/ui/runbooks/tension/activate", url.Values{"csrf": {csrf}, "mode": {"exercise"}, "param.area": {"Eastfield"}})
	if code != http.StatusSeeOther {
		t.Fatalf("an exercise: %d", code)
	}
	page := h.Get("Location")
	code, _, h = b.do("POST", "/ui/runbooks/tension/activate", url.Values{"csrf": {csrf}, "mode": {"live"}, "param.area": {"Eastfield"}, "confirm": {" Tension "}})
	if as, _ := f.engine.Read().Activations(nil); code != http.StatusSeeOther || len(as) != 2 {
		t.Fatalf("live, confirmed: %d, %d activations", code, len(as))
	}
	live := h.Get("Location")
	_, html, _ = b.do("GET", live, nil)
	if !strings.Contains(html, "Activated live: messages go to real people.") {
		t.Errorf("the live activation's page:\n%s", html)
	}
	// Stand-down and halt: the box, checked on the server too.
	for _, end := range []struct{ page, action, want, state string }{
		{live, "standdown", "Not stood down: tick the box to confirm.", "stood_down"},
		{page, "halt", "Not halted: tick the box to confirm.", "halted"},
	} {
		form := url.Values{"csrf": {csrf}, "action": {end.action}, "reason": {"All clear"}}
		code, body, _ := b.do("POST", end.page, form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, end.want) || !strings.Contains(body, `name="reason" value="All clear"`) {
			t.Errorf("%s unconfirmed: %d\n%s", end.action, code, body)
		}
		a, _ := f.engine.Read().Activation(nil, strings.TrimPrefix(end.page, "/ui/activations/"))
		if a.State != "active" {
			t.Fatalf("%s unconfirmed: %s", end.action, a.State)
		}
		form.Set("confirm", "yes")
		form.Del("idempotency_key") // the page shown again carries a new one
		if code, body := b.post(end.page, form); code != http.StatusOK || !strings.Contains(body, "nothing more fires or is sent.") {
			t.Errorf("%s confirmed: %d\n%s", end.action, code, body)
		}
		if a, _ = f.engine.Read().Activation(nil, a.ID); a.State != end.state {
			t.Errorf("%s confirmed: %s", end.action, a.State)
		}
	}
}
