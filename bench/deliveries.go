package bench

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

const perMessage = 1000

// outcomeBatch is how many outcomes one command carries: enough to spread
// a command's cost, few enough that go-memdb's commit can notify watchers
// from its cache of changed nodes instead of walking the whole tree.
var outcomeBatch = 250

// seedDeliveries activates a runbook that mails 1,000 recipients every
// minute and fires it until there are at least n pending deliveries: the
// shape of a long activation, one runbook and many messages.
func seedDeliveries(ctx context.Context, n int) (*engine.Engine, error) {
	clock := engine.NewVirtualClock(time.Now())
	e, err := engine.Open(ctx, engine.Options{Clock: clock, Log: &countingLog{}})
	if err != nil {
		return nil, err
	}
	index, err := e.Apply(ctx, &engine.Activate{Meta: engine.Meta{Actor: "bench"}, Source: runbookSource(0, false, perMessage),
		SourceName: "bench.yaml", Mode: "live"})
	if err != nil {
		return nil, err
	}
	id := engine.ActivationID(index)
	// mail-all/1 is due at the start: fired with the activation.
	for k := 2; (k-1)*perMessage < n; k++ {
		if _, err := e.Apply(ctx, &engine.Fire{Meta: engine.Meta{Actor: "bench"}, Occurrence: engine.OccurrenceID(id, "mail-all", k)}); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// countingLog numbers entries and keeps none: the durable log lives on
// disk, so the memory figure counts the state alone.
type countingLog struct {
	n      uint64
	engine *engine.Engine
}

func (l *countingLog) Open(_ context.Context, e *engine.Engine) error { l.engine = e; return nil }

func (l *countingLog) Append(_ context.Context, entry []byte) (engine.Future, error) {
	l.n++
	applied, err := l.engine.ApplyEntry(l.n, entry)
	return applied, err
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// DeliveryMemory measures the heap each delivery record takes in the
// state, indexes, log and all, while pending and once sent, against the
// same records in a plain slice.
func DeliveryMemory(ctx context.Context, o Options) ([]Figure, error) {
	before := heapInUse()
	e, err := seedDeliveries(ctx, o.Deliveries)
	if err != nil {
		return nil, err
	}
	pending := float64(heapInUse()-before) / float64(o.Deliveries)
	if _, err := sendAll(ctx, e); err != nil {
		return nil, err
	}
	settled := float64(heapInUse()-before) / float64(o.Deliveries)
	runtime.KeepAlive(e)

	before = heapInUse()
	plain := make([]*state.Delivery, o.Deliveries)
	for i := range plain {
		plain[i] = &state.Delivery{ID: fmt.Sprintf("a-000001/mail-all/%d/r1/%03d", i/perMessage, i%perMessage), ActivationID: "a-000001",
			MessageID: fmt.Sprintf("a-000001/mail-all/%d", i/perMessage), Revision: 1, Channel: "mail", Type: "email",
			Target: fmt.Sprintf("person%d@northbridge.gov.uk", i%perMessage), State: state.DeliveryPending, UpdatedAt: time.Now()}
	}
	baseline := float64(heapInUse()-before) / float64(o.Deliveries)
	runtime.KeepAlive(plain)
	return []Figure{
		figure(fmt.Sprintf("heap_per_delivery_pending_%d", o.Deliveries), pending, "B", "the same records in a plain slice", baseline, ""),
		figure(fmt.Sprintf("heap_per_delivery_sent_%d", o.Deliveries), settled, "B", "the same records in a plain slice", baseline, "<= 1024 B"),
	}, nil
}

// sendAll reports every pending delivery sent, outcomeBatch a command,
// and returns how many there were.
func sendAll(ctx context.Context, e *engine.Engine) (int, error) {
	pending, err := e.Read().DeliveriesInState(nil, state.DeliveryPending)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(pending); i += outcomeBatch {
		batch := pending[i:min(i+outcomeBatch, len(pending))]
		outcomes := make([]engine.Outcome, len(batch))
		for j, d := range batch {
			outcomes[j] = engine.Outcome{Delivery: d.ID, State: state.DeliverySent}
		}
		if _, err := e.Apply(ctx, &engine.RecordOutcomes{Meta: engine.Meta{Actor: "bench"}, Outcomes: outcomes}); err != nil {
			return 0, err
		}
	}
	return len(pending), nil
}

// OutcomeThroughput applies delivery outcomes through Engine.Apply, 1,000
// a command, against writing the same updates straight to a bare store.
func OutcomeThroughput(ctx context.Context, o Options) ([]Figure, error) {
	e, err := seedDeliveries(ctx, o.Outcomes)
	if err != nil {
		return nil, err
	}
	pending, err := e.Read().DeliveriesInState(nil, state.DeliveryPending)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	n, err := sendAll(ctx, e)
	if err != nil {
		return nil, err
	}
	ours := float64(n) / time.Since(start).Seconds()

	store, err := state.New()
	if err != nil {
		return nil, err
	}
	start = time.Now()
	for i := 0; i < len(pending); i += outcomeBatch {
		tx := store.Write()
		for _, d := range pending[i:min(i+outcomeBatch, len(pending))] {
			c := *d
			c.State = state.DeliverySent
			if err := tx.UpsertDelivery(&c); err != nil {
				tx.Abort()
				return nil, err
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	baseline := float64(len(pending)) / time.Since(start).Seconds()
	return []Figure{figure("delivery_outcomes_per_second", ours, "1/s", "the same updates written straight to a bare store", baseline, ">= 50000")}, nil
}
