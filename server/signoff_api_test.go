package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/crierhq/crier/engine"
)

const jointStatement = `version: 1
id: joint
title: Joint statement
stakeholders:
  - {id: duty-comms, roles: [approver], rota: duty-comms}
  - {id: head-of-comms, roles: [approver], person: sam-patel}
  - {id: police-comms, roles: [approver], person: laura-chen}
channels:
  - {id: log, type: log}
steps:
  - id: statement
    title: Joint statement with the police
    at: 0s
    notify:
      to: [log]
      body: Northbridge stands together.
      approval: {approvers: [role:approver], min: 2, organisations: [nbc, police]}
`

// Over the API, a joint statement of the council and the police stays
// held after two council approvals, says the police are still to sign,
// and goes out after the police officer's; the report says who signed
// for whom.
func TestAJointStatementOverTheAPI(t *testing.T) {
	ctx := t.Context()
	e := examplesEngine(t, ctx)
	lib, err := NewLibraryFS(fstest.MapFS{"joint.yaml": {Data: []byte(jointStatement)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Engine: e, Library: lib})
	tokens := map[string]string{}
	for _, d := range s.AddDemoCast() {
		tokens[strings.Fields(d.User.Name)[0]] = d.Token
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	call := func(who, method, path string, body any) (int, map[string]any) {
		t.Helper()
		var b bytes.Buffer
		if body != nil {
			json.NewEncoder(&b).Encode(body)
		}
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, &b)
		req.Header.Set("Authorization", "Bearer "+tokens[who])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, a := call("Priya", "POST", "/api/v1/activations", map[string]any{"runbook": "joint", "mode": "live"})
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("activating: %d %v", code, a)
	}
	id, _ := a["id"].(string)
	msg := engine.OccurrenceID(id, "statement", 1) // due at the start: fired with the activation
	for _, who := range []string{"Alex", "Sam"} {
		if code, m := call(who, "POST", "/api/v1/messages/"+msg+"/approve", nil); code != http.StatusOK {
			t.Fatalf("%s approving: %d %v", who, code, m)
		}
	}
	_, m := call("Priya", "GET", "/api/v1/messages/"+msg, nil)
	if m["state"] != "pending_approval" || !strings.Contains(strings.Join(asStrings(m["still_to_sign"]), " "), "Northbridge Police (Laura Chen)") {
		t.Fatalf("after two council approvals: %v, still to sign %v", m["state"], m["still_to_sign"])
	}
	if code, m := call("Laura", "POST", "/api/v1/messages/"+msg+"/approve", nil); code != http.StatusOK {
		t.Fatalf("the police approving: %d %v", code, m)
	}
	if _, m = call("Priya", "GET", "/api/v1/messages/"+msg, nil); m["state"] == "pending_approval" || m["still_to_sign"] != nil {
		t.Errorf("after the police approved: %v, still to sign %v", m["state"], m["still_to_sign"])
	}
	code, report := call("Priya", "GET", "/api/v1/activations/"+id+"/report", nil)
	if code != http.StatusOK {
		t.Fatalf("the report: %d %v", code, report)
	}
	var signed []string
	for _, rm := range report["messages"].([]any) {
		for _, ap := range asSlice(rm.(map[string]any)["approvals"]) {
			p := ap.(map[string]any)
			signed = append(signed, p["by"].(string)+"="+p["organisation"].(string))
		}
	}
	if got := strings.Join(signed, " "); got != "duty-comms=nbc head-of-comms=nbc police-comms=police" {
		t.Errorf("the report says the approvals were %s", got)
	}
}

func asStrings(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asSlice(v any) []any {
	xs, _ := v.([]any)
	return xs
}
