package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/server"
)

// crierIn runs the command with stdin as its standard input.
func crierIn(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	now := func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	code = run(context.Background(), args, env{stdout: &out, stderr: &errOut, stdin: strings.NewReader(stdin), now: now})
	return out.String(), errOut.String(), code
}

// exerciseServer serves the smallest runbook from an in-process server to
// a planner, an exercise lead and a viewer, and returns its engine.
func exerciseServer(t *testing.T) *engine.Engine {
	t.Helper()
	lib, err := server.NewLibrary([]string{"../../runbooks/testdata/minimal.good.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	users := []config.User{
		{Name: "Priya Planner", Email: "planner@northbridge.gov.uk", Roles: []string{"planner"}, Token: "token-planner-000000000"},
		{Name: "Ellis Lead", Email: "lead@northbridge.gov.uk", Roles: []string{"exercise-lead"}, Token: "token-lead-0000000000000"},
	}
	srv := httptest.NewServer(server.New(server.Options{Engine: e, Library: lib, Users: users, Now: func() time.Time { return start }}))
	t.Cleanup(srv.Close)
	t.Setenv("CRIER_SERVER", srv.URL)
	return e
}

// cliCase is one command line and what the user sees of it.
type cliCase struct {
	name      string
	token     string // whose: "planner" or "lead"
	stdin     string
	args      []string
	code      int
	out, errs string // exact, unless contains
	contains  bool   // errs need only contain it
}

func (c cliCase) check(t *testing.T) {
	t.Helper()
	t.Setenv("CRIER_TOKEN", map[string]string{"planner": "token-planner-000000000", "lead": "token-lead-0000000000000"}[c.token])
	out, errOut, code := crierIn(t, c.stdin, c.args...)
	errsOK := errOut == c.errs || (c.contains && strings.Contains(errOut, c.errs))
	if code != c.code || out != c.out || !errsOK {
		t.Errorf("%s: crier %s\nexit %d, want %d\nstdout %q\n  want %q\nstderr %q\n  want %q", c.name, strings.Join(c.args, " "), code, c.code, out, c.out, errOut, c.errs)
	}
	if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
		t.Errorf("%s: a stack trace:\n%s", c.name, errOut)
	}
}

// crier activate says which mode, always: nothing goes live by default.
func TestActivateNeedsAMode(t *testing.T) {
	exerciseServer(t)
	for _, c := range []cliCase{
		{"no mode", "planner", "", []string{"activate", "--param", "venue=Victoria Hall", "minimal"}, exitUsage, "",
			"crier activate: say --live (a real incident: messages go out for real) or --exercise (a drill: every message marked as an exercise)\n", false},
		{"both modes", "planner", "", []string{"activate", "--live", "--exercise", "--param", "venue=Victoria Hall", "minimal"}, exitUsage, "",
			"crier activate: choose --live or --exercise, not both\n", false},
		{"a live activation at speed", "planner", "", []string{"activate", "--live", "--speed", "60", "--param", "venue=Victoria Hall", "minimal"}, exitUsage, "",
			"crier activate: --speed is for an exercise; a live activation runs in real time\n", false},
		{"live", "planner", "", []string{"activate", "--live", "--param", "venue=Victoria Hall", "minimal"}, exitOK,
			"a-000001: Smallest useful runbook (live), active\n", "", false},
		{"an exercise", "planner", "", []string{"activate", "--exercise", "--param", "venue=Victoria Hall", "minimal"}, exitOK,
			"a-000002: Smallest useful runbook (exercise), active\n", "", false},
	} {
		c.check(t)
	}
	if out, _, code := crier(t, "help", "activate"); code != exitOK || !strings.HasPrefix(out, "Usage: crier activate [--server URL] --live | --exercise ") {
		t.Errorf("help: %d %q", code, out)
	}
}

