package engine

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/directory"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
	"github.com/hashicorp/go-memdb"
)

// Kinds of error a caller can tell apart with errors.Is, as the server does
// to answer 404 or 403.
var (
	ErrNotFound   = errors.New("not found")
	ErrNotAllowed = errors.New("not allowed")
	ErrInvalid    = errors.New("invalid") // the command itself says something crier cannot do
)

// kindError is an error of a kind, its own text unchanged.
type kindError struct {
	error
	kind error
}

func (e kindError) Is(target error) bool { return target == e.kind }
func (e kindError) Unwrap() error        { return e.error }

func notFound(format string, args ...any) error {
	return kindError{fmt.Errorf(format, args...), ErrNotFound}
}

func notAllowed(format string, args ...any) error {
	return kindError{fmt.Errorf(format, args...), ErrNotAllowed}
}

func invalid(format string, args ...any) error {
	return kindError{fmt.Errorf(format, args...), ErrInvalid}
}

// ErrNotPending says a Fire came too late: the occurrence was already
// fired or cancelled, as when a stand-down wins a race with the scheduler.
var ErrNotPending = errors.New("the occurrence is no longer pending")

// fsm applies commands to the state. It does no I/O and reads no clock:
// everything it needs is in the command, so replaying the log gives the
// same state.
type fsm struct {
	store *state.Store

	mu       sync.Mutex
	runbooks map[string]*runbooks.Runbook // pinned copies, by activation
	// parsed are the parsed runbooks by their source: activations of the
	// same runbook share one copy, read only.
	parsed map[[sha256.Size]byte]*runbooks.Runbook
	// dir is the directory in force, parsed, at dirVersion, with the
	// lists read from listFiles.
	dir        *directory.Directory
	dirVersion uint64
	listFiles  fs.FS
	// listErr is what went wrong reading the lists, said once a version.
	listErr error
}

func newFSM(store *state.Store, listFiles fs.FS) *fsm {
	return &fsm{store: store, runbooks: map[string]*runbooks.Runbook{}, parsed: map[[sha256.Size]byte]*runbooks.Runbook{}, listFiles: listFiles}
}

// ActivationID is the id of the activation an Activate at this log index makes.
func ActivationID(index uint64) string { return fmt.Sprintf("a-%06d", index) }

// Committed is what one command did, for those that act on committed
// state: the scheduler, the dispatcher, a drill's simulated controller.
type Committed struct {
	Scheduled []*state.Occurrence
	Events    []*state.Event
}

// apply applies one stamped command in tx.
func (f *fsm) apply(tx *state.Txn, c Command) (Committed, error) {
	w := &writer{fsm: f, tx: tx, meta: c.meta()}
	switch c.(type) {
	case *RecordOutcomes, *ResumeDeliveries:
		w.onWall = true // about many activations: stamped on the wall clock
	}
	err := f.applyCommand(w, c)
	return w.done, err
}

func (f *fsm) applyCommand(w *writer, c Command) error {
	switch c := c.(type) {
	case *Activate:
		return f.activate(w, c)
	case *Fire:
		return f.fire(w, c)
	case *StandDown:
		return f.end(w, c.Activation, state.ActivationStoodDown, c.Reason, false)
	case *Halt:
		return f.end(w, c.Activation, state.ActivationHalted, c.Reason, true)
	case *RecordDecision:
		return f.recordDecision(w, c)
	case *RecordTension:
		return f.recordTension(w, c)
	case *LogRumour:
		return f.logRumour(w, c)
	case *AssessRumour:
		return f.assessRumour(w, c)
	case *Approve:
		return f.approve(w, c)
	case *Reject:
		return f.reject(w, c)
	case *Edit:
		return f.edit(w, c)
	case *Redraft:
		return f.redraft(w, c)
	case *WriteMessage:
		return f.writeMessage(w, c)
	case *Acknowledge:
		return f.acknowledge(w, c)
	case *CompleteTask:
		return f.completeTask(w, c)
	case *ReassignTask:
		return f.reassignTask(w, c)
	case *RecordOutcomes:
		return f.recordOutcomes(w, c)
	case *SendInject:
		return f.sendInject(w, c)
	case *SetSpeed:
		return f.setSpeed(w, c)
	case *ResumeDeliveries:
		return f.resumeDeliveries(w)
	case *AnnounceLeader:
		return w.tx.SetLeader(c.Node, c.API, w.meta.At)
	case *SetDirectory:
		return f.setDirectory(w, c)
	}
	return fmt.Errorf("no way to apply a %s command", c.Kind())
}

