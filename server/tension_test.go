package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Anyone signed in logs community tension; a level off the scale is
// refused, in words; the log reads back oldest first.
func TestTheTensionLogOverTheAPI(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	path := "/api/v1/activations/" + id + "/tension"
	if code, m := f.call(token("Val"), "POST", path, map[string]any{"area": "Eastgate", "community": "Muslim", "level": 3, "trend": "rising", "note": "Graffiti"}); code != http.StatusCreated {
		t.Fatalf("a viewer logging tension: %d %v", code, m)
	}
	if code, m := f.call(token("Val"), "POST", path, map[string]any{"area": "Eastgate", "level": 7, "trend": "rising"}); code != http.StatusUnprocessableEntity {
		t.Errorf("level 7: %d %v", code, m)
	}
	log, err := f.engine.Read().TensionOf(nil, id)
	if err != nil || len(log) != 1 || log[0].Area != "Eastgate" || log[0].By == "" {
		t.Errorf("the log holds %+v (%v)", log, err)
	}
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token("Val"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reading the log: %v %v", err, resp)
	}
	resp.Body.Close()
}

// On the activation page anyone signed in logs tension; the chart and the
// latest level show it; a level off the scale is refused and what was
// typed is kept.
func TestTensionOnTheActivationPage(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	b := f.signedIn(token("Val"))
	_, page, _ := b.do("GET", "/ui/activations/"+id, nil)
	csrf := csrfField.FindStringSubmatch(page)[1]
	code, body := b.post("/ui/activations/"+id+"/tension", url.Values{"csrf": {csrf}, "area": {"Eastgate"}, "community": {"Muslim <b>"},
		"level": {"4"}, "trend": {"rising"}, "note": {"Leaflets"}})
	if code != http.StatusOK || !strings.Contains(body, `class="tension-chart"`) || !strings.Contains(body, "Eastgate · Muslim &lt;b&gt;: level 4") {
		t.Errorf("after logging: %d\n%s", code, body)
	}
	code, body = b.post("/ui/activations/"+id+"/tension", url.Values{"csrf": {csrf}, "area": {"Westgate"}, "level": {"9"}, "trend": {"rising"}, "note": {"kept"}})
	if code == http.StatusOK || !strings.Contains(body, "level 9 is not on the scale") || !strings.Contains(body, `value="Westgate"`) {
		t.Errorf("a level off the scale: %d", code)
	}
}
