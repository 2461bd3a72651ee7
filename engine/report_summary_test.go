package engine

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// debrief is an exercise that goes wrong the ways a debrief must see: a
// statement approved late, people who never acknowledge it and are
// reminded, an address that refuses every message, steps whose ids sort
// otherwise than they fire, and a recurring check.
const debrief = `version: 1
id: debrief
title: Debrief check
timezone: Europe/London
stakeholders:
  - {id: sam, name: Sam Patel, email: sam@northbridge.gov.uk}
  - {id: jo, name: Jo Evans, email: jo@northbridge.gov.uk}
  - {id: head, name: Head of Comms, email: head@northbridge.gov.uk}
  - {id: broken, name: Broken Box, email: broken@northbridge.gov.uk}
channels:
  - {id: log, type: log}
steps:
  - id: zz-declare
    title: Declaration
    at: 0s
    notify: {to: [broken, head], subject: Declared, body: "Declared."}
  - id: aa-statement
    title: Holding statement
    at: 30m
    notify:
      to: [sam, jo]
      subject: Statement
      body: "We are aware of an incident."
      approval: {approvers: [head], within: 15m}
      ack_within: 15m
      escalation: {reminders: 2}
  - id: mm-check
    title: Tension check
    every: "@every 1h"
    until: 3h
    notify: {to: [head], subject: Check, body: "Check the tension."}
  - id: late-statement
    title: Second statement
    at: 10h
    notify:
      to: [sam]
      subject: Update
      body: "An update."
      approval: {approvers: [head]}
exercise:
  participants: [sam, jo, head, broken]
`

// refuser refuses everything sent to one address.
type refuser struct {
	recorder
	address string
}

func (r *refuser) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	if m.Target == r.address {
		return false, errors.New("550 no such mailbox")
	}
	return r.recorder.Notify(ctx, m)
}

// drillDebrief drills the debrief runbook in summer, when London is an
// hour ahead of UTC, approving after 45 minutes and acknowledging
// nothing; then a second statement is drafted and rejected.
func drillDebrief(t *testing.T) (*Engine, *Report, string) {
	t.Helper()
	begin := time.Date(2026, 7, 7, 13, 0, 0, 0, time.UTC) // 14:00 in London
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(debrief), SourceName: "debrief.yaml", Start: begin, Instant: true, Horizon: 4 * time.Hour,
		ApproveAfter: 45 * time.Minute, NoAck: true, Dispatch: to(&refuser{address: "broken@northbridge.gov.uk"}), Log: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	late := OccurrenceID(id, "late-statement", 1)
	apply(t, e, &Fire{Meta: Meta{Actor: "scheduler"}, Occurrence: late})
	apply(t, e, &Reject{Meta: Meta{Actor: "Hana Head"}, Message: late, By: "head", Reason: "names a street the police have not confirmed"})
	apply(t, e, &StandDown{Meta: Meta{Actor: "Priya Shah"}, Activation: id, Reason: "the exercise is over"})
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	return e, r, markdownOf(t, r)
}

