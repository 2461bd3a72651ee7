package server

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

const welshAsDrafted = "Mae'r Stryd Fawr yn Eastfield ar gau tra bod yr heddlu'n gweithio yno. Defnyddiwch Mill Lane."

// Dev opens the statement at revision 1; Hana saves revision 2. Dev's
// edit and rejection, from the page opened on revision 1, are refused,
// saying who saved what, with what Dev typed kept; Hana's text stands.
// Over the API the same, when the revision seen is given.
func TestAStaleFormDoesNotOverwriteANewerRevision(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	msg := "/ui/messages/" + id + "/statement/1"
	api := "/api/v1/messages/" + id + "/statement/1"
	dev := f.browser()
	dev.do("POST", "/login", url.Values{"token": {token("Dev")}})
	_, page, _ := dev.do("GET", msg, nil)
	csrf := csrfField.FindStringSubmatch(page)[1]
	if !strings.Contains(page, `<input type="hidden" name="revision" value="1">`) {
		t.Fatal("the forms do not say which revision they were opened on")
	}
	if code, m := f.call(token("Hana"), "PUT", api, map[string]any{"revision": 1, "body": "Closed until 6pm.", "withhold": []string{"cy"}}); code != http.StatusOK {
		t.Fatalf("Hana's edit: %d %v", code, m)
	}
	stale := "Hana Head saved revision 2 since you opened revision 1: read it, then decide again"
	code, page := dev.post(msg, url.Values{"csrf": {csrf}, "action": {"edit"}, "revision": {"1"}, "subject": {"High Street closed"},
		"body": {"Closed until 7pm."}, "withhold": {"cy"}})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(page), stale) || !strings.Contains(page, ">Closed until 7pm.</textarea>") {
		t.Errorf("a stale edit: %d\n%s", code, page)
	}
	code, page = dev.post(msg, url.Values{"csrf": {csrf}, "action": {"reject"}, "revision": {"1"}, "reason": {"wrong time"}})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(page), stale) || !strings.Contains(page, `value="wrong time"`) {
		t.Errorf("a stale rejection: %d\n%s", code, page)
	}
	if code, m := f.call(token("Dev"), "POST", api+"/reject", map[string]any{"revision": 1, "reason": "wrong time"}); code != http.StatusConflict || m["error"] != stale {
		t.Errorf("a stale rejection over the API: %d %v", code, m)
	}
	_, m := f.call(token("Dev"), "GET", api, nil)
	if m["state"] != "pending_approval" || m["revision"] != 2.0 || m["body"] != "Closed until 6pm." {
		t.Errorf("after the stale decisions: %v %v %q", m["state"], m["revision"], m["body"])
	}
	// Read again, on revision 2: the rejection goes through.
	if code, page = dev.post(msg, url.Values{"csrf": {csrf}, "action": {"reject"}, "revision": {"2"}, "reason": {"wrong time"}}); code != http.StatusOK || !strings.Contains(page, "The message is rejected") {
		t.Errorf("a rejection of the revision seen: %d\n%s", code, page)
	}
	// A re-draft opened on the rejected revision, after someone else's.
	if code, m := f.call(token("Hana"), "POST", api+"/redraft", map[string]any{"revision": 2, "body": "Closed until 8pm.", "withhold": []string{"cy"}}); code != http.StatusOK {
		t.Fatalf("Hana's re-draft: %d %v", code, m)
	}
	code, page = dev.post(msg, url.Values{"csrf": {csrf}, "action": {"redraft"}, "revision": {"2"}, "body": {"Closed until 9pm."}, "withhold": {"cy"}})
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(page), "Hana Head saved revision 3 since you opened revision 2") {
		t.Errorf("a stale re-draft: %d\n%s", code, page)
	}
}

