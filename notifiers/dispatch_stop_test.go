package notifiers

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// refiller is a Recorder that hands the dispatcher more messages as the
// record moves on, as the engine's feeds do: from Finished (the next
// window), or from Attempting when it lets none go (a stand-down).
type refiller struct {
	*ledger
	d       *Dispatcher
	n       atomic.Int64
	dropAll bool
}

func (r *refiller) more(k int) []Message {
	var ms []Message
	for range k {
		ms = append(ms, Message{Delivery: fmt.Sprintf("feed/%d", r.n.Add(1)), Type: "t", Target: "x", Body: "b"})
	}
	return ms
}

func (r *refiller) Attempting(ctx context.Context, ms []Message) ([]Message, error) {
	if r.dropAll {
		time.Sleep(20 * time.Millisecond) // the record's write, as the stop comes
		r.d.Submit(r.more(len(ms))...)
		return nil, nil
	}
	return r.ledger.Attempting(ctx, ms)
}

func (r *refiller) Finished(ctx context.Context, os []Outcome) {
	r.ledger.Finished(ctx, os)
	r.d.Submit(r.more(len(os))...)
}

// A dispatcher stopped while its recorder is handing it more returns: the
// sends under way are finished and recorded, and what was handed over as
// it stopped is left pending.
func TestAStopWhileTheRecordHandsMoreOver(t *testing.T) {
	for _, dropAll := range []bool{false, true} {
		r := &refiller{ledger: newLedger(), dropAll: dropAll}
		d := NewDispatcher(DispatchOptions{Routes: map[string]Route{"t": {Notifier: &service{hold: 5 * time.Millisecond}}}, Workers: 4}, r)
		r.d = d
		ctx, cancel := context.WithCancel(t.Context())
		returned := make(chan struct{})
		go func() { d.Run(ctx); close(returned) }()
		d.Submit(r.more(50)...)
		time.Sleep(100 * time.Millisecond)
		cancel()
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Fatalf("dropAll %v: Run did not return after its context ended", dropAll)
		}
	}
}