// An exercise lead halts an exercise, sends it injects and changes its
// speed from the command line, as from the web app; refusals are the
// server's words, and a wrong command line is a usage error.
func TestExerciseControls(t *testing.T) {
	e := exerciseServer(t)
	t.Setenv("CRIER_TOKEN", "token-planner-000000000")
	for _, mode := range []string{"--exercise", "--live"} {
		if out, errOut, code := crier(t, "activate", mode, "--param", "venue=Victoria Hall", "minimal"); code != exitOK {
			t.Fatalf("activate %s: %d %s %s", mode, code, out, errOut)
		}
	}
	body := filepath.Join(t.TempDir(), "inject.txt")
	if err := os.WriteFile(body, []byte("Reports of a second incident at the station.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []cliCase{
		{"an inject", "lead", "", []string{"inject", "--to", "partners,role:approver", "--body", "Social media reports a crowd at the hall.", "a-000001"}, exitOK,
			"a-000001: inject sent to partners, role:approver\n", "", false},
		{"an inject from a file", "lead", "", []string{"inject", "--to", "duty-comms", "--body-file", body, "a-000001"}, exitOK,
			"a-000001: inject sent to duty-comms\n", "", false},
		{"an inject from standard input", "lead", "A journalist is asking about casualties.\n", []string{"inject", "--to", "duty-comms", "--to", "head-comms", "--body-file", "-", "a-000001"}, exitOK,
			"a-000001: inject sent to duty-comms, head-comms\n", "", false},
		{"an inject to no one", "lead", "", []string{"inject", "--body", "Hello", "a-000001"}, exitUsage, "",
			"crier inject: give --to: the channels, audiences, stakeholders or roles (role:NAME) the inject goes to\n", false},
		{"an inject without text", "lead", "", []string{"inject", "--to", "partners", "a-000001"}, exitUsage, "",
			"crier inject: give the inject's text: --body TEXT, or --body-file FILE (- for standard input)\n", false},
		{"an inject's text twice", "lead", "", []string{"inject", "--to", "partners", "--body", "x", "--body-file", body, "a-000001"}, exitUsage, "",
			"crier inject: give the inject's text once: --body TEXT or --body-file FILE, not both\n", false},
		{"an inject from a file not there", "lead", "", []string{"inject", "--to", "partners", "--body-file", "nope.txt", "a-000001"}, exitUsage, "",
			"crier inject: --body-file nope.txt: cannot read the file: no such file or directory\n", false},
		{"an inject to a stranger", "lead", "", []string{"inject", "--to", "press-office", "--body", "x", "a-000001"}, exitError, "",
			"crier inject: \"press-office\" is not a channel, audience, stakeholder or role of runbook \"minimal\"\n", false},
		{"an inject to a live activation", "lead", "", []string{"inject", "--to", "partners", "--body", "x", "a-000002"}, exitError, "",
			"crier inject: activation a-000002 is live: injects are for exercises\n", false},
		{"an inject by a planner", "planner", "", []string{"inject", "--to", "partners", "--body", "x", "a-000001"}, exitError, "",
			"may not", true},

		{"a new speed", "lead", "", []string{"speed", "120", "a-000001"}, exitOK, "a-000001: runs at 120x from now\n", "", false},
		{"a speed that is not a number", "lead", "", []string{"speed", "fast", "a-000001"}, exitUsage, "",
			"crier speed: \"fast\" is not a speed; give scenario seconds per real second, such as 60 (an hour a minute)\n", false},
		{"a speed without the activation", "lead", "", []string{"speed", "60"}, exitUsage, "",
			"crier speed: give the speed and the activation: crier speed N ACTIVATION\n", false},
		{"faster than the range", "lead", "", []string{"speed", "1e308", "a-000001"}, exitError, "",
			"crier speed: speed 1e+308 is out of range: a speed is from 1 (real time) to 10,000 scenario seconds per real second\n", false},
		{"slower than real time", "lead", "", []string{"speed", "0.5", "a-000001"}, exitError, "",
			"crier speed: speed 0.5 is out of range: a speed is from 1 (real time) to 10,000 scenario seconds per real second\n", false},
		{"a live activation's speed", "planner", "", []string{"speed", "60", "a-000002"}, exitError, "",
			"crier speed: activation a-000002 is live: only an exercise runs at another speed\n", false},

		{"a halt without a reason", "lead", "", []string{"halt", "a-000001"}, exitUsage, "",
			"crier halt: give --reason: why the exercise is halted, for the record\n", false},
		{"halting a live activation", "lead", "", []string{"halt", "--reason", "Staff needed", "a-000002"}, exitError, "",
			"crier halt: activation a-000002 is live; only an exercise can be halted (stand it down instead)\n", false},
		{"a halt", "lead", "", []string{"halt", "--reason", "Real incident: staff needed", "a-000001"}, exitOK, "a-000001: halted\n", "", false},
		{"a second halt", "lead", "", []string{"halt", "--reason", "Again", "a-000001"}, exitError, "",
			"crier halt: activation a-000001 has already ended (halted)\n", false},
		{"a stand-down without a reason", "planner", "", []string{"standdown", "a-000002"}, exitUsage, "",
			"crier standdown: give --reason: why it is stood down, for the record\n", false},
	} {
		c.check(t)
	}

	msgs, err := e.Read().MessagesOf(nil, "a-000001")
	if err != nil {
		t.Fatal(err)
	}
	var injects []string
	for _, m := range msgs {
		if m.Step == "inject" {
			injects = append(injects, m.Revisions[len(m.Revisions)-1].Body)
		}
	}
	if len(injects) != 3 {
		t.Fatalf("%d injects recorded, want 3", len(injects))
	}
	for _, want := range []string{"Social media reports a crowd at the hall.", "Reports of a second incident at the station.", "A journalist is asking about casualties."} {
		if marked := "EXERCISE EXERCISE EXERCISE\n\n" + want + "\n\nEXERCISE EXERCISE EXERCISE"; !slices.Contains(injects, marked) {
			t.Errorf("no inject %q among %q", marked, injects)
		}
	}

	for _, name := range []string{"halt", "inject", "speed"} {
		out, _, code := crier(t, "help", name)
		if code != exitOK || !strings.HasPrefix(out, "Usage: crier "+name+" [--server URL] ") || !strings.Contains(out, "CRIER_TOKEN") {
			t.Errorf("help %s: %d %q", name, code, out)
		}
	}
}
