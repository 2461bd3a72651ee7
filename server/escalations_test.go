package server

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
)

// partnerAlert is a runbook whose alert must be acknowledged within 15
// minutes, and whose police partner's mailbox bounces. The police
// liaison's name is written with markup, as a careless planner might.
const partnerAlert = `version: 1
id: partners
title: Partner alert after a flood
stakeholders:
  - id: head-comms
    name: Head of communications
    email: head.comms@northbridge.gov.uk
  - id: cohesion
    name: Community cohesion officer
    email: cohesion@northbridge.gov.uk
  - id: police
    name: Police <b>liaison</b> *officer*
    email: bounced@police.example
channels:
  - id: log
    type: log
steps:
  - id: alert
    title: Partner alert
    at: 0s
    notify:
      to: [cohesion, police]
      subject: Flood alert for partners
      body: Please acknowledge.
      ack_within: 15m
      escalate_to: [head-comms]
`

// bouncer fails for good every email to one address, as a 550 does.
type bouncer struct{}

func (bouncer) Notify(_ context.Context, m notifiers.Message) (bool, error) {
	if m.Target == "bounced@police.example" {
		return false, errors.New("550 5.1.1 no such mailbox")
	}
	return false, nil
}

// scheduled is a server over an engine whose scheduler and deliverer run
// on a virtual clock, moved on by the test.
type scheduled struct {
	*fixture
	clock *engine.VirtualClock
	sched *engine.Scheduler
	deliv *engine.Deliverer
}

func newScheduled(t *testing.T, runbooks map[string]string, opts Options) *scheduled {
	t.Helper()
	dir := t.TempDir()
	for name, src := range runbooks {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	clock := engine.NewVirtualClock(start)
	e, err := engine.Open(t.Context(), engine.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := engine.NewScheduler(e, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	deliv := engine.NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: bouncer{}}})
	go deliv.Run(t.Context())
	opts.Engine, opts.Library, opts.Users, opts.Now = e, lib, people, clock.Now
	srv := httptest.NewServer(New(opts))
	t.Cleanup(srv.Close)
	return &scheduled{fixture: &fixture{t: t, engine: e, lib: lib, http: srv}, clock: clock, sched: sched, deliv: deliv}
}

// until runs everything due up to start+d, delivering what is sent.
func (s *scheduled) until(d time.Duration) {
	s.t.Helper()
	for _, step := range []time.Duration{0, d} {
		s.sched.RunInstant(s.t.Context(), s.clock, start.Add(step))
		if err := s.deliv.Deliver(s.t.Context()); err != nil {
			s.t.Fatal(err)
		}
	}
}

