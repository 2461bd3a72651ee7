package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/server"
)

// The client commands act on a running server with the token in
// CRIER_TOKEN, and print what the server says, refusals included.
func TestClientCommands(t *testing.T) {
	lib, err := server.NewLibrary([]string{"../../runbooks/testdata/minimal.good.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	users := []config.User{
		{Name: "Priya Planner", Email: "planner@northbridge.gov.uk", Roles: []string{"planner"}, Token: "token-planner-000000000"},
		{Name: "Val Viewer", Email: "viewer@northbridge.gov.uk", Roles: []string{"viewer"}, Token: "token-viewer-0000000000"},
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: e, Library: lib, Users: users}))
	defer srv.Close()
	t.Setenv("CRIER_SERVER", srv.URL)

	t.Setenv("CRIER_TOKEN", "")
	if _, errOut, code := crier(t, "status", "a-000001"); code != exitUsage || !strings.Contains(errOut, "CRIER_TOKEN") {
		t.Errorf("without a token: %d %s", code, errOut)
	}
	t.Setenv("CRIER_TOKEN", "token-planner-000000000")
	out, errOut, code := crier(t, "activate", "--live", "--param", "venue=Victoria Hall", "--event", "Fire at the hall", "minimal")
	if code != exitOK || !strings.HasPrefix(out, "a-000001: Smallest useful runbook (live), active") {
		t.Fatalf("activate: %d %q %s", code, out, errOut)
	}
	// declare is due at the start: fired with the activation
	if out, _, code = crier(t, "status", "a-000001"); code != exitOK || !strings.Contains(out, "message a-000001/declare/1: dispatching — Incident at Victoria Hall") {
		t.Errorf("status: %d %q", code, out)
	}
	// A planner is not a comms officer: the server's refusal is shown.
	if _, errOut, code = crier(t, "approve", "a-000001/holding/1"); code != exitError || !strings.Contains(errOut, "may not POST") {
		t.Errorf("approve as a planner: %d %s", code, errOut)
	}
	t.Setenv("CRIER_TOKEN", "token-viewer-0000000000")
	if _, errOut, code = crier(t, "standdown", "--reason", "all clear", "a-000001"); code != exitError || !strings.Contains(errOut, "may not") {
		t.Errorf("stand down as a viewer: %d %s", code, errOut)
	}
	t.Setenv("CRIER_TOKEN", "token-planner-000000000")
	if out, _, code = crier(t, "standdown", "--reason", "all clear", "a-000001"); code != exitOK || out != "a-000001: stood down\n" {
		t.Errorf("stand down: %d %q", code, out)
	}
	if out, _, code = crier(t, "report", "a-000001"); code != exitOK || !strings.Contains(out, "# Smallest useful runbook") || !strings.Contains(out, "stood down") {
		t.Errorf("report: %d %q", code, out)
	}
}
