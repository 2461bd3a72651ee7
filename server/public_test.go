package server

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// publicRunbook sends a warning to the public and a briefing to staff.
const publicRunbook = `version: 1
id: flood
title: Flood warning for Riverside
stakeholders:
  - {id: head, name: Head of comms, roles: [approver], email: head@northbridge.gov.uk}
channels:
  - {id: website, type: webhook, url: "https://northbridge.gov.uk/hooks/news"}
  - {id: intranet, type: slack, slack_channel: "#staff"}
audiences:
  - {id: residents, kind: public, channels: [website]}
  - {id: staff, kind: staff, channels: [intranet]}
steps:
  - id: warning
    title: Public warning
    at: 0s
    notify:
      to: [residents]
      subject: Flood warning for Riverside
      body: Move valuables upstairs. <script>alert(1)</script>
  - id: staff-brief
    title: Staff briefing
    at: 0s
    notify:
      to: [staff]
      subject: Staff briefing
      body: Rest centre opens at noon.
`

// publicServer is a server with a live and an exercise activation, each
// having sent its warning and briefing.
func publicServer(t *testing.T) (*httptest.Server, *engine.Engine, string, string) {
	t.Helper()
	return publicServerAt(t, "https://crier.northbridge.gov.uk")
}

// publicServerAt is publicServer with a public URL; "" for none.
func publicServerAt(t *testing.T, publicURL string) (*httptest.Server, *engine.Engine, string, string) {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	activate := func(mode string) string {
		index, err := e.Apply(context.Background(), &engine.Activate{Source: []byte(publicRunbook), SourceName: "flood.yaml", Mode: mode, Severity: "medium"})
		if err != nil {
			t.Fatal(err)
		}
		// its warning and staff-brief, due at the start, fired with it
		return engine.ActivationID(index)
	}
	live, drill := activate("live"), activate("exercise")
	srv := httptest.NewServer(New(Options{Engine: e, Users: people, Now: func() time.Time { return start },
		PublicURL: publicURL, AckLinks: &AckLinks{Base: "http://127.0.0.1:8080", Secret: []byte("a-secret-for-the-test-0123456789"), TTL: time.Hour}}))
	t.Cleanup(srv.Close)
	return srv, e, live, drill
}

// get fetches a public path without signing in.
func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// The feeds, the alerts and the page are served to anyone, briefly
// cacheable; the live ones hold no exercise, and an exercise's alert is
// found only under /public/exercise/.
func TestThePublicFeedNeedsNoSignIn(t *testing.T) {
	srv, _, live, drill := publicServer(t)
	for path, kind := range map[string]string{"/public/": "text/html", "/public/cap.atom": "application/atom+xml",
		"/public/cap/" + live + ".warning.1.r1.xml": "application/cap+xml", "/public/exercise/cap.atom": "application/atom+xml",
		"/public/exercise/cap/" + drill + ".warning.1.r1.xml": "application/cap+xml", "/public/exercise/": "text/html"} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), kind) ||
			resp.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Errorf("GET %s: %d %s %q\n%s", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), body)
		}
	}
	for _, path := range []string{"/public/cap/" + drill + ".warning.1.r1.xml", "/public/exercise/cap/" + live + ".warning.1.r1.xml",
		"/public/cap/" + live + ".staff-brief.1.r1.xml", "/public/cap/" + live + ".warning.1.r1"} {
		if resp, _ := get(t, srv, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	// In winter London is on GMT, a zero offset, which CAP 1.2 writes as
	// -00:00: never +00:00 or Z.
	if _, alert := get(t, srv, "/public/cap/"+live+".warning.1.r1.xml"); !strings.Contains(alert, "<sent>2026-11-22T09:00:00-00:00</sent>") {
		t.Errorf("alert's sent is not CAP's time:\n%s", alert)
	}
	_, feed := get(t, srv, "/public/cap.atom")
	var f struct {
		Entries []struct {
			ID string `xml:"id"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(feed), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 1 || f.Entries[0].ID != "https://crier.northbridge.gov.uk/public/cap/"+live+".warning.1.r1.xml" {
		t.Errorf("live feed entries = %+v, want the live warning alone", f.Entries)
	}
	if strings.Contains(feed, drill) || strings.Contains(feed, "EXERCISE") {
		t.Errorf("the live feed holds the exercise:\n%s", feed)
	}
}

// The page shows the live warning as text, never the exercise or the
// staff's briefing, and nothing once the activation is stood down.
func TestThePublicPage(t *testing.T) {
	srv, e, live, _ := publicServer(t)
	resp, page := get(t, srv, "/public/")
	if !strings.Contains(page, "Flood warning for Riverside") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		strings.Contains(page, "<script>") {
		t.Errorf("page does not show the warning as text:\n%s", page)
	}
	if strings.Contains(page, "EXERCISE") || strings.Contains(page, "Staff briefing") {
		t.Errorf("page shows the exercise or the staff's briefing:\n%s", page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("page's policy = %q", csp)
	}
	if _, err := e.Apply(context.Background(), &engine.StandDown{Activation: live, Reason: "All clear"}); err != nil {
		t.Fatal(err)
	}
	if _, page = get(t, srv, "/public/"); strings.Contains(page, "Move valuables") || !strings.Contains(page, "no current messages") {
		t.Errorf("page after stand-down:\n%s", page)
	}
	if _, feed := get(t, srv, "/public/cap.atom"); !strings.Contains(feed, live+".cancel.xml") {
		t.Errorf("feed after stand-down has no Cancel:\n%s", feed)
	}
}

// Without a public URL, the feed, its alerts and the page link to the
// address the request came to, and the alerts' sender is crier@ its host:
// never the acknowledgement links' base.
func TestWithoutAPublicURLTheFeedFollowsTheRequest(t *testing.T) {
	srv, _, live, _ := publicServerAt(t, "")
	for _, path := range []string{"/public/cap.atom", "/public/", "/public/cap/" + live + ".warning.1.r1.xml"} {
		_, body := get(t, srv, path)
		if !strings.Contains(body, srv.URL+"/public/") {
			t.Errorf("%s has no link under %s:\n%s", path, srv.URL, body)
		}
		if strings.Contains(body, "127.0.0.1:8080") {
			t.Errorf("%s links to the acknowledgement links' base:\n%s", path, body)
		}
	}
	_, alert := get(t, srv, "/public/cap/"+live+".warning.1.r1.xml")
	if !strings.Contains(alert, "<sender>crier@127.0.0.1</sender>") || !strings.Contains(alert, "<web>"+srv.URL+"/public/</web>") {
		t.Errorf("the alert is not sent by crier@127.0.0.1 with its web page under %s:\n%s", srv.URL, alert)
	}
}
