package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
)

// statement is a runbook whose public statement needs two approvers.
const statement = `version: 1
id: tension
title: Community tension after a local incident
params:
  - name: area
    required: true
stakeholders:
  - id: head-comms
    name: Head of communications
    roles: [approver]
    email: head.comms@northbridge.gov.uk
  - id: duty-comms
    name: Duty communications officer
    roles: [approver]
    email: duty.comms@northbridge.gov.uk
  - id: cohesion
    name: Community cohesion officer
    email: cohesion@northbridge.gov.uk
    slack: U0COHESION
  - id: liaison
    name: Police liaison officer
    slack: U0LIAISON
channels:
  - id: public
    type: slack
    slack_channel: "#public-updates"
steps:
  - id: statement
    title: Statement on the incident
    at: 0s
    notify:
      to: [public]
      subject: Statement on the incident in {{ .Params.area }}
      body: We know there is concern in {{ .Params.area }}. Officers are on patrol.
      approval: {approvers: [role:approver], min: 2}
  - id: walkabout
    title: Community walkabout
    at: 0s
    task:
      assignee: cohesion
      instructions: Walk the area with the ward councillors.
      ack_within: 30m
`

var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// The users, one per role, and two comms officers the runbook does not name alike.
var people = []config.User{
	{Name: "Val Viewer", Email: "viewer@northbridge.gov.uk", Roles: []string{RoleViewer}, Token: "token-viewer-0000000000"},
	{Name: "Priya Planner", Email: "planner@northbridge.gov.uk", Roles: []string{RolePlanner}, Token: "token-planner-000000000"},
	{Name: "Hana Head", Email: "head.comms@northbridge.gov.uk", Slack: "U0HEADCOMMS", Roles: []string{RoleComms}, Token: "token-head-comms-000000"},
	{Name: "Dev Duty", Email: "duty.comms@northbridge.gov.uk", Slack: "U0DUTYCOMMS", Roles: []string{RoleComms}, Token: "token-duty-comms-000000"},
	// On the same duty rota, sharing its mailbox: another person.
	{Name: "Dina Duty", Email: "duty.comms@northbridge.gov.uk", Roles: []string{RoleComms}, Token: "token-duty-comms-second"},
	{Name: "Omar Other", Email: "press@northbridge.gov.uk", Roles: []string{RoleComms}, Token: "token-other-comms-00000"},
	{Name: "Elle Lead", Email: "exercises@northbridge.gov.uk", Roles: []string{RoleExerciseLead}, Token: "token-exercise-lead-000"},
	{Name: "Ada Admin", Email: "admin@northbridge.gov.uk", Roles: []string{RoleAdmin}, Token: "token-admin-00000000000"},
}

func token(name string) string {
	for _, p := range people {
		if strings.HasPrefix(p.Name, name) {
			return string(p.Token)
		}
	}
	panic(name)
}

// fixture is a server over an engine on a virtual clock, with the
// statement runbook in its library.
type fixture struct {
	t      *testing.T
	engine *engine.Engine
	lib    *Library
	http   *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tension.yaml"), []byte(statement), 0o644); err != nil {
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
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return start },
		SlackSigningSecret: slackSecret, SlackResponseHosts: []string{"127.0.0.1"}}))
	t.Cleanup(srv.Close)
	return &fixture{t: t, engine: e, lib: lib, http: srv}
}

// call makes a request as the user holding tok and decodes the answer.
func (f *fixture) call(tok, method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, f.http.URL+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if json.Unmarshal(data, &out) != nil {
		out = map[string]any{"raw": string(data)}
	}
	return resp.StatusCode, out
}

// activated is a live activation with its statement drafted and its task open.
func (f *fixture) activated() string {
	f.t.Helper()
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{
		"runbook": "tension", "mode": "live", "params": map[string]string{"area": "Eastfield"}, "event": "Disorder after a stabbing"})
	if code != http.StatusCreated {
		f.t.Fatalf("activate: %d %v", code, a)
	}
	return a["id"].(string) // its statement and walkabout, due at the start, fired with it
}