// When an alert's escalation runs out with people still to acknowledge it,
// the dashboard, the activation page and the report each say who is still
// waiting, by name, and that no more reminders will be sent; the partner
// every delivery failed to reach is shown as unreachable. Someone who
// acknowledges later drops off the list; an activation that has ended is
// no longer counted on the dashboard.
func TestStillWaitingAfterTheEscalationRanOut(t *testing.T) {
	f := newScheduled(t, map[string]string{"partners": partnerAlert}, Options{})
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "partners", "mode": "live", "event": "River Wend in flood"})
	if code != 201 {
		t.Fatalf("activate: %d %v", code, a)
	}
	id := a["id"].(string)
	f.until(24 * time.Hour)

	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	line := "<strong>Still waiting: Community cohesion officer, Police &lt;b&gt;liaison&lt;/b&gt; *officer* (unreachable: every delivery failed)" +
		" — <a href=\"/ui/messages/" + id + "/alert/1\">acknowledgement of Partner alert</a></strong> (no more reminders will be sent)"
	_, dash, _ := b.do("GET", "/", nil)
	for _, want := range []string{`<h2 id="still-h">Still waiting after every reminder</h2>`,
		`<h3>1 still waiting in <a href="/ui/activations/` + id + `#still-waiting">Partner alert after a flood: River Wend in flood</a></h3>`, line,
		`<strong class="error">1 still waiting after their escalation ran out</strong>`} {
		if !strings.Contains(dash, want) {
			t.Errorf("the dashboard lacks %s\n%s", want, dash)
		}
	}
	_, page, _ := b.do("GET", "/ui/activations/"+id, nil)
	if !strings.Contains(page, `<section class="alert" id="still-waiting"`) || !strings.Contains(page, line) {
		t.Errorf("the activation page lacks the line\n%s", page)
	}
	if strings.Index(page, "still-waiting") > strings.Index(page, "Planned and actual") {
		t.Error("what is still waiting is not at the top of the activation page")
	}
	// Only the alert itself asks for acknowledgement, not the notices about it.
	acks := page[strings.Index(page, `id="acks-h"`):strings.Index(page, `id="tasks"`)]
	if strings.Count(acks, "waiting for") != 1 || !strings.Contains(acks, "Flood alert for partners</a> <span class=\"muted\">waiting for Community cohesion officer") {
		t.Errorf("acknowledgements outstanding:\n%s", acks)
	}
	if _, mp, _ := b.do("GET", "/ui/messages/"+id+"/alert/1", nil); !strings.Contains(mp, line) {
		t.Errorf("the alert's own page does not say it is still waiting\n%s", mp)
	}

	// The report: a line for the deadline's rounds in its timeline, and
	// what is still waiting in its summary, names escaped so that Markdown
	// shows them as written.
	_, md := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/report?format=md", nil)
	report := md["raw"].(string)
	for _, want := range []string{
		"| 09:15 | T+15m | 1 escalation and 2 reminders to Head of communications about acknowledgement of Partner alert " +
			"(waiting for Community cohesion officer), 09:15–10:00; **chain ran out, still waiting for Community cohesion officer**; " +
			"unreachable, every delivery failed: Police \\<b\\>liaison\\</b\\> \\*officer\\* | - |\n",
		"- **Still waiting: Community cohesion officer, Police \\<b\\>liaison\\</b\\> \\*officer\\* (unreachable: every delivery failed) — " +
			"acknowledgement of Partner alert** (no more reminders will be sent)\n",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks\n%s\n---\n%s", want, report)
		}
	}
	_, html, _ := b.do("GET", "/ui/activations/"+id+"/report", nil)
	if !strings.Contains(html, "Police &lt;b&gt;liaison&lt;/b&gt; *officer* (unreachable: every delivery failed)") || strings.Contains(html, "<b>liaison") {
		t.Errorf("the report page does not show the name as written\n%s", html)
	}
	_, js := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/report", nil)
	if still, _ := js["still_waiting"].([]any); len(still) != 1 {
		t.Errorf("the JSON report's still_waiting: %v", js["still_waiting"])
	}

	// The cohesion officer acknowledges, late: only the partner is left.
	if code, m := f.call(token("Ada"), "POST", "/api/v1/messages/"+id+"/alert/1/ack", map[string]string{"for": "cohesion"}); code != 200 {
		t.Fatalf("acknowledging for the cohesion officer: %d %v", code, m)
	}
	_, page, _ = b.do("GET", "/ui/activations/"+id, nil)
	if !strings.Contains(page, "<strong>Still waiting: Police &lt;b&gt;liaison&lt;/b&gt; *officer* (unreachable: every delivery failed) — <a") {
		t.Errorf("after the late acknowledgement\n%s", page)
	}
	if code, m := f.call(token("Priya"), "POST", "/api/v1/activations/"+id+"/standdown", map[string]string{"reason": "Water receding"}); code != 200 {
		t.Fatalf("stand down: %d %v", code, m)
	}
	if _, dash, _ = b.do("GET", "/", nil); strings.Contains(dash, "still waiting") || strings.Contains(dash, "Still waiting") {
		t.Errorf("an activation stood down is still counted on the dashboard\n%s", dash)
	}
}