// The summary, in the JSON and first in the Markdown, gives the targets
// with their figures, who never acknowledged and what failed to deliver.
func TestTheReportSummarisesTargetsAndFailures(t *testing.T) {
	_, r, md := drillDebrief(t)
	var approval *Target
	for i, x := range r.Summary.Targets {
		if x.Kind == TargetApproval && x.Step == "aa-statement" {
			approval = &r.Summary.Targets[i]
		}
	}
	if approval == nil || approval.Met || *approval.TargetSeconds != 15*60 || approval.ActualSeconds == nil || *approval.ActualSeconds != 45*60 {
		t.Errorf("the statement's approval target: %+v", approval)
	}
	var never []string
	for _, u := range r.Summary.NeverAcknowledged {
		never = append(never, u.Name)
		if !slices.Contains(u.What, "acknowledgement of Holding statement") {
			t.Errorf("%s never acknowledged %v", u.Name, u.What)
		}
	}
	if slices.Sort(never); !slices.Equal(never, []string{"Jo Evans", "Sam Patel"}) {
		t.Errorf("never acknowledged: %v", never)
	}
	if len(r.Summary.Failed) != 1 || r.Summary.Failed[0].Failed != 1 || !slices.Equal(r.Summary.Failed[0].For, []string{"Broken Box"}) ||
		!slices.Contains(r.Summary.Failed[0].Errors, "550 no such mailbox") {
		t.Errorf("failed: %+v", r.Summary.Failed)
	}
	summary, rest, ok := strings.Cut(md, "\n## Timeline")
	if !ok || !strings.Contains(summary, "\n## Summary\n") || strings.Contains(rest, "## Summary") {
		t.Fatalf("the summary does not come first:\n%s", md)
	}
	for _, want := range []string{
		"| Approval of Holding statement | **missed**: approved after 45m, 30m late | 15m | Head of Comms |",
		"| Acknowledgement of Holding statement | **missed**: never acknowledged | 15m | Sam Patel |",
		"- **Sam Patel**: acknowledgement of Holding statement",
		"- **Jo Evans**: acknowledgement of Holding statement",
		"| email | 1 | 0 | Broken Box | 550 no such mailbox |", // a stakeholder's own address, on no channel of the runbook's
		"- **Stood down:** 17:15, after 3h 15m, by Priya Shah: the exercise is over.",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
}

// The timeline folds each deadline's reminders into one line, and a
// message rejected reads as rejected, by whom and why.
func TestTheReportFoldsRemindersAndShowsRejections(t *testing.T) {
	_, r, md := drillDebrief(t)
	rounds := 0
	for _, x := range r.Escalations {
		if x.Step == "aa-statement" && !x.Exhausted {
			rounds++
		}
	}
	if rounds < 2 {
		t.Fatalf("the drill sent %d reminders about the statement; the test needs at least two", rounds)
	}
	_, timeline, _ := strings.Cut(md, "\n## Timeline")
	timeline, messages, _ := strings.Cut(timeline, "\n## Messages")
	lines := 0
	for _, l := range strings.Split(timeline, "\n") {
		if strings.Contains(l, "acknowledgement of Holding statement") {
			lines++
			if want := regexp.MustCompile(`\| \d+ reminders to (Sam Patel, Jo Evans|Jo Evans, Sam Patel) about acknowledgement of Holding statement, \d\d:\d\d–\d\d:\d\d; \*\*chain ran out, still waiting for`); !want.MatchString(l) {
				t.Errorf("the reminders' line: %s", l)
			}
		}
	}
	if lines != 1 {
		t.Errorf("%d lines about the statement's reminders, want 1:\n%s", lines, timeline)
	}
	if strings.Contains(timeline, "escalated") || strings.Contains(messages, "Reminder") {
		t.Errorf("a reminder is written out in full:\n%s", md)
	}
	if !strings.Contains(timeline, "**Second statement: message rejected** — by Head of Comms: names a street the police have not confirmed | Hana Head |") {
		t.Errorf("the timeline does not show the rejection:\n%s", timeline)
	}
	if !strings.Contains(messages, "· Second statement (rejected)") || !strings.Contains(messages, "- **rejected** by Head of Comms: names a street the police have not confirmed") ||
		strings.Contains(messages, "(fired)") {
		t.Errorf("the messages do not show the second statement as rejected:\n%s", messages)
	}
}

// Times are in the runbook's zone (London, an hour ahead of UTC in July),
// the day given where it changes; messages come in the order they were
// made, whatever their steps' ids (which sort otherwise); a recurring step
// is one line.
func TestTheReportReadsInLocalTimeAndFiringOrder(t *testing.T) {
	_, r, md := drillDebrief(t)
	if r.Zone != "Europe/London" {
		t.Errorf("zone %q", r.Zone)
	}
	for _, want := range []string{
		"- **Started:** Tue 7 Jul 2026 14:00 BST by crier drill.",
		"Times are the exercise's scenario time in Europe/London",
		"| 14:30 | T+30m | Holding statement: message drafted",
		"| 15:15 | T+1h 15m | Holding statement: message sent",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "T13:") || strings.Contains(md, "Z ") || strings.Contains(md, "+00:00") {
		t.Errorf("the report writes a UTC or ISO time:\n%s", md)
	}
	_, messages, _ := strings.Cut(md, "\n## Messages")
	messages, _, _ = strings.Cut(messages, "\n## Steps")
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^### .* · ([A-Za-z ]+?)[,(]`).FindAllStringSubmatch(messages, -1) {
		order = append(order, strings.TrimSpace(m[1]))
	}
	if want := []string{"Declaration", "Holding statement", "Tension check", "Second statement"}; !slices.Equal(order, want) {
		t.Errorf("messages in the order %v, want %v:\n%s", order, want, messages)
	}
	if !strings.Contains(messages, "### Tue 7 Jul 14:00 · Declaration (partially failed)") {
		t.Errorf("the first message does not give its day:\n%s", messages)
	}
	if n := strings.Count(md, "Tension check, "); n != 2 { // one line in the timeline, one entry in the messages
		t.Errorf("the recurring check is written %d times, want 2:\n%s", n, md)
	}
	for _, m := range r.Messages {
		if m.Step == "mm-check" && m.State != state.MessageSent {
			t.Errorf("check %s is %s", m.ID, m.State)
		}
	}
}
