package engine

import (
	"strings"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// feedWindow is how many of one message's deliveries are with the
// dispatcher at once: enough to keep every sender busy, few enough that
// ten fan-outs of 100,000 never sit in memory as a million queued sends.
const feedWindow = 1024

// messageFeed hands a large message's deliveries to the dispatcher a
// window at a time, as earlier ones finish, as a listFeed does a list's
// rows.
type messageFeed struct {
	from       *messageContext
	deliveries []string // their ids, in order: each is read as it is now when its turn comes
	next       int
	inflight   int
}

// feed starts handing a message's deliveries over, a window at a time.
// d.mu is held.
func (d *Deliverer) feed(from *messageContext, deliveries []*state.Delivery) []notifiers.Message {
	f := &messageFeed{from: from, deliveries: make([]string, len(deliveries))}
	for i, dl := range deliveries {
		f.deliveries[i] = dl.ID
	}
	d.messageFeeds[from.m.ID] = f
	return d.take(f, d.engine.Read())
}

// take marks the next of a feed's deliveries still pending as queued, up
// to the window, and returns their messages. d.mu is held.
func (d *Deliverer) take(f *messageFeed, tx *state.Txn) []notifiers.Message {
	var ms []notifiers.Message
	for f.inflight < feedWindow && f.next < len(f.deliveries) {
		id := f.deliveries[f.next]
		f.next++
		dl, err := tx.Delivery(nil, id)
		if err != nil || dl == nil || dl.State != state.DeliveryPending || d.queued[id] {
			continue // stood down, or sent, since the feed began
		}
		d.queued[id] = true
		f.inflight++
		ms = append(ms, d.messageOf(f.from, dl))
	}
	if f.inflight == 0 && f.next >= len(f.deliveries) {
		delete(d.messageFeeds, f.from.m.ID)
	}
	return ms
}

// deliveriesFinished notes that deliveries of fed messages are no longer
// with the dispatcher, and hands over more.
func (d *Deliverer) deliveriesFinished(ids []string) {
	var ms []notifiers.Message
	tx := d.engine.Read()
	d.mu.Lock()
	var again []*messageFeed
	for _, id := range ids {
		if strings.Contains(id, "#") {
			continue // a list's row: its listFeed's
		}
		if f := d.messageFeeds[messageOfDelivery(id)]; f != nil {
			f.inflight--
			if len(again) == 0 || again[len(again)-1] != f {
				again = append(again, f)
			}
		}
	}
	for _, f := range again {
		if d.messageFeeds[f.from.m.ID] == f {
			ms = append(ms, d.take(f, tx)...)
		}
	}
	d.mu.Unlock()
	d.dispatcher.Submit(ms...)
}

// messageOfDelivery is the message a delivery's id names (see
// state.DeliveryID: message/rN/NNN), or "" for another id.
func messageOfDelivery(id string) string {
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(id[:i], '/')
	if j < 0 || !strings.HasPrefix(id[j+1:i], "r") {
		return ""
	}
	return id[:j]
}