// A two-approver statement: refused for a comms officer the runbook does
// not name, for the officer who edited it (four eyes), and for a stale
// revision; approved by two named officers, it goes out.
func TestApprovalOverTheAPI(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	msg := "/api/v1/messages/" + id + "/statement/1"

	code, m := f.call(token("Val"), "GET", msg, nil)
	if code != http.StatusOK || m["state"] != "pending_approval" || !strings.Contains(m["body"].(string), "concern in Eastfield") {
		t.Fatalf("get: %d %v", code, m)
	}
	if code, m = f.call(token("Omar"), "POST", msg+"/approve", nil); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "not an approver") {
		t.Errorf("unnamed comms officer: %d %v", code, m)
	}
	if code, m = f.call(token("Omar"), "PUT", msg, map[string]string{"body": "Rewritten."}); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "not an approver") {
		t.Errorf("unnamed comms officer editing: %d %v", code, m)
	}
	if code, m = f.call(token("Dev"), "PUT", msg, map[string]string{"body": "We know there is concern in Eastfield. Officers are on patrol tonight."}); code != http.StatusOK || m["revision"] != 2.0 {
		t.Fatalf("edit: %d %v", code, m)
	}
	if code, m = f.call(token("Dev"), "POST", msg+"/approve", nil); code != http.StatusForbidden || !strings.Contains(m["error"].(string), "four eyes") {
		t.Errorf("editor approving: %d %v", code, m)
	}
	if code, m = f.call(token("Hana"), "POST", msg+"/approve", map[string]int{"revision": 1}); code != http.StatusConflict {
		t.Errorf("stale revision: %d %v", code, m)
	}
	if code, m = f.call(token("Hana"), "POST", msg+"/approve", map[string]int{"revision": 2}); code != http.StatusOK || m["state"] != "pending_approval" {
		t.Errorf("first approval: %d %v", code, m)
	}
	// A second approver is needed: the admin is not named by the runbook either.
	if code, _ = f.call(token("Ada"), "POST", msg+"/approve", nil); code != http.StatusForbidden {
		t.Errorf("admin not named as approver: %d", code)
	}
	code, m = f.call(token("Priya"), "GET", "/api/v1/messages?state=pending_approval", nil)
	if code != http.StatusOK {
		t.Errorf("list: %d", code)
	}
	// Escaped ids work as well as plain ones.
	escaped := "/api/v1/messages/" + strings.ReplaceAll(id+"/statement/1", "/", "%2F")
	if code, m = f.call(token("Val"), "GET", escaped, nil); code != http.StatusOK || m["id"] != id+"/statement/1" {
		t.Errorf("escaped id: %d %v", code, m)
	}
}

// Every route refuses a request without a known token, and refuses the
// roles that may not use it; it lets the others through (whatever the
// engine then says).
func TestWhoMayDoWhat(t *testing.T) {
	f := newFixture(t)
	f = f.withServer(Options{WrongTokens: GuessLimit{PerMinute: 5, Burst: 1000}}) // every route tries a wrong token
	id := f.activated()
	msg := id + "/statement/1"
	task := id + "/walkabout/1"
	everyone := []string{RoleViewer, RolePlanner, RoleComms, RoleExerciseLead}
	routes := []struct {
		method, path string
		body         any
		may          []string // the roles, besides admin
	}{
		{"GET", "/api/v1/runbooks", nil, everyone},
		{"GET", "/api/v1/runbooks/tension", nil, everyone},
		{"GET", "/api/v1/runbooks/tension/reach?mode=exercise", nil, everyone},
		{"POST", "/api/v1/activations", map[string]any{"runbook": "tension", "mode": "live", "params": map[string]string{"area": "X"}}, []string{RolePlanner}},
		{"POST", "/api/v1/activations", map[string]any{"runbook": "tension", "mode": "exercise", "params": map[string]string{"area": "X"}}, []string{RolePlanner, RoleExerciseLead}},
		{"GET", "/api/v1/activations", nil, everyone},
		{"GET", "/api/v1/activations/" + id, nil, everyone},
		{"GET", "/api/v1/activations/" + id + "/report?format=md", nil, everyone},
		{"GET", "/api/v1/activations/" + id + "/report?format=html", nil, everyone},
		{"POST", "/api/v1/activations/" + id + "/decisions", map[string]string{"decision": "Open a rest centre"}, []string{RolePlanner}},
		{"GET", "/api/v1/messages?activation=" + id, nil, everyone},
		{"GET", "/api/v1/messages/" + msg, nil, everyone},
		{"PUT", "/api/v1/messages/" + msg, map[string]string{"body": "Edited."}, []string{RoleComms}},
		{"POST", "/api/v1/messages/" + msg + "/reject", map[string]string{"reason": "wrong area"}, []string{RoleComms}},
		{"POST", "/api/v1/messages/" + msg + "/ack", nil, everyone},
		{"GET", "/api/v1/tasks?activation=" + id, nil, everyone},
		{"GET", "/api/v1/snapshot", nil, nil}, // the admin's alone
		{"POST", "/api/v1/tasks/" + task + "/ack", nil, everyone},
		{"POST", "/api/v1/activations/" + id + "/speed", map[string]float64{"speed": 60}, []string{RolePlanner, RoleExerciseLead}},
		{"POST", "/api/v1/activations/" + id + "/injects", map[string]any{"to": []string{"public"}, "body": "A second incident"}, []string{RoleExerciseLead}},
		{"POST", "/api/v1/activations/" + id + "/halt", map[string]string{"reason": "real incident"}, []string{RolePlanner, RoleExerciseLead}},
		{"POST", "/api/v1/activations/" + id + "/standdown", map[string]string{"reason": "all clear"}, []string{RolePlanner}},
	}
	for _, rt := range routes {
		for _, tok := range []string{"", "not-a-token"} {
			if code, _ := f.call(tok, rt.method, rt.path, rt.body); code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d, want 401", rt.method, rt.path, tok, code)
			}
		}
		for _, p := range people {
			allowed := p.Roles[0] == RoleAdmin || slices.Contains(rt.may, p.Roles[0])
			code, body := f.call(string(p.Token), rt.method, rt.path, rt.body)
			// The role check says "may not"; past it, the engine may still
			// refuse (not an approver of this runbook, not a stakeholder).
			refusedByRole := code == http.StatusForbidden && strings.Contains(fmt.Sprint(body["error"]), " may not ")
			if refusedByRole == allowed {
				t.Errorf("%s %s as %s: %d %v (allowed: %v)", rt.method, rt.path, p.Name, code, body, allowed)
			}
		}
	}
}

