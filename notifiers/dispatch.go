package notifiers

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limit is how fast a service may be called: a steady rate with a burst.
// The zero Limit is no limit.
type Limit struct {
	Rate  rate.Limit // messages per second
	Burst int
}

// PerMinute is a limit of n messages a minute, one at a time.
func PerMinute(n float64) Limit { return Limit{Rate: rate.Limit(n / 60), Burst: 1} }

func (l Limit) limiter() *rate.Limiter {
	if l.Rate <= 0 {
		return nil
	}
	return rate.NewLimiter(l.Rate, max(l.Burst, 1))
}

// Route is how one channel type is sent: its notifier and the pace its
// service allows.
type Route struct {
	Notifier Notifier
	// PerTarget paces each destination (a Slack channel, a Teams or webhook
	// URL) on its own; messages to one destination also go in order, one at
	// a time.
	PerTarget Limit
	// Overall paces the whole service (a Slack workspace, an SMTP relay,
	// a GOV.UK Notify key). A batch is one message to the service.
	Overall Limit
}

// Backoff spaces retries: Initial, doubling to at most Max, with jitter.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// DispatchOptions configure a Dispatcher.
type DispatchOptions struct {
	Routes map[string]Route // by channel type
	// Default takes the types Routes does not name (the outbox, when it
	// is the only notifier); nil fails them at once.
	Default *Route
	Workers int // sends at once; 16 when 0
	// Deadline is how long a delivery may take, retries and waits
	// included, before it is failed and reported: 30 minutes when 0.
	Deadline time.Duration
	// AttemptTimeout bounds one send: one minute when 0.
	AttemptTimeout time.Duration
	Backoff        Backoff // 1s doubling to 5m when zero
	Log            *slog.Logger
	// Observe, when set, hears each final outcome too (for metrics).
	Observe func(Outcome)
}

// Outcome is the final word on one message: sent (Err nil) or failed.
type Outcome struct {
	Message  Message
	Err      error
	Attempts int
	// Ref is the service's own reference for a message it accepted, from a
	// Referencer: what a StatusReader reads its receipt by. "" otherwise.
	Ref string
}

// Recorder keeps the record around each send: the attempt before it and
// the outcome after.
type Recorder interface {
	// Attempting is called before each send with the messages about to
	// go; it returns those that may still go (a stood-down activation's
	// may not). An error sends none of them now; they are tried again.
	Attempting(ctx context.Context, ms []Message) ([]Message, error)
	// Finished hears the messages that were sent or have failed for good.
	Finished(ctx context.Context, outcomes []Outcome)
}

// Dispatcher sends messages through their routes with a bounded pool of
// workers: paced to each service's limits, retried with backoff when a
// failure is temporary (never before a Retry-After), failed for good when
// it is permanent or the delivery's deadline passes. One destination's
// failures and waits never hold up another's.
type Dispatcher struct {
	opts     DispatchOptions
	recorder Recorder
	routes   map[string]*route
	fallback *route // for the types routes does not name, or nil
	submit   chan []Message
	flush    chan chan struct{}
	stopped  chan struct{}
	seq      uint64
}

type route struct {
	Route
	overall *rate.Limiter
	targets map[string]*target
	sweepAt int       // how many targets make the next sweep for idle ones
	paused  time.Time // a Retry-After for the whole service
}

// target is one paced destination: its limiter, whether a job holds it,
// and the jobs waiting their turn.
type target struct {
	limiter *rate.Limiter
	busy    bool
	parked  []*job
}

type item struct {
	m        Message
	deadline time.Time
	attempts int
	lastErr  error
}

// job is one send: one message, or a batch sharing a BatchKey.
type job struct {
	route *route
	items []*item
	key   string // the paced destination, or ""
	due   time.Time
	seq   uint64
	flow  string // the activation it is for: jobs are released fairly between them
	tag   uint64 // its place among the jobs ready to go (see queue)
	first bool   // its activation had nothing else ready: it goes before the others
	holds bool   // it holds its destination (a retry keeps its place)
	dead  error  // set: fail every item with this, without sending
	// dropped counts the items the record no longer let go (a stood-down
	// activation's), now finished.
	dropped int
}

