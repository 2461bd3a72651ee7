package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
)

// briefing is a runbook that asks people to do things: a briefing the
// cohesion officer must acknowledge, and a walkabout they must do.
const briefing = `version: 1
id: briefing
title: Briefing after a local incident
description: Brief the cohesion officer and walk the area.
timezone: Europe/London
params:
  - name: area
    description: Where it happened.
    required: true
stakeholders:
  - id: cohesion
    name: Community cohesion officer
    email: [cohesion@northbridge.gov.uk, cohesion.team@northbridge.gov.uk]
    phone: "+447700900107"
  - id: liaison
    name: Police liaison officer
    email: liaison@northshire-police.example
    slack: U0LIAISON
    phone: "+447700900121"
channels:
  - id: log
    type: log
steps:
  - id: brief
    title: Brief the cohesion officer
    at: 0s
    notify:
      to: [cohesion]
      subject: Incident in {{ .Params.area }}
      body: Please read the briefing on {{ .Params.area }}.
      ack_within: 15m
  - id: walkabout
    title: Community walkabout
    at: 0s
    task:
      assignee: cohesion
      instructions: Walk the area with the ward councillors.
      ack_within: 30m
`

// The cohesion officer signs in as a viewer: they hold no role that acts.
var workers = append([]config.User{
	{Name: "Cara Cohesion", Email: "cohesion@northbridge.gov.uk", Roles: []string{RoleViewer}, Token: "token-cohesion-00000000"},
	{Name: "Lou Liaison", Email: "liaison@northshire-police.example", Roles: []string{RoleViewer}, Token: "token-liaison-000000000"},
}, people...)

func newWorkFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"briefing.yaml": briefing, "tension.yaml": statement} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: workers, Now: func() time.Time { return start }}))
	t.Cleanup(srv.Close)
	return &fixture{t: t, engine: e, lib: lib, http: srv}
}

// briefed activates the briefing; both its steps, due at the start, fire with it.
func (f *fixture) briefed() string {
	f.t.Helper()
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{
		"runbook": "briefing", "mode": "live", "params": map[string]string{"area": "Eastfield"}, "event": "Disorder"})
	if code != http.StatusCreated {
		f.t.Fatalf("activate: %d %v", code, a)
	}
	return a["id"].(string) // its brief and walkabout, due at the start, fired with it
}

const (
	cara = "token-cohesion-00000000"
	lou  = "token-liaison-000000000"
)

func (f *fixture) signedIn(tok string) *browser {
	b := f.browser()
	if code, _, _ := b.do("POST", "/login", url.Values{"token": {tok}}); code != http.StatusSeeOther {
		f.t.Fatalf("signing in: %d", code)
	}
	return b
}

// An assignee with only the viewer role completes their own task over the
// API, under their own name; someone else may not, even a comms officer;
// a planner may complete anyone's.
func TestAssigneesCompleteTheirOwnTasksOverTheAPI(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	task := engine.OccurrenceID(id, "walkabout", 1)
	for _, who := range []string{lou, token("Omar"), token("Elle")} {
		if code, body := f.call(who, "POST", "/api/v1/tasks/"+task+"/done", nil); code != http.StatusForbidden {
			t.Errorf("someone else completed the task: %d %v", code, body)
		}
	}
	if code, body := f.call(lou, "POST", "/api/v1/tasks/"+task+"/ack", nil); code != http.StatusForbidden {
		t.Errorf("someone else acknowledged the task: %d %v", code, body)
	}
	if code, body := f.call(cara, "POST", "/api/v1/tasks/"+task+"/ack", nil); code != http.StatusOK || body["state"] != "acknowledged" {
		t.Fatalf("the assignee acknowledging: %d %v", code, body)
	}
	if code, body := f.call(cara, "POST", "/api/v1/tasks/"+task+"/reassign", map[string]string{"to": "liaison"}); code != http.StatusForbidden {
		t.Errorf("the assignee reassigned the task: %d %v", code, body)
	}
	code, body := f.call(cara, "POST", "/api/v1/tasks/"+task+"/done", nil)
	if code != http.StatusOK || body["state"] != "done" || body["done_by"] != "Cara Cohesion" {
		t.Fatalf("the assignee completing: %d %v", code, body)
	}

	other := f.briefed()
	theirs := engine.OccurrenceID(other, "walkabout", 1)
	if code, body := f.call(token("Priya"), "POST", "/api/v1/tasks/"+theirs+"/done", nil); code != http.StatusOK || body["done_by"] != "Priya Planner" {
		t.Errorf("a planner completing someone's task: %d %v", code, body)
	}
	third := engine.OccurrenceID(f.briefed(), "walkabout", 1)
	if code, body := f.call(token("Ada"), "POST", "/api/v1/tasks/"+third+"/done", nil); code != http.StatusOK || body["done_by"] != "Ada Admin" {
		t.Errorf("an admin completing someone's task: %d %v", code, body)
	}
}

