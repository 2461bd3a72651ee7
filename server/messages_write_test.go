package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// closure is a runbook whose statement goes to residents and, in Welsh,
// to Welsh speakers; an exercise of it goes only to the exercise cell.
const closure = `version: 1
id: closure
title: Road closure
stakeholders:
  - {id: head-comms, name: Head of communications, roles: [approver], email: head.comms@northbridge.gov.uk}
  - {id: duty-comms, name: Duty communications officer, roles: [approver], email: duty.comms@northbridge.gov.uk}
  - {id: cohesion, name: Community cohesion officer, email: cohesion@northbridge.gov.uk, phone: "+447700900123"}
  - {id: warden, name: Ward councillor, email: warden@northbridge.gov.uk}
channels:
  - {id: public, type: slack, slack_channel: "#public-updates"}
  - {id: welsh-groups, type: email, to: [grwpiau@example.org]}
  - {id: drill, type: slack, slack_channel: "#ex-comms-cell"}
audiences:
  - {id: residents, description: People who live in Eastfield, channels: [public], stakeholders: [cohesion, warden]}
  - {id: welsh-speakers, channels: [welsh-groups], languages: [cy]}
steps:
  - id: statement
    title: Road closure statement
    at: 0s
    notify:
      to: [residents, welsh-speakers]
      subject: High Street closed
      body: High Street in Eastfield is closed while the police work there. Use Mill Lane instead.
      translations:
        cy: {subject: Y Stryd Fawr ar gau, body: Mae'r Stryd Fawr yn Eastfield ar gau tra bod yr heddlu'n gweithio yno. Defnyddiwch Mill Lane.}
      approval: {approvers: [role:approver], within: 15m}
exercise:
  redirect: [drill]
`

// newClosureFixture is a server whose library holds the closure runbook,
// activated in mode with its statement drafted.
func newClosureFixture(t *testing.T, mode string) (*fixture, string) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "closure.yaml"), []byte(closure), 0o644); err != nil {
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
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "closure", "mode": mode})
	if code != http.StatusCreated {
		t.Fatalf("activate: %d %v", code, a)
	}
	return f, a["id"].(string) // its statement, due at the start, fired with it
}

func TestAnEditOverTheAPISaysWhatBecomesOfTheTranslations(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	msg := "/api/v1/messages/" + id + "/statement/1"
	code, m := f.call(token("Dev"), "PUT", msg, map[string]any{"body": "High Street is closed until 6pm."})
	if code != http.StatusUnprocessableEntity || !strings.Contains(m["error"].(string), "Welsh (cy)") || !strings.Contains(m["error"].(string), `"withhold"`) {
		t.Fatalf("an edit silent about the Welsh translation: %d %v", code, m)
	}
	code, m = f.call(token("Dev"), "PUT", msg, map[string]any{"body": "High Street is closed until 6pm.",
		"translations": map[string]any{"cy": map[string]string{"body": "Mae'r Stryd Fawr ar gau tan 6pm."}}})
	if code != http.StatusOK || m["revision"] != 2.0 {
		t.Fatalf("edit with the Welsh revised: %d %v", code, m)
	}
	trs := m["translations"].([]any)
	cy := trs[0].(map[string]any)
	if len(trs) != 1 || cy["lang"] != "cy" || cy["name"] != "Welsh (cy)" || cy["body"] != "Mae'r Stryd Fawr ar gau tan 6pm." || cy["revised"] != true || cy["withheld"] != nil {
		t.Errorf("translations = %v", trs)
	}
	code, m = f.call(token("Hana"), "PUT", msg, map[string]any{"body": "High Street is closed until 7pm.", "withhold": []string{"cy"}})
	if code != http.StatusOK || m["translations"].([]any)[0].(map[string]any)["withheld"] != true {
		t.Errorf("edit withholding the Welsh: %d %v", code, m)
	}
}

