package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/record"
)

// onRecord opens an engine on a single-node record in a new directory.
func onRecord(ctx context.Context, dir string, o Options) (*record.Node, *engine.Engine, error) {
	n, err := record.New(record.Config{Dir: dir, Log: o.Log})
	if err != nil {
		return nil, nil, err
	}
	e, err := engine.Open(ctx, engine.Options{Log: n})
	if err != nil {
		n.Close()
		return nil, nil, err
	}
	return n, e, nil
}

// tempRecord is an engine on a single-node record in a new temporary
// directory, and what closes and removes it.
func tempRecord(ctx context.Context, o Options) (*engine.Engine, func(), error) {
	dir, err := os.MkdirTemp("", "crier-bench-")
	if err != nil {
		return nil, nil, err
	}
	n, e, err := onRecord(ctx, dir, o)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return e, func() { n.Close(); os.RemoveAll(dir) }, nil
}

// decide applies n decisions from 64 goroutines at once, as many people
// and the dispatcher do, and returns the commands applied per second.
func decide(ctx context.Context, e *engine.Engine, activation string, n int) (float64, error) {
	const writers = 64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if _, err := e.Apply(ctx, &engine.RecordDecision{Meta: engine.Meta{Actor: "bench"}, Activation: activation,
					Decision: fmt.Sprintf("Decision %d", i)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	rate := float64(n) / time.Since(start).Seconds()
	select {
	case err := <-errs:
		return 0, err
	default:
		return rate, nil
	}
}

func activateBench(ctx context.Context, e *engine.Engine) (string, error) {
	index, err := e.Apply(ctx, &engine.Activate{Meta: engine.Meta{Actor: "bench"}, Source: runbookSource(0, false, 1), SourceName: "bench.yaml", Mode: "live"})
	return engine.ActivationID(index), err
}

// RecordApply measures commands applied through the single-node Raft
// record, each on disk (fsync) before it is applied, against the same
// commands through the in-memory log.
func RecordApply(ctx context.Context, o Options) ([]Figure, error) {
	e, done, err := tempRecord(ctx, o)
	if err != nil {
		return nil, err
	}
	defer done()
	id, err := activateBench(ctx, e)
	if err != nil {
		return nil, err
	}
	ours, err := decide(ctx, e, id, o.Commands)
	if err != nil {
		return nil, err
	}
	mem, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		return nil, err
	}
	if id, err = activateBench(ctx, mem); err != nil {
		return nil, err
	}
	base, err := decide(ctx, mem, id, o.Commands)
	if err != nil {
		return nil, err
	}
	return []Figure{figure("record_apply_rate", ours, "commands/s", "the same commands through the in-memory log", base, ">= 20000/s")}, nil
}

// RecordActivationToDelivery times activation to the first delivery at a
// notifier on the single-node Raft record, the fsync included, against the
// same on the in-memory log.
func RecordActivationToDelivery(ctx context.Context, o Options) ([]Figure, error) {
	e, done, err := tempRecord(ctx, o)
	if err != nil {
		return nil, err
	}
	defer done()
	ours, err := timeFresh(ctx, e, o)
	if err != nil {
		return nil, err
	}
	mem, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		return nil, err
	}
	base, err := timeFresh(ctx, mem, o)
	if err != nil {
		return nil, err
	}
	return []Figure{
		figure("record_activation_to_delivery_p50", ms(percentile(ours, 50)), "ms", "the same on the in-memory log, p50", ms(percentile(base, 50)), ""),
		figure("record_activation_to_delivery_p99", ms(percentile(ours, 99)), "ms", "the same on the in-memory log, p99", ms(percentile(base, 99)), "<= 10 ms"),
	}, nil
}

// timeActivations activates a one-step runbook o.Samples times and times
// each to its delivery reaching a notifier, through s and a deliverer.
func timeActivations(ctx context.Context, e *engine.Engine, s *engine.Scheduler, o Options) ([]time.Duration, error) {
	watch := &stopwatch{at: make(chan time.Time, 1)}
	d := engine.NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: watch}, Log: o.Log})
	d.Follow(s)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Run(runCtx)
	go d.Run(runCtx)
	src := runbookSource(0, true, 0)
	var out []time.Duration
	for range o.Samples {
		start := time.Now()
		if _, err := e.Apply(ctx, &engine.Activate{Meta: engine.Meta{Actor: "bench"}, Source: src, SourceName: "bench.yaml", Mode: "live"}); err != nil {
			return nil, err
		}
		out = append(out, (<-watch.at).Sub(start))
	}
	return out, nil
}

// timeFresh times activations on an engine with nothing else pending.
func timeFresh(ctx context.Context, e *engine.Engine, o Options) ([]time.Duration, error) {
	s, err := engine.NewScheduler(e, engine.RealClock{}, o.Log)
	if err != nil {
		return nil, err
	}
	return timeActivations(ctx, e, s, o)
}

// RecordRestart times a restart on a record of o.Restart commands, with
// the snapshots the node took as it ran (every 8,192 commands, looked for
// every 5s) — the latest restored, the commands after it replayed —
// against bulk-loading the objects the restarted state holds into
// go-memdb, one transaction per 10,000.
func RecordRestart(ctx context.Context, o Options) ([]Figure, error) {
	dir, err := os.MkdirTemp("", "crier-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	n, e, err := onRecord(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	id, err := activateBench(ctx, e)
	if err == nil {
		_, err = decide(ctx, e, id, o.Restart)
	}
	snapshot, last := n.Snapshotted(), uint64(0)
	if h, herr := e.Head(); herr == nil {
		last = h.Index
	}
	if cerr := n.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}

	start := time.Now()
	n, e, err = onRecord(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	ours := time.Since(start)
	defer n.Close()
	all, err := e.Read().Dump()
	if err != nil {
		return nil, err
	}
	start = time.Now()
	objects, err := bulkLoad(all)
	if err != nil {
		return nil, err
	}
	base := time.Since(start)
	return []Figure{figure("record_restart_seconds", ours.Seconds(), "s",
		fmt.Sprintf("bulk-loading the %d objects it holds, 10,000 a transaction (restored from the snapshot at %d, then %d replayed)",
			objects, snapshot, last-snapshot), base.Seconds(), "<= 1.3x")}, nil
}

// bulkLoad inserts every object of a dump into a new go-memdb.
func bulkLoad(all map[string][]any) (int, error) {
	store, err := state.New()
	if err != nil {
		return 0, err
	}
	n := 0
	for table, objs := range all {
		for i := 0; i < len(objs); i += 10_000 {
			txn := store.Write()
			for _, obj := range objs[i:min(i+10_000, len(objs))] {
				if err := txn.Insert(table, obj); err != nil {
					txn.Abort()
					return 0, err
				}
				n++
			}
			if err := txn.Commit(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}
