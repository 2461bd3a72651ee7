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

// jobResult is what a worker reports back to the loop.
type jobResult struct {
	job        *job
	finished   int     // messages sent, failed for good, or no longer to go
	retry      []*item // messages to try again
	retryAfter time.Duration
}

func (d *Dispatcher) worker(ctx context.Context, work <-chan *job, results chan<- *jobResult) {
	for j := range work {
		if ctx.Err() != nil && j.dead == nil {
			results <- &jobResult{job: j, retry: j.items} // stopping: left for whoever runs next
			continue
		}
		results <- d.send(ctx, j)
	}
}

// send makes one attempt at a job: records it, sends, sorts the answers
// into done and to-retry, and records what is done.
func (d *Dispatcher) send(ctx context.Context, j *job) *jobResult {
	r := &jobResult{job: j}
	if j.dead != nil {
		d.finish(ctx, r, j.items, j.dead)
		return r
	}
	ms := make([]Message, len(j.items))
	for i, it := range j.items {
		ms[i] = it.m
	}
	allowed, err := d.recorder.Attempting(ctx, ms)
	if err != nil {
		d.opts.Log.Error("recording an attempt", "err", err)
		for _, it := range j.items {
			it.lastErr = fmt.Errorf("recording the attempt: %w", err)
		}
		r.retry = j.items
		return r
	}
	items := d.stillToGo(r, j.items, allowed)
	if len(items) == 0 {
		return r
	}
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
		case res.Retry && ctx.Err() == nil:
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
		case res.Retry:
			r.retry = append(r.retry, it) // stopping: it stays attempted in the record
		default:
			outcomes = append(outcomes, Outcome{Message: it.m, Err: res.Err, Attempts: it.attempts})
			d.opts.Log.Warn("delivery failed", "delivery", it.m.Delivery, "type", it.m.Type,
				"channel", it.m.Channel, "err", res.Err)
		}
	}
	r.finished += len(outcomes)
	if len(outcomes) > 0 {
		d.finished(ctx, outcomes)
	}
	return r
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

// stillToGo keeps the items the recorder allowed; the others are done.
func (d *Dispatcher) stillToGo(r *jobResult, items []*item, allowed []Message) []*item {
	if len(allowed) == len(items) {
		return items
	}
	ok := make(map[string]bool, len(allowed))
	for _, m := range allowed {
		ok[m.Delivery] = true
	}
	var keep []*item
	for _, it := range items {
		if ok[it.m.Delivery] {
			keep = append(keep, it)
		} else {
			r.finished++
		}
	}
	return keep
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

// finish fails items for good with why, naming their last error.
func (d *Dispatcher) finish(ctx context.Context, r *jobResult, items []*item, why error) {
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
	d.finished(ctx, outcomes)
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
