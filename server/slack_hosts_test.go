package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
	crierslack "github.com/crierhq/crier/notifiers/slack"
)

// lockedBuffer is a log a server writes while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A click signed by Slack whose response_url is not Slack's still counts
// (Slack signed it), but crier sends nothing there, so a signed request
// cannot make crier post a message's text to any address; the log names
// the host it refused, not the whole URL.
func TestAnswersGoOnlyToSlack(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	var logged lockedBuffer
	srv := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, SlackSigningSecret: slackSecret,
		Log: slog.New(slog.NewTextHandler(&logged, nil))}))
	defer srv.Close()
	f = &fixture{t: t, engine: f.engine, lib: f.lib, http: srv}
	answers := &slackAnswers{}
	elsewhere := httptest.NewServer(answers)
	defer elsewhere.Close()
	req := notifiers.Message{Delivery: id + "/statement/1/r1/approval-request", Message: id + "/statement/1", Kind: notifiers.KindApprovalRequest,
		Activation: id, Runbook: "tension", Step: "statement", Type: "slack", Target: "#comms-approvals", Revision: 1, Body: "We know."}
	click, err := f.click("U0HEADCOMMS", req, crierslack.ActionApprove, elsewhere.URL+"/secret-path", time.Now(), slackSecret)
	if err != nil {
		t.Fatal(err)
	}
	if code := send(t, click); code != http.StatusOK {
		t.Fatalf("click: %d", code)
	}
	if as, _ := f.engine.Read().ApprovalsOf(nil, id+"/statement/1"); len(as) != 1 {
		t.Errorf("the signed click was not recorded: %d approvals", len(as))
	}
	if a := answers.last(); a != nil {
		t.Errorf("crier answered at a response_url that is not Slack's: %v", a)
	}
	log := logged.String()
	if !strings.Contains(log, "not Slack's") || !strings.Contains(log, strings.TrimPrefix(elsewhere.URL, "http://")) || strings.Contains(log, "secret-path") {
		t.Errorf("the log:\n%s", log)
	}
}

// Which response_urls crier answers at: Slack's over HTTPS, and hosts
// the options name (a test's fake Slack).
func TestWhichResponseURLsAreSlacks(t *testing.T) {
	s := New(Options{SlackResponseHosts: []string{"127.0.0.1"}})
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.slack.com/actions/T0/1/abc", true},
		{"http://hooks.slack.com/actions/T0/1/abc", false},
		{"https://hooks.slack.com.evil.example/actions", false},
		{"https://evil.example/hooks.slack.com", false},
		{"https://user@hooks.slack.com/actions", false},
		{"https://hooks.slack.com:8443/actions", false},
		{"http://127.0.0.1:8080/answers", true},
		{"ftp://127.0.0.1/answers", false},
		{"http://127.0.0.2/answers", false},
		{"not a url", false},
	} {
		if _, ok := s.toSlack(tc.url); ok != tc.ok {
			t.Errorf("%s: answered %v, want %v", tc.url, ok, tc.ok)
		}
	}
}