func TestRedraftOverTheAPI(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	msg := "/api/v1/messages/" + id + "/statement/1"
	if code, m := f.call(token("Hana"), "POST", msg+"/reject", map[string]string{"reason": "say when it reopens"}); code != http.StatusOK || m["state"] != "rejected" {
		t.Fatalf("reject: %d %v", code, m)
	}
	redraft := map[string]any{"body": "High Street is closed until 6pm.", "withhold": []string{"cy"}}
	for _, who := range []string{"Val", "Priya"} { // not comms officers
		if code, m := f.call(token(who), "POST", msg+"/redraft", redraft); code != http.StatusForbidden {
			t.Errorf("%s re-drafted: %d %v", who, code, m)
		}
	}
	if code, m := f.call(token("Omar"), "POST", msg+"/redraft", redraft); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "only its approvers re-draft it") {
		t.Errorf("a comms officer who is no approver re-drafted: %d %v", code, m)
	}
	if code, m := f.call(token("Dev"), "POST", msg+"/redraft", map[string]any{"body": "Closed until 6pm."}); code != http.StatusUnprocessableEntity || !strings.Contains(m["error"].(string), "Welsh") {
		t.Errorf("a re-draft silent about the Welsh: %d %v", code, m)
	}
	code, m := f.call(token("Dev"), "POST", msg+"/redraft", redraft)
	if code != http.StatusOK || m["state"] != "pending_approval" || m["revision"] != 2.0 {
		t.Fatalf("re-draft: %d %v", code, m)
	}
	revs := m["revisions"].([]any)
	if rej := revs[1].(map[string]any)["rejected"].(map[string]any); rej["by"] != "head-comms" || rej["reason"] != "say when it reopens" {
		t.Errorf("the re-draft does not keep the rejection: %v", revs[1])
	}
	if code, m = f.call(token("Dev"), "POST", msg+"/approve", nil); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "four eyes") {
		t.Errorf("the re-drafter approved: %d %v", code, m)
	}
	if code, m = f.call(token("Hana"), "POST", msg+"/approve", nil); code != http.StatusOK || m["state"] == "pending_approval" {
		t.Errorf("approving the re-draft: %d %v", code, m)
	}
}

func TestAdHocMessageOverTheAPI(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	path := "/api/v1/activations/" + id + "/messages"
	body := map[string]any{"to": []string{"residents", "welsh-speakers"}, "subject": "Correction", "body": "Use Mill Road, not Mill Lane.",
		"translations": map[string]any{"cy": map[string]string{"body": "Defnyddiwch Mill Road."}}}
	for _, who := range []string{"Val", "Priya", "Elle"} {
		if code, m := f.call(token(who), "POST", path, body); code != http.StatusForbidden {
			t.Errorf("%s wrote an ad-hoc message: %d %v", who, code, m)
		}
	}
	if code, m := f.call(token("Dev"), "POST", path, map[string]any{"to": []string{"nobody"}, "subject": "s", "body": "b"}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(m["error"].(string), `"nobody" is not an audience`) {
		t.Errorf("to no audience: %d %v", code, m)
	}
	code, m := f.call(token("Dev"), "POST", path, body)
	if code != http.StatusCreated || m["state"] != "pending_approval" || !strings.Contains(m["id"].(string), "/ad_hoc/") || m["step"] != "ad_hoc" {
		t.Fatalf("ad-hoc message: %d %v", code, m)
	}
	msg := "/api/v1/messages/" + m["id"].(string)
	if code, m := f.call(token("Dev"), "POST", msg+"/approve", nil); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "four eyes") {
		t.Errorf("the writer approved: %d %v", code, m)
	}
	if code, m := f.call(token("Omar"), "POST", msg+"/approve", nil); code != http.StatusForbidden {
		t.Errorf("a comms officer who approves none of the audiences' steps approved: %d %v", code, m)
	}
	code, m = f.call(token("Hana"), "POST", msg+"/approve", nil)
	if code != http.StatusOK || m["state"] != "dispatching" {
		t.Fatalf("approve: %d %v", code, m)
	}
	code, m = f.call(token("Val"), "GET", msg, nil)
	var welsh bool
	for _, d := range m["deliveries"].([]any) {
		welsh = welsh || d.(map[string]any)["language"] == "cy"
	}
	if code != http.StatusOK || !welsh {
		t.Errorf("the Welsh translation did not go: %d %v", code, m["deliveries"])
	}
}

var approveButton = regexp.MustCompile(`<button name="action" value="approve" id="approve">([^<]*)</button>`)

// The message page says who it goes to before the buttons: by name and
// count, and in an exercise, where it really goes.
func TestMessagePageSaysWhoItGoesTo(t *testing.T) {
	for _, mode := range []string{"live", "exercise"} {
		f, id := newClosureFixture(t, mode)
		b := f.browser()
		b.do("POST", "/login", url.Values{"token": {token("Hana")}})
		_, page, _ := b.do("GET", "/ui/messages/"+id+"/statement/1", nil)
		want := []string{"1 Slack channel, 3 people by email, 1 by text", "public (Slack #public-updates)",
			"People: grwpiau@example.org, Community cohesion officer, Ward councillor", "Welsh (cy): 1 person", `<div lang="cy" dir="auto">`, "Y Stryd Fawr ar gau"}
		button := "Approve revision 1 — goes to 1 channel and 3 people"
		if mode == "exercise" {
			want = append(want, "In this exercise it goes only to:</strong> drill (Slack #ex-comms-cell)")
			button = "Approve revision 1 — goes to 1 channel"
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %q\n%s", mode, w, page)
			}
		}
		if got := approveButton.FindStringSubmatch(page); got == nil || got[1] != button {
			t.Errorf("%s: approve button %q, want %q", mode, got, button)
		}
		if who, approve := strings.Index(page, "Who it goes to"), strings.Index(page, `id="approve"`); who < 0 || approve < who ||
			strings.Index(page, "As each channel will show it") < approve {
			t.Errorf("%s: the page is not in the order who, what, approve, previews", mode)
		}
	}
}