// Bodies that are too big, not JSON, or carry unknown fields are refused
// with a JSON error saying so.
func TestBadBodies(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		body string
		code int
		want string
	}{
		{"", http.StatusBadRequest, "empty"},
		{"{", http.StatusBadRequest, "not the JSON expected"},
		{`{"runbook":"tension","mode":"live","colour":"red"}`, http.StatusBadRequest, `unknown field "colour"`},
		{`{"runbook":"tension","mode":"live"} {}`, http.StatusBadRequest, "more than one JSON value"},
		{`{"runbook":"tension","mode":"live","event":"` + strings.Repeat("x", MaxBody) + `"}`, http.StatusRequestEntityTooLarge, "larger than"},
		{`{"runbook":"tension","mode":"sometimes"}`, http.StatusUnprocessableEntity, "live"},
		{`{"runbook":"nope","mode":"live"}`, http.StatusUnprocessableEntity, "no runbook nope"},
		{`{"runbook":"tension","mode":"live"}`, http.StatusUnprocessableEntity, "area"},
		{`[]`, http.StatusBadRequest, "expected a JSON object, got a list"},
		{`{"runbook":5}`, http.StatusBadRequest, "runbook takes a string, not a number"},
		{`{"runbook":"tension","mode":"live","severity":"apocalyptic","params":{"area":"X"}}`, http.StatusUnprocessableEntity, "low, medium, high, critical"},
	} {
		code, out := f.call(token("Priya"), "POST", "/api/v1/activations", tc.body)
		if code != tc.code || !strings.Contains(fmt.Sprint(out["error"]), tc.want) || out["code"] == nil {
			t.Errorf("body %.40q: %d %v; want %d with %q", tc.body, code, out, tc.code, tc.want)
		}
	}
	if code, out := f.call("", "GET", "/readyz", nil); code != http.StatusOK || out["status"] != "ready" {
		t.Errorf("readyz: %d %v", code, out)
	}
	if code, out := f.call(token("Val"), "GET", "/api/v1/nothing", nil); code != http.StatusNotFound || out["code"] != "not_found" {
		t.Errorf("unknown route: %d %v", code, out)
	}
}