// The assignee sees the task on their dashboard with its title, its
// instructions and when it must be acknowledged by, and acknowledges and
// completes it there; a stranger sees nothing and is refused.
func TestAssigneesWorkFromTheDashboard(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	task := engine.OccurrenceID(id, "walkabout", 1)
	b := f.signedIn(cara)
	_, dash, _ := b.do("GET", "/", nil)
	for _, want := range []string{`<a href="/ui/activations/` + id + `#tasks">Community walkabout</a><span class="instructions">Walk the area with the ward councillors.</span>`,
		"Briefing after a local incident (" + id + ") · yours · open · acknowledge by Sun 22 Nov 09:30 UTC", `<form method="post" action="/ui/tasks/` + task + `">`,
		`<form method="post" action="/ui/acks/` + task + `">`, `aria-label="Acknowledge the task Community walkabout (` + id + `)">Acknowledge</button>`,
		`value="done" aria-label="Mark the task Community walkabout (` + id + `) done">Mark done</button>`} {
		if !strings.Contains(dash, want) {
			t.Errorf("the assignee's dashboard lacks %s\n%s", want, dash)
		}
	}
	csrf := csrfField.FindStringSubmatch(dash)[1]
	code, page := b.post("/ui/acks/"+task, url.Values{"csrf": {csrf}, "back": {"dashboard"}})
	if code != http.StatusOK || !strings.Contains(page, "Your acknowledgement is recorded.") || !strings.Contains(page, "yours · acknowledged") {
		t.Fatalf("acknowledging from the dashboard: %d\n%s", code, page)
	}
	code, page = b.post("/ui/tasks/"+task, url.Values{"csrf": {csrf}, "action": {"done"}, "back": {"dashboard"}})
	if code != http.StatusOK || !strings.Contains(page, "The task is done.") || strings.Contains(page, "Community walkabout</a>") {
		t.Fatalf("completing from the dashboard: %d\n%s", code, page)
	}
	if tk, _ := f.engine.Read().Task(nil, task); tk.DoneBy != "Cara Cohesion" || tk.AcknowledgedBy != "cohesion" {
		t.Errorf("task = %+v", tk)
	}

	other := f.briefed()
	theirs := engine.OccurrenceID(other, "walkabout", 1)
	s := f.signedIn(lou)
	_, dash, _ = s.do("GET", "/", nil)
	if strings.Contains(dash, "/ui/tasks/") {
		t.Errorf("a stranger is offered the task:\n%s", dash)
	}
	code, page = s.post("/ui/tasks/"+theirs, url.Values{"csrf": {csrfField.FindStringSubmatch(dash)[1]}, "action": {"done"}, "back": {"dashboard"}})
	if code != http.StatusForbidden || !strings.Contains(page, "Lou Liaison may not do this") {
		t.Errorf("a stranger completing the task: %d\n%s", code, page)
	}
	if tk, _ := f.engine.Read().Task(nil, theirs); tk.State != "open" {
		t.Errorf("task = %+v", tk)
	}
}