// From the web: an edit that empties the Welsh without withholding it is
// refused, what was typed kept; a rejected message is re-drafted from its
// page; an ad-hoc message is written from the activation's.
func TestWebEditRedraftAndWrite(t *testing.T) {
	f, id := newClosureFixture(t, "live")
	msg := "/ui/messages/" + id + "/statement/1"
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Dev")}})
	_, page, _ := b.do("GET", msg, nil)
	csrf := csrfField.FindStringSubmatch(page)[1]
	code, page := b.post(msg, url.Values{"csrf": {csrf}, "action": {"edit"}, "subject": {"High Street closed"}, "body": {"Closed until 6pm."}, "tr-cy": {""}})
	if code != http.StatusConflict || !strings.Contains(page, "Welsh (cy) translation is empty: write it, or withhold it") || !strings.Contains(page, "Closed until 6pm.") ||
		!strings.Contains(page, `<details class="more" open><summary>Edit the text</summary>`) {
		t.Errorf("an edit leaving the Welsh empty: %d\n%s", code, page)
	}
	code, page = b.post(msg, url.Values{"csrf": {csrf}, "action": {"edit"}, "subject": {"High Street closed"}, "body": {"Closed until 6pm."}, "tr-cy": {""}, "withhold": {"cy"}})
	if code != http.StatusOK || !strings.Contains(page, "Welsh (cy) — withheld, not sent") {
		t.Errorf("an edit withholding the Welsh: %d\n%s", code, page)
	}
	h := f.browser()
	h.do("POST", "/login", url.Values{"token": {token("Hana")}})
	_, page, _ = h.do("GET", msg, nil)
	hcsrf := csrfField.FindStringSubmatch(page)[1]
	if code, page = h.post(msg, url.Values{"csrf": {hcsrf}, "action": {"reject"}, "reason": {"say the road"}}); code != http.StatusOK || !strings.Contains(page, "Re-draft and send for approval again") {
		t.Fatalf("after rejecting, no re-draft form: %d\n%s", code, page)
	}
	code, page = h.post(msg, url.Values{"csrf": {hcsrf}, "action": {"redraft"}, "subject": {"High Street closed"}, "body": {"High Street is closed until 6pm."},
		"tr-cy": {"Mae'r Stryd Fawr ar gau tan 6pm."}})
	if code != http.StatusOK || !strings.Contains(page, "waits for approval again") || !strings.Contains(page, "re-drafted after Head of communications rejected it: “say the road”") {
		t.Errorf("re-draft from the page: %d\n%s", code, page)
	}

	// An ad-hoc message: the viewer is not offered it; Dev writes one.
	v := f.browser()
	v.do("POST", "/login", url.Values{"token": {token("Val")}})
	if _, page, _ := v.do("GET", "/ui/activations/"+id, nil); strings.Contains(page, "Write a message") {
		t.Error("a viewer is offered to write a message")
	}
	if code, _, _ := v.do("GET", "/ui/activations/"+id+"/messages/new", nil); code != http.StatusForbidden {
		t.Errorf("a viewer opened the compose page: %d", code)
	}
	if _, page, _ := b.do("GET", "/ui/activations/"+id, nil); !strings.Contains(page, `href="/ui/activations/`+id+`/messages/new">Write a message`) {
		t.Error("the activation page has no link to write a message")
	}
	_, page, _ = b.do("GET", "/ui/activations/"+id+"/messages/new", nil)
	for _, w := range []string{`value="residents"`, `value="welsh-speakers"`, "Also reads Welsh (cy)", "Needs 1 approval, from Head of communications (not from you: you are writing it).", `name="tr-cy"`} {
		if !strings.Contains(page, w) {
			t.Errorf("the compose page lacks %q", w)
		}
	}
	csrf = csrfField.FindStringSubmatch(page)[1]
	if code, page = b.post("/ui/activations/"+id+"/messages/new", url.Values{"csrf": {csrf}, "subject": {"Correction"}, "body": {"Use Mill Road."}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "choose at least one audience") || !strings.Contains(page, "Use Mill Road.") {
		t.Errorf("no audience: %d\n%s", code, page)
	}
	code, page = b.post("/ui/activations/"+id+"/messages/new", url.Values{"csrf": {csrf}, "to": {"residents"}, "subject": {"Correction"}, "body": {"Use Mill Road."}})
	if code != http.StatusOK || !strings.Contains(page, "Your message is written and waits for approval.") || !strings.Contains(page, "<h1>Correction</h1>") ||
		!strings.Contains(page, "ad-hoc") {
		t.Errorf("written: %d\n%s", code, page)
	}
}
