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

// The rumour register from the command line: a viewer logs a rumour, a
// comms officer assesses it and writes its correction (the text from
// standard input), the other approves it, and the register says when it
// was corrected. Wrong input is refused before anything is sent.
func TestTheRumourRegisterFromTheCommandLine(t *testing.T) {
	lib, err := server.NewLibrary([]string{"../../runbooks/testdata/rumours.good.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := engine.NewVirtualClock(start)
	e, err := engine.Open(context.Background(), engine.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	users := []config.User{
		{Name: "Priya Planner", Email: "planner@northbridge.gov.uk", Roles: []string{"planner"}, Token: "token-planner-000000000"},
		{Name: "Val Viewer", Email: "viewer@northbridge.gov.uk", Roles: []string{"viewer"}, Token: "token-viewer-0000000000"},
		{Name: "Head of Communications", Email: "head.comms@northbridge.gov.uk", Roles: []string{"comms"}, Token: "token-head-00000000000"},
		{Name: "Duty Communications Officer", Email: "duty.comms@northbridge.gov.uk", Roles: []string{"comms"}, Token: "token-duty-00000000000"},
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: e, Library: lib, Users: users, Now: clock.Now}))
	defer srv.Close()
	t.Setenv("CRIER_SERVER", srv.URL)
	as := func(token string) { t.Setenv("CRIER_TOKEN", token) }

	as("token-planner-000000000")
	if _, errOut, code := crier(t, "activate", "--live", "rumours"); code != exitOK {
		t.Fatalf("activate: %s", errOut)
	}
	as("token-viewer-0000000000")
	for _, c := range []struct {
		args []string
		code int
		said string // on stdout when the command succeeds, else on stderr
	}{
		{[]string{"rumour"}, exitUsage, "log|assess|correct|list"},
		{[]string{"rumour", "spread", "a-000001"}, exitUsage, `unknown "spread"`},
		{[]string{"rumour", "log", "a-000001"}, exitUsage, "give --summary"},
		{[]string{"rumour", "log", "--summary", "x", "--seen-at", "yesterday", "a-000001"}, exitUsage, `--seen-at "yesterday" is not a time`},
		{[]string{"rumour", "assess", "--verdict", "fake", "a-000001/rumour/2"}, exitUsage, "false, misleading, unverified or true"},
		{[]string{"rumour", "assess", "--verdict", "false", "a-000001"}, exitError, "is not a rumour's id"},
		{[]string{"rumour", "correct", "--subject", "s", "--body", "b", "a-000001/rumour/2"}, exitUsage, "give --to"},
		{[]string{"rumour", "list", "a-000001"}, exitOK, "a-000001: no rumours logged\n"},
	} {
		out, errOut, code := crier(t, c.args...)
		said := errOut
		if c.code == exitOK {
			said = out
		}
		if code != c.code || !strings.Contains(said, c.said) || strings.Contains(errOut, "goroutine") {
			t.Errorf("crier %s: exit %d, want %d\nstdout %q\nstderr %q\nwant %q", strings.Join(c.args, " "), code, c.code, out, errOut, c.said)
		}
	}
	out, errOut, code := crier(t, "rumour", "log", "--summary", "The attacker worshipped at the Eastgate mosque",
		"--where", "Northbridge Chat", "--communities", "Muslim, Eastgate", "a-000001")
	if code != exitOK || !strings.HasPrefix(out, "a-000001/rumour/") {
		t.Fatalf("log: %d %q %s", code, out, errOut)
	}
	rumour := strings.TrimSuffix(strings.Fields(out)[0], ":")
	if _, errOut, code := crier(t, "rumour", "assess", "--verdict", "false", rumour); code != exitError || !strings.Contains(errOut, "may not") {
		t.Errorf("a viewer assessing: %d %s", code, errOut)
	}
	as("token-head-00000000000")
	if out, errOut, code := crier(t, "rumour", "assess", "--verdict", "false", "--note", "Police: no one identified", rumour); code != exitOK || out != rumour+": false — The attacker worshipped at the Eastgate mosque\n" {
		t.Fatalf("assess: %d %q %s", code, out, errOut)
	}
	clock.Set(start.Add(20 * time.Minute))
	out, errOut, code = crierIn(t, "No one has been identified.\nPlease do not share rumours.\n", "rumour", "correct", "--to", "residents",
		"--subject", "No one has been identified", "--body-file", "-", rumour)
	if code != exitOK || !strings.Contains(out, "the correction is pending approval") {
		t.Fatalf("correct: %d %q %s", code, out, errOut)
	}
	msg := strings.TrimSuffix(strings.Fields(out)[0], ":")
	if m, _ := e.Read().Message(nil, msg); m == nil || m.Current().Body != "No one has been identified.\nPlease do not share rumours." {
		t.Fatalf("the correction as written: %+v", m)
	}
	as("token-duty-00000000000")
	clock.Set(start.Add(35 * time.Minute))
	if _, errOut, code := crier(t, "approve", msg); code != exitOK {
		t.Fatalf("approve: %s", errOut)
	}
	out, _, _ = crier(t, "rumour", "list", "a-000001")
	for _, want := range []string{rumour + ", logged ", "by Val Viewer: The attacker worshipped at the Eastgate mosque",
		"seen: Northbridge Chat; affects: Muslim, Eastgate", "false: Police: no one identified", "(" + msg + "), 35m0s after it was logged"} {
		if !strings.Contains(out, want) {
			t.Errorf("the register lacks %q:\n%s", want, out)
		}
	}
}
