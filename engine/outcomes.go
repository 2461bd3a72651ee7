package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// recordOutcomes applies many deliveries' outcomes; a message whose
// deliveries have all finished is sent (or failed), and its step completes.
func (f *fsm) recordOutcomes(w *writer, c *RecordOutcomes) error {
	var touched []string
	for _, o := range c.Outcomes {
		d, err := w.tx.Delivery(nil, o.Delivery)
		switch {
		case err != nil:
			return err
		case d == nil:
			return fmt.Errorf("no delivery %q", o.Delivery)
		case o.State != state.DeliveryAttempted && o.State != state.DeliverySent && o.State != state.DeliveryFailed:
			return fmt.Errorf("delivery %s: %q is not an outcome", o.Delivery, o.State)
		case d.State == state.DeliverySent || d.State == state.DeliveryFailed:
			continue // already final: a duplicate report changes nothing
		case d.State == state.DeliveryCancelled && o.State == state.DeliveryAttempted:
			continue // stood down before the attempt: it must not start
		}
		next := *d
		next.State, next.Error, next.UpdatedAt = o.State, o.Error, w.meta.At
		if o.State == state.DeliveryAttempted {
			next.Attempts++
		}
		if err := w.tx.UpsertDelivery(&next); err != nil {
			return err
		}
		if !slices.Contains(touched, d.MessageID) {
			touched = append(touched, d.MessageID)
		}
	}
	for _, id := range touched {
		if err := f.settle(w, id); err != nil {
			return err
		}
	}
	return nil
}

// settle finishes a message once none of its deliveries is outstanding.
func (f *fsm) settle(w *writer, id string) error {
	m, err := w.tx.Message(nil, id)
	if err != nil || m == nil || m.State != state.MessageDispatching {
		return err
	}
	deliveries, err := w.tx.DeliveriesOf(nil, id)
	if err != nil {
		return err
	}
	sent, failed := 0, 0
	for _, d := range deliveries {
		switch d.State {
		case state.DeliverySent:
			sent++
		case state.DeliveryFailed:
			failed++
		case state.DeliveryPending, state.DeliveryAttempted:
			return nil
		}
	}
	done := *m
	done.UpdatedAt = w.meta.At
	switch {
	case failed == 0:
		done.State = state.MessageSent
	case sent == 0:
		done.State = state.MessageFailed
	default:
		done.State = state.MessagePartiallyFailed
	}
	if err := w.tx.UpsertMessage(&done); err != nil {
		return err
	}
	if err := w.event(m.ActivationID, "message_"+done.State, m.ID, fmt.Sprintf("%d sent, %d failed", sent, failed)); err != nil {
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
	done.State, done.CompletedAt = state.OccurrenceComplete, w.meta.At
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
		if err := w.schedule(a, string(s.ID), s.Kind(), 1, w.meta.At.Add(delay)); err != nil {
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
