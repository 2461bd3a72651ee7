package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// slackAPI is a stand-in for Slack's Web API: it keeps each message
// posted, answers the first post to one channel with a 429 and the first
// to another with a 500.
type slackAPI struct {
	mu    sync.Mutex
	calls map[string]int
	got   map[string][]string // channel → fallback texts
}

func (s *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := r.Form.Get("channel")
	s.calls[ch]++
	switch {
	case r.Header.Get("Authorization") != "Bearer xoxb-drill" && r.Form.Get("token") != "xoxb-drill":
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	case ch == "comms-cell" && s.calls[ch] == 1:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case ch == "partners" && s.calls[ch] == 1:
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	s.got[ch] = append(s.got[ch], r.Form.Get("text"))
	fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1"}`)
}

// mailbox is an SMTP server's backend keeping each email per recipient;
// it answers 451 the first time a busy mailbox is named and 550 always
// for an unknown one.
type mailbox struct {
	mu    sync.Mutex
	tries map[string]int
	got   map[string][]string // recipient → raw messages
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{b: b}, nil }

type mailSession struct {
	b  *mailbox
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.tries[to]++
	switch {
	case strings.HasPrefix(to, "nobody@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	case strings.HasPrefix(to, "busy@") && s.b.tries[to] == 1:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox busy, try later"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, to := range s.to {
		s.b.got[to] = append(s.b.got[to], string(raw))
	}
	return err
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

const configuredDrill = `version: 1
id: flood-warning
title: Flood warning for the river Northbridge
timezone: Europe/London
stakeholders:
  - id: duty
    name: Duty officer
    roles: [approver]
    email: duty@northbridge.gov.uk
channels:
  - id: cell
    type: slack
    slack_channel: "#comms-cell"
  - id: partner-chat
    type: slack
    slack_channel: "#partners"
  - id: wardens
    type: email
    to: [warden.one@example.org, busy@example.org, nobody@example.org, warden.two@example.org]
steps:
  - id: alert
    title: Flood alert
    at: 0s
    notify:
      to: [cell, partner-chat, wardens]
      subject: Flood alert for the riverside
      body: The Environment Agency has issued a flood alert. Check the sandbag stores.
  - id: update
    title: Public update
    at: 30m
    notify:
      to: [cell, wardens]
      subject: Riverside update
      body: Water levels are rising. Move vehicles away from the riverside car park.
      approval: {approvers: [duty]}
`

// A drill sends through the configured Slack and SMTP server: every
// message arrives once, marked as an exercise, where the runbook says,
// through a 429, a 500 and a 451; the one bad mailbox fails alone and is
// in the report.
func TestDrillWithConfig(t *testing.T) {
	slackFake := &slackAPI{calls: map[string]int{}, got: map[string][]string{}}
	api := httptest.NewServer(slackFake)
	defer api.Close()
	box := &mailbox{tries: map[string]int{}, got: map[string][]string{}}
	srv := smtp.NewServer(box)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	t.Setenv("DRILL_SLACK_TOKEN", "xoxb-drill")
	dir := t.TempDir()
	cfg := writeFile(t, dir, "crier.yaml", fmt.Sprintf(`version: 1
notifiers:
  slack:
    token: ${DRILL_SLACK_TOKEN}
    api_url: %s/
    approvals_channel: "#comms-approvals"
  email:
    host: 127.0.0.1
    port: %d
    tls: none
    from: "Northbridge Emergency Communications <emergency@northbridge.gov.uk>"
delivery:
  deadline: 1m
`, api.URL, l.Addr().(*net.TCPAddr).Port))
	rb := writeFile(t, dir, "flood.yaml", configuredDrill)

	// Unsealed, the instant drill through real services is refused,
	// saying whom it would reach, and nothing is sent.
	_, errOut, code := crier(t, "drill", "--config", cfg, rb)
	for _, want := range []string{"refusing to drill", "slack: 3 Slack users and channels: #comms-cell (cell), #partners (partner-chat), #comms-approvals (approvals channel)",
		"email: 5 addresses: warden.one@example.org (wardens), busy@example.org (wardens)", "--allow-real-recipients"} {
		if code != exitError || !strings.Contains(errOut, want) {
			t.Errorf("unsealed drill: exit %d, want %q in\n%s", code, want, errOut)
		}
	}
	if len(slackFake.calls) != 0 || len(box.tries) != 0 {
		t.Fatalf("a refused drill sent: Slack %v, email %v", slackFake.calls, box.tries)
	}
	out, errOut, code := crier(t, "drill", "--json", "--allow-real-recipients", "--config", cfg, rb)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var got struct {
		Deliveries []struct{ Step, Target, Status, Error string } `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	failed := 0
	for _, d := range got.Deliveries {
		switch {
		case d.Target == "nobody@example.org":
			failed++
			if d.Status != "failed" || !strings.Contains(d.Error, "550") {
				t.Errorf("bad mailbox: %+v", d)
			}
		case d.Status != "sent":
			t.Errorf("delivery %+v", d)
		}
	}
	if len(got.Deliveries) != 6+5 || failed != 2 {
		t.Errorf("%d deliveries, %d failed: %+v", len(got.Deliveries), failed, got.Deliveries)
	}
	wantSlack := map[string][]string{
		"comms-cell": {"EXERCISE EXERCISE EXERCISE Flood alert for the riverside", "EXERCISE EXERCISE EXERCISE Riverside update"},
		"partners":   {"EXERCISE EXERCISE EXERCISE Flood alert for the riverside"},
		// The update waited for approval: the request went to the approvals channel.
		"comms-approvals": {"Approval needed: EXERCISE EXERCISE EXERCISE Riverside update"},
	}
	if fmt.Sprint(slackFake.got) != fmt.Sprint(wantSlack) {
		t.Errorf("Slack got %v\nwant %v", slackFake.got, wantSlack)
	}
	for _, to := range []string{"warden.one@example.org", "busy@example.org", "warden.two@example.org"} {
		mails := box.got[to]
		if len(mails) != 2 || !strings.Contains(mails[0], "Subject: EXERCISE EXERCISE EXERCISE Flood alert") ||
			!strings.Contains(mails[1], "Move vehicles away") {
			t.Errorf("%s got %d emails:\n%s", to, len(mails), strings.Join(mails, "\n----\n"))
		}
	}
	// The faults happened and were waited out: a 429, a 500 and a 451.
	if slackFake.calls["comms-cell"] != 3 || slackFake.calls["partners"] != 2 || box.tries["busy@example.org"] != 3 {
		t.Errorf("Slack calls %v, tries at the busy mailbox %d", slackFake.calls, box.tries["busy@example.org"])
	}
	if len(box.got["nobody@example.org"]) != 0 {
		t.Error("the bad mailbox got mail")
	}
}

// A channel whose type no notifier takes stops the drill before it starts.
func TestDrillRefusesUnconfiguredChannels(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "crier.yaml", "version: 1\nnotifiers:\n  log: {}\n  webhook:\n    signing_secret: ${NOT_NEEDED}\n")
	t.Setenv("NOT_NEEDED", "a-signing-secret-long-enough")
	rb := writeFile(t, dir, "flood.yaml", configuredDrill)
	_, errOut, code := crier(t, "drill", "--config", cfg, rb)
	located := regexp.MustCompile(`flood\.yaml:\d+:\d+: channel "cell" sends by slack, and no slack notifier is configured`)
	if code != exitError || !located.MatchString(errOut) || !strings.Contains(errOut, `channel "wardens" sends by email`) {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// With exercise.participants the instant drill needs no flag: it sends only
// to the participants, and records every other delivery as withheld.
func TestDrillWithParticipantsSendsOnlyToThem(t *testing.T) {
	slackFake := &slackAPI{calls: map[string]int{}, got: map[string][]string{}}
	api := httptest.NewServer(slackFake)
	defer api.Close()
	t.Setenv("DRILL_SLACK_TOKEN", "xoxb-drill")
	dir := t.TempDir()
	cfg := writeFile(t, dir, "crier.yaml", fmt.Sprintf(`version: 1
notifiers:
  slack: {token: "${DRILL_SLACK_TOKEN}", api_url: %s/, approvals_channel: "#comms-approvals"}
  outbox: {dir: %s}
`, api.URL, dir))
	rb := writeFile(t, dir, "flood.yaml", configuredDrill+"exercise: {participants: [cell]}\n") // no email notifier: the wardens are not taking part
	out, errOut, code := crier(t, "drill", "--config", cfg, rb)
	if code != exitOK || !strings.Contains(out, "This exercise can reach only (everything else is withheld or redirected):\n  slack: 1 Slack user or channel: #comms-cell (cell)\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if fmt.Sprint(slackFake.calls) != "map[comms-cell:3]" {
		t.Errorf("Slack was called %v; want #comms-cell only (its first post answered 429)", slackFake.calls)
	}
	if !strings.Contains(out, "1 delivery, 5 withheld (not taking part)") {
		t.Errorf("the withheld deliveries to #partners and the wardens are not in the timeline:\n%s", out)
	}
}
