package state

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// awaitingReceipt: sent, accepted under a reference, and nothing heard of
// it since.
func (d *Delivery) awaitingReceipt() bool {
	return d.State == DeliverySent && d.Ref != "" && d.Receipt == ""
}

// Deliveries are the most numerous records, and each changes twice as it
// is sent (attempted, then sent or failed). They are kept in blocks of a
// message revision's deliveries by number, so that a command recording a
// fan-out's outcomes writes each block it touches once, not each delivery
// into the database's trees; a block is indexed by the states of the
// deliveries in it that something looks for.

// blockSize is how many deliveries, numbered in a row, share a block.
const blockSize = 64

// block is up to blockSize deliveries of one message revision, by number
// modulo blockSize. Each delivery in it is a record as any other: never
// changed in place, replaced.
type block struct {
	ID string
	D  []*Delivery
}

// blockOf is the block a delivery id belongs in, and its place there. An
// id ending in /number (as DeliveryID's do) goes by the number; any other
// has a block of its own. Two spellings of one number (5, 005) would share
// a place: UpsertDelivery refuses the second.
func blockOf(id string) (string, int) {
	i := strings.LastIndexByte(id, '/')
	n, err := strconv.Atoi(id[i+1:])
	if i < 0 || err != nil || n < 0 {
		return id + "/", 0
	}
	return fmt.Sprintf("%s/%07d", id[:i], n/blockSize), n % blockSize
}

// block is the block with the given id as this transaction sees it, or nil.
func (t *Txn) block(ws memdb.WatchSet, id string) (*block, error) {
	if b, ok := t.dirty[id]; ok {
		return b, nil
	}
	return get[block](t, ws, TableDeliveries, id)
}

// UpsertDelivery writes a delivery. Its block is copied once in a
// transaction, and written to the database when the transaction commits
// or reads deliveries by index.
func (t *Txn) UpsertDelivery(d *Delivery) error {
	id, slot := blockOf(d.ID)
	b, err := t.block(nil, id)
	if err != nil {
		return err
	}
	if _, ok := t.dirty[id]; !ok {
		c := &block{ID: id}
		if b != nil {
			c.D = slices.Clone(b.D)
		}
		if t.dirty == nil {
			t.dirty = map[string]*block{}
		}
		t.dirty[id], b = c, c
	}
	if slot >= len(b.D) {
		b.D = append(b.D, make([]*Delivery, slot+1-len(b.D))...)
	}
	if old := b.D[slot]; old != nil && old.ID != d.ID {
		return fmt.Errorf("state: deliveries %q and %q would share a place", old.ID, d.ID)
	}
	b.D[slot] = d
	return nil
}

// flush writes the blocks changed in this transaction to the database: a
// block written is never changed again in place, so that its index
// entries stay those of what it holds.
func (t *Txn) flush() error {
	for id, b := range t.dirty {
		if err := t.insert(TableDeliveries, b); err != nil {
			return err
		}
		delete(t.dirty, id)
	}
	return nil
}

// Delivery returns the delivery with the given id, or nil.
func (t *Txn) Delivery(ws memdb.WatchSet, id string) (*Delivery, error) {
	bid, slot := blockOf(id)
	b, err := t.block(ws, bid)
	if err != nil || b == nil || slot >= len(b.D) || b.D[slot] == nil || b.D[slot].ID != id {
		return nil, err
	}
	return b.D[slot], nil
}

// DeliveryID names a message revision's nth delivery. A message's
// deliveries are found by this prefix, so they need no index of their own.
func DeliveryID(messageID string, revision, n int) string {
	return fmt.Sprintf("%s/r%d/%03d", messageID, revision, n)
}

// deliveries lists the deliveries of the blocks an index lookup finds,
// those keep says to.
func (t *Txn) deliveries(ws memdb.WatchSet, keep func(*Delivery) bool, index string, args ...any) ([]*Delivery, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	blocks, err := list[block](t, ws, TableDeliveries, index, args...)
	if err != nil {
		return nil, err
	}
	var out []*Delivery
	for _, b := range blocks {
		for _, d := range b.D {
			if d != nil && keep(d) {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

func all(*Delivery) bool { return true }

// DeliveriesOf returns a message's deliveries in the order of their ids'
// text (r1, r10, r2, …), in number order within a revision.
func (t *Txn) DeliveriesOf(ws memdb.WatchSet, messageID string) ([]*Delivery, error) {
	return t.deliveries(ws, all, IndexID+"_prefix", messageID+"/r")
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
	if state != DeliveryPending && state != DeliveryAttempted {
		return nil, fmt.Errorf("state: deliveries %s are not indexed", state)
	}
	return t.deliveries(ws, func(d *Delivery) bool { return d.State == state }, IndexState, state)
}

// DeliveriesAwaitingReceipt returns the deliveries sent under a service's
// reference whose receipt has not come: those to ask after.
func (t *Txn) DeliveriesAwaitingReceipt(ws memdb.WatchSet) ([]*Delivery, error) {
	return t.deliveries(ws, (*Delivery).awaitingReceipt, IndexState, awaitingReceipt)
}

// awaitingReceipt is the state index's key for blocks with a delivery
// awaiting its receipt.
const awaitingReceipt = "receipt"

// blockIndexer indexes a block by what the deliveries in it await:
// pending, attempted, or a receipt. Blocks all of whose deliveries are
// finished, the great majority, are not in it.
type blockIndexer struct{}

func (blockIndexer) FromObject(obj any) (bool, [][]byte, error) {
	b, ok := obj.(*block)
	if !ok {
		return false, nil, fmt.Errorf("state: %T is not a block of deliveries", obj)
	}
	var pending, attempted, receipt bool
	for _, d := range b.D {
		switch {
		case d == nil:
		case d.State == DeliveryPending:
			pending = true
		case d.State == DeliveryAttempted:
			attempted = true
		case d.awaitingReceipt():
			receipt = true
		}
	}
	var vals [][]byte
	for _, v := range []struct {
		on  bool
		key string
	}{{pending, DeliveryPending}, {attempted, DeliveryAttempted}, {receipt, awaitingReceipt}} {
		if v.on {
			vals = append(vals, []byte(v.key+"\x00"))
		}
	}
	return len(vals) > 0, vals, nil
}

func (blockIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("state: one delivery state, please")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("state: a delivery state is a string, not %T", args[0])
	}
	return []byte(s + "\x00"), nil
}
