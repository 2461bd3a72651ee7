package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/crierhq/crier/engine/state"
)

var start = time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)

func readRunbook(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../runbooks/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func newEngine(t *testing.T, log Log) (*Engine, *VirtualClock) {
	t.Helper()
	clock := NewVirtualClock(start)
	e, err := Open(context.Background(), Options{Log: log, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return e, clock
}

func apply(t *testing.T, e *Engine, c Command) uint64 {
	t.Helper()
	index, err := e.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("%s: %v", c.Kind(), err)
	}
	return index
}

// due lists pending occurrences as "step#n@offset".
func due(t *testing.T, e *Engine, activation string) []string {
	t.Helper()
	occ, err := e.Read().OccurrencesOf(nil, activation)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range occ {
		if o.State == state.OccurrencePending {
			out = append(out, o.Step+"#"+strconv.Itoa(o.N)+"@"+o.DueAt.Sub(start).String())
		}
	}
	return out
}

func TestActivateSchedulesTheRunbook(t *testing.T) {
	e, _ := newEngine(t, nil)
	index := apply(t, e, &Activate{Meta: Meta{Actor: "planner"}, Source: readRunbook(t, "plan.good.yaml"), SourceName: "plan.good.yaml", Mode: "exercise"})
	id := ActivationID(index)
	a, _ := e.Read().Activation(nil, id)
	if a == nil || a.State != state.ActivationActive || a.StartedBy != "planner" || !a.StartedAt.Equal(start) {
		t.Fatalf("activation = %+v", a)
	}
	got := strings.Join(due(t, e, id), " ")
	// at steps, the first of each recurring step, injects; after steps
	// wait; what is due at the start has fired with the activation, and
	// waits for its acknowledgements (within 15m).
	want := "declare#1@15m0s monitor#1@4h0m0s recovery#1@167h0m0s rumour#1@45m0s statement#1@30m0s"
	if got != want {
		t.Errorf("pending:\n got %s\nwant %s", got, want)
	}
	if got := fired(t, e, id); got != "declare#1@0s" {
		t.Errorf("fired with the activation: %s", got)
	}
}

func TestActivateChecksParams(t *testing.T) {
	e, _ := newEngine(t, nil)
	src := readRunbook(t, "minimal.good.yaml")
	for params, want := range map[string]string{
		"":           `needs params it was not given: [venue]`,
		"venu=Arena": `declares no param "venu"`,
	} {
		p := map[string]string{}
		if k, v, ok := strings.Cut(params, "="); ok {
			p[k] = v
		}
		_, err := e.Apply(context.Background(), &Activate{Source: src, SourceName: "m.yaml", Mode: "live", Params: p})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("params %q: got %v, want %q", params, err, want)
		}
	}
	// Failed commands change nothing: they are in the log, links in its
	// chain, and nothing else.
	if as, _ := e.Read().Activations(nil); len(as) != 0 {
		t.Errorf("failed activations made %d activations", len(as))
	}
	if evs, _ := e.Read().Events(nil); len(evs) != 0 {
		t.Errorf("failed activations left %d events", len(evs))
	}
	if h, _ := e.Head(); h.Index == 0 {
		t.Error("the failed commands are not in the chain")
	}
}

func TestFireDraftsHoldsAndDispatches(t *testing.T) {
	e, clock := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "minimal.good.yaml"), SourceName: "m.yaml", Mode: "exercise",
		Params: map[string]string{"venue": "Victoria Hall"}}))
	// declare is due at the start: it fired with the activation.

	m, _ := e.Read().Message(nil, OccurrenceID(id, "declare", 1))
	if m == nil || m.State != state.MessageDispatching {
		t.Fatalf("message = %+v", m)
	}
	rev := m.Current()
	if rev.Subject != "EXERCISE EXERCISE EXERCISE Incident at Victoria Hall" {
		t.Errorf("subject %q", rev.Subject)
	}
	if !strings.HasPrefix(rev.Body, "EXERCISE EXERCISE EXERCISE\n\nAn incident has happened at Victoria Hall.") || !strings.HasSuffix(rev.Body, "\n\nEXERCISE EXERCISE EXERCISE") {
		t.Errorf("body %q", rev.Body)
	}
	deliveries, _ := e.Read().DeliveriesOf(nil, m.ID)
	var targets []string
	for _, d := range deliveries {
		targets = append(targets, d.Type+":"+d.Target)
	}
	// The partners channel is an email channel to role:approver: both approvers' addresses.
	if got := strings.Join(targets, " "); got != "email:duty.comms@northbridge.gov.uk email:head.comms@northbridge.gov.uk" {
		t.Errorf("deliveries: %s", got)
	}

	// Firing twice is refused: the occurrence is no longer pending.
	if _, err := e.Apply(context.Background(), &Fire{Occurrence: OccurrenceID(id, "declare", 1)}); !errors.Is(err, ErrNotPending) {
		t.Errorf("second fire: %v", err)
	}

	// A recurring task opens, and its next occurrence is scheduled.
	clock.Set(start.Add(7 * 24 * time.Hour))
	apply(t, e, &Fire{Occurrence: OccurrenceID(id, "weekly", 1)})
	task, _ := e.Read().Task(nil, OccurrenceID(id, "weekly", 1))
	if task == nil || task.State != state.TaskOpen || task.Assignee != "duty-comms" || !strings.Contains(task.Instructions, "(week 1)") {
		t.Errorf("task = %+v", task)
	}
	if next, _ := e.Read().Occurrence(nil, OccurrenceID(id, "weekly", 2)); next == nil || next.State != state.OccurrencePending {
		t.Errorf("no second weekly occurrence: %+v", next)
	}
}

