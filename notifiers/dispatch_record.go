package notifiers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// The record of each send is kept around the workers, not by them. An
// attempter records the attempts of the jobs about to go, many in one
// Attempting, while the workers send the jobs before them; a finisher
// records the outcomes of the jobs the workers are done with, many in one
// Finished, while the workers go on. A send so never waits on the record
// of its own attempt or outcome alone, and each call to the record carries
// as many messages as came while the one before it was being written.

// ahead is how many jobs, for each worker, may wait for a worker with
// their attempts recorded: enough for the workers to go on while the next
// attempts are written, few enough that a crash leaves few marked in
// flight that were never sent.
const ahead = 8

// attempters is how many records of attempts may be being written at
// once: while one waits for the disk, the next batch is on its way. One
// more is kept for activations' first jobs (see firsts).
const attempters = 2

// attempter asks the loop for as many jobs as there is room for before
// the workers, records their attempts, and passes on those with something
// still to send. The jobs wait in the loop's fair order until then, not in
// a queue of their own: a new activation's job goes with the next batch.
//
// The attempter for firsts asks for one job at a time, and is given only
// activations' first jobs, in the order they came (see queue): it does not
// wait for room behind a fan-out, nor for the others' records of a
// fan-out's attempts to be written, so that a new activation's first
// message is recorded and sent as soon as it is due.
func (d *Dispatcher) attempter(ctx context.Context, firsts bool, wants chan<- want, stopped <-chan struct{}, work lanes, results chan<- *jobResult) {
	reply := make(chan []*job, 1)
	for {
		// Ask for jobs when there is room for a worker's share at least: a
		// record written for a few at a time costs as much as for many.
		for !firsts && cap(work.rest)-len(work.rest) < cap(work.first) {
			select {
			case <-work.taken:
			case <-stopped:
				return
			}
		}
		w := want{n: cap(work.rest) - len(work.rest), reply: reply}
		if firsts {
			w = want{n: 1, firsts: true, reply: reply}
		}
		select {
		case wants <- w:
		case <-stopped:
			return
		}
		var batch []*job
		select {
		case batch = <-reply:
		case <-stopped:
			return // what it was given stays pending in the record
		}
		for _, j := range d.attempt(ctx, batch, results) {
			work.push(j)
		}
	}
}

// lanes are the jobs whose attempts are recorded, waiting for a worker: an
// activation's first job goes in its own lane, which the workers take
// from first, so that it is not sent after the jobs of a fan-out already
// waiting.
type lanes struct {
	first, rest chan *job
	taken       chan struct{} // hears when a worker takes from rest, for an attempter waiting for room
	held        *atomic.Int32 // jobs a worker has taken and is sending
}

// busy reports whether a job is waiting for a worker or being sent.
func (l lanes) busy() bool { return len(l.first)+len(l.rest) > 0 || l.held.Load() > 0 }

func (l lanes) push(j *job) {
	if j.first {
		select {
		case l.first <- j:
			return
		default: // the lane is full: it waits its turn
		}
	}
	l.rest <- j
}

// next is the job a worker sends next, or false once both lanes are
// closed and empty.
func (l lanes) next() (*job, bool) {
	select {
	case j, ok := <-l.first:
		if ok {
			return j, true
		}
	default:
	}
	for l.first != nil || l.rest != nil {
		select {
		case j, ok := <-l.first:
			if ok {
				return j, true
			}
			l.first = nil
		case j, ok := <-l.rest:
			if ok {
				select {
				case l.taken <- struct{}{}:
				default: // an attempter has heard already
				}
				return j, true
			}
			l.rest = nil
		}
	}
	return nil, false
}

// attempt records the attempts of a batch of jobs and returns the jobs
// with something to send; the others go back to the loop: those the
// record no longer lets go finished, the rest (the record failed, or the
// dispatcher is stopping) to try again.
func (d *Dispatcher) attempt(ctx context.Context, batch []*job, results chan<- *jobResult) []*job {
	var out, recorded []*job
	var ms []Message
	for _, j := range batch {
		switch {
		case j.dead != nil:
			out = append(out, j) // failed without a send: nothing to attempt
		case ctx.Err() != nil:
			results <- &jobResult{job: j, retry: j.items} // stopping: left for whoever runs next
		default:
			recorded = append(recorded, j)
			for _, it := range j.items {
				ms = append(ms, it.m)
			}
		}
	}
	if len(ms) == 0 {
		return out
	}
	allowed, err := d.recorder.Attempting(ctx, ms)
	if err != nil {
		d.opts.Log.Error("recording an attempt", "err", err)
		for _, j := range recorded {
			for _, it := range j.items {
				it.lastErr = fmt.Errorf("recording the attempt: %w", err)
			}
			results <- &jobResult{job: j, retry: j.items}
		}
		return out
	}
	var ok map[string]bool // nil: every one may go
	if len(allowed) != len(ms) {
		ok = make(map[string]bool, len(allowed))
		for _, m := range allowed {
			ok[m.Delivery] = true
		}
	}
	for _, j := range recorded {
		if ok != nil {
			kept := j.items[:0:0]
			for _, it := range j.items {
				if ok[it.m.Delivery] {
					kept = append(kept, it)
				}
			}
			j.dropped, j.items = len(j.items)-len(kept), kept
		}
		if len(j.items) == 0 {
			results <- &jobResult{job: j, finished: j.dropped}
			continue
		}
		out = append(out, j)
	}
	return out
}

// A record of outcomes is a commit (two fsyncs with bbolt), so the
// finisher groups outcomes: it starts a record at most every
// finishSpacing and, while other jobs are waiting for a worker or being
// sent (a fan-out), at most every finishEvery, so that each record
// carries that long's sends — but it waits no longer once finishMost jobs
// a worker are waiting on it, so that the jobs in flight never fill the
// window while it waits. Sends go on meanwhile: only the record of their
// outcomes waits, and what a crash then catches in flight stays within the
// window (InFlight a worker).
const (
	finishSpacing = 5 * time.Millisecond
	finishEvery   = 20 * time.Millisecond
	finishMost    = InFlight / 4
)

// finisher records the outcomes of the jobs the workers are done with,
// many in one Finished, then hands the jobs back to the loop.
func (d *Dispatcher) finisher(ctx context.Context, work lanes, finished <-chan done, results chan<- *jobResult) {
	most := finishMost * d.opts.Workers
	var last time.Time
	for s := range finished {
		until := last.Add(finishSpacing)
		if work.busy() {
			until = last.Add(finishEvery)
		}
		batch := gather([]done{s}, finished, until, most)
		last = time.Now()
		var outcomes []Outcome
		for _, s := range batch {
			outcomes = append(outcomes, s.outcomes...)
		}
		if len(outcomes) > 0 {
			d.finished(ctx, outcomes)
		}
		for _, s := range batch {
			results <- s.r
		}
	}
}

// gather adds to batch the jobs that finish until the time given, or
// until it holds most, and then those already finished.
func gather(batch []done, finished <-chan done, until time.Time, most int) []done {
	if wait := time.Until(until); wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
	waiting:
		for len(batch) < most {
			select {
			case next, ok := <-finished:
				if !ok {
					return batch
				}
				batch = append(batch, next)
			case <-timer.C:
				break waiting
			}
		}
	}
	for {
		select {
		case next, ok := <-finished:
			if !ok {
				return batch
			}
			batch = append(batch, next)
		default:
			return batch
		}
	}
}
