package bench

import (
	"context"
	"time"

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
	ours, err := timeActivations(ctx, e, s, o)
	if err != nil {
		return nil, err
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
