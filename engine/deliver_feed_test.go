package engine

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// many is a runbook telling n people by email at activation.
func many(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: many\ntitle: Many\nstakeholders:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, roles: [all], email: p%d@northbridge.example}\n", i, i, i)
	}
	b.WriteString("channels:\n  - {id: log, type: log}\nsteps:\n  - {id: tell, title: Tell, at: 0s, notify: {to: [role:all], subject: S, body: B}}\n")
	return []byte(b.String())
}

// toMany activates a runbook telling people by email, its step due at the
// start: the message's deliveries wait to be sent.
func toMany(t *testing.T, people int) (*Engine, string) {
	t.Helper()
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: many(people), SourceName: "many.yaml", Mode: "live"}))
	return e, id
}

// watching is a notifier that notes, at each send, how many sends the
// deliverer has with the dispatcher.
type watching struct {
	recorder
	d    *Deliverer
	most int
}

func (w *watching) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	w.d.mu.Lock()
	held := len(w.d.queued)
	w.d.mu.Unlock()
	w.recorder.mu.Lock()
	w.most = max(w.most, held)
	w.recorder.mu.Unlock()
	return w.recorder.Notify(ctx, m)
}

// A message to more people than a window is handed to the dispatcher a
// window at a time: every person is sent to once, and the dispatcher
// never holds more than the window.
func TestALargeFanOutGoesAWindowAtATime(t *testing.T) {
	const people = 3*feedWindow + 17
	e, id := toMany(t, people)
	w := &watching{}
	w.d = deliverer(t, e, w)
	if err := w.d.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range w.got {
		if seen[m.Target] {
			t.Fatalf("%s was sent to twice", m.Target)
		}
		seen[m.Target] = true
	}
	m, _ := e.Read().Message(nil, OccurrenceID(id, "tell", 1))
	if len(seen) != people || m.State != state.MessageSent || m.Sent != people {
		t.Errorf("%d people sent to; the message is %s with %d sent; want all %d", len(seen), m.State, m.Sent, people)
	}
	if w.most > feedWindow || w.most == 0 {
		t.Errorf("the dispatcher held up to %d sends at once; want at most the window, %d", w.most, feedWindow)
	}
}

// slow takes a millisecond a send, and counts them.
type slow struct{ n atomic.Int64 }

func (s *slow) Notify(context.Context, notifiers.Message) (bool, error) {
	time.Sleep(time.Millisecond)
	s.n.Add(1)
	return false, nil
}

// Stopped in the middle of a fan-out larger than a window, the deliverer
// returns (as a node losing the lead must), and what it had not sent
// stays pending in the record for whoever sends next.
func TestAStopInTheMiddleOfALargeFanOut(t *testing.T) {
	const people = 3*feedWindow + 17
	e, _ := toMany(t, people)
	s := &slow{}
	d := NewDeliverer(e, to(s))
	ctx, cancel := context.WithCancel(t.Context())
	returned := make(chan struct{})
	go func() { d.Run(ctx); close(returned) }()
	if err := d.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	for s.n.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatalf("the deliverer did not return after it was stopped (%d sent)", s.n.Load())
	}
	pending, _ := e.Read().DeliveriesInState(nil, state.DeliveryPending)
	attempted, _ := e.Read().DeliveriesInState(nil, state.DeliveryAttempted)
	if sent := int(s.n.Load()); len(pending)+len(attempted)+sent < people || len(pending) == 0 {
		t.Errorf("%d sent, %d pending, %d attempted of %d", sent, len(pending), len(attempted), people)
	}
}

// The outcomes of many sends are recorded in one command, which the
// record takes or refuses whole: one it refuses does not leave the others
// unrecorded.
func TestOneRefusedOutcomeDoesNotSinkTheOthers(t *testing.T) {
	e, id := toMany(t, 3)
	ds, _ := e.Read().DeliveriesOf(nil, OccurrenceID(id, "tell", 1))
	d := NewDeliverer(e, to(&recorder{}))
	var outcomes []notifiers.Outcome
	for _, dl := range append(ds, &state.Delivery{ID: "a-000009/gone/1/r1/001"}) {
		outcomes = append(outcomes, notifiers.Outcome{Message: notifiers.Message{Delivery: dl.ID, Type: "email"}})
	}
	(*record)(d).Finished(t.Context(), outcomes)
	for _, dl := range ds {
		if now, _ := e.Read().Delivery(nil, dl.ID); now.State != state.DeliverySent {
			t.Errorf("delivery %s is %s; want sent", dl.ID, now.State)
		}
	}
}
