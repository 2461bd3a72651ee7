package engine

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// Scheduler fires occurrences when they fall due: one goroutine, one
// min-heap of due items and one timer, however many activations run.
// (robfig/cron's runner re-sorts every entry each tick and takes no clock;
// crier uses robfig only to compute a schedule's next time.)
type Scheduler struct {
	engine *Engine
	clock  Clock
	log    *slog.Logger
	// Late, when set, hears how late each occurrence fired (for metrics).
	Late func(time.Duration)

	unhook func() // stops it hearing of new occurrences

	mu    sync.Mutex
	queue dueQueue
	pace  map[string]pace // exercise activations that run faster than real time
	wake  chan struct{}
}

// pace maps an exercise's scenario time to the wall clock: from a moment
// both clocks agree on (the start, or the last change of speed), scenario
// time runs speed times as fast.
type pace struct {
	scenario0, wall0 time.Time
	speed            float64 // scenario seconds per real second
}

// paceOf is how an exercise's time runs now.
func paceOf(a *state.Activation) pace {
	if a.PaceWall.IsZero() {
		return pace{scenario0: a.StartedAt, wall0: a.StartedAt, speed: a.Speed}
	}
	return pace{scenario0: a.PaceScenario, wall0: a.PaceWall, speed: a.Speed}
}

// ExerciseClock says how an activation's own time runs: from scenario0
// at the real moment wall0, speed scenario seconds a real second — speed 1
// for real time, as a live activation and an unpaced exercise run.
func ExerciseClock(a *state.Activation) (scenario0, wall0 time.Time, speed float64) {
	if !a.Exercise() || a.Speed <= 0 {
		return a.StartedAt, a.StartedAt, 1
	}
	p := paceOf(a)
	return p.scenario0, p.wall0, p.speed
}

func (p pace) wall(scenario time.Time) time.Time {
	return p.wall0.Add(time.Duration(float64(scenario.Sub(p.scenario0)) / p.speed))
}

func (p pace) scenario(wall time.Time) time.Time {
	return p.scenario0.Add(time.Duration(float64(wall.Sub(p.wall0)) * p.speed))
}

// dueItem is one occurrence, or one other piece of work, waiting for its time.
type dueItem struct {
	at         time.Time // on the wall clock
	due        time.Time // in the activation's own time
	activation string
	occurrence string
	run        func(ctx context.Context, now time.Time) // work other than firing an occurrence
}

