package notifiers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
)

// jobResult is what a job's stages report back to the loop.
type jobResult struct {
	job        *job
	finished   int     // messages sent, failed for good, or no longer to go
	retry      []*item // messages to try again
	retryAfter time.Duration
}

// done is a job a worker is done with, and the outcomes to record.
type done struct {
	r        *jobResult
	outcomes []Outcome
}

// worker sends the jobs whose attempts are on the record. A job it takes
// is sent even as the dispatcher stops (each send bounded by the attempt
// timeout): its attempt is recorded, so it is under way.
func (d *Dispatcher) worker(ctx context.Context, work lanes, finished chan<- done) {
	for j, ok := work.next(); ok; j, ok = work.next() {
		work.held.Add(1)
		s := d.send(context.WithoutCancel(ctx), j)
		work.held.Add(-1)
		finished <- s
	}
}

// send makes one attempt at a job whose attempt is recorded, and sorts
// the answers into outcomes and retries.
func (d *Dispatcher) send(ctx context.Context, j *job) done {
	r := &jobResult{job: j, finished: j.dropped}
	if j.dead != nil {
		return done{r, d.finish(r, j.items, j.dead)}
	}
	items := j.items
	for _, it := range items {
		it.attempts++
	}
	results := d.notify(ctx, j.route.Notifier, items)
	var outcomes []Outcome
	for i, it := range items {
		res := results[i]
		if it.m.Private && res.Err != nil {
			res.Err = &withoutTarget{res.Err, it.m.Target}
		}
		switch {
		case res.Err == nil:
			outcomes = append(outcomes, Outcome{Message: it.m, Attempts: it.attempts, Ref: res.Ref})
		case res.Retry:
			it.lastErr = res.Err
			r.retry = append(r.retry, it)
			var ra *RetryAfterError
			if errors.As(res.Err, &ra) {
				r.retryAfter = max(r.retryAfter, ra.After)
			}
			// A first failure or two is routine (a 429, a busy mailbox); more
			// is worth a warning: someone may be waiting on it.
			level := slog.LevelInfo
			if it.attempts >= 3 {
				level = slog.LevelWarn
			}
			d.opts.Log.Log(ctx, level, "delivery will be retried", "delivery", it.m.Delivery, "type", it.m.Type,
				"attempt", it.attempts, "err", res.Err)
		default:
			outcomes = append(outcomes, Outcome{Message: it.m, Err: res.Err, Attempts: it.attempts})
			d.opts.Log.Warn("delivery failed", "delivery", it.m.Delivery, "type", it.m.Type,
				"channel", it.m.Channel, "err", res.Err)
		}
	}
	r.finished += len(outcomes)
	return done{r, outcomes}
}

// finished records outcomes, and lets Observe hear them.
func (d *Dispatcher) finished(ctx context.Context, outcomes []Outcome) {
	d.recorder.Finished(ctx, outcomes)
	if d.opts.Observe != nil {
		for _, o := range outcomes {
			d.opts.Observe(o)
		}
	}
}

// notify sends items through a notifier: as one batch when it can, through
// NotifyRef when it gives references.
func (d *Dispatcher) notify(ctx context.Context, n Notifier, items []*item) []Result {
	ctx, cancel := context.WithTimeout(ctx, d.opts.AttemptTimeout)
	defer cancel()
	if b, ok := n.(Batcher); ok && len(items) > 1 {
		ms := make([]Message, len(items))
		for i, it := range items {
			ms[i] = it.m
		}
		return b.NotifyBatch(ctx, ms)
	}
	out := make([]Result, len(items))
	for i, it := range items {
		if r, ok := n.(Referencer); ok {
			out[i].Ref, out[i].Retry, out[i].Err = r.NotifyRef(ctx, it.m)
			continue
		}
		out[i].Retry, out[i].Err = n.Notify(ctx, it.m)
	}
	return out
}

// finish fails items for good with why, naming their last error, and
// returns their outcomes.
func (d *Dispatcher) finish(r *jobResult, items []*item, why error) []Outcome {
	outcomes := make([]Outcome, len(items))
	for i, it := range items {
		err := why
		if it.lastErr != nil {
			err = fmt.Errorf("%w: %d attempts; the last failed: %w", why, it.attempts, it.lastErr)
		}
		outcomes[i] = Outcome{Message: it.m, Err: err, Attempts: it.attempts}
		d.opts.Log.Warn("delivery failed", "delivery", it.m.Delivery, "type", it.m.Type, "channel", it.m.Channel, "err", err)
	}
	r.finished += len(items)
	return outcomes
}

// backoff is the wait before the nth retry: Initial doubling to Max, then
// between half and all of that at random, so that many failures at once
// do not come back at once.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.opts.Backoff.Initial
	for i := 1; i < attempts && b < d.opts.Backoff.Max; i++ {
		b *= 2
	}
	b = min(b, d.opts.Backoff.Max)
	return b/2 + rand.N(b/2+1)
}

// withoutTarget is a service's error about a private target, told without
// the target: "550 5.1.1 <[the row's contact]>: no such user".
type withoutTarget struct {
	err    error
	target string
}

func (e *withoutTarget) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.target, "[the row's contact]")
}

func (e *withoutTarget) Unwrap() error { return e.err }