func TestStandDownCancelsEverythingPending(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))
	apply(t, e, &StandDown{Meta: Meta{Actor: "planner"}, Activation: id, Reason: "all clear"})

	if got := due(t, e, id); len(got) != 0 {
		t.Errorf("still pending after stand-down: %v", got)
	}
	deliveries, _ := e.Read().DeliveriesOfActivation(nil, id)
	for _, d := range deliveries {
		if d.State != state.DeliveryCancelled {
			t.Errorf("delivery %s is %s", d.ID, d.State)
		}
	}
	if _, err := e.Apply(context.Background(), &Fire{Occurrence: OccurrenceID(id, "statement", 1)}); !errors.Is(err, ErrNotPending) {
		t.Errorf("fire after stand-down: %v", err)
	}
	if _, err := e.Apply(context.Background(), &Halt{Activation: id, Reason: "x"}); err == nil {
		t.Error("a stood-down activation was halted")
	}
}

func TestHaltIsForExercisesOnly(t *testing.T) {
	e, _ := newEngine(t, nil)
	live := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))
	if _, err := e.Apply(context.Background(), &Halt{Activation: live, Reason: "real incident"}); err == nil || !strings.Contains(err.Error(), "only an exercise can be halted") {
		t.Errorf("halting a live activation: %v", err)
	}
	drill := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: 60}))
	apply(t, e, &Halt{Activation: drill, Reason: "real incident: flooding in the town centre"})
	a, _ := e.Read().Activation(nil, drill)
	if a.State != state.ActivationHalted || a.EndReason != "real incident: flooding in the town centre" {
		t.Errorf("activation = %+v", a)
	}
}

