package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// resumeDeliveries puts back the deliveries caught in flight by a stop.
func (f *fsm) resumeDeliveries(w *writer) error {
	caught, err := w.tx.DeliveriesInState(nil, state.DeliveryAttempted)
	if err != nil {
		return err
	}
	if err := resumeRows(w); err != nil {
		return err
	}
	for _, d := range caught {
		next := *d
		next.State, next.PossiblyDuplicated, next.UpdatedAt = state.DeliveryPending, true, w.now(d.ActivationID)
		next.Error = "crier stopped while this was being sent; sent again, so it may arrive twice"
		if err := w.tx.UpsertDelivery(&next); err != nil {
			return err
		}
		if err := w.event(d.ActivationID, "delivery_resumed", d.MessageID, d.ID+" to "+d.Target+": possibly duplicated"); err != nil {
			return err
		}
	}
	return nil
}

// recordOutcomes applies many deliveries' outcomes; a message whose
// deliveries have all finished is sent (or failed), and its step completes.
func (f *fsm) recordOutcomes(w *writer, c *RecordOutcomes) error {
	t := &tallies{by: map[string]*tally{}}
	lists := listChanges{}
	for _, o := range c.Outcomes {
		if taken, err := lists.apply(w, o, t); taken || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		d, err := w.tx.Delivery(nil, o.Delivery)
		switch {
		case err != nil:
			return err
		case d == nil:
			return fmt.Errorf("no delivery %q", o.Delivery)
		case o.Receipt != "":
			if err := receipt(w, d, o); err != nil {
				return err
			}
			continue
		case o.State != state.DeliveryAttempted && o.State != state.DeliverySent && o.State != state.DeliveryFailed:
			return fmt.Errorf("delivery %s: %q is not an outcome", o.Delivery, o.State)
		case d.State == state.DeliverySent || d.State == state.DeliveryFailed:
			continue // already final: a duplicate report changes nothing
		case d.State == state.DeliveryCancelled && o.State == state.DeliveryAttempted:
			continue // stood down before the attempt: it must not start
		}
		next := *d
		next.State, next.Error, next.UpdatedAt = o.State, o.Error, w.now(d.ActivationID)
		if o.Ref != "" {
			next.Ref = o.Ref
		}
		if o.State == state.DeliveryAttempted {
			next.Attempts++
		}
		if err := w.tx.UpsertDelivery(&next); err != nil {
			return err
		}
		if o.State == state.DeliveryAttempted || d.State == state.DeliveryCancelled {
			continue
		}
		if o.State == state.DeliverySent {
			t.add(d.MessageID, 1, 0)
		} else {
			t.add(d.MessageID, 0, 1)
		}
	}
	if err := lists.save(w, t); err != nil {
		return err
	}
	for _, id := range t.order {
		if err := f.settle(w, id, t.by[id].sent, t.by[id].failed); err != nil {
			return err
		}
	}
	return nil
}

// tallies count, message by message, the deliveries one command finished.
type tallies struct {
	by    map[string]*tally
	order []string
}

type tally struct{ sent, failed int }

func (t *tallies) add(message string, sent, failed int) {
	n, ok := t.by[message]
	if !ok {
		n = &tally{}
		t.by[message] = n
		t.order = append(t.order, message)
	}
	n.sent += sent
	n.failed += failed
}

// receipt records what a service said became of a message it accepted:
// delivered, undelivered (failed at the phone network), or sent and not
// known to have arrived. The message was settled when it was sent; a
// receipt changes the delivery alone, once.
func receipt(w *writer, d *state.Delivery, o Outcome) error {
	switch {
	case d.State != state.DeliverySent || d.Receipt != "":
		return nil // not sent, or its receipt is in already
	case o.State != state.DeliveryDelivered && o.State != state.DeliveryUndelivered && o.State != state.DeliverySent:
		return fmt.Errorf("delivery %s: %q is not a receipt", o.Delivery, o.State)
	}
	next := *d
	next.State, next.Receipt, next.UpdatedAt = o.State, o.Receipt, w.now(d.ActivationID)
	if err := w.tx.UpsertDelivery(&next); err != nil {
		return err
	}
	if o.State == state.DeliveryUndelivered {
		return w.event(d.ActivationID, "delivery_undelivered", d.MessageID, d.Type+" to "+d.Target+": "+o.Receipt)
	}
	return nil
}

// settle counts newly finished deliveries against their message and
// finishes the message once none is outstanding.
func (f *fsm) settle(w *writer, id string, sent, failed int) error {
	m, err := w.tx.Message(nil, id)
	if err != nil || m == nil {
		return err
	}
	next := *m
	next.Sent, next.Failed, next.Outstanding = m.Sent+sent, m.Failed+failed, m.Outstanding-sent-failed
	next.UpdatedAt = w.now(m.ActivationID)
	finished := m.State == state.MessageDispatching && next.Outstanding <= 0
	if finished {
		switch {
		case next.Sent == 0 && next.Failed == 0 && next.Withheld > 0:
			next.State = state.MessageWithheld
		case next.Failed == 0:
			next.State = state.MessageSent
		case next.Sent == 0:
			next.State = state.MessageFailed
		default:
			next.State = state.MessagePartiallyFailed
		}
	}
	if err := w.tx.UpsertMessage(&next); err != nil || !finished {
		return err
	}
	if err := w.event(m.ActivationID, "message_"+next.State, m.ID, fmt.Sprintf("%d sent, %d failed", next.Sent, next.Failed)); err != nil {
		return err
	}
	a, err := w.tx.Activation(nil, m.ActivationID)
	if err != nil || a.State != state.ActivationActive {
		return err
	}
	rb, err := f.runbook(a)
	if err != nil {
		return err
	}
	return f.complete(w, a, rb, m.OccurrenceID)
}

// complete marks an occurrence complete and schedules the steps that were
// waiting for it, once everything they wait for is complete.
func (f *fsm) complete(w *writer, a *state.Activation, rb *runbooks.Runbook, occurrence string) error {
	o, err := w.tx.Occurrence(nil, occurrence)
	if err != nil || o == nil {
		return err
	}
	done := *o
	done.State, done.CompletedAt = state.OccurrenceComplete, w.now(a.ID)
	if err := w.tx.UpsertOccurrence(&done); err != nil {
		return err
	}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if !slices.ContainsFunc(s.After, func(r runbooks.Ref) bool { return r.Name == o.Step }) {
			continue
		}
		ready, err := allComplete(w.tx, a.ID, s.After)
		if err != nil {
			return err
		}
		if !ready {
			continue
		}
		delay := time.Duration(0)
		if s.Delay != nil {
			delay = s.Delay.D
		}
		if err := w.schedule(a, string(s.ID), s.Kind(), 1, w.now(a.ID).Add(delay)); err != nil {
			return err
		}
	}
	return nil
}

func allComplete(tx *state.Txn, activation string, steps []runbooks.Ref) (bool, error) {
	for _, r := range steps {
		o, err := tx.Occurrence(nil, OccurrenceID(activation, r.Name, 1))
		if err != nil || o == nil || o.State != state.OccurrenceComplete {
			return false, err
		}
	}
	return true, nil
}
