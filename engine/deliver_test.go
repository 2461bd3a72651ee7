package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
)

// flaky fails every send to one address with a temporary error.
type flaky struct {
	mu    sync.Mutex
	calls map[string]int
	bad   string
}

func (f *flaky) Notify(_ context.Context, m notifiers.Message) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[m.Target]++
	if m.Target == f.bad {
		return true, errors.New("smtp: 451 4.3.0 mailbox busy")
	}
	return false, nil
}

func (f *flaky) called(target string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[target]
}

// A delivery that keeps failing is failed when its deadline passes and
// the report says why; the other recipients are sent once, and each
// attempt is in the record.
func TestDeadLetterInTheReport(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live") // declare fired with it
	n := &flaky{calls: map[string]int{}, bad: "head.comms@northbridge.gov.uk"}
	d := NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: n},
		Deadline: 200 * time.Millisecond, Backoff: notifiers.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
	go d.Run(t.Context())
	if err := d.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var failed, sent int
	for _, dl := range r.Deliveries {
		switch dl.Status {
		case state.DeliveryFailed:
			failed++
			if dl.Target != n.bad || !strings.Contains(dl.Error, "not delivered within 200ms") || !strings.Contains(dl.Error, "451 4.3.0 mailbox busy") {
				t.Errorf("failed delivery: %+v", dl)
			}
		case state.DeliverySent:
			sent++
		}
	}
	if failed != 1 || sent != 1 || n.called("duty.comms@northbridge.gov.uk") != 1 {
		t.Errorf("%d failed, %d sent, good recipient called %d times", failed, sent, n.called("duty.comms@northbridge.gov.uk"))
	}
	ds, _ := e.Read().DeliveriesOf(nil, OccurrenceID(id, "declare", 1))
	for _, dl := range ds {
		if dl.Target == n.bad && dl.Attempts != n.called(n.bad) {
			t.Errorf("%d attempts recorded, %d made", dl.Attempts, n.called(n.bad))
		}
	}
	m, _ := e.Read().Message(nil, OccurrenceID(id, "declare", 1))
	if m.State != state.MessagePartiallyFailed {
		t.Errorf("message %s, want partially_failed", m.State)
	}
	// The Markdown report names it, and why.
	var md strings.Builder
	r.Markdown(&md)
	if !strings.Contains(md.String(), "## Failed deliveries") || !strings.Contains(md.String(), "| declare | email | head.comms@northbridge.gov.uk |") ||
		!strings.Contains(md.String(), "451 4.3.0 mailbox busy |") {
		t.Errorf("markdown report:\n%s", md.String())
	}
}

