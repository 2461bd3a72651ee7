package server

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// deadlinesRunbook is a runbook with a deadline of each kind and a step to come.
const deadlinesRunbook = `version: 1
id: deadlines
title: Deadlines
stakeholders:
  - id: head-comms
    name: Head of communications
    roles: [approver]
    email: head.comms@northbridge.gov.uk
  - id: cohesion
    name: Community cohesion officer
    email: cohesion@northbridge.gov.uk
channels:
  - id: log
    type: log
steps:
  - id: holding
    title: Holding statement
    at: 0s
    notify:
      to: [log]
      body: We are aware.
      approval: {approvers: [head-comms], within: 15m}
  - id: alert
    title: Partner alert
    at: 0s
    notify:
      to: [cohesion]
      subject: Flood alert
      body: Please acknowledge.
      ack_within: 30m
  - id: update
    title: Second update
    at: 2h
    notify:
      to: [log]
      body: An update.
  - id: tomorrow
    title: Next-day review
    at: 25h
    notify:
      to: [log]
      body: Review.
`

// The top of the activation page says what is overdue — an approval and
// an acknowledgement past their deadlines, with who is waited for and how
// late — and what is due next, in the wall clock (with the day when it is
// not today) and as an offset from activation.
func TestDueAndOverdue(t *testing.T) {
	f := newScheduled(t, map[string]string{"deadlines": deadlinesRunbook}, Options{SessionIdle: 24 * time.Hour})
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "deadlines", "mode": "live"})
	if code != 201 {
		t.Fatalf("activating: %d %v", code, a)
	}
	id := a["id"].(string)
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	section := func(page, id string) string {
		m := regexp.MustCompile(`(?s)<div id="` + id + `"[^>]*>(.*?)</div>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s in:\n%s", id, page)
		}
		return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))
	}
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }

	f.until(10 * time.Minute)
	f.clock.Set(start.Add(10 * time.Minute))
	_, page, _ := b.do("GET", "/ui/activations/"+id+"/live", nil)
	due := words(section(page, "live-due"))
	for _, want := range []string{
		"09:15 T+15m Deadline: Approval of “Holding statement” — Head of communications",
		"09:30 T+30m Deadline: Acknowledgement of “Partner alert” — Community cohesion officer",
		"11:00 T+2h Second update",
		"Mon 23 Nov 10:00 T+1d 1h Next-day review",
	} {
		if !strings.Contains(due, want) {
			t.Errorf("due next lacks %q:\n%s", want, due)
		}
	}
	if strings.Contains(due, "Overdue") {
		t.Errorf("overdue before any deadline:\n%s", due)
	}

	f.until(40 * time.Minute)
	f.clock.Set(start.Add(40 * time.Minute))
	_, page, _ = b.do("GET", "/ui/activations/"+id+"/live", nil)
	due = words(section(page, "live-due"))
	for _, want := range []string{
		"Overdue Approval of “Holding statement” — waiting for Head of communications Late by 25m : due 09:15 (T+15m)",
		"Acknowledgement of “Partner alert” — waiting for Community cohesion officer Late by 10m : due 09:30 (T+30m)",
	} {
		if !strings.Contains(due, want) {
			t.Errorf("overdue lacks %q:\n%s", want, due)
		}
	}
	if strings.Contains(due, "Deadline:") {
		t.Errorf("a passed deadline still listed as to come:\n%s", due)
	}
	if summary := words(section(page, "live-summary")); !strings.HasPrefix(summary, "Running. 2 overdue.") {
		t.Errorf("summary: %s", summary)
	}
}

// A step planned on the hour is due on the hour, and an hour from an
// activation made on the hour, however far into its second the activation
// was made: 10:00 and T+1h, never 09:59 and T+59m 59s.
func TestDueNextKeepsThePlansMinute(t *testing.T) {
	const hourly = `version: 1
id: hourly
title: Hourly
timezone: Europe/London
stakeholders:
  - {id: head-comms, name: Head of communications, email: head.comms@northbridge.gov.uk}
channels:
  - {id: log, type: log}
steps:
  - id: check
    title: Hourly check
    every: "0 * * * *"
    until: 3h
    notify: {to: [log], body: Check.}
`
	f := newScheduled(t, map[string]string{"hourly": hourly}, Options{SessionIdle: 24 * time.Hour})
	f.clock.Set(start.Add(700 * time.Millisecond))
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "hourly", "mode": "live"})
	if code != 201 {
		t.Fatalf("activating: %d %v", code, a)
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	_, page, _ := b.do("GET", "/ui/activations/"+a["id"].(string)+"/live", nil)
	m := regexp.MustCompile(`(?s)<div id="live-due"[^>]*>(.*?)</div>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no due next in:\n%s", page)
	}
	due := strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))), " ")
	if want := "Due next 10:00 T+1h Hourly check"; !strings.Contains(due, want) {
		t.Errorf("due next lacks %q:\n%s", want, due)
	}
}
