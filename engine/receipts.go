package engine

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// Receipts follow what became of the messages a service accepted, for the
// services that can say (notifiers.StatusReader: GOV.UK Notify's texts),
// so that "sent" can become delivered, or undelivered at the phone
// network. They ask at growing gaps until the answer is final, or for four
// days at most, and record each answer as an outcome.
type receipts struct {
	engine  *Engine
	readers map[string]notifiers.StatusReader // by channel type
	log     *slog.Logger

	mu       sync.Mutex
	followed map[string]*followed // by delivery
	wake     chan struct{}
}

type followed struct {
	typ, ref string
	sentAt   time.Time
	next     time.Time
	asked    int
}

// receiptGaps space the questions about one message: most texts are
// delivered within seconds, a phone that is off is tried for 72 hours.
var receiptGaps = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}

// receiptsFor is how long a message is followed: GOV.UK Notify gives up on
// a text still sending after three days.
const receiptsFor = 96 * time.Hour

func newReceipts(e *Engine, routes map[string]notifiers.Route, log *slog.Logger) *receipts {
	r := &receipts{engine: e, readers: map[string]notifiers.StatusReader{}, log: log,
		followed: map[string]*followed{}, wake: make(chan struct{}, 1)}
	for typ, route := range routes {
		if sr, ok := route.Notifier.(notifiers.StatusReader); ok {
			r.readers[typ] = sr
		}
	}
	return r
}

// follow starts asking after a delivery the service accepted as ref.
func (r *receipts) follow(delivery, typ, ref string, sentAt time.Time) {
	if r.readers[typ] == nil || ref == "" {
		return
	}
	r.mu.Lock()
	r.followed[delivery] = &followed{typ: typ, ref: ref, sentAt: sentAt, next: time.Now().Add(spread(delivery, receiptGaps[0]))}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// resume follows again the deliveries sent before a restart whose receipt
// never came.
func (r *receipts) resume() error {
	if len(r.readers) == 0 {
		return nil
	}
	sent, err := r.engine.Read().DeliveriesAwaitingReceipt(nil)
	if err != nil {
		return err
	}
	for _, d := range sent {
		r.follow(d.ID, d.Type, d.Ref, d.UpdatedAt)
	}
	return nil
}

// spread puts a message's questions at its own place in the gap, so that
// a thousand texts sent at once are not all asked after in one second.
func spread(delivery string, gap time.Duration) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(delivery))
	return gap + time.Duration(h.Sum32()%1000)*gap/4000
}

// run asks and records until ctx ends.
func (r *receipts) run(ctx context.Context) {
	if len(r.readers) == 0 {
		return
	}
	for {
		wait := r.ask(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// ask asks after every message due, records the answers, and says how
// long until the next is due.
func (r *receipts) ask(ctx context.Context) time.Duration {
	now := time.Now()
	r.mu.Lock()
	due := map[string]followed{}
	for id, f := range r.followed {
		if !f.next.After(now) {
			due[id] = *f
		}
	}
	r.mu.Unlock()
	var outcomes []Outcome
	for id, f := range due {
		asking, cancel := context.WithTimeout(ctx, 30*time.Second)
		got, err := r.readers[f.typ].Status(asking, f.ref)
		cancel()
		var o *Outcome
		switch {
		case errors.Is(err, notifiers.ErrNoReceipt):
			o = &Outcome{Delivery: id, State: state.DeliverySent, Receipt: "sent; the service keeps no receipt of it, so it is not known to have arrived"}
		case err != nil:
			r.log.Info("asking what became of a message", "delivery", id, "err", err)
		case got.State == notifiers.ReceiptDelivered:
			o = &Outcome{Delivery: id, State: state.DeliveryDelivered, Receipt: got.Reason}
		case got.State == notifiers.ReceiptFailed:
			o = &Outcome{Delivery: id, State: state.DeliveryUndelivered, Receipt: got.Reason}
		case got.Final():
			o = &Outcome{Delivery: id, State: state.DeliverySent, Receipt: got.Reason}
		}
		r.mu.Lock()
		switch f := r.followed[id]; {
		case o != nil:
			outcomes = append(outcomes, *o)
			delete(r.followed, id)
		case f == nil:
		case now.Sub(f.sentAt) > receiptsFor:
			outcomes = append(outcomes, Outcome{Delivery: id, State: state.DeliverySent,
				Receipt: "sent; no receipt came within four days, so it is not known to have arrived"})
			delete(r.followed, id)
		default:
			f.asked++
			f.next = now.Add(spread(id, receiptGaps[min(f.asked, len(receiptGaps)-1)]))
		}
		r.mu.Unlock()
	}
	if len(outcomes) > 0 {
		if _, err := r.engine.Apply(context.WithoutCancel(ctx), &RecordOutcomes{Meta: Meta{Actor: "dispatcher"}, Outcomes: outcomes}); err != nil {
			r.log.Error("recording receipts", "deliveries", len(outcomes), "err", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	wait := time.Hour
	for _, f := range r.followed {
		wait = min(wait, time.Until(f.next))
	}
	return max(wait, 0)
}
