package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crier runs the command in-process, as a user would from a shell.
func crier(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	now := func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	code = run(context.Background(), args, env{stdout: &out, stderr: &errOut, now: now})
	return out.String(), errOut.String(), code
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "runbooks", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestValidateExamples(t *testing.T) {
	out, errOut, code := crier(t, "validate", "../../examples")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "valid") {
		t.Errorf("no summary: %q", errOut)
	}
}

func TestValidateReportsLocatedErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(readTestdata(t, "minimal.good.yaml"), "title: Smallest", "titel: Smallest", 1))
	out, _, code := crier(t, "validate", bad)
	if code != exitError {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	want := bad + `:3:1: error: unknown field "titel" in runbook; did you mean "title"?`
	if !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant a line:\n%s", out, want)
	}

	out, _, code = crier(t, "validate", "--json", bad)
	var diags []map[string]any
	if err := json.Unmarshal([]byte(out), &diags); err != nil || code != exitError {
		t.Fatalf("exit %d, invalid JSON %v:\n%s", code, err, out)
	}
	if len(diags) != 1 || diags[0]["line"] != 3.0 || diags[0]["column"] != 1.0 || diags[0]["severity"] != "error" || diags[0]["file"] != bad {
		t.Errorf("got %v", diags)
	}
}

func TestValidateDuplicateIDsAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	src := readTestdata(t, "minimal.good.yaml")
	writeFile(t, dir, "a.yaml", src)
	writeFile(t, dir, "b.yml", src)
	writeFile(t, dir, "notes.txt", "not a runbook")
	out, _, code := crier(t, "validate", dir)
	if code != exitError || !strings.Contains(out, filepath.Join(dir, "b.yml")+`:2:5: error: id: runbook id "minimal" is already used by `+filepath.Join(dir, "a.yaml")+":2:5") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestValidateWarningsDoNotFail(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "old.yaml", strings.Replace(readTestdata(t, "minimal.good.yaml"), "timezone:", "review_by: 2025-01-31\ntimezone:", 1))
	out, _, code := crier(t, "validate", f)
	if code != exitOK || !strings.Contains(out, "warning: review_by: review_by \"2025-01-31\" has passed") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"validate"},
		{"validate", "--strict", "x.yaml"},
		{"validate", "does/not/exist.yaml"},
		{"plan"},
		{"plan", "a.yaml", "b.yaml"},
		{"plan", "--start", "tomorrow", "../../examples/flood-warning.yaml"},
		{"plan", "--horizon", "forever", "../../examples/flood-warning.yaml"},
		{"plan", "--param", "nope=1", "../../runbooks/testdata/minimal.good.yaml"},
		{"help", "frobnicate"},
		{"plan", "does/not/exist.yaml"},
	} {
		_, errOut, code := crier(t, args...)
		if code != exitUsage || errOut == "" {
			t.Errorf("crier %v: exit %d, stderr %q; want exit 2 and a message", args, code, errOut)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"help", "plan"}, {"help", "--help"}, {"validate", "--help"}, {"plan", "-h"}, {"schema", "--help"}, {"version", "--help"},
	} {
		out, _, code := crier(t, args...)
		if code != exitOK || !strings.Contains(out, "Usage: crier") {
			t.Errorf("crier %v: exit %d\n%s", args, code, out)
		}
	}
	out, _, code := crier(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "crier ") {
		t.Errorf("version: exit %d %q", code, out)
	}
}

