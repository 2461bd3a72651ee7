package engine

import (
	"fmt"

	"github.com/crierhq/crier/engine/state"
)

// A delivery to a contact list is one delivery in the record with the
// progress of each row, not one per row: an activation reaching a list of
// 100,000 residents holds a few bits for each. The dispatcher opens it
// (its size and checksum, before any row goes), then each row is
// attempted and finished as any delivery is, under delivery#row.

// listChanges are the list deliveries one command changes, each copied
// once and written once.
type listChanges map[string]*state.Delivery

// apply applies an outcome about a list delivery, and reports whether it
// was one.
func (l listChanges) apply(w *writer, o Outcome, t *tallies) (bool, error) {
	id, row, isRow := state.SplitRowDeliveryID(o.Delivery)
	d, err := l.get(w, id)
	switch {
	case err != nil:
		return true, err
	case d == nil && !isRow && o.State != ListOpened:
		return false, nil // any other delivery
	case d == nil:
		return true, fmt.Errorf("delivery %s is not to a contact list", id)
	case o.State == ListOpened:
		return true, l.open(w, d, o)
	case !isRow && o.State == state.DeliveryFailed:
		l.fail(d, o.Error, t)
		return true, nil
	case !isRow:
		return true, fmt.Errorf("delivery %s is to a contact list: its rows are %s, not the list", id, o.State)
	case d.Rows == nil:
		return true, fmt.Errorf("delivery %s: row %d before the list was opened", id, row)
	case !d.Rows.Has(row):
		return true, fmt.Errorf("delivery %s has no row %d (rows %d to %d)", id, row, state.FirstRow, state.FirstRow+d.Rows.Count-1)
	case o.Receipt != "":
		if o.State == state.DeliveryUndelivered {
			return true, w.event(d.ActivationID, "delivery_undelivered", d.MessageID, fmt.Sprintf("%s to list %s, row %d: %s", d.Type, d.List, row, o.Receipt))
		}
		return true, nil
	case o.State == state.DeliveryAttempted:
		if d.State != state.DeliveryCancelled && !d.Rows.IsDone(row) {
			d.Rows.Attempt(row)
		}
		return true, nil
	case o.State != state.DeliverySent && o.State != state.DeliveryFailed:
		return true, fmt.Errorf("delivery %s: %q is not an outcome", o.Delivery, o.State)
	case d.Rows.IsDone(row):
		return true, nil // a duplicate report changes nothing
	}
	failure := ""
	if o.State == state.DeliveryFailed {
		failure = o.Error
		if failure == "" {
			failure = "failed"
		}
	}
	d.Rows.Finish(row, failure)
	if d.State != state.DeliveryCancelled {
		if failure == "" {
			t.add(d.MessageID, 1, 0)
		} else {
			t.add(d.MessageID, 0, 1)
		}
	}
	return true, nil
}

// get is a list delivery to change: the copy this command already has,
// or a fresh copy of what the record holds; nil for any other delivery.
func (l listChanges) get(w *writer, id string) (*state.Delivery, error) {
	if d, ok := l[id]; ok {
		return d, nil
	}
	d, err := w.tx.Delivery(nil, id)
	if err != nil || d == nil || d.List == "" {
		return nil, err
	}
	c := *d
	if d.Rows != nil {
		c.Rows = d.Rows.Clone()
	}
	l[id] = &c
	return &c, nil
}

// open starts a list delivery's rows: the message now waits for each.
func (l listChanges) open(w *writer, d *state.Delivery, o Outcome) error {
	if d.Rows != nil || d.State != state.DeliveryPending {
		return nil // opened already, or cancelled
	}
	if o.Rows < 0 {
		return fmt.Errorf("delivery %s: a list of %d rows", d.ID, o.Rows)
	}
	if o.Contacts < 0 || o.Contacts > o.Rows {
		return fmt.Errorf("delivery %s: %d of %d rows", d.ID, o.Contacts, o.Rows)
	}
	d.Rows = state.OpenRows(o.Rows, o.Contacts, o.SHA256)
	m, err := w.tx.Message(nil, d.MessageID)
	if err != nil || m == nil {
		return err
	}
	next := *m
	next.Outstanding += o.Contacts - 1 // one delivery became a delivery a row
	return w.tx.UpsertMessage(&next)
}

// fail fails a list delivery: before it was opened (the list could not
// be read), as one delivery; after, every row not yet finished (its file
// changed since).
func (l listChanges) fail(d *state.Delivery, why string, t *tallies) {
	if d.State != state.DeliveryPending {
		return
	}
	if d.Rows == nil {
		d.State, d.Error = state.DeliveryFailed, why
		t.add(d.MessageID, 0, 1)
		return
	}
	t.add(d.MessageID, 0, d.Rows.Abandon(why))
}

// save writes the changed list deliveries; one whose rows have all
// finished is sent, or failed when no row was sent. An empty list is
// sent at once, to no one.
func (l listChanges) save(w *writer, t *tallies) error {
	for _, d := range l {
		if d.Rows != nil && d.Rows.Finished() && d.State == state.DeliveryPending {
			d.State = state.DeliverySent
			if d.Rows.Count > 0 && d.Rows.Sent == 0 {
				d.State = state.DeliveryFailed
			}
			d.Error = ""
			if d.Rows.Failed > 0 {
				d.Error = d.Rows.String()
			}
			t.add(d.MessageID, 0, 0) // the message settles when its last row does
		}
		d.UpdatedAt = w.now(d.ActivationID)
		if err := w.tx.UpsertDelivery(d); err != nil {
			return err
		}
	}
	return nil
}

// resumeRows puts back the rows of list deliveries that a stop caught in
// flight, to be sent again and counted as possibly duplicated.
func resumeRows(w *writer) error {
	pending, err := w.tx.DeliveriesInState(nil, state.DeliveryPending)
	if err != nil {
		return err
	}
	for _, d := range pending {
		if d.Rows == nil {
			continue
		}
		caught := d.Rows.InFlight()
		if len(caught) == 0 {
			continue
		}
		next := *d
		next.Rows = d.Rows.Clone()
		next.Rows.Resume(caught)
		next.PossiblyDuplicated, next.UpdatedAt = true, w.now(d.ActivationID)
		if err := w.tx.UpsertDelivery(&next); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s to list %s: %d rows caught in flight sent again, so they may arrive twice", d.Type, d.List, len(caught))
		if err := w.event(d.ActivationID, "delivery_resumed", d.MessageID, detail); err != nil {
			return err
		}
	}
	return nil
}
