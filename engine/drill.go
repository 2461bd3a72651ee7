package engine

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
)

// DrillOptions describe an exercise run in-process, end to end.
type DrillOptions struct {
	Source     []byte
	SourceName string
	Params     map[string]string
	Start      time.Time // scenario start; defaults to now
	// Instant jumps from one due item to the next on a virtual clock;
	// otherwise the drill runs at Speed scenario seconds per real second.
	Instant bool
	Speed   float64
	// Horizon bounds the drill, from Start; DrillHorizon gives a default.
	Horizon time.Duration
	// ApproveAfter is how long the simulated controller takes to approve
	// a message or finish a task, in scenario time.
	ApproveAfter time.Duration
	// AckAfter is how long the people a message reached take to
	// acknowledge it, when its step asks them to; NoAck leaves them
	// unacknowledged, for the escalation policy to show what follows.
	AckAfter time.Duration
	NoAck    bool
	// Dispatch says how messages are sent: the routes to each channel
	// type's notifier, their pacing, retries and deadlines.
	Dispatch notifiers.DispatchOptions
	// ApprovalsChannel, when set, is the Slack channel drafts held for
	// approval are posted to.
	ApprovalsChannel string
	Log              *slog.Logger
	// OnCommit hears what each command did, as the drill runs.
	OnCommit func(Committed)
	// Directory, when given, is the directory file the runbook points
	// into (DirectoryName names it in messages), and ListFiles the folder
	// its contact lists are read from.
	Directory     []byte
	DirectoryName string
	ListFiles     fs.FS
}

// Drill runs an exercise and returns the engine holding its record and the
// activation's id.
func Drill(ctx context.Context, opts DrillOptions) (*Engine, string, error) {
	start := opts.Start
	if start.IsZero() {
		start = time.Now()
	}
	var clock Clock = RealClock{}
	virtual := NewVirtualClock(start)
	if opts.Instant {
		clock = virtual
	}
	e, err := Open(ctx, Options{Clock: clock, ListFiles: opts.ListFiles})
	if err != nil {
		return nil, "", err
	}
	if opts.Directory != nil {
		if _, err := e.Apply(ctx, &SetDirectory{Meta: Meta{Actor: "exercise-lead", At: start}, Source: opts.Directory, Name: opts.DirectoryName}); err != nil {
			return nil, "", err
		}
	}
	s, err := NewScheduler(e, clock, opts.Log)
	if err != nil {
		return nil, "", err
	}
	(&Controller{Engine: e, Scheduler: s, After: opts.ApproveAfter, AckAfter: opts.AckAfter, NoAck: opts.NoAck, Log: opts.Log}).Watch()
	if opts.Dispatch.Log == nil {
		opts.Dispatch.Log = opts.Log
	}
	deliverer := NewDeliverer(e, opts.Dispatch)
	deliverer.Settle = opts.Instant
	deliverer.ApprovalsChannel = opts.ApprovalsChannel
	deliverer.Follow(s)
	sending, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { deliverer.Run(sending); close(stopped) }()
	defer func() { stop(); <-stopped }() // no send outlives the drill
	if opts.OnCommit != nil {
		e.OnCommit(opts.OnCommit)
	}
	speed := opts.Speed
	if opts.Instant {
		speed = 0
	}
	index, err := e.Apply(ctx, &Activate{Meta: Meta{Actor: "exercise-lead", At: start}, Source: opts.Source,
		SourceName: opts.SourceName, Mode: "exercise", Params: opts.Params, Speed: speed})
	if err != nil {
		return nil, "", err
	}
	id := ActivationID(index)
	activation, err := e.Read().Activation(nil, id)
	if err != nil {
		return nil, "", err
	}
	p := paceOf(activation) // scenario time from the start, wall time from the moment it was made
	// Run to the horizon, and then on while the drill waits on the
	// simulated controller — approvals and tasks that fall due at the very
	// end, and a step after an approval or a task, which comes later than
	// the plan (counting them as instant) places it.
	end := start.Add(opts.Horizon)
	step := max(opts.ApproveAfter, time.Minute)
	limit := end.Add(max(opts.Horizon, 24*time.Hour)) // however long the chain, not for ever
	for {
		if err := runUntil(ctx, s, virtual, opts.Instant, p, end); err != nil {
			return e, id, err
		}
		if err := deliverer.dispatcher.Flush(ctx); err != nil {
			return e, id, err
		}
		waiting, err := waitingOnController(e, id, start.Add(opts.Horizon))
		if err != nil || !waiting || !end.Before(limit) {
			return e, id, err
		}
		if end = end.Add(step); end.After(limit) {
			end = limit
		}
	}
}