type dueQueue []dueItem

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].occurrence < q[j].occurrence
}
func (q dueQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)   { *q = append(*q, x.(dueItem)) }
func (q *dueQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// NewScheduler loads every pending occurrence and listens for new ones.
func NewScheduler(e *Engine, clock Clock, log *slog.Logger) (*Scheduler, error) {
	s := &Scheduler{engine: e, clock: clock, log: log, pace: map[string]pace{}, wake: make(chan struct{}, 1)}
	// Listen first, then load: a command committed in between is both
	// heard and loaded, and an occurrence queued twice fires once.
	s.unhook = e.OnCommit(func(c Committed) {
		s.add(c.Scheduled)
		for _, ev := range c.Events {
			if ev.Kind == "speed_changed" {
				s.retime(ev.ActivationID)
			}
		}
	})
	tx := e.Read()
	activations, err := tx.ActivationsInState(nil, state.ActivationActive)
	if err != nil {
		s.unhook()
		return nil, err
	}
	for _, a := range activations {
		s.track(a)
	}
	pending, err := tx.OccurrencesInState(nil, state.OccurrencePending)
	if err != nil {
		s.unhook()
		return nil, err
	}
	s.mu.Lock()
	for _, o := range pending {
		s.queue = append(s.queue, s.item(o))
	}
	heap.Init(&s.queue)
	s.mu.Unlock()
	return s, nil
}

// track notes how an activation's time runs.
func (s *Scheduler) track(a *state.Activation) {
	if a.Exercise() && a.Speed > 0 {
		s.mu.Lock()
		s.pace[a.ID] = paceOf(a)
		s.mu.Unlock()
	}
}

// retime places an exercise's waiting work on the wall clock again, at
// its new speed.
func (s *Scheduler) retime(activation string) {
	a, _ := s.engine.Read().Activation(nil, activation)
	if a == nil {
		return
	}
	s.track(a)
	s.mu.Lock()
	if p, ok := s.pace[activation]; ok {
		for i := range s.queue {
			if s.queue[i].activation == activation {
				s.queue[i].at = p.wall(s.queue[i].due)
			}
		}
		heap.Init(&s.queue)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// item places an occurrence on the wall clock; the caller holds s.mu.
func (s *Scheduler) item(o *state.Occurrence) dueItem {
	at := o.DueAt
	if p, ok := s.pace[o.ActivationID]; ok {
		at = p.wall(o.DueAt)
	}
	return dueItem{at: at, due: o.DueAt, activation: o.ActivationID, occurrence: o.ID}
}

func (s *Scheduler) add(scheduled []*state.Occurrence) {
	if len(scheduled) == 0 {
		return
	}
	if a, _ := s.engine.Read().Activation(nil, scheduled[0].ActivationID); a != nil {
		s.track(a)
	}
	s.mu.Lock()
	for _, o := range scheduled {
		heap.Push(&s.queue, s.item(o))
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// At runs fn at a time in an activation's own time (scenario time for a
// paced exercise), in the scheduler's goroutine: the work a drill's
// simulated controller and the delivery hand-off do.
func (s *Scheduler) At(at time.Time, activation string, fn func(ctx context.Context, now time.Time)) {
	s.mu.Lock()
	wall := at
	if p, ok := s.pace[activation]; ok {
		wall = p.wall(at)
	}
	heap.Push(&s.queue, dueItem{at: wall, due: at, activation: activation, run: fn})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next takes the earliest item if it is due by now.
func (s *Scheduler) next(now time.Time) (dueItem, time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return dueItem{}, -1, false
	}
	if wait := s.queue[0].at.Sub(now); wait > 0 {
		return dueItem{}, wait, false
	}
	return heap.Pop(&s.queue).(dueItem), 0, true
}

// Run fires occurrences on the wall clock until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	defer s.unhook() // a scheduler runs once: a new leader makes its own
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		it, wait, ok := s.next(s.clock.Now())
		if ok {
			s.fire(ctx, it)
			continue
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
			timer.Stop()
		}
	}
}

// RunInstant runs a virtual clock from due item to due item, firing each,
// until nothing is due at or before until: an instant drill.
func (s *Scheduler) RunInstant(ctx context.Context, clock *VirtualClock, until time.Time) error {
	for ctx.Err() == nil {
		s.mu.Lock()
		if len(s.queue) == 0 || s.queue[0].at.After(until) {
			s.mu.Unlock()
			return nil
		}
		it := heap.Pop(&s.queue).(dueItem)
		s.mu.Unlock()
		clock.Set(it.at)
		s.fire(ctx, it)
	}
	return ctx.Err()
}

// fire applies a Fire stamped with the activation's own time.
func (s *Scheduler) fire(ctx context.Context, it dueItem) {
	now := s.clock.Now()
	if s.Late != nil && it.run == nil {
		s.Late(now.Sub(it.at))
	}
	s.mu.Lock()
	if p, ok := s.pace[it.activation]; ok {
		now = p.scenario(now)
	}
	s.mu.Unlock()
	if it.run != nil {
		it.run(ctx, now)
		return
	}
	_, err := s.engine.Apply(ctx, &Fire{Meta: Meta{Actor: "scheduler", At: now}, Occurrence: it.occurrence})
	if err != nil && !errors.Is(err, ErrNotPending) {
		s.log.Error("firing an occurrence", "occurrence", it.occurrence, "err", err)
	}
}