// activationOf is the activation a command is about, or "".
func activationOf(tx *state.Txn, c Command) string {
	var message, task string
	switch c := c.(type) {
	case *StandDown:
		return c.Activation
	case *Halt:
		return c.Activation
	case *RecordDecision:
		return c.Activation
	case *RecordTension:
		return c.Activation
	case *LogRumour:
		return c.Activation
	case *SendInject:
		return c.Activation
	case *SetSpeed:
		return c.Activation
	case *WriteMessage:
		return c.Activation
	case *Redraft:
		message = c.Message
	case *Approve:
		message = c.Message
	case *Reject:
		message = c.Message
	case *Edit:
		message = c.Message
	case *Acknowledge:
		message, task = c.Subject, c.Subject
	case *CompleteTask:
		task = c.Task
	case *ReassignTask:
		task = c.Task
	}
	if m, _ := tx.Message(nil, message); m != nil {
		return m.ActivationID
	}
	if t, _ := tx.Task(nil, task); t != nil {
		return t.ActivationID
	}
	return ""
}

// writer writes one command's records and numbers its events.
type writer struct {
	fsm  *fsm
	tx   *state.Txn
	meta *Meta
	done Committed
	// onWall: the command's At is wall time, not one activation's time;
	// now turns it into each activation's own.
	onWall bool
}

// now is the command's time in an activation's own time: scenario time
// in a paced exercise, so that every time recorded for it is on one clock.
func (w *writer) now(activation string) time.Time {
	if !w.onWall {
		return w.meta.At
	}
	a, err := w.tx.Activation(nil, activation)
	if err != nil || a == nil || !a.Exercise() || a.Speed <= 0 {
		return w.meta.At
	}
	return paceOf(a).scenario(w.meta.At).UTC()
}

// settleNow finishes a message that has no delivery to wait for.
func (w *writer) settleNow(message string) error { return w.fsm.settle(w, message, 0, 0) }

func (w *writer) event(activation, kind, subject, detail string) error {
	e := &state.Event{ID: state.EventID(w.meta.Index, len(w.done.Events)), ActivationID: activation, Kind: kind,
		Actor: w.meta.Actor, At: w.now(activation), Subject: subject, Detail: detail}
	w.done.Events = append(w.done.Events, e)
	return w.tx.AppendEvent(e)
}

// runbook is an activation's pinned runbook, parsed once from its source.
func (f *fsm) runbook(a *state.Activation) (*runbooks.Runbook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rb, ok := f.runbooks[a.ID]; ok {
		return rb, nil
	}
	rb, err := f.parse(a.SourceName, a.Source)
	if err != nil {
		return nil, fmt.Errorf("activation %s: its runbook no longer parses: %w", a.ID, err)
	}
	f.runbooks[a.ID] = rb
	return rb, nil
}

// parse parses a runbook's source, or returns the copy parsed from the
// same source before. f.mu is held.
func (f *fsm) parse(name string, source []byte) (*runbooks.Runbook, error) {
	key := sourceKey(name, source)
	if rb, ok := f.parsed[key]; ok {
		return rb, nil
	}
	rb, err := runbooks.Parse(name, source)
	if err == nil {
		f.parsed[key] = rb
	}
	return rb, err
}

// sourceKey names a runbook's source, and the name it is parsed under.
func sourceKey(name string, source []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(source)
	return [sha256.Size]byte(h.Sum(nil))
}

// forgetRunbooks drops the parsed copies, as when the state is replaced.
func (f *fsm) forgetRunbooks() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.runbooks)
	clear(f.parsed)
}