// runUntil runs the scheduler to scenario time end: on the virtual clock
// in an instant drill, else in real time at the drill's pace.
func runUntil(ctx context.Context, s *Scheduler, virtual *VirtualClock, instant bool, p pace, end time.Time) error {
	if instant {
		return s.RunInstant(ctx, virtual, end)
	}
	wall := end
	if p.speed > 0 {
		wall = p.wall(end)
	}
	runCtx, cancel := context.WithDeadline(ctx, wall.Add(250*time.Millisecond)) // what falls due at the end fires too
	defer cancel()
	s.Run(runCtx)
	return ctx.Err()
}

// waitingOnController reports whether the drill has work the simulated
// controller has yet to finish — a message held for approval, an open
// task — from before the horizon or from a step that waited on others, or
// a step still waiting on others to complete.
func waitingOnController(e *Engine, activation string, horizon time.Time) (bool, error) {
	rb, err := e.Runbook(activation)
	if err != nil {
		return false, err
	}
	chained := func(step string) bool {
		s, ok := rb.Step(step)
		return ok && len(s.After) > 0
	}
	tx := e.Read()
	messages, err := tx.MessagesOf(nil, activation)
	if err != nil {
		return false, err
	}
	for _, m := range messages {
		if m.State == state.MessagePendingApproval && (!dueAt(tx, m.OccurrenceID, m.CreatedAt).After(horizon) || chained(m.Step)) {
			return true, nil
		}
	}
	tasks, err := tx.TasksOf(nil, activation)
	if err != nil {
		return false, err
	}
	for _, t := range tasks {
		if (t.State == state.TaskOpen || t.State == state.TaskAcknowledged) && (!dueAt(tx, t.OccurrenceID, t.OpenedAt).After(horizon) || chained(t.Step)) {
			return true, nil
		}
	}
	occurrences, err := tx.OccurrencesOf(nil, activation)
	if err != nil {
		return false, err
	}
	for _, o := range occurrences {
		if o.State == state.OccurrencePending && chained(o.Step) {
			return true, nil
		}
	}
	return false, nil
}

// dueAt is when what an occurrence made fell due — in a paced drill a
// little before it was made — or, without the occurrence, when it was made.
func dueAt(tx *state.Txn, occurrence string, made time.Time) time.Time {
	if o, _ := tx.Occurrence(nil, occurrence); o != nil {
		return o.DueAt
	}
	return made
}

// DrillHorizon is how far a drill of rb runs by default: to its last
// one-off step or inject, and its recurring steps to their until, or for
// a week.
func DrillHorizon(rb *runbooks.Runbook) (time.Duration, error) {
	const week = 7 * 24 * time.Hour
	h := time.Duration(0)
	for i := range rb.Steps {
		s := &rb.Steps[i]
		switch {
		case s.At != nil:
			h = max(h, s.At.D)
		case s.Every != nil && s.Until != nil:
			h = max(h, s.Until.D)
		case s.Every != nil:
			h = max(h, week)
		}
	}
	if rb.Exercise != nil {
		for _, in := range rb.Exercise.Injects {
			h = max(h, in.At.D)
		}
	}
	// Steps that wait for others can land later still.
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, rb.Location())
	plan, err := runbooks.Plan(rb, start, 2*h, runbooks.PlanOptions{Exercise: true})
	if err != nil {
		return 0, fmt.Errorf("working out how long the drill runs: %w; give --horizon", err)
	}
	for _, o := range plan {
		if len(o.After) > 0 {
			h = max(h, o.Offset)
		}
	}
	return h, nil
}