// A stakeholder acknowledges a message sent to them from the dashboard
// and from its page; someone it was not sent to cannot.
func TestStakeholdersAcknowledgeInTheApp(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	msg := engine.OccurrenceID(id, "brief", 1)

	s := f.signedIn(lou)
	_, dash, _ := s.do("GET", "/", nil)
	if strings.Contains(dash, "/ui/acks/") {
		t.Errorf("someone it was not sent to is asked to acknowledge:\n%s", dash)
	}
	if _, page, _ := s.do("GET", "/ui/messages/"+msg, nil); strings.Contains(page, "/ui/acks/") {
		t.Errorf("the message page offers someone it was not sent to an Acknowledge button:\n%s", page)
	}
	code, page := s.post("/ui/acks/"+msg, url.Values{"csrf": {csrfField.FindStringSubmatch(dash)[1]}, "back": {"dashboard"}})
	if code != http.StatusConflict || !strings.Contains(page, "Not acknowledged: liaison was not sent "+msg) {
		t.Errorf("someone it was not sent to acknowledging: %d\n%s", code, page)
	}

	b := f.signedIn(cara)
	_, dash, _ = b.do("GET", "/", nil)
	for _, want := range []string{`<a href="/ui/messages/` + msg + `">Incident in Eastfield</a>`, `<form method="post" action="/ui/acks/` + msg + `">`,
		`Task: <a href="/ui/messages/` + engine.OccurrenceID(id, "walkabout", 1) + `">Community walkabout</a>`} {
		if !strings.Contains(dash, want) {
			t.Errorf("the dashboard lacks %s\n%s", want, dash)
		}
	}
	if _, page, _ := b.do("GET", "/ui/messages/"+msg, nil); !strings.Contains(page, `<form method="post" action="/ui/acks/`+msg+`">`) {
		t.Errorf("the message page offers its addressee no Acknowledge button:\n%s", page)
	}
	code, page = b.post("/ui/acks/"+msg, url.Values{"csrf": {csrfField.FindStringSubmatch(dash)[1]}, "back": {"dashboard"}})
	if code != http.StatusOK || !strings.Contains(page, "Your acknowledgement is recorded.") || strings.Contains(page, `action="/ui/acks/`+msg+`"`) {
		t.Fatalf("acknowledging from the dashboard: %d\n%s", code, page)
	}
	acks, _ := f.engine.Read().AcknowledgementsOf(nil, msg)
	if len(acks) != 1 || acks[0].Stakeholder != "cohesion" || acks[0].Via != "web" || acks[0].By != "Cara Cohesion" {
		t.Errorf("acknowledgements: %+v", acks)
	}
	if _, page, _ := b.do("GET", "/ui/messages/"+msg, nil); strings.Contains(page, "/ui/acks/") {
		t.Errorf("still offered after acknowledging:\n%s", page)
	}

	// From the message page: the task's notice acknowledges the task.
	task := engine.OccurrenceID(id, "walkabout", 1)
	code, page = b.post("/ui/acks/"+task, url.Values{"csrf": {csrfField.FindStringSubmatch(dash)[1]}, "back": {"message"}})
	if code != http.StatusOK || !strings.Contains(page, "Your acknowledgement is recorded.") {
		t.Fatalf("acknowledging from the message page: %d\n%s", code, page)
	}
	if tk, _ := f.engine.Read().Task(nil, task); tk.State != "acknowledged" {
		t.Errorf("task = %+v", tk)
	}
}