// A stand-down stops a delivery waiting to be tried again.
func TestStandDownStopsRetries(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live") // declare fired with it
	n := &flaky{calls: map[string]int{}, bad: "head.comms@northbridge.gov.uk"}
	d := NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: n},
		Backoff: notifiers.Backoff{Initial: 5 * time.Millisecond, Max: 5 * time.Millisecond}})
	go d.Run(t.Context())
	done := make(chan error)
	go func() { done <- d.Deliver(t.Context()) }()
	for n.called(n.bad) < 3 {
		time.Sleep(time.Millisecond)
	}
	apply(t, e, &StandDown{Activation: id, Reason: "all clear"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tries := n.called(n.bad)
	ds, _ := e.Read().DeliveriesOf(nil, OccurrenceID(id, "declare", 1))
	for _, dl := range ds {
		if dl.Target == n.bad && dl.State != state.DeliveryCancelled {
			t.Errorf("after the stand-down: %+v", dl)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if n.called(n.bad) != tries {
		t.Errorf("still retried after the stand-down")
	}
}

// A draft held for approval is posted to the approvals channel, for the
// revision waiting; an edit posts the new revision.
func TestApprovalRequests(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	sent := &recorder{}
	d := NewDeliverer(e, to(sent))
	d.ApprovalsChannel, d.Settle = "#comms-approvals", true
	d.Follow(s)
	go d.Run(t.Context())
	id := activateMinimal(t, e, "live")
	holding := OccurrenceID(id, "holding", 1)
	s.RunInstant(context.Background(), clock, start)
	sendAll(t, e, OccurrenceID(id, "declare", 1))
	s.RunInstant(context.Background(), clock, start.Add(30*time.Minute))
	apply(t, e, &Edit{Message: holding, By: "duty.comms@northbridge.gov.uk", Body: "We are aware of an incident at Victoria Hall. Please avoid the area."})
	s.RunInstant(context.Background(), clock, start.Add(31*time.Minute))
	var got []string
	for _, m := range sent.got {
		if m.Kind == notifiers.KindApprovalRequest {
			got = append(got, fmt.Sprintf("%s %s r%d %s: %s", m.Type, m.Target, m.Revision, m.Delivery, m.Body))
		}
	}
	want := []string{
		"slack #comms-approvals r1 " + holding + "/r1/approval-request: We are aware of an incident at Victoria Hall.",
		"slack #comms-approvals r2 " + holding + "/r2/approval-request: We are aware of an incident at Victoria Hall. Please avoid the area.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("approval requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// They are not deliveries of the message: none was recorded.
	ds, _ := e.Read().DeliveriesOf(nil, holding)
	if len(ds) != 0 {
		t.Errorf("deliveries of the held message: %+v", ds)
	}
}

// A task is sent to its assignee; sending it does not complete the step,
// the task being done does.
func TestTasksReachTheirAssignee(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	sendAll(t, e, OccurrenceID(id, "declare", 1)) // the declaration, fired with the activation, went before
	weekly := OccurrenceID(id, "weekly", 1)
	apply(t, e, &Fire{Occurrence: weekly})
	sent := &recorder{}
	if err := deliverer(t, e, sent).Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sent.got) != 1 || sent.got[0].Target != "duty.comms@northbridge.gov.uk" || sent.got[0].Subject != "Task: Weekly recovery group" ||
		sent.got[0].Body != "Convene the recovery group (week 1)." || !sent.got[0].AckRequested {
		t.Fatalf("sent %+v", sent.got)
	}
	o, _ := e.Read().Occurrence(nil, weekly)
	if o.State != state.OccurrenceFired {
		t.Errorf("after the notice was sent the step is %s, want still fired", o.State)
	}
	// Acknowledging the notice acknowledges the task.
	apply(t, e, &Acknowledge{Subject: sent.got[0].Delivery[:len(weekly)], By: "duty-comms"})
	task, _ := e.Read().Task(nil, weekly)
	if task.State != state.TaskAcknowledged {
		t.Errorf("task %s", task.State)
	}
	apply(t, e, &CompleteTask{Task: weekly, By: "duty-comms"})
	if o, _ := e.Read().Occurrence(nil, weekly); o.State != state.OccurrenceComplete {
		t.Errorf("after the task was done the step is %s", o.State)
	}
}

// Contacts no notifier can use are named, with where they are written.
func TestUnreachableContacts(t *testing.T) {
	rb, err := runbooks.Parse("minimal.yaml", readRunbook(t, "minimal.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := UnreachableContacts(rb, func(typ string) bool { return typ == "slack" })
	if len(got) != 2 || !strings.HasPrefix(got[0], "minimal.yaml:9:5: stakeholder \"duty-comms\" has an email address") {
		t.Errorf("%q", got)
	}
	if got := UnreachableContacts(rb, func(string) bool { return true }); len(got) != 0 {
		t.Errorf("with every notifier: %q", got)
	}
}

// A deliverer with an AckLink hook gives each delivery its own link.
func TestAckLinksAreAdded(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	sendAll(t, e, OccurrenceID(id, "declare", 1)) // the declaration, fired with the activation, went before
	apply(t, e, &Fire{Occurrence: OccurrenceID(id, "weekly", 1)})
	sent := &recorder{}
	d := NewDeliverer(e, to(sent))
	d.AckLink = func(m notifiers.Message) string { return "https://crier.example/ack/" + m.Delivery }
	go d.Run(t.Context())
	if err := d.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sent.got) != 1 || sent.got[0].AckURL != "https://crier.example/ack/"+sent.got[0].Delivery {
		t.Errorf("sent %+v", sent.got)
	}
}

// An exercise lead's inject goes to the targets named, marked as the
// exercise; it is refused in a live activation or to someone unknown.
func TestSendInject(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "exercise")
	apply(t, e, &SendInject{Meta: Meta{Actor: "exercises@northbridge.gov.uk"}, Activation: id, To: []string{"partners"},
		Body: "Social media reports a second incident at the station."})
	ms, _ := e.Read().MessagesOf(nil, id)
	var inject *state.Message
	for _, m := range ms {
		if m.Step == "inject" {
			inject = m
		}
	}
	if inject == nil || !strings.HasPrefix(inject.Current().Subject, "EXERCISE") || !strings.Contains(inject.Current().Body, "second incident") {
		t.Fatalf("inject: %+v", inject)
	}
	if ds, _ := e.Read().DeliveriesOf(nil, inject.ID); len(ds) != 2 {
		t.Errorf("%d deliveries, want the two approvers the partners channel reaches", len(ds))
	}
	if _, err := e.Apply(context.Background(), &SendInject{Activation: id, To: []string{"nobody"}, Body: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("to someone unknown: %v", err)
	}
	live := activateMinimal(t, e, "live")
	if _, err := e.Apply(context.Background(), &SendInject{Activation: live, To: []string{"partners"}, Body: "x"}); err == nil {
		t.Error("an inject into a live activation")
	}
}