func TestPlanTimeline(t *testing.T) {
	file := "../../runbooks/testdata/plan.good.yaml"
	out, _, code := crier(t, "plan", file, "--start", "2026-03-16T10:00:00Z", "--horizon", "3w")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"Activated Mon 16 Mar 2026 10:00 GMT (Europe/London), live, next 21d",
		"T+30m", "statement", "2 approvals within 15m",
		"T+1h 30m", "after declare+statement",
		"monitor #3",
		"T+6d 23h", "Mon 23 Mar 09:00 GMT",
		"T+13d 22h", "Mon 30 Mar 09:00 BST",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rumour") {
		t.Error("a live plan shows an inject")
	}

	out, _, _ = crier(t, "plan", "--exercise", "--json", "--start", "2026-03-16T10:00:00Z", file)
	var plan []struct {
		Offset string   `json:"offset"`
		Step   string   `json:"step"`
		Kind   string   `json:"kind"`
		To     []string `json:"to"`
		At     string   `json:"at"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	found := false
	for _, o := range plan {
		if o.Step == "rumour" && o.Kind == "inject" && o.Offset == "45m0s" && o.At == "2026-03-16T10:45:00Z" {
			found = true
		}
		if o.Kind == "notify" && strings.Join(o.To, ",") != "drill" {
			t.Errorf("exercise notify %s goes to %v, want the redirect", o.Step, o.To)
		}
	}
	if !found {
		t.Errorf("no inject at 45m in %s", out)
	}
}

func TestPlanPreviewsSubjects(t *testing.T) {
	file := "../../runbooks/testdata/minimal.good.yaml"
	out, _, _ := crier(t, "plan", file)
	if !strings.Contains(out, "Incident at <venue>") || !strings.Contains(out, "Params to give at activation: venue") {
		t.Errorf("no placeholder preview:\n%s", out)
	}
	out, _, _ = crier(t, "plan", "--param", "venue=Victoria Hall", file)
	if !strings.Contains(out, "Incident at Victoria Hall") {
		t.Errorf("param not used:\n%s", out)
	}
}

func TestPlanOfBadRunbook(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "version: 1\nid: x\n")
	_, errOut, code := crier(t, "plan", bad)
	if code != exitError || !strings.Contains(errOut, bad+":1:1: error: missing required field") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

func TestSchemaIsJSON(t *testing.T) {
	out, _, code := crier(t, "schema")
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != exitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
}

func TestValidateStopsWhenInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"validate", "../../examples"}, env{stdout: &out, stderr: &errOut, now: time.Now})
	if code != exitInterrupted || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestDrillInstantJSON(t *testing.T) {
	outbox := t.TempDir()
	out, errOut, code := crier(t, "drill", "--json", "--outbox", outbox, "--horizon", "2h", "../../runbooks/testdata/plan.good.yaml")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var got struct {
		Activation string `json:"activation"`
		Mode       string `json:"mode"`
		Timeline   []struct {
			OffsetSeconds int64  `json:"offset_seconds"`
			Kind          string `json:"kind"`
			Step          string `json:"step"`
		} `json:"timeline"`
		Deliveries []struct {
			Step, Channel, Type, Target, Status, Subject, Body string
		} `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// declare, statement, the rumour inject, and the brief and debrief tasks to their assignee.
	if got.Mode != "exercise" || got.Activation == "" || len(got.Deliveries) != 5 {
		t.Fatalf("got %+v", got)
	}
	seen := map[string]int64{}
	for _, ev := range got.Timeline {
		if ev.Kind == "message_dispatched" {
			seen[ev.Step] = ev.OffsetSeconds
		}
	}
	if seen["declare"] != 0 || seen["statement"] != 35*60 || seen["rumour"] != 45*60 {
		t.Errorf("dispatch offsets %v", seen)
	}
	for _, d := range got.Deliveries {
		if d.Status != "sent" || !strings.HasPrefix(d.Subject, "EXERCISE EXERCISE EXERCISE") || !strings.HasSuffix(d.Body, "EXERCISE EXERCISE EXERCISE") {
			t.Errorf("delivery %+v", d)
		}
	}
	files, _ := os.ReadDir(outbox)
	if len(files) != 1 {
		t.Errorf("outbox holds %d files", len(files))
	}
}

func TestDrillUsage(t *testing.T) {
	for _, args := range [][]string{
		{"drill"},
		{"drill", "--instant", "--speed", "60", "x.yaml"},
		{"drill", "--speed", "0.5", "../../runbooks/testdata/plan.good.yaml"},
		{"drill", "--speed", "10001", "../../runbooks/testdata/plan.good.yaml"},
		{"drill", "--speed", "NaN", "../../runbooks/testdata/plan.good.yaml"},
		{"drill", "--approve-after", "soon", "../../runbooks/testdata/plan.good.yaml"},
		{"drill", "nope.yaml"},
		{"drill", "--config", "", "../../runbooks/testdata/plan.good.yaml"},
		{"drill", "--config", "nope.yaml", "../../runbooks/testdata/plan.good.yaml"},
		{"drill", "--config", "x.yaml", "--outbox", "o", "../../runbooks/testdata/plan.good.yaml"},
	} {
		if _, errOut, code := crier(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("crier %v: exit %d %q", args, code, errOut)
		}
	}
}

// A text too long for GOV.UK Notify is an error at its body; one whose
// values may make it too long, or whose exercise marking does, a warning.
func TestValidateCountsTexts(t *testing.T) {
	dir := t.TempDir()
	words := func(n int) string { return strings.Repeat("flood ", n/6) + strings.Repeat("x", n%6) } // n characters, no space at the end
	rb := fmt.Sprintf(`version: 1
id: wardens
title: Flood wardens
params: [{name: area}]
stakeholders:
  - {id: warden, name: Warden, phone: "+447700900101"}
channels:
  - {id: texts, type: sms, to: [warden]}
steps:
  - id: long
    title: Too long
    at: 0s
    notify:
      to: [texts]
      body: %q
  - id: values
    title: May be too long
    at: 0s
    notify:
      to: [warden]
      body: "{{ .Params.area }} %s"
  - id: fine
    title: Fine
    at: 0s
    notify: {to: [texts], body: Check the sandbags.}
`, words(1030), words(800))
	file := writeFile(t, dir, "wardens.yaml", rb)
	out, errOut, code := crier(t, "validate", file)
	if code != exitError || !strings.Contains(out+errOut, "wardens.yaml:15:13: error: steps[0].notify.body: step \"long\" sends a text of 1030 characters (subject and body); GOV.UK Notify takes at most 918") ||
		!strings.Contains(out+errOut, "warning: steps[1].notify.body: step \"values\" sends a text whose fixed words are 800 characters") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