// TestReplayGivesTheSameState records a log, replays it into a fresh
// engine and compares the whole state.
func TestReplayGivesTheSameState(t *testing.T) {
	log := &MemoryLog{}
	e, clock := newEngine(t, log)
	id := ActivationID(apply(t, e, &Activate{Meta: Meta{Actor: "planner"}, Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise"}))
	for _, step := range []string{"statement", "rumour", "monitor"} { // declare fired with the activation
		clock.Set(start.Add(5 * time.Hour))
		apply(t, e, &Fire{Meta: Meta{Actor: "scheduler"}, Occurrence: OccurrenceID(id, step, 1)})
	}
	apply(t, e, &RecordDecision{Meta: Meta{Actor: "gold"}, Activation: id, Decision: "Open the rest centre", Rationale: "river rising", Information: "EA flood warning 14:00"})
	apply(t, e, &StandDown{Activation: id, Reason: "exercise complete"})

	replayed, _ := newEngine(t, log)
	if a, b := dump(t, e), dump(t, replayed); a != b {
		t.Errorf("replayed state differs:\n%s\n---\n%s", a, b)
	}
}

func dump(t *testing.T, e *Engine) string {
	t.Helper()
	d, err := e.Read().Dump()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func activateMinimal(t *testing.T, e *Engine, mode string) string {
	t.Helper()
	return ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "minimal.good.yaml"), SourceName: "m.yaml", Mode: mode,
		Params: map[string]string{"venue": "Victoria Hall"}}))
}

// sendAll reports every pending delivery of a message as sent.
func sendAll(t *testing.T, e *Engine, message string) {
	t.Helper()
	deliveries, _ := e.Read().DeliveriesOf(nil, message)
	var outcomes []Outcome
	for _, d := range deliveries {
		outcomes = append(outcomes, Outcome{Delivery: d.ID, State: state.DeliverySent})
	}
	apply(t, e, &RecordOutcomes{Meta: Meta{Actor: "dispatcher"}, Outcomes: outcomes})
}

func TestApprovalsFourEyesAndAfterSteps(t *testing.T) {
	e, clock := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	declare := OccurrenceID(id, "declare", 1) // fired with the activation
	clock.Set(start.Add(2 * time.Minute))
	sendAll(t, e, declare)

	// The holding statement waits for the declaration to complete, then 30m.
	holding := OccurrenceID(id, "holding", 1)
	o, _ := e.Read().Occurrence(nil, holding)
	if o == nil || !o.DueAt.Equal(start.Add(32*time.Minute)) {
		t.Fatalf("holding statement scheduled as %+v", o)
	}
	clock.Set(start.Add(32 * time.Minute))
	apply(t, e, &Fire{Occurrence: holding})
	if m, _ := e.Read().Message(nil, holding); m.State != state.MessagePendingApproval {
		t.Fatalf("holding statement is %s, want pending_approval", m.State)
	}

	// Someone who is not an approver cannot approve.
	if _, err := e.Apply(context.Background(), &Approve{Message: holding, By: "press@example.org"}); err == nil {
		t.Error("a non-approver approved")
	}
	// The duty officer edits; their own approval then does not count (four eyes).
	apply(t, e, &Edit{Meta: Meta{Actor: "duty.comms@northbridge.gov.uk"}, Message: holding, By: "duty.comms@northbridge.gov.uk",
		Subject: "", Body: "We are aware of an incident at Victoria Hall. Please avoid the area."})
	_, err := e.Apply(context.Background(), &Approve{Message: holding, By: "duty.comms@northbridge.gov.uk"})
	if err == nil || !strings.Contains(err.Error(), "four eyes") {
		t.Errorf("editor approving own revision: %v", err)
	}
	// An approval of the revision before the edit (a stale Slack button) is refused.
	_, err = e.Apply(context.Background(), &Approve{Message: holding, Revision: 1, By: "head.comms@northbridge.gov.uk"})
	if err == nil || !strings.Contains(err.Error(), "saved revision 2 since you opened revision 1") {
		t.Errorf("approving a stale revision: %v", err)
	}
	// The head of communications approves by email address; it goes out.
	apply(t, e, &Approve{Message: holding, Revision: 2, By: "head.comms@northbridge.gov.uk"})
	m, _ := e.Read().Message(nil, holding)
	if m.State != state.MessageDispatching || m.Current().N != 2 {
		t.Fatalf("after approval: %s, revision %d", m.State, m.Current().N)
	}
	deliveries, _ := e.Read().DeliveriesOf(nil, holding)
	if len(deliveries) != 1 || deliveries[0].Type != "slack" || deliveries[0].Target != "#incident-public" || deliveries[0].Revision != 2 {
		t.Errorf("deliveries: %+v", deliveries)
	}
}