func (f *fsm) activate(w *writer, c *Activate) error {
	f.mu.Lock()
	rb, err := f.parse(c.SourceName, c.Source)
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("the runbook is not valid:\n%w", err)
	}
	if err := pointsRightly(rb, f.directory(w.tx), w.meta.At); err != nil {
		return err
	}
	params, err := checkParams(rb, c.Params)
	if err != nil {
		return err
	}
	switch {
	case c.Mode != "live" && c.Mode != "exercise":
		return invalid("mode %q is neither live nor exercise", c.Mode)
	case c.Speed != 0 && checkSpeed(c.Speed) != nil:
		return checkSpeed(c.Speed)
	case c.Speed != 0 && c.Mode == "live":
		return invalid("only an exercise can run faster than real time")
	case c.Severity != "" && !slices.Contains(runbooks.Severities(), c.Severity):
		return invalid("severity %q is not one of %s", c.Severity, strings.Join(runbooks.Severities(), ", "))
	}
	a := &state.Activation{
		ID: ActivationID(w.meta.Index), Runbook: string(rb.ID), Title: rb.Title,
		Source: c.Source, SourceName: c.SourceName, Mode: c.Mode, Event: c.Event, Severity: c.Severity,
		Params: params, Speed: c.Speed, State: state.ActivationActive, StartedAt: w.meta.At, StartedBy: w.meta.Actor,
	}
	if c.Speed > 0 { // scenario time runs from its start at the moment the activation was made
		a.PaceScenario, a.PaceWall = w.meta.At, w.meta.Wall
		if a.PaceWall.IsZero() {
			a.PaceWall = w.meta.At
		}
		a.Paces = []state.Pace{{Speed: c.Speed, Since: a.PaceWall}}
	}
	f.mu.Lock()
	f.runbooks[a.ID] = rb // parsed once: the first step fires from it
	f.mu.Unlock()
	if err := w.tx.UpsertActivation(a); err != nil {
		return err
	}
	if err := w.event(a.ID, "activated", a.ID, fmt.Sprintf("%s (%s) activated in %s mode", rb.Title, rb.ID, a.Mode)); err != nil {
		return err
	}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		switch {
		case s.At != nil:
			err = w.schedule(a, string(s.ID), s.Kind(), 1, a.StartedAt.Add(s.At.D))
		case s.Every != nil:
			if at, ok := rb.NextOccurrence(s, a.StartedAt, a.StartedAt.Add(-time.Nanosecond)); ok {
				err = w.schedule(a, string(s.ID), s.Kind(), 1, at)
			}
		}
		if err != nil {
			return err
		}
	}
	if pu := rb.PublicUpdates; pu != nil {
		if err := w.scheduleCheck(a, voidStep, checkVoid, a.ID+"/"+voidStep, 1, 1, a.StartedAt.Add(pu.Every.D)); err != nil {
			return err
		}
	}
	if a.Exercise() && rb.Exercise != nil {
		for _, in := range rb.Exercise.Injects {
			if err := w.schedule(a, string(in.ID), "inject", 1, a.StartedAt.Add(in.At.D)); err != nil {
				return err
			}
		}
	}
	if c.FiresAtStart {
		return f.fireAtStart(w, a)
	}
	return nil
}

// fireAtStart fires an activation's steps and injects due at its start,
// as the scheduler would have the moment after.
func (f *fsm) fireAtStart(w *writer, a *state.Activation) error {
	scheduled := w.done.Scheduled
	w.done.Scheduled = nil
	actor := w.meta.Actor
	w.meta.Actor = "scheduler"
	defer func() { w.meta.Actor = actor }()
	for _, o := range scheduled {
		if o.DueAt.After(a.StartedAt) || o.Kind != "notify" && o.Kind != "task" && o.Kind != "inject" {
			w.done.Scheduled = append(w.done.Scheduled, o) // what fires adds its own
			continue
		}
		if err := f.fire(w, &Fire{Occurrence: o.ID}); err != nil {
			return err
		}
	}
	return nil
}

// checkParams holds activation params to the runbook's declarations and
// fills in defaults.
func checkParams(rb *runbooks.Runbook, given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	declared := map[string]bool{}
	var missing []string
	for _, p := range rb.Params {
		declared[p.Name] = true
		v, ok := given[p.Name]
		switch {
		case ok:
			out[p.Name] = v
		case p.Required:
			missing = append(missing, p.Name)
		default:
			out[p.Name] = p.Default
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !declared[name] {
			return nil, invalid("runbook %q declares no param %q", rb.ID, name)
		}
	}
	if len(missing) > 0 {
		return nil, invalid("runbook %q needs params it was not given: %v", rb.ID, missing)
	}
	return out, nil
}

// DecisionID names the decision recorded by the command at a log index.
func DecisionID(activation string, index uint64) string {
	return fmt.Sprintf("%s/decision/%d", activation, index)
}

// OccurrenceID names a step's nth firing in an activation.
func OccurrenceID(activation, step string, n int) string {
	return fmt.Sprintf("%s/%s/%d", activation, step, n)
}

func (w *writer) schedule(a *state.Activation, step, kind string, n int, due time.Time) error {
	o := &state.Occurrence{
		ID: OccurrenceID(a.ID, step, n), ActivationID: a.ID, Step: step, Kind: kind, N: n,
		DueAt: due.UTC(), State: state.OccurrencePending,
	}
	w.done.Scheduled = append(w.done.Scheduled, o)
	return w.tx.UpsertOccurrence(o)
}

func (f *fsm) recordDecision(w *writer, c *RecordDecision) error {
	a, _, err := f.activationOf(w, c.Activation)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.Decision) == "" {
		return invalid("a decision needs its text")
	}
	d := &state.Decision{ID: DecisionID(a.ID, w.meta.Index), ActivationID: a.ID,
		Decision: c.Decision, Rationale: c.Rationale, Information: c.Information, By: w.meta.Actor, At: w.meta.At}
	if err := w.tx.UpsertDecision(d); err != nil {
		return err
	}
	return w.event(a.ID, "decision_recorded", d.ID, c.Decision)
}

