package notifiers

import (
	"time"

	"golang.org/x/time/rate"
)

// A route's pace: a limiter for the whole service and one for each
// destination in use.

func (r *route) target(key string) *target {
	t := r.targets[key]
	if t == nil {
		t = &target{limiter: r.PerTarget.limiter()}
		r.targets[key] = t
	}
	return t
}

// sweep forgets the destinations no job holds or waits for whose pace is
// back to full, as a new one would start, once their number has doubled
// since the last sweep: a fan-out to 100,000 people, each sent to once,
// leaves no bookkeeping behind.
func (r *route) sweep(now time.Time) {
	if len(r.targets) < max(r.sweepAt, 1024) {
		return
	}
	for key, t := range r.targets {
		if !t.busy && len(t.parked) == 0 && (t.limiter == nil || t.limiter.TokensAt(now) >= float64(t.limiter.Burst())) {
			delete(r.targets, key)
		}
	}
	r.sweepAt = 2 * len(r.targets)
}

// reserve takes a turn now from the destination's and the service's
// limiters, or, when either has none to give, takes nothing and says how
// long until both may: a send goes when both allow it at once.
func (r *route) reserve(key string, now time.Time) time.Duration {
	limiters := []*rate.Limiter{r.overall}
	if key != "" {
		limiters = append(limiters, r.target(key).limiter)
	}
	var taken []*rate.Reservation
	var wait time.Duration
	for _, lim := range limiters {
		if lim != nil {
			res := lim.ReserveN(now, 1)
			taken = append(taken, res)
			wait = max(wait, res.DelayFrom(now))
		}
	}
	if wait > 0 {
		for _, res := range taken {
			res.CancelAt(now)
		}
	}
	return wait
}