func TestMinApprovalsAndEditsVoidApprovals(t *testing.T) {
	e, _ := newEngine(t, nil)
	// A third approver, so that two remain besides whoever edits.
	source := strings.Replace(string(readRunbook(t, "plan.good.yaml")), "  - {id: deputy,",
		"  - {id: chair, name: Chair, roles: [approver], email: chair@northbridge.gov.uk}\n  - {id: deputy,", 1)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(source), SourceName: "p.yaml", Mode: "live"}))
	statement := OccurrenceID(id, "statement", 1)
	apply(t, e, &Fire{Occurrence: statement})
	apply(t, e, &Approve{Message: statement, By: "lead"})
	if m, _ := e.Read().Message(nil, statement); m.State != state.MessagePendingApproval {
		t.Fatalf("one of two approvals sent it: %s", m.State)
	}
	if _, err := e.Apply(context.Background(), &Approve{Message: statement, By: "U04ABCD1234"}); err == nil {
		t.Error("the same approver (by Slack id) counted twice")
	}
	// Only an approver may edit; an edit voids the first approval, so two
	// fresh approvals, neither the editor's, are needed.
	if _, err := e.Apply(context.Background(), &Edit{Message: statement, By: "controller", Body: "x"}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("someone the runbook does not name edited: %v", err)
	}
	apply(t, e, &Edit{Message: statement, By: "chair", Body: "Revised statement"})
	if _, err := e.Apply(context.Background(), &Approve{Message: statement, By: "chair"}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("the editor approved their own revision: %v", err)
	}
	apply(t, e, &Approve{Message: statement, By: "deputy"})
	if m, _ := e.Read().Message(nil, statement); m.State != state.MessagePendingApproval {
		t.Fatalf("an approval of an earlier revision still counted: %s", m.State)
	}
	apply(t, e, &Approve{Message: statement, By: "lead"})
	if m, _ := e.Read().Message(nil, statement); m.State != state.MessageDispatching {
		t.Errorf("two approvals of the current revision did not send it: %s", m.State)
	}
}

func TestRejectNeedsAReason(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))
	statement := OccurrenceID(id, "statement", 1)
	apply(t, e, &Fire{Occurrence: statement})
	if _, err := e.Apply(context.Background(), &Reject{Message: statement, By: "lead"}); err == nil {
		t.Error("rejected without a reason")
	}
	apply(t, e, &Reject{Message: statement, By: "lead", Reason: "names a suspect before the police have"})
	m, _ := e.Read().Message(nil, statement)
	if m.State != state.MessageRejected || m.RejectedBy != "lead" {
		t.Errorf("message = %+v", m)
	}
	if _, err := e.Apply(context.Background(), &Approve{Message: statement, By: "deputy"}); err == nil {
		t.Error("a rejected message was approved")
	}
	// The brief waits for the statement, so it is never reached; the
	// report still accounts for it.
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var brief *StepReport
	for i := range r.Steps {
		if r.Steps[i].Step == "brief" {
			brief = &r.Steps[i]
		}
	}
	if brief == nil || brief.State != "not_reached" || strings.Join(brief.WaitingFor, ",") != "declare,statement" {
		t.Errorf("brief in the report: %+v", brief)
	}
}

