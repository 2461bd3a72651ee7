package notifiers

import (
	"container/heap"
	"time"
)

// queue holds the jobs not yet released: those waiting for their time (a
// retry's backoff, a destination's pace) by when they are due, and those
// due, ready to go, in a fair order between activations — start-time fair
// queuing: each job ready to go is tagged one after the later of its
// activation's last tag and the tag of the job last released. A fan-out of
// 100,000 queued ahead of a new activation takes its tags as it became
// ready; the new activation's first job is tagged just after the job now
// going, so it goes next, and the two then take turns.
//
// An activation's first job — when it has nothing else ready or under
// way: a new activation, or one quiet until now — waits apart, in the
// order it came, so that the attempter kept for first jobs can take it
// without waiting for the fan-outs' jobs tagged as early.
type queue struct {
	waiting jobQueue // by due, then arrival
	ready   jobQueue // by tag, then arrival
	firsts  []*job   // activations' first jobs ready to go, in the order they came
	last    uint64   // the tag of the job last released
	flows   map[string]uint64
	sending map[string]int // by activation, its jobs released and not yet settled
}

// push queues a job; it is ready once it is due.
func (q *queue) push(j *job) {
	j.tag = 0
	heap.Push(&q.waiting, j)
}

// next is the next job to go at now, in fair order, or nil when none is
// due.
func (q *queue) next(now time.Time) *job {
	q.promote(now)
	switch {
	case len(q.firsts) > 0 && (len(q.ready) == 0 || q.firsts[0].tag <= q.ready[0].tag):
		return q.nextFirst(now)
	case len(q.ready) > 0:
		return q.taken(heap.Pop(&q.ready).(*job))
	}
	return nil
}

// nextFirst is the activation's first job that came first, or nil.
func (q *queue) nextFirst(now time.Time) *job {
	q.promote(now)
	if len(q.firsts) == 0 {
		return nil
	}
	j := q.firsts[0]
	q.firsts[0], q.firsts = nil, q.firsts[1:]
	return q.taken(j)
}

// taken notes a job taken from those ready, in its turn.
func (q *queue) taken(j *job) *job {
	q.last = max(q.last, j.tag)
	if q.flows[j.flow] == j.tag { // its activation has nothing else ready
		delete(q.flows, j.flow)
	}
	return j
}

// going notes a job taken that goes now: it is under way until settled.
// (One taken and put back, its destination busy or its pace not yet
// allowing it, is not.)
func (q *queue) going(j *job) {
	if q.sending == nil {
		q.sending = map[string]int{}
	}
	q.sending[j.flow]++
}

// settled notes that a job under way has come back.
func (q *queue) settled(j *job) {
	if q.sending[j.flow]--; q.sending[j.flow] <= 0 {
		delete(q.sending, j.flow)
	}
}

// promote tags the jobs due at now and makes them ready.
func (q *queue) promote(now time.Time) {
	for len(q.waiting) > 0 && !q.waiting[0].due.After(now) {
		j := heap.Pop(&q.waiting).(*job)
		if q.flows == nil {
			q.flows = map[string]uint64{}
		}
		last, busy := q.flows[j.flow]
		j.tag, j.first = max(last, q.last)+1, !busy && q.sending[j.flow] == 0
		q.flows[j.flow] = j.tag
		if j.first {
			q.firsts = append(q.firsts, j)
		} else {
			heap.Push(&q.ready, j)
		}
	}
}

// wait is how long until a job may be ready — with firsts, an
// activation's first job: none when one is, else until the next job
// waiting is due.
func (q *queue) wait(now time.Time, firsts bool) time.Duration {
	q.promote(now)
	switch {
	case len(q.firsts) > 0 || !firsts && len(q.ready) > 0:
		return 0
	case len(q.waiting) > 0:
		return max(q.waiting[0].due.Sub(now), 0)
	}
	return time.Hour
}

// jobQueue is a heap of jobs: by tag when tagged, else by when they are
// due; then by arrival.
type jobQueue []*job

func (q jobQueue) Len() int { return len(q) }
func (q jobQueue) Less(i, k int) bool {
	switch {
	case q[i].tag != q[k].tag:
		return q[i].tag < q[k].tag
	case !q[i].due.Equal(q[k].due):
		return q[i].due.Before(q[k].due)
	}
	return q[i].seq < q[k].seq
}
func (q jobQueue) Swap(i, k int) { q[i], q[k] = q[k], q[i] }
func (q *jobQueue) Push(x any)   { *q = append(*q, x.(*job)) }
func (q *jobQueue) Pop() any {
	old := *q
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return j
}
