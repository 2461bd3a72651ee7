package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// residents is a runbook that texts flood wardens, after approval. In an
// exercise only two of the three phones take part.
var residents = `version: 1
id: residents
title: Texts to residents in a flood
params:
  # Too long for a text once filled in: crier validate can only warn of it.
  - {name: advice, default: "` + strings.Repeat("Move cars away from the river. ", 33) + `"}
stakeholders:
  - id: head-comms
    name: Head of communications
    roles: [approver]
    email: head.comms@northbridge.gov.uk
  - id: duty-comms
    name: Duty communications officer
    roles: [approver]
    email: duty.comms@northbridge.gov.uk
  - id: warden
    name: Mill Lane flood warden
    phone: "+447700900101"
  - id: deputy-warden
    name: Riverside flood warden
    phone: "+447700900102"
  - id: councillor
    name: Ward councillor
    phone: "+447700900103"
channels:
  - id: wardens
    type: sms
    to: [warden, deputy-warden, councillor]
exercise:
  participants: [warden, deputy-warden]
steps:
  - id: warning
    title: Flood warning text
    at: 0s
    notify:
      to: [wardens]
      subject: Flood warning
      body: "{{ .Params.advice }}"
      approval: {approvers: [role:approver]}
`

// Before starting, a planner or exercise lead sees everywhere an
// activation can send, for each mode: on the activate form, and from the
// API. An exercise with neither redirect nor participants is flagged as
// sending to real people; one with participants reaches only them, and
// the approvals channel only when they include it.
func TestWhatAnActivationCanReach(t *testing.T) {
	f := newScheduled(t, map[string]string{"tension": statement, "residents": residents}, Options{ApprovalsChannel: "#comms-approvals"})
	for _, tc := range []struct {
		runbook, mode string
		sealed        bool
		lines         string
	}{
		{"tension", "exercise", false, "email: 3 addresses: head.comms@northbridge.gov.uk (head-comms), duty.comms@northbridge.gov.uk (duty-comms), " +
			"cohesion@northbridge.gov.uk (cohesion)|slack: 4 Slack users and channels: #public-updates (public), U0COHESION (cohesion), U0LIAISON (liaison), #comms-approvals (approvals channel)"},
		{"residents", "exercise", true, "sms: 2 phones: +447700900101 (wardens), +447700900102 (wardens)"},
		{"residents", "live", false, "email: 2 addresses: head.comms@northbridge.gov.uk (head-comms), duty.comms@northbridge.gov.uk (duty-comms)|" +
			"slack: 1 Slack user or channel: #comms-approvals (approvals channel)|sms: 3 phones: +447700900101 (wardens), +447700900102 (wardens), +447700900103 (wardens)"},
	} {
		code, r := f.call(token("Val"), "GET", "/api/v1/runbooks/"+tc.runbook+"/reach?mode="+tc.mode, nil)
		var lines []string
		for _, l := range r["lines"].([]any) {
			lines = append(lines, l.(string))
		}
		if code != http.StatusOK || r["sealed"] != tc.sealed || r["exercise"] != (tc.mode == "exercise") || strings.Join(lines, "|") != tc.lines {
			t.Errorf("%s as %s: %d sealed %v\n got %s\nwant %s", tc.runbook, tc.mode, code, r["sealed"], strings.Join(lines, "|"), tc.lines)
		}
	}
	for path, want := range map[string]string{
		"/api/v1/runbooks/tension/reach":           "400 give ?mode=live or ?mode=exercise",
		"/api/v1/runbooks/tension/reach?mode=test": "400 give ?mode=live or ?mode=exercise",
		"/api/v1/runbooks/nope/reach?mode=live":    "404 no runbook nope",
	} {
		if code, r := f.call(token("Val"), "GET", path, nil); !strings.HasPrefix(fmt.Sprint(code, " ", r["error"]), want) {
			t.Errorf("%s: %d %v", path, code, r)
		}
	}

	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	_, form, _ := b.do("GET", "/ui/runbooks/tension/activate", nil)
	for _, want := range []string{
		`<h2 id="reach-exercise">This exercise can reach:</h2>`,
		`<p class="alert error" role="alert">This exercise will send to real people.`,
		`<li>slack: 4 Slack users and channels: #public-updates (public), U0COHESION (Community cohesion officer), U0LIAISON (Police liaison officer), #comms-approvals (approvals channel)</li>`,
		`<h2 id="reach-live">This activation can reach:</h2>`,
	} {
		if !strings.Contains(form, want) {
			t.Errorf("the tension activate form lacks %s\n%s", want, form)
		}
	}
	_, form, _ = b.do("GET", "/ui/runbooks/residents/activate", nil)
	if strings.Contains(form, "will send to real people") || !strings.Contains(form, "Only these: the runbook keeps its exercises to their redirect or participants") || !strings.Contains(form, "<li>sms: 2 phones: &#43;447700900101 (wardens), &#43;447700900102 (wardens)</li>") {
		t.Errorf("the residents activate form\n%s", form)
	}
}