func TestTasksAcknowledgeCompleteReassign(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))
	declare, statement := OccurrenceID(id, "declare", 1), OccurrenceID(id, "statement", 1)
	sendAll(t, e, declare)
	apply(t, e, &Fire{Occurrence: statement})
	apply(t, e, &Approve{Message: statement, By: "lead"})
	apply(t, e, &Approve{Message: statement, By: "deputy"})
	sendAll(t, e, statement)

	brief := OccurrenceID(id, "brief", 1)
	apply(t, e, &Fire{Occurrence: brief})
	apply(t, e, &ReassignTask{Task: brief, To: "deputy"})
	apply(t, e, &Acknowledge{Subject: brief, By: "deputy@northbridge.gov.uk", Via: "api"})
	task, _ := e.Read().Task(nil, brief)
	if task.State != state.TaskAcknowledged || task.AcknowledgedBy != "deputy" || task.Assignee != "deputy" {
		t.Fatalf("task = %+v", task)
	}
	if _, err := e.Apply(context.Background(), &Acknowledge{Subject: brief, By: "deputy"}); err == nil {
		t.Error("acknowledged twice")
	}
	apply(t, e, &CompleteTask{Task: brief, By: "deputy"})
	// debrief waits for brief, with no delay.
	if o, _ := e.Read().Occurrence(nil, OccurrenceID(id, "debrief", 1)); o == nil || o.State != state.OccurrencePending {
		t.Errorf("debrief not scheduled after the brief: %+v", o)
	}
}

// The steps due at the start fire within the activation's own command, a
// commit sooner, as the scheduler would have; the scheduler's own fire of
// one after is refused as no longer pending. An activation recorded
// before (no fires_at_start) replays as it was made: its first step
// waits for the scheduler.
func TestStepsDueAtTheStartFireWithTheActivation(t *testing.T) {
	log := &MemoryLog{}
	e, _ := newEngine(t, log)
	index := apply(t, e, &Activate{Meta: Meta{Actor: "planner"}, Source: readRunbook(t, "minimal.good.yaml"), SourceName: "m.yaml",
		Mode: "live", Params: map[string]string{"venue": "Victoria Hall"}})
	id, declare := ActivationID(index), OccurrenceID(ActivationID(index), "declare", 1)
	if m, _ := e.Read().Message(nil, declare); m == nil || m.State != state.MessageDispatching {
		t.Fatalf("the declaration after the activation's one command: %+v", m)
	}
	events, _ := e.Read().EventsOf(nil, id)
	var kinds []string
	ofTheCommand := strings.TrimSuffix(state.EventID(index, 0), "0000")
	for _, ev := range events {
		if !strings.HasPrefix(ev.ID, ofTheCommand) {
			t.Errorf("event %s %s is not the activation's command's", ev.ID, ev.Kind)
		}
		kinds = append(kinds, ev.Actor+":"+ev.Kind)
	}
	if got := strings.Join(kinds, " "); !strings.HasPrefix(got, "planner:activated scheduler:") {
		t.Errorf("events: %s", got)
	}
	if _, err := e.Apply(context.Background(), &Fire{Meta: Meta{Actor: "scheduler"}, Occurrence: declare}); !errors.Is(err, ErrNotPending) {
		t.Errorf("the scheduler's fire after: %v", err)
	}

	// An activation as recorded before: no fires_at_start.
	old, err := EncodeCommand(&Activate{Meta: Meta{Actor: "planner", At: start, Wall: start}, Source: readRunbook(t, "minimal.good.yaml"),
		SourceName: "m.yaml", Mode: "live", Params: map[string]string{"venue": "Victoria Hall"}})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := e.Head()
	entry, _ := seal(head.Link, old)
	before := &MemoryLog{}
	log.Entries(func(_ uint64, entry []byte) error { before.entries = append(before.entries, entry); return nil })
	before.entries = append(before.entries, entry)
	replayed, _ := newEngine(t, before)
	oldID := ActivationID(uint64(len(before.entries)))
	if got := strings.Join(due(t, replayed, oldID), " "); !strings.Contains(got, "declare#1@0s") {
		t.Errorf("the older activation's pending steps: %s", got)
	}
	if got := fired(t, replayed, id); got != "declare#1@0s" {
		t.Errorf("the newer activation, replayed: fired %s", got)
	}
}
