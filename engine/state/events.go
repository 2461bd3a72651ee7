package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Event is one entry in the append-only audit trail.
type Event struct {
	ID           string // the log index and position, so events sort in order
	ActivationID string
	Kind         string // activated, step_fired, message_approved, …
	Actor        string
	At           time.Time
	Subject      string // the record the event is about
	Detail       string
}

// EventID orders events: the command's log index, then the event's place
// among that command's events.
func EventID(index uint64, n int) string { return fmt.Sprintf("%020d-%04d", index, n) }

// AppendEvent adds an event to the trail. Events are never changed.
func (t *Txn) AppendEvent(e *Event) error {
	if existing, err := t.txn.First(TableEvents, IndexID, e.ID); err != nil || existing != nil {
		return fmt.Errorf("state: event %s is already in the trail", e.ID)
	}
	return t.insert(TableEvents, e)
}

// EventsOf returns an activation's audit trail, oldest first.
func (t *Txn) EventsOf(ws memdb.WatchSet, activationID string) ([]*Event, error) {
	events, err := list[Event](t, ws, TableEvents, IndexActivation, activationID)
	return events, err
}

// Events returns the whole audit trail, oldest first.
func (t *Txn) Events(ws memdb.WatchSet) ([]*Event, error) {
	return list[Event](t, ws, TableEvents, IndexID)
}