// DefaultWorkers is how many sends a dispatcher makes at once when its
// options do not say.
const DefaultWorkers = 16

// NewDispatcher makes a dispatcher; Run starts it.
func NewDispatcher(opts DispatchOptions, rec Recorder) *Dispatcher {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Deadline <= 0 {
		opts.Deadline = 30 * time.Minute
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = time.Minute
	}
	if opts.Backoff.Initial <= 0 {
		opts.Backoff.Initial = time.Second
	}
	if opts.Backoff.Max < opts.Backoff.Initial {
		opts.Backoff.Max = max(5*time.Minute, opts.Backoff.Initial)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{opts: opts, recorder: rec, routes: map[string]*route{},
		submit: make(chan []Message), flush: make(chan chan struct{}), stopped: make(chan struct{})}
	for typ, r := range opts.Routes {
		d.routes[typ] = newRoute(r)
	}
	if opts.Default != nil {
		d.fallback = newRoute(*opts.Default) // one route, so one pace, for every type it takes
	}
	return d
}

func newRoute(r Route) *route {
	return &route{Route: r, overall: r.Overall.limiter(), targets: map[string]*target{}}
}

// Submit queues messages to send. It does not wait for them; Flush does.
// After Run has returned it drops them: they are still pending in the
// record, for whoever runs next.
func (d *Dispatcher) Submit(ms ...Message) {
	if len(ms) == 0 {
		return
	}
	select {
	case d.submit <- ms:
	case <-d.stopped:
	}
}

// Flush waits until every message submitted so far has been sent or has
// failed for good.
func (d *Dispatcher) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case d.flush <- done:
	case <-d.stopped:
		return fmt.Errorf("the dispatcher has stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-d.stopped:
		return fmt.Errorf("the dispatcher has stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop is the state only Run's goroutine touches.
type loop struct {
	queue    queue
	inflight int // jobs released and not yet settled
	pending  int // messages submitted and not yet finished
	flushes  []chan struct{}
	wants    []want // attempters waiting for jobs
	firsts   []want // the attempter for activations' first jobs, waiting
	window   int    // how many jobs may be in flight
}

// want is an attempter asking for up to n jobs; firsts, only for an
// activation's first.
type want struct {
	n      int
	firsts bool
	reply  chan []*job
}

// InFlight is how many jobs may be between their release and their
// settling, each stage's batch included, for each worker.
const InFlight = 32

// Run sends until ctx ends, and returns when the sends under way have
// finished and been recorded. Messages still queued then stay pending in
// the record.
func (d *Dispatcher) Run(ctx context.Context) error {
	window := InFlight * d.opts.Workers
	l := &loop{window: window}
	results := make(chan *jobResult, window) // never full: no more are in flight
	work := lanes{first: make(chan *job, d.opts.Workers), rest: make(chan *job, ahead*d.opts.Workers), taken: make(chan struct{}, 1), held: new(atomic.Int32)}
	finishing := make(chan done, window)
	wants := make(chan want)
	stopped := make(chan struct{})
	var stages, workers sync.WaitGroup
	var attempting sync.WaitGroup
	for i := range attempters + 1 {
		attempting.Go(func() { d.attempter(ctx, i == attempters, wants, stopped, work, results) })
	}
	stages.Go(func() { attempting.Wait(); close(work.first); close(work.rest) })
	for range d.opts.Workers {
		workers.Go(func() { d.worker(ctx, work, finishing) })
	}
	stages.Go(func() { workers.Wait(); close(finishing) })
	stages.Go(func() { d.finisher(ctx, work, finishing, results) })
	defer stages.Wait() // what was attempted is sent, and its outcome recorded, first
	defer close(stopped)
	// From the moment the loop stops, nothing more is taken: a Submit from
	// the record as it finishes (a feed's next window) is dropped, not
	// waited on, and those messages stay pending in the record.
	defer close(d.stopped)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		d.release(l, now)
		if l.pending == 0 {
			for _, f := range l.flushes {
				close(f)
			}
			l.flushes = nil
		}
		wait := time.Hour
		switch {
		case l.inflight >= l.window:
		case len(l.wants) > 0:
			wait = l.queue.wait(now, false)
		case len(l.firsts) > 0:
			wait = l.queue.wait(now, true)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ms := <-d.submit:
			d.enqueue(l, ms, time.Now())
		case r := <-results:
			l.inflight--
			l.queue.settled(r.job)
			d.settle(l, r, time.Now())
		case f := <-d.flush:
			l.flushes = append(l.flushes, f)
		case w := <-wants:
			if w.firsts {
				l.firsts = append(l.firsts, w)
			} else {
				l.wants = append(l.wants, w)
			}
		case <-timer.C:
		}
	}
}

// enqueue turns submitted messages into jobs: batches where the notifier
// takes them, one job per message otherwise.
func (d *Dispatcher) enqueue(l *loop, ms []Message, now time.Time) {
	l.pending += len(ms)
	batches := map[string]*job{}
	for _, m := range ms {
		it := &item{m: m, deadline: now.Add(d.opts.Deadline)}
		r := d.routeFor(m.Type)
		if r == nil {
			d.push(l, &job{items: []*item{it}, due: now, flow: m.Activation,
				dead: fmt.Errorf("no notifier is configured for %s", m.Type)})
			continue
		}
		if b, ok := r.Notifier.(Batcher); ok {
			if key := b.BatchKey(m); key != "" {
				j := batches[key]
				if j == nil || len(j.items) >= max(b.MaxBatch(), 1) {
					j = &job{route: r, due: now, flow: m.Activation}
					batches[key] = j
					d.push(l, j)
				}
				j.items = append(j.items, it)
				continue
			}
		}
		j := &job{route: r, items: []*item{it}, due: now, flow: m.Activation}
		if r.PerTarget.Rate > 0 {
			j.key = m.Target
		}
		d.push(l, j)
	}
}

func (d *Dispatcher) routeFor(typ string) *route {
	if r, ok := d.routes[typ]; ok {
		return r
	}
	return d.fallback
}

func (d *Dispatcher) push(l *loop, j *job) {
	d.seq++
	j.seq = d.seq
	l.queue.push(j)
}

// settle takes a finished send back: temporary failures are queued again
// after their backoff (or Retry-After), keeping their destination; the
// rest are done.
func (d *Dispatcher) settle(l *loop, r *jobResult, now time.Time) {
	j := r.job
	l.pending -= r.finished
	if len(r.retry) == 0 {
		d.letGo(l, j, now)
		return
	}
	attempts := 0
	for _, it := range r.retry {
		attempts = max(attempts, it.attempts)
	}
	wait := max(d.backoff(attempts), r.retryAfter)
	if r.retryAfter > 0 && j.key == "" && j.route != nil {
		j.route.paused = now.Add(r.retryAfter) // the whole service asked for a pause
	}
	due := now.Add(wait)
	again, dead := beforeDeadline(r.retry, due)
	if len(dead) > 0 {
		d.push(l, &job{items: dead, due: now, flow: j.flow, dead: fmt.Errorf("not delivered within %s", d.opts.Deadline)})
	}
	if len(again) == 0 {
		d.letGo(l, j, now)
		return
	}
	d.push(l, &job{route: j.route, items: again, key: j.key, due: due, holds: j.holds, flow: j.flow})
}

// beforeDeadline splits items into those whose deadline is after t and
// the rest.
func beforeDeadline(items []*item, t time.Time) (live, dead []*item) {
	for _, it := range items {
		if t.Before(it.deadline) {
			live = append(live, it)
		} else {
			dead = append(dead, it)
		}
	}
	return live, dead
}