// /metrics shows the record's counts, and the deliveries counted as they
// finished, to a user with a token.
func TestMetrics(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tension.yaml"), []byte(statement), 0o644)
	lib, _ := NewLibrary([]string{dir})
	e, _ := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	m := NewMetrics(e)
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Metrics: m}))
	defer srv.Close()
	f := &fixture{t: t, engine: e, http: srv}
	f.activated()
	m.Observe(notifiers.Outcome{Message: notifiers.Message{Type: "email"}})
	m.Observe(notifiers.Outcome{Message: notifiers.Message{Type: "email"}, Err: errors.New("550")})
	if code, _ := f.call("", "GET", "/metrics", nil); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", code)
	}
	_, out := f.call(token("Val"), "GET", "/metrics", nil)
	text := fmt.Sprint(out["raw"])
	for _, want := range []string{`crier_activations{mode="live",state="active"} 1`, `crier_messages{state="pending_approval"} 1`,
		`crier_tasks{state="open"} 1`, `crier_deliveries_total{outcome="failed",type="email"} 1`, `crier_deliveries_total{outcome="sent",type="email"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Requests crier cannot carry out are answered with what is wrong, in
// JSON, with the status that says so.
func TestRefusalsSayWhy(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	msg := "/api/v1/messages/" + id + "/statement/1"
	for _, tc := range []struct {
		who, method, path string
		body              any
		code              int
		want              string
	}{
		{"Priya", "POST", "/api/v1/tasks/" + id + "/statement/1/ack", nil, http.StatusNotFound, "no task"},
		{"Hana", "POST", msg + "/ack", nil, http.StatusForbidden, "was not sent"},
		{"Hana", "GET", msg + "/approve", nil, http.StatusMethodNotAllowed, "POST"},
		{"Val", "GET", "/api/v1/messages?state=waiting", nil, http.StatusBadRequest, "pending_approval"},
		{"Val", "GET", "/api/v1/tasks?state=late", nil, http.StatusBadRequest, "acknowledged"},
		{"Val", "GET", "/api/v1/events?activation=a-999999", nil, http.StatusNotFound, "no activation"},
		{"Priya", "POST", "/api/v1/tasks/" + id + "/walkabout/1/reassign", map[string]string{"to": "nobody"}, http.StatusUnprocessableEntity, "not a stakeholder"},
		{"Priya", "POST", "/api/v1/activations/" + id + "/speed", map[string]float64{"speed": 60}, http.StatusConflict, "live"},
	} {
		code, out := f.call(token(tc.who), tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(fmt.Sprint(out["error"]), tc.want) || out["code"] == nil {
			t.Errorf("%s %s: %d %v; want %d with %q", tc.method, tc.path, code, out, tc.code, tc.want)
		}
	}
	code, d := f.call(token("Priya"), "POST", "/api/v1/activations/"+id+"/decisions", map[string]string{"decision": "Open a rest centre"})
	if code != http.StatusCreated || d["decision"] != "Open a rest centre" || d["id"] == nil {
		t.Errorf("decision: %d %v", code, d)
	}
}

// Two officers on one duty rota share its mailbox, and so one stakeholder:
// they are two people, each approving once, and the record names each.
func TestTwoPeopleSharingAMailboxApproveAsTwo(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	msg := "/api/v1/messages/" + id + "/statement/1"
	if code, out := f.call(token("Dev"), "POST", msg+"/approve", nil); code != http.StatusOK {
		t.Fatalf("Dev approving: %d %v", code, out)
	}
	if code, out := f.call(token("Dev"), "POST", msg+"/approve", nil); code == http.StatusOK || !strings.Contains(fmt.Sprint(out["error"]), "Dev Duty has already approved") {
		t.Errorf("Dev approving again: %d %v", code, out)
	}
	code, m := f.call(token("Dina"), "POST", msg+"/approve", nil)
	if code != http.StatusOK || m["state"] != "dispatching" {
		t.Fatalf("Dina approving after Dev, on the same mailbox: %d %v", code, m)
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	if _, page, _ := b.do("GET", "/ui/messages/"+id+"/statement/1", nil); !strings.Contains(page, "Approved by Dev Duty (as Duty communications officer)") ||
		!strings.Contains(page, "Approved by Dina Duty (as Duty communications officer)") {
		t.Errorf("the message page does not name both people:\n%s", page)
	}
	_, r := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/report?format=md", nil)
	report := fmt.Sprint(r["raw"])
	for _, want := range []string{"approved revision 1 by Dev Duty (as Duty communications officer)", "approved revision 1 by Dina Duty (as Duty communications officer)"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}
