package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryAttempted = "attempted" // handed to a notifier; outcome not yet known
	DeliverySent      = "sent"
	DeliveryFailed    = "failed"
	DeliveryCancelled = "cancelled"
	DeliveryWithheld  = "withheld" // an exercise's, to someone not taking part: never sent
	// After sent, for services that say what became of a message (GOV.UK
	// Notify's texts): it reached the phone, or the network gave up on it.
	DeliveryDelivered   = "delivered"
	DeliveryUndelivered = "undelivered"
)

// Delivery is one revision of one message to one endpoint.
type Delivery struct {
	ID           string
	ActivationID string
	MessageID    string
	Revision     int
	Channel      string // the runbook channel id, or "" for a stakeholder's own contact
	Type         string // slack, teams, email, sms, webhook or log
	Target       string // a Slack channel or user, an address, a number, a URL reference
	Stakeholder  string // the stakeholder reached, when there is one
	Person       string // the directory's person reached for it, when it is kept there
	Language     string // a translation's language, or "" for the message itself
	State        string
	Attempts     int
	Error        string
	// Ref is the service's own reference for a message it accepted, and
	// Receipt what it last said became of it (see DeliveryDelivered).
	Ref     string
	Receipt string
	// PossiblyDuplicated: crier stopped after an attempt was recorded and
	// before its outcome was, so it was sent again and may have arrived twice.
	PossiblyDuplicated bool
	UpdatedAt          time.Time
	// List, for a delivery to each row of a contact list: the list's id,
	// and once the dispatcher has opened it, its size, checksum and each
	// row's progress. The rows themselves are never in the record.
	List string
	Rows *Rows
}

// UpsertDelivery writes a delivery.
func (t *Txn) UpsertDelivery(d *Delivery) error { return t.insert(TableDeliveries, d) }

// Delivery returns the delivery with the given id, or nil.
func (t *Txn) Delivery(ws memdb.WatchSet, id string) (*Delivery, error) {
	return get[Delivery](t, ws, TableDeliveries, id)
}

// DeliveryID names a message revision's nth delivery. A message's
// deliveries are found by this prefix, so they need no index of their own.
func DeliveryID(messageID string, revision, n int) string {
	return fmt.Sprintf("%s/r%d/%03d", messageID, revision, n)
}

// DeliveriesOf returns a message's deliveries.
func (t *Txn) DeliveriesOf(ws memdb.WatchSet, messageID string) ([]*Delivery, error) {
	return list[Delivery](t, ws, TableDeliveries, IndexID+"_prefix", messageID+"/r")
}

// DeliveriesOfActivation returns all of an activation's deliveries, message
// by message.
func (t *Txn) DeliveriesOfActivation(ws memdb.WatchSet, activationID string) ([]*Delivery, error) {
	messages, err := t.MessagesOf(ws, activationID)
	if err != nil {
		return nil, err
	}
	var out []*Delivery
	for _, m := range messages {
		ds, err := t.DeliveriesOf(ws, m.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// DeliveriesInState returns every activation's deliveries in one state:
// pending or attempted, the states the dispatcher looks for.
func (t *Txn) DeliveriesInState(ws memdb.WatchSet, state string) ([]*Delivery, error) {
	return list[Delivery](t, ws, TableDeliveries, IndexState, state)
}
