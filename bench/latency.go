package bench

import (
	"context"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
)

// stopwatch is a notifier that signals when a message reaches it.
type stopwatch struct{ at chan time.Time }

func (s *stopwatch) Notify(context.Context, notifiers.Message) (bool, error) {
	select {
	case s.at <- time.Now():
	default:
	}
	return false, nil
}

// ActivationToDelivery times activation to the first delivery handed to a
// notifier, with other activations' occurrences pending, against the round
// trip of a bare zero-delay Go timer.
func ActivationToDelivery(ctx context.Context, o Options) ([]Figure, error) {
	e, s, err := busyEngine(ctx, o)
	if err != nil {
		return nil, err
	}
	watch := &stopwatch{at: make(chan time.Time, 1)}
	d := engine.NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: watch}, Log: o.Log})
	d.Follow(s)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Run(runCtx)
	go d.Run(runCtx)
	src := runbookSource(0, true, 0)
	var ours []time.Duration
	for range o.Samples {
		start := time.Now()
		if _, err := e.Apply(ctx, &engine.Activate{Meta: engine.Meta{Actor: "bench"}, Source: src, SourceName: "bench.yaml", Mode: "live"}); err != nil {
			return nil, err
		}
		ours = append(ours, (<-watch.at).Sub(start))
	}
	var bare []time.Duration
	done := make(chan time.Time, 1)
	for range o.Samples {
		start := time.Now()
		time.AfterFunc(0, func() { done <- time.Now() })
		bare = append(bare, (<-done).Sub(start))
	}
	return []Figure{
		figure("activation_to_delivery_p50", ms(percentile(ours, 50)), "ms", "bare zero-delay time.AfterFunc round trip, p50", ms(percentile(bare, 50)), "<= 1 ms"),
		figure("activation_to_delivery_p99", ms(percentile(ours, 99)), "ms", "bare zero-delay time.AfterFunc round trip, p99", ms(percentile(bare, 99)), "<= 5 ms"),
	}, nil
}