// An edit that changes the text but leaves the Welsh as it was is
// refused, at the Welsh field; so is one with no text, at the text.
// With the text as it was, the Welsh as it was is fine.
func TestAnEditMustReviseOrWithholdTheTranslations(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	msg := "/ui/messages/" + id + "/statement/1"
	dev := f.browser()
	dev.do("POST", "/login", url.Values{"token": {token("Dev")}})
	_, page, _ := dev.do("GET", msg, nil)
	csrf := csrfField.FindStringSubmatch(page)[1]
	code, page := dev.post(msg, url.Values{"csrf": {csrf}, "action": {"edit"}, "revision": {"1"}, "subject": {"High Street closed"},
		"body": {"Closed until 6pm."}, "trsubject-cy": {"Y Stryd Fawr ar gau"}, "tr-cy": {welshAsDrafted}})
	want := "The Welsh (cy) translation still says what the old text said: revise it, or tick “Withhold the Welsh (cy) translation”."
	if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(page), "Not saved. "+want) ||
		!strings.Contains(html.UnescapeString(page), `<p class="error" id="edit-tr-cy-problem">`+want) ||
		!strings.Contains(page, `aria-invalid="true" aria-describedby="edit-tr-cy-problem"`) || !strings.Contains(page, ">Closed until 6pm.</textarea>") {
		t.Errorf("an edit leaving the Welsh as it was: %d\n%s", code, page)
	}
	code, page = dev.post(msg, url.Values{"csrf": {csrf}, "action": {"edit"}, "revision": {"1"}, "subject": {"High Street closed"},
		"body": {" "}, "withhold": {"cy"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `<p class="error" id="edit-body-problem">Write the text: a message needs one.</p>`) ||
		!strings.Contains(page, `aria-invalid="true" aria-describedby="edit-body-problem"`) {
		t.Errorf("an edit with no text: %d\n%s", code, page)
	}
	api := "/api/v1/messages/" + id + "/statement/1"
	body := "High Street in Eastfield is closed while the police work there. Use Mill Lane instead."
	code, m := f.call(token("Dev"), "PUT", api, map[string]any{"body": "Closed until 6pm.", "translations": map[string]any{"cy": map[string]string{"body": welshAsDrafted}}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(m["error"].(string), "the Welsh (cy) translation still says what the old text said") {
		t.Errorf("over the API, the Welsh left as it was: %d %v", code, m)
	}
	if code, m = f.call(token("Dev"), "PUT", api, map[string]any{"body": body, "translations": map[string]any{"cy": map[string]string{"body": welshAsDrafted}}}); code != http.StatusOK {
		t.Errorf("the text and the Welsh both as they were: %d %v", code, m)
	}
}

// The dashboard lists for approval only what the user may approve: not
// the message they wrote, nor a revision they wrote.
func TestTheDashboardOffersOnlyWhatTheUserMayApprove(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	api := "/api/v1/messages/" + id + "/statement/1"
	if code, m := f.call(token("Dev"), "PUT", api, map[string]any{"body": "Closed until 6pm.", "withhold": []string{"cy"}}); code != http.StatusOK {
		t.Fatalf("Dev's edit: %d %v", code, m)
	}
	dashboard := func(who string) string {
		b := f.browser()
		b.do("POST", "/login", url.Values{"token": {token(who)}})
		_, page, _ := b.do("GET", "/", nil)
		return page
	}
	link := `href="/ui/messages/` + id + `/statement/1"`
	if strings.Contains(dashboard("Dev"), link) {
		t.Error("Dev is offered to approve the revision Dev wrote")
	}
	if !strings.Contains(dashboard("Hana"), link) {
		t.Error("Hana is not offered the revision Dev wrote")
	}
}

// Where the only approver of the statement is the head of communications,
// the compose page tells Hana beforehand that she cannot write to its
// audiences, and writing is refused saying why; Dev is told Hana would
// approve it.
func TestTheComposePageSaysWhoWouldApprove(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(closure, "approvers: [role:approver]", "approvers: [head-comms]", 1)
	if err := os.WriteFile(filepath.Join(dir, "closure.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
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
	f := &fixture{t: t, engine: e, lib: lib, http: srv}
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "closure", "mode": "live"})
	if code != http.StatusCreated {
		t.Fatalf("activate: %d %v", code, a)
	}
	compose := "/ui/activations/" + a["id"].(string) + "/messages/new"
	hana := f.browser()
	hana.do("POST", "/login", url.Values{"token": {token("Hana")}})
	_, page, _ := hana.do("GET", compose, nil)
	if !strings.Contains(page, "Only you may approve a message to residents, and no one approves their own: ask another comms officer to write it.") {
		t.Errorf("the compose page does not warn Hana:\n%s", page)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	code, page = hana.post(compose, url.Values{"csrf": {csrf}, "to": {"residents"}, "subject": {"Correction"}, "body": {"Use Mill Road."}})
	if code == http.StatusOK || !strings.Contains(page, "only you may approve a message to residents") || !strings.Contains(page, "Use Mill Road.") {
		t.Errorf("Hana wrote a message only she could approve: %d\n%s", code, page)
	}
	dev := f.browser()
	dev.do("POST", "/login", url.Values{"token": {token("Dev")}})
	if _, page, _ = dev.do("GET", compose, nil); !strings.Contains(page, "Needs 1 approval, from Head of communications.") {
		t.Errorf("the compose page does not tell Dev who approves:\n%s", page)
	}
}
