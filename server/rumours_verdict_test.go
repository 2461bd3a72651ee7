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
