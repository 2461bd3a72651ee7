package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// An acknowledgement link shows the message and a button; only the POST
// records the acknowledgement, once. Links that are changed, expired or
// signed with another secret are refused.
func TestAcknowledgementLinks(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	now := start
	links := &AckLinks{Secret: []byte("a-secret-for-the-test-0123456789"), TTL: time.Hour, Now: func() time.Time { return now }}
	srv := httptest.NewServer(New(Options{Engine: f.engine, Library: nil, AckLinks: links}))
	defer srv.Close()
	links.Base = srv.URL
	m := notifiers.Message{Delivery: id + "/walkabout/1/r1/000", Message: id + "/walkabout/1", Type: "email",
		Target: "cohesion@northbridge.gov.uk", Stakeholder: "cohesion", AckRequested: true}
	link := links.Link(m)
	if !strings.HasPrefix(link, srv.URL+"/ack/") {
		t.Fatalf("link %q", link)
	}
	page := func(method, u string) (int, string) {
		req, _ := http.NewRequest(method, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	taskState := func() string {
		task, _ := f.engine.Read().Task(nil, id+"/walkabout/1")
		return task.State
	}
	// A mail scanner opening the link records nothing.
	if code, body := page("GET", link); code != http.StatusOK || !strings.Contains(body, `<form method="post">`) ||
		!strings.Contains(body, "Walk the area with the ward councillors.") || taskState() != "open" {
		t.Errorf("GET: %d, task %s\n%s", code, taskState(), body)
	}
	if code, body := page("POST", link); code != http.StatusOK || !strings.Contains(body, "Thank you") || taskState() != "acknowledged" {
		t.Errorf("POST: %d, task %s\n%s", code, taskState(), body)
	}
	if _, body := page("POST", link); !strings.Contains(body, "Already acknowledged") {
		t.Errorf("second POST:\n%s", body)
	}
	other := &AckLinks{Base: srv.URL, Secret: []byte("another-secret-0123456789abcdef"), TTL: time.Hour, Now: links.Now}
	tampered := link[:len(link)-3] + "AAA"
	for name, u := range map[string]string{"tampered": tampered, "another secret": other.Link(m)} {
		if code, body := page("POST", u); code != http.StatusForbidden || !strings.Contains(body, "not one crier made") {
			t.Errorf("%s: %d\n%s", name, code, body)
		}
	}
	now = now.Add(2 * time.Hour)
	if code, body := page("GET", link); code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("expired: %d\n%s", code, body)
	}
	// Only emails to stakeholders asked to acknowledge get links.
	m.AckRequested = false
	if links.Link(m) != "" {
		t.Error("a link for a message that asks for no acknowledgement")
	}
}