// MaxSpeed is the fastest an exercise runs, in scenario seconds per real
// second: about a week of scenario in a real minute. Faster, a paced
// exercise is an instant one whose clock can only lag, and a speed without
// bound stamps times off any calendar (1e308 once dated decisions 1734).
const MaxSpeed = 10_000

// SpeedRange is the range of speeds in users' words, for every message
// about it: the API's, the web form's and the CLI's.
const SpeedRange = "from 1 (real time) to 10,000 scenario seconds per real second"

// checkSpeed holds an exercise's pace to the range; 0, an activation's
// unpaced real time, is the caller's to allow.
func checkSpeed(speed float64) error {
	if !(speed >= 1 && speed <= MaxSpeed) { // so NaN is refused too
		return invalid("speed %g is out of range: a speed is %s", speed, SpeedRange)
	}
	return nil
}

// setSpeed changes an exercise's pace from now: its scenario time so far
// stands, and runs on at the new speed.
func (f *fsm) setSpeed(w *writer, c *SetSpeed) error {
	a, _, err := f.activationOf(w, c.Activation)
	switch {
	case err != nil:
		return err
	case !a.Exercise():
		return fmt.Errorf("activation %s is live: only an exercise runs at another speed", a.ID)
	case c.Wall.IsZero():
		return invalid("a speed is from a given moment; the command has none")
	case checkSpeed(c.Speed) != nil:
		return checkSpeed(c.Speed)
	}
	next := *a
	next.Speed, next.PaceScenario, next.PaceWall = c.Speed, w.meta.At, c.Wall.UTC()
	next.Paces = append(slices.Clone(a.Paces), state.Pace{Speed: c.Speed, Since: next.PaceWall})
	if err := w.tx.UpsertActivation(&next); err != nil {
		return err
	}
	return w.event(a.ID, "speed_changed", a.ID, fmt.Sprintf("%gx from now", c.Speed))
}

// end stands an activation down or halts an exercise: everything pending
// is cancelled, so nothing more is sent.
func (f *fsm) end(w *writer, id, to, reason string, exerciseOnly bool) error {
	a, err := w.tx.Activation(nil, id)
	switch {
	case err != nil:
		return err
	case a == nil:
		return notFound("no activation %q", id)
	case a.State != state.ActivationActive:
		return fmt.Errorf("activation %s has already ended (%s)", id, a.State)
	case exerciseOnly && !a.Exercise():
		return fmt.Errorf("activation %s is live; only an exercise can be halted (stand it down instead)", id)
	}
	ended := *a
	ended.State, ended.EndedAt, ended.EndedBy, ended.EndReason = to, w.meta.At, w.meta.Actor, reason
	if err := w.tx.UpsertActivation(&ended); err != nil {
		return err
	}
	if err := cancelPending(w.tx, a.ID, w.meta.At); err != nil {
		return err
	}
	kind := "stood_down"
	if to == state.ActivationHalted {
		kind = "halted"
	}
	return w.event(a.ID, kind, a.ID, reason)
}

// cancelPending cancels an activation's pending occurrences, unsent
// messages and deliveries, and open tasks.
func cancelPending(tx *state.Txn, activation string, at time.Time) error {
	var ws memdb.WatchSet
	occurrences, err := tx.OccurrencesOf(ws, activation)
	if err != nil {
		return err
	}
	for _, o := range occurrences {
		if o.State == state.OccurrencePending {
			c := *o
			c.State = state.OccurrenceCancelled
			if err := tx.UpsertOccurrence(&c); err != nil {
				return err
			}
		}
	}
	messages, err := tx.MessagesOf(ws, activation)
	if err != nil {
		return err
	}
	for _, m := range messages {
		switch m.State {
		case state.MessageDrafted, state.MessagePendingApproval, state.MessageApproved, state.MessageDispatching:
			c := *m
			c.State, c.UpdatedAt = state.MessageCancelled, at
			if err := tx.UpsertMessage(&c); err != nil {
				return err
			}
		}
		deliveries, err := tx.DeliveriesOf(ws, m.ID)
		if err != nil {
			return err
		}
		for _, d := range deliveries {
			// An attempted delivery is waiting to be tried again, or is
			// being sent now (its outcome, when it comes, is recorded).
			if d.State == state.DeliveryPending || d.State == state.DeliveryAttempted {
				c := *d
				c.State, c.UpdatedAt = state.DeliveryCancelled, at
				if err := tx.UpsertDelivery(&c); err != nil {
					return err
				}
			}
		}
	}
	tasks, err := tx.TasksOf(ws, activation)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.State == state.TaskOpen || t.State == state.TaskAcknowledged {
			c := *t
			c.State = state.TaskCancelled
			if err := tx.UpsertTask(&c); err != nil {
				return err
			}
		}
	}
	return nil
}
