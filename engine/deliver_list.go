package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// listWindow is how many of a list's rows are with the dispatcher at
// once: enough to keep every sender busy, few enough that a list of
// 100,000 never sits in memory as 100,000 messages.
const listWindow = 256

// listFeed hands a list delivery's rows to the dispatcher a window at a
// time, as earlier rows finish.
type listFeed struct {
	dl       *state.Delivery // as it was when the feed began
	list     *directory.List
	from     *messageContext
	next     int // the index of the next contact to consider
	inflight int
}

// feedList opens a list delivery (its size and checksum into the record
// before any row is sent) and starts handing its rows over. A list that
// cannot be read, or whose file has changed since it was opened, fails
// the rows still to send, on the record.
func (d *Deliverer) feedList(ctx context.Context, tx *state.Txn, dl *state.Delivery) error {
	d.mu.Lock()
	_, feeding := d.feeds[dl.ID]
	d.mu.Unlock()
	if feeding {
		return nil
	}
	fail := func(why string) error {
		_, err := d.engine.Apply(ctx, &RecordOutcomes{Meta: Meta{Actor: "dispatcher"},
			Outcomes: []Outcome{{Delivery: dl.ID, State: state.DeliveryFailed, Error: why}}})
		return err
	}
	var list *directory.List
	if dir := d.engine.Directory(); dir != nil {
		list, _ = dir.List(dl.List)
	}
	if list == nil {
		return fail(fmt.Sprintf("contact list %q could not be read: see the directory's lists (crier validate names the problem)", dl.List))
	}
	sha := hex.EncodeToString(list.SHA256[:])
	if dl.Rows == nil {
		if _, err := d.engine.Apply(ctx, &RecordOutcomes{Meta: Meta{Actor: "dispatcher"},
			Outcomes: []Outcome{{Delivery: dl.ID, State: ListOpened, Rows: list.Len(), Contacts: list.Count(contactOf(dl)), SHA256: sha}}}); err != nil {
			return err
		}
		var err error
		if dl, err = d.engine.Read().Delivery(nil, dl.ID); err != nil || dl == nil || dl.Rows == nil || dl.State != state.DeliveryPending {
			return err // stood down in between, or an empty list, sent already
		}
	}
	if dl.Rows.SHA256 != sha {
		return fail(fmt.Sprintf("the file of contact list %q has changed since this message began to go to it, so its rows no longer match; the rows not yet sent were not sent", dl.List))
	}
	from, err := d.contextOf(tx, dl)
	if err != nil {
		return err
	}
	f := &listFeed{dl: dl, list: list, from: from}
	d.mu.Lock()
	d.feeds[dl.ID] = f
	d.mu.Unlock()
	d.refill(f)
	return nil
}

// refill hands over rows until the window is full or the list is done.
func (d *Deliverer) refill(f *listFeed) {
	var ms []notifiers.Message
	d.mu.Lock()
	for f.inflight < listWindow && f.next < f.list.Len() {
		i := f.next
		f.next++
		row := state.FirstRow + i
		if f.dl.Rows.IsDone(row) {
			continue
		}
		if m, ok := f.from.rowMessage(f.dl, row, f.list.Row(i)); ok {
			ms = append(ms, m)
			f.inflight++
		}
	}
	if f.inflight == 0 && f.next >= f.list.Len() {
		delete(d.feeds, f.dl.ID)
	}
	d.mu.Unlock()
	d.dispatcher.Submit(ms...)
}

// rowFinished notes that rows of list deliveries are no longer with the
// dispatcher, and hands over more.
func (d *Deliverer) rowsFinished(ids []string) {
	var again []*listFeed
	d.mu.Lock()
	for _, id := range ids {
		delivery, _, ok := state.SplitRowDeliveryID(id)
		if f := d.feeds[delivery]; ok && f != nil {
			f.inflight--
			if !slices.Contains(again, f) {
				again = append(again, f)
			}
		}
	}
	d.mu.Unlock()
	for _, f := range again {
		d.refill(f)
	}
}

// rowMessage is what a notifier sends to one row: by the delivery's kind,
// in the row's language when the message carries a translation in it.
func (c *messageContext) rowMessage(dl *state.Delivery, row int, r directory.Row) (notifiers.Message, bool) {
	target := contactOf(dl)(r)
	if target == "" {
		return notifiers.Message{}, false // reached by its other contact, if by any
	}
	one := *dl
	one.ID, one.Target, one.Stakeholder = state.RowDeliveryID(dl.ID, row), target, ""
	rev := c.m.Revisions[dl.Revision-1]
	if _, ok := c.m.TranslationsOf(rev)[r.Language]; ok && r.Language != "" && dl.Language == "" && !slices.Contains(rev.Withheld, r.Language) {
		one.Language = r.Language
	}
	m := c.message(&one)
	m.AckRequested, m.Private = false, true
	return m, true
}

// contactOf is how a list delivery reaches a row: its address, or its
// number for a text.
func contactOf(dl *state.Delivery) func(directory.Row) string {
	if dl.Type == "sms" {
		return func(r directory.Row) string { return r.Phone }
	}
	return func(r directory.Row) string { return r.Email }
}
