package notifiers

import (
	"fmt"
	"time"
)

// release hands the due jobs, in fair order, to the attempters asking for
// them, while fewer than the window are in flight; an activation's first
// job to the attempter kept for them, when it is free.
func (d *Dispatcher) release(l *loop, now time.Time) {
	for len(l.firsts) > 0 && l.inflight < l.window {
		j := d.releasable(l, l.queue.nextFirst, now)
		if j == nil {
			break
		}
		l.firsts[0].reply <- []*job{j}
		l.firsts = l.firsts[1:]
	}
	var batch []*job
	for len(l.wants) > 0 && l.inflight < l.window {
		if len(batch) == l.wants[0].n {
			l.wants[0].reply <- batch
			l.wants, batch = l.wants[1:], nil
			continue
		}
		j := d.releasable(l, l.queue.next, now)
		if j == nil {
			break
		}
		batch = append(batch, j)
	}
	if len(batch) > 0 { // as many as there were
		l.wants[0].reply <- batch
		l.wants = l.wants[1:]
	}
}

// releasable is the next job next gives that may go now, counted as in
// flight, or nil when none may: a job whose destination is busy waits its
// turn; one its pace does not yet allow is put back until it does.
func (d *Dispatcher) releasable(l *loop, next func(time.Time) *job, now time.Time) *job {
	for {
		j := next(now)
		if j == nil {
			return nil
		}
		if j.dead == nil {
			if d.expire(l, j, now) {
				continue
			}
			if j.key != "" && !j.holds {
				t := j.route.target(j.key)
				if t.busy {
					t.parked = append(t.parked, j)
					continue
				}
				t.busy, j.holds = true, true
			}
			if j.route.paused.After(now) {
				j.due = j.route.paused
				d.push(l, j)
				continue
			}
			if wait := j.route.reserve(j.key, now); wait > 0 {
				j.due = now.Add(wait)
				d.push(l, j)
				continue
			}
		}
		l.inflight++
		l.queue.going(j)
		return j
	}
}

// expire moves a job's items whose deadline has passed into a job of
// their own that fails them. It reports whether nothing is left to send.
func (d *Dispatcher) expire(l *loop, j *job, now time.Time) bool {
	live, dead := beforeDeadline(j.items, now)
	if len(dead) == 0 {
		return false
	}
	d.push(l, &job{items: dead, due: now, flow: j.flow, dead: fmt.Errorf("not delivered within %s", d.opts.Deadline)})
	j.items = live
	if len(live) > 0 {
		return false
	}
	d.letGo(l, j, now)
	return true
}

// letGo hands a job's destination to the next job waiting for it, which
// holds it from now on (so a later job cannot slip in ahead); with none
// waiting, the destination is free, and forgotten once its pace is back to
// full, as a new one would start (at once, or by a later sweep).
func (d *Dispatcher) letGo(l *loop, j *job, now time.Time) {
	if j.key == "" || !j.holds {
		return
	}
	t := j.route.target(j.key)
	if len(t.parked) > 0 {
		next := t.parked[0]
		t.parked = t.parked[1:]
		next.due, next.holds = now, true
		d.push(l, next)
		return
	}
	t.busy = false
	if t.limiter == nil || t.limiter.TokensAt(now) >= float64(t.limiter.Burst()) {
		delete(j.route.targets, j.key)
	}
	j.route.sweep(now)
}
