package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// verdictSelect is a rumour's Verdict choice on the activation page.
var verdictSelect = regexp.MustCompile(`(?s)<select id="verdict-[^"]*" name="verdict"[^>]*>(.*?)</select>`)

// On the activation page, an unassessed rumour's Verdict starts on a
// blank "choose…", which the server refuses if sent; an assessed one shows
// its verdict and note, so assessing again to add a note keeps the verdict.
func TestTheVerdictShownIsTheRumoursOwn(t *testing.T) {
	f, _ := rumourFixture(t)
	_, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "rumours", "mode": "live"})
	id := a["id"].(string)
	_, rumour := f.call(token("Val"), "POST", "/api/v1/activations/"+id+"/rumours", map[string]any{"summary": "The bridge has collapsed"})
	n := rumour["id"].(string)[strings.LastIndex(rumour["id"].(string), "/")+1:]
	hana := f.signedIn(token("Hana"))
	_, page, _ := hana.do("GET", "/ui/activations/"+id, nil)
	choice := verdictSelect.FindStringSubmatch(page)
	if choice == nil || !strings.HasPrefix(choice[1], `<option value="" selected>choose…</option>`) || strings.Count(choice[1], "selected") != 1 {
		t.Fatalf("an unassessed rumour's verdict choice: %v", choice)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	assess := "/ui/activations/" + id + "/rumours/" + n + "/assess"
	code, body := hana.post(assess, url.Values{"csrf": {csrf}, "verdict": {""}, "note": {"Checking"}})
	if code != http.StatusConflict || !strings.Contains(body, "choose a verdict") {
		t.Errorf("assessing with no verdict chosen: %d", code)
	}
	if r, _ := f.engine.Read().Rumour(nil, rumour["id"].(string)); r.Verdict != "" {
		t.Errorf("assessed %q with no verdict chosen", r.Verdict)
	}
	if code, _ := hana.post(assess, url.Values{"csrf": {csrf}, "verdict": {"unverified"}, "note": {"Asking the police"}}); code != http.StatusOK {
		t.Fatalf("assessing: %d", code)
	}
	_, page, _ = hana.do("GET", "/ui/activations/"+id, nil)
	choice = verdictSelect.FindStringSubmatch(page)
	if choice == nil || !strings.Contains(choice[1], `<option value="unverified" selected>`) || strings.Count(choice[1], "selected") != 1 || strings.Contains(choice[1], "choose") {
		t.Errorf("an unverified rumour's verdict choice: %v", choice)
	}
	if !strings.Contains(page, `name="note" value="Asking the police"`) {
		t.Errorf("the note is not kept for assessing again")
	}
}

// On the activation page, a rumour whose correction waits for approval
// offers no second one; once that is rejected the page says so and offers
// a new one; once one has gone out, a further one.
func TestThePageOffersACorrectionWhenOneMayBeWritten(t *testing.T) {
	f, _ := rumourFixture(t)
	_, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "rumours", "mode": "live"})
	id := a["id"].(string)
	_, rumour := f.call(token("Val"), "POST", "/api/v1/activations/"+id+"/rumours", map[string]any{"summary": "The bridge has collapsed"})
	base := "/api/v1/activations/" + id + "/rumours/" + rumour["id"].(string)[strings.LastIndex(rumour["id"].(string), "/")+1:]
	f.call(token("Hana"), "POST", base+"/assess", map[string]any{"verdict": "false"})
	correct := func() string {
		_, m := f.call(token("Hana"), "POST", base+"/correction", map[string]any{"to": []string{"residents"}, "subject": "Open", "body": "The bridge is open."})
		return m["id"].(string)
	}
	hana := f.signedIn(token("Hana"))
	page := func() string { _, p, _ := hana.do("GET", "/ui/activations/"+id, nil); return p }
	first := correct()
	if p := page(); !strings.Contains(p, "waits for approval") || strings.Contains(p, "Write the correction") {
		t.Errorf("while the correction waits, the page offers another or does not say it waits")
	}
	if code, m := f.call(token("Dev"), "POST", "/api/v1/messages/"+first+"/reject", map[string]any{"reason": "say when it reopened"}); code != http.StatusOK {
		t.Fatalf("rejecting: %d %v", code, m)
	}
	if p := page(); !strings.Contains(p, "was not sent: write another") || !strings.Contains(p, "Write the correction") || strings.Contains(p, "waits for approval") {
		t.Errorf("after the correction was rejected, the page does not offer a new one")
	}
	second := correct()
	if code, m := f.call(token("Dev"), "POST", "/api/v1/messages/"+second+"/approve", nil); code != http.StatusOK {
		t.Fatalf("approving: %d %v", code, m)
	}
	if p := page(); !strings.Contains(p, "Corrected at") || !strings.Contains(p, "Write a further correction") {
		t.Errorf("after the correction went out, the page does not say so or offer a further one")
	}
}
