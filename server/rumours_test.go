package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// Over the API: a rumour logged by a viewer, assessed false by a comms
// officer, corrected by one and approved by the other, sent; the report
// has its correction time, within the hour.
func TestARumourOverTheAPI(t *testing.T) {
	f, clock := rumourFixture(t)
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "rumours", "mode": "live"})
	if code != http.StatusCreated {
		t.Fatalf("activating: %d %v", code, a)
	}
	id := a["id"].(string)
	code, rumour := f.call(token("Val"), "POST", "/api/v1/activations/"+id+"/rumours", map[string]any{
		"summary": "The attacker worshipped at the Eastgate mosque", "where": "Northbridge Chat", "communities": []string{"Muslim"}})
	if code != http.StatusCreated {
		t.Fatalf("a viewer logging a rumour: %d %v", code, rumour)
	}
	rid := rumour["id"].(string)[strings.LastIndex(rumour["id"].(string), "/")+1:]
	base := "/api/v1/activations/" + id + "/rumours/" + rid
	if code, m := f.call(token("Val"), "POST", base+"/assess", map[string]any{"verdict": "false"}); code != http.StatusForbidden {
		t.Errorf("a viewer assessing: %d %v", code, m)
	}
	if code, m := f.call(token("Hana"), "POST", base+"/assess", map[string]any{"verdict": "false", "note": "Police: no one identified"}); code != http.StatusOK {
		t.Fatalf("assessing: %d %v", code, m)
	}
	clock.Set(start.Add(25 * time.Minute))
	code, m := f.call(token("Hana"), "POST", base+"/correction", map[string]any{"to": []string{"residents"},
		"subject": "No one has been identified", "body": "Please do not share rumours: the police have not identified anyone."})
	if code != http.StatusCreated {
		t.Fatalf("correcting: %d %v", code, m)
	}
	msg := m["id"].(string)
	clock.Set(start.Add(40 * time.Minute))
	if code, m := f.call(token("Dev"), "POST", "/api/v1/messages/"+msg+"/approve", nil); code != http.StatusOK {
		t.Fatalf("approving the correction: %d %v", code, m)
	}
	_, report := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/report", nil)
	rs := asSlice(report["rumours"])
	if len(rs) != 1 {
		t.Fatalf("the report's rumours: %v", report["rumours"])
	}
	x := rs[0].(map[string]any)
	if x["verdict"] != "false" || x["time_to_correction_seconds"] != float64(40*60) || x["met"] != true {
		t.Errorf("the report's rumour: %v", x)
	}
}

// On the activation page: anyone logs a rumour; a comms officer assesses
// it and writes its correction from the page it links to, which names
// the rumour and who approves the correction.
func TestARumourOnTheActivationPage(t *testing.T) {
	f, _ := rumourFixture(t)
	e := f.engine
	_, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "rumours", "mode": "live"})
	id := a["id"].(string)
	val := f.signedIn(token("Val"))
	_, page, _ := val.do("GET", "/ui/activations/"+id, nil)
	csrf := csrfField.FindStringSubmatch(page)[1]
	code, body := val.post("/ui/activations/"+id+"/rumours", url.Values{"csrf": {csrf}, "summary": {"The <b>mosque</b> was involved"}, "where": {"Northbridge Chat"}})
	if code != http.StatusOK || !strings.Contains(body, "The &lt;b&gt;mosque&lt;/b&gt; was involved") || strings.Contains(body, "Write the correction") {
		t.Fatalf("after logging, as a viewer: %d", code)
	}
	hana := f.signedIn(token("Hana"))
	_, page, _ = hana.do("GET", "/ui/activations/"+id, nil)
	csrf = csrfField.FindStringSubmatch(page)[1]
	rumours, _ := e.Read().RumoursOf(nil, id)
	n := rumours[0].ID[strings.LastIndex(rumours[0].ID, "/")+1:]
	if code, body := hana.post("/ui/activations/"+id+"/rumours/"+n+"/assess", url.Values{"csrf": {csrf}, "verdict": {"false"}, "note": {"Police"}}); code != http.StatusOK || !strings.Contains(body, "Assessed <strong>false</strong>") {
		t.Fatalf("assessing: %d", code)
	}
	_, compose, _ := hana.do("GET", "/ui/activations/"+id+"/messages/new?rumour="+n, nil)
	if !strings.Contains(compose, "Correct a rumour") || !strings.Contains(compose, `name="rumour" value="`+n+`"`) || !strings.Contains(compose, "approved by Head of Communications, Duty Communications Officer") {
		t.Fatalf("the correction's page:\n%s", compose)
	}
	code, body = hana.post("/ui/activations/"+id+"/messages/new", url.Values{"csrf": {csrf}, "rumour": {n}, "to": {"residents"},
		"subject": {"No one has been identified"}, "body": {"Please do not share rumours."}})
	if code != http.StatusOK {
		t.Fatalf("writing the correction: %d\n%s", code, body)
	}
	if r, _ := e.Read().Rumour(nil, rumours[0].ID); r.Correction == "" {
		t.Error("the correction is not linked to its rumour")
	}
}

// rumourFixture is a server whose library holds the rumour runbook, over
// an engine on a virtual clock.
func rumourFixture(t *testing.T) (*fixture, *engine.VirtualClock) {
	t.Helper()
	clock := engine.NewVirtualClock(start)
	e, err := engine.Open(context.Background(), engine.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	lib, err := NewLibrary([]string{"../runbooks/testdata/rumours.good.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return clock.Now() }}))
	t.Cleanup(srv.Close)
	return &fixture{t: t, engine: e, lib: lib, http: srv}, clock
}
