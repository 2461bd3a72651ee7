package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// doctrineRunbook meets every doctrine check but staff: no staff audience
// is ever told.
const doctrineRunbook = `version: 1
id: doctrine
title: Doctrine
stakeholders:
  - id: duty
    name: Duty officer
    email: duty@northbridge.gov.uk
channels:
  - id: partner-log
    type: log
  - id: web
    type: log
audiences:
  - id: partners
    kind: partners
    channels: [partner-log]
  - id: residents
    kind: public
    channels: [web]
steps:
  - id: declare
    title: Declare to partners
    at: 0s
    notify:
      to: [partners]
      body: A major incident is declared.
      ack_within: 15m
      escalate_to: [duty]
  - id: holding
    title: Holding statement
    at: 30m
    notify:
      to: [residents]
      body: We know, and we are responding.
  - id: listening
    title: Open listening session
    phase: recovery
    at: 3d
    task:
      assignee: duty
      instructions: Hold an open listening session.
`

// crier validate warns of a doctrine check missed, with its code in
// --json, and --no-doctrine leaves it out.
func TestValidateDoctrine(t *testing.T) {
	file := writeFile(t, t.TempDir(), "doctrine.yaml", doctrineRunbook)
	out, errOut, code := crier(t, "validate", file)
	if code != exitOK || !strings.Contains(out, file+":13:1: warning: audiences: doctrine/staff: no staff audience is ever told") ||
		strings.Count(out, "doctrine/") != 1 || errOut != "1 of 1 runbook file valid; 1 warning\n" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}

	out, _, code = crier(t, "validate", "--json", file)
	var diags []map[string]any
	if err := json.Unmarshal([]byte(out), &diags); err != nil || code != exitOK {
		t.Fatalf("exit %d %v\n%s", code, err, out)
	}
	if len(diags) != 1 || diags[0]["code"] != "doctrine/staff" || diags[0]["severity"] != "warning" {
		t.Errorf("got %v", diags)
	}

	out, errOut, code = crier(t, "validate", "--no-doctrine", file)
	if code != exitOK || out != "" || errOut != "1 of 1 runbook file valid\n" {
		t.Errorf("--no-doctrine: exit %d\n%s%s", code, out, errOut)
	}
}

// A waived check does not warn, and crier plan says it is waived and why.
func TestWaiverShownInPlan(t *testing.T) {
	src := strings.Replace(doctrineRunbook, "steps:\n", "waive:\n  - code: doctrine/staff\n    reason: Staff are told by the intranet team's own plan.\nsteps:\n", 1)
	file := writeFile(t, t.TempDir(), "doctrine.yaml", src)
	if out, errOut, code := crier(t, "validate", file); code != exitOK || out != "" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := crier(t, "plan", "--start", "2026-11-23T09:00:00Z", file)
	if code != exitOK || !strings.Contains(out, "\nWaived: doctrine/staff \u2014 Staff are told by the intranet team's own plan.\n") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}

	bad := writeFile(t, t.TempDir(), "bad.yaml", strings.Replace(src, "code: doctrine/staff", "code: doctrine/staf", 1))
	out, _, code = crier(t, "validate", bad)
	if code != exitError || !strings.Contains(out, bad+`:21:11: error: waive[0].code: "doctrine/staf" is not a valid code`) ||
		!strings.Contains(out, `did you mean "doctrine/staff"?`) {
		t.Errorf("exit %d\n%s", code, out)
	}
}
