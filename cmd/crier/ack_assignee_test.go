package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/server"
)

// `crier ack TASK` is how the person a task is assigned to acknowledges it
// ("a task, or a message sent to you, as yourself"): the assignee need not
// be a planner. The engine accepts the assignee's acknowledgement; the
// command must not be refused by the route's roles first.
func TestAckTaskAsItsAssignee(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "walk.yaml"), []byte(`version: 1
id: walk
title: Community walkabout
stakeholders:
  - id: cohesion
    name: Community cohesion officer
    email: cohesion@northbridge.gov.uk
channels:
  - id: log
    type: log
steps:
  - id: walkabout
    title: Community walkabout
    at: 0s
    task:
      assignee: cohesion
      instructions: Walk the area with the ward councillors.
      ack_within: 30m
`), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := server.NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	users := []config.User{
		{Name: "Priya Planner", Email: "planner@northbridge.gov.uk", Roles: []string{"planner"}, Token: "token-planner-000000000"},
		{Name: "Cal Cohesion", Email: "cohesion@northbridge.gov.uk", Roles: []string{"viewer"}, Token: "token-cohesion-00000000"},
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: e, Library: lib, Users: users}))
	defer srv.Close()
	t.Setenv("CRIER_SERVER", srv.URL)
	t.Setenv("CRIER_TOKEN", "token-planner-000000000")
	if out, errOut, code := crier(t, "activate", "--live", "walk"); code != exitOK {
		t.Fatalf("activate: %d %q %s", code, out, errOut)
	}
	task := engine.OccurrenceID("a-000001", "walkabout", 1) // due at the start: fired with the activation
	t.Setenv("CRIER_TOKEN", "token-cohesion-00000000")
	out, errOut, code := crier(t, "ack", task)
	if code != exitOK || !strings.Contains(out, task) {
		t.Errorf("crier ack %s as its assignee: exit %d %q %s", task, code, out, errOut)
	}
}