// Everyone signed in reads a runbook: every contact, the steps and the
// plan from the start they choose; only those who may are offered to
// activate it.
func TestRunbookPage(t *testing.T) {
	f := newWorkFixture(t)
	v := f.signedIn(token("Val"))
	code, page, _ := v.do("GET", "/ui/runbooks/briefing?start=2026-03-28T09:00", nil)
	if code != http.StatusOK {
		t.Fatalf("runbook page: %d\n%s", code, page)
	}
	for _, want := range []string{"<h1>Briefing after a local incident</h1>", "Brief the cohesion officer and walk the area.",
		`<a href="mailto:cohesion@northbridge.gov.uk">`, `<a href="mailto:cohesion.team@northbridge.gov.uk">`, `<a href="tel:&#43;447700900107">`,
		`<a href="mailto:liaison@northshire-police.example">`, `<a href="tel:&#43;447700900121">`, "U0LIAISON",
		"Plan from Sat 28 Mar 2026 09:00 GMT", "<td>Sat 28 Mar 09:00<br>", "Community walkabout", "acknowledge within 30m",
		"Please read the briefing on [area].", "<strong>area</strong> (required): Where it happened.", `value="2026-03-28T09:00"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the runbook page lacks %s", want)
		}
	}
	if strings.Contains(page, "/activate") {
		t.Error("a viewer is offered to activate")
	}
	if _, dash, _ := v.do("GET", "/", nil); !strings.Contains(dash, `<a href="/ui/runbooks/briefing">`) || strings.Contains(dash, "/activate") {
		t.Errorf("the viewer's dashboard should link to the runbook page and offer no activation:\n%s", dash)
	}
	for who, wants := range map[string]string{"Elle": "Start an exercise", "Priya": "Activate, or start an exercise"} {
		if _, page, _ := f.signedIn(token(who)).do("GET", "/ui/runbooks/briefing", nil); !strings.Contains(page, `href="/ui/runbooks/briefing/activate">`+wants+`</a>`) {
			t.Errorf("%s is not offered %q", who, wants)
		}
	}
	code, page, _ = v.do("GET", "/ui/runbooks/briefing?start=next+tuesday", nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "The start &#34;next tuesday&#34; is not a date and time like 2026-03-28 09:00; the plan below is from now.") ||
		!strings.Contains(page, "Plan from Sun 22 Nov 2026 09:00 GMT") {
		t.Errorf("a start that is not a time: %d\n%s", code, page)
	}
	if code, page, _ := v.do("GET", "/ui/runbooks/nonesuch", nil); code != http.StatusNotFound || !strings.Contains(page, "There is no runbook nonesuch.") {
		t.Errorf("no such runbook: %d\n%s", code, page)
	}
}

// The dashboard splits running from ended activations; the archive lists
// every one, newest first, with its report.
func TestActivationsArchive(t *testing.T) {
	f := newWorkFixture(t)
	first, second := f.briefed(), f.briefed()
	if code, body := f.call(token("Priya"), "POST", "/api/v1/activations/"+first+"/standdown", map[string]string{"reason": "All clear"}); code != http.StatusOK {
		t.Fatalf("standdown: %d %v", code, body)
	}
	b := f.signedIn(token("Val"))
	_, dash, _ := b.do("GET", "/", nil)
	running, ended, ok := strings.Cut(dash, "<h3>Ended</h3>")
	if !ok || !strings.Contains(running, `<a href="/ui/activations/`+second+`">`) || strings.Contains(running, `<a href="/ui/activations/`+first+`">`) ||
		!strings.Contains(ended, `<a href="/ui/activations/`+first+`">`) || !strings.Contains(ended, `<a href="/ui/activations">Every activation (1 ended), with its report</a>`) {
		t.Errorf("running and ended:\n%s", dash)
	}
	code, page, _ := b.do("GET", "/ui/activations", nil)
	newest, oldest := strings.Index(page, `href="/ui/activations/`+second+`"`), strings.Index(page, `href="/ui/activations/`+first+`"`)
	if code != http.StatusOK || newest < 0 || oldest < newest || !strings.Contains(page, `<a href="/ui/activations/`+first+`/report" aria-label="Report on Briefing after a local incident (`+first+`)">Report</a>`) ||
		!strings.Contains(page, "stood down") || !strings.Contains(page, "<span class=\"muted\">running</span>") {
		t.Errorf("archive: %d\n%s", code, page)
	}
}
