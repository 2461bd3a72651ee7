package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Options configure an engine.
type Options struct {
	Log   Log   // where commands are kept; an in-memory log when nil
	Clock Clock // the real clock when nil
	// Forward passes a command to the leader when the log takes commands
	// only there (ErrNotLeader), and returns its index once the leader has
	// applied it.
	Forward func(ctx context.Context, command []byte) (uint64, error)
	// ListFiles is the folder of the directory file, where the contact
	// lists it names are read from; the directory's lists are not read
	// when nil.
	ListFiles fs.FS
}

// ErrNotLeader is a log's answer on a node that does not lead: the
// command must go to the leader.
var ErrNotLeader = errors.New("this node is not the leader")

// ErrStaleHead is a log's answer to an entry sealed after a head this node
// may no longer hold, as when it has just taken the lead: the engine seals
// the command again after the head in the state, once nothing it proposed
// is on its way.
var ErrStaleHead = errors.New("the record's head must be read again")

// Engine holds the state and is the one way to change it.
type Engine struct {
	store   *state.Store
	fsm     *fsm
	log     Log
	clock   Clock
	forward func(ctx context.Context, command []byte) (uint64, error)

	mu       sync.Mutex // proposes one command at a time, so the chain stays in order
	head     [linkSize]byte
	headOK   bool      // head is the link the next command follows; else read it from the state
	inflight int       // commands proposed here and not yet applied
	settled  sync.Cond // on mu: a command proposed here was applied (or lost)
	// headStale says head must be read again from the state (ForgetHead).
	headStale atomic.Bool
	onCommit  []*hook
	applying  sync.Mutex // the state changes one entry (or batch) at a time
	// proposed holds the commands this node proposed until they are
	// applied, by link, so that applying them need not decode them again.
	proposed sync.Map
	// onApplied hear every command this node applies, proposed here or not.
	onApplied atomic.Pointer[[]func(Committed)]
}

// Open makes an engine and replays every command already in its log.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	store, err := state.New()
	if err != nil {
		return nil, err
	}
	e := &Engine{store: store, fsm: newFSM(store, opts.ListFiles), log: opts.Log, clock: opts.Clock, forward: opts.Forward}
	e.settled.L = &e.mu
	if e.log == nil {
		e.log = &MemoryLog{}
	}
	if e.clock == nil {
		e.clock = RealClock{}
	}
	if err := e.log.Open(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// Apply stamps a command with the time, unless the caller has set it,
// proposes it to the log and waits for it to be applied. A command that
// fails changes nothing; it stays in the log, a link in the chain like
// any other. Then those registered with OnCommit hear what it did.
func (e *Engine) Apply(ctx context.Context, c Command) (uint64, error) {
	return e.apply(ctx, c, ctx.Value(hereOnly{}) == nil)
}

// hereOnly marks a context whose commands are never passed on.
type hereOnly struct{}

// HereOnly is ctx for the leader's own work — scheduling, sending — whose
// commands must be applied by this node while it leads, or not at all:
// never passed on to another node by a leader that no longer leads.
func HereOnly(ctx context.Context) context.Context { return context.WithValue(ctx, hereOnly{}, true) }

// ApplyHere applies a command only if this node leads (else the error is
// ErrNotLeader): for a command another node passed on.
func (e *Engine) ApplyHere(ctx context.Context, c Command) (uint64, error) {
	return e.apply(ctx, c, false)
}

func (e *Engine) apply(ctx context.Context, c Command, forward bool) (uint64, error) {
	m := c.meta()
	if m.Wall.IsZero() {
		m.Wall = e.clock.Now()
	}
	if m.At.IsZero() {
		m.At = e.scenarioNow(e.store.Read(), c, m.Wall)
	}
	m.At, m.Wall, m.Index = m.At.UTC(), m.Wall.UTC(), 0 // the log gives the index
	if a, ok := c.(*Activate); ok {
		a.FiresAtStart = true
	}
	command, err := EncodeCommand(c)
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		applied, err := e.propose(ctx, c, command)
		if errors.Is(err, ErrNotLeader) && forward && e.forward != nil {
			return e.forwarded(ctx, c, command)
		}
		if errors.Is(err, ErrStaleHead) && attempt < 3 {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("logging a %s command: %w", c.Kind(), err)
		}
		if errors.Is(applied.Err, errChainMoved) && attempt < 3 {
			continue
		}
		if applied.Err != nil {
			return 0, applied.Err
		}
		m.Index = applied.Index
		e.mu.Lock()
		hooks := e.onCommit
		e.mu.Unlock()
		for _, h := range hooks {
			h.fn(applied.Done)
		}
		return applied.Index, nil
	}
}

// forwarded passes a command to the leader and waits until this node has
// applied it too, so that what the caller reads next shows it. Those
// registered with OnCommit on the leader hear of it, not those here.
func (e *Engine) forwarded(ctx context.Context, c Command, command []byte) (uint64, error) {
	index, err := e.forward(ctx, command)
	if err != nil {
		return 0, err
	}
	c.meta().Index = index
	for {
		if h, err := e.Head(); err != nil || h.Index >= index {
			return index, err
		}
		select {
		case <-ctx.Done():
			return index, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// Refusal makes an error of one of the kinds a command can be refused
// with (ErrNotFound, ErrNotAllowed, ErrInvalid), as a node passing on the
// leader's refusal does.
func Refusal(kind error, msg string) error { return kindError{errors.New(msg), kind} }

// propose seals a command after the chain's head and waits for the log
// to apply it.
func (e *Engine) propose(ctx context.Context, c Command, command []byte) (Applied, error) {
	e.mu.Lock()
	if e.headStale.Swap(false) {
		e.headOK = false
	}
	if !e.headOK {
		// The state's head is the one to follow only once nothing this
		// node proposed is still on its way: else the next command would
		// follow a link already passed, and be refused into the log.
		for e.inflight > 0 {
			e.settled.Wait()
		}
		h, err := e.store.Read().Head(nil)
		if err != nil {
			e.mu.Unlock()
			return Applied{}, err
		}
		e.head, e.headOK = h.Link, true
	}
	entry, link := seal(e.head, command)
	// JSON writes invalid UTF-8 (from a service's error text, say) as
	// \ufffd: such a command is applied as decoded, as every other node
	// and every replay will apply it.
	if !bytes.Contains(command, []byte(`\ufffd`)) {
		e.proposed.Store(link, c)
		defer e.proposed.Delete(link)
	}
	future, err := e.log.Append(ctx, entry)
	if err != nil {
		e.headOK = false
		e.mu.Unlock()
		return Applied{}, err
	}
	e.head = link
	e.inflight++
	e.mu.Unlock()
	applied, err := future.Wait(ctx)
	e.mu.Lock()
	e.inflight--
	if err != nil || errors.Is(applied.Err, errChainMoved) {
		e.headOK = false
	}
	e.settled.Broadcast()
	e.mu.Unlock()
	return applied, err
}

// ForgetHead has the next command read the chain's head from the state,
// as a new leader must (once it has applied everything before its term):
// what it proposed before may never be applied.
func (e *Engine) ForgetHead() { e.headStale.Store(true) } // no lock: the FSM calls it mid-restore

// ApplyEntry applies one log entry at its index: the log's side of Apply,
// on every replica. An entry that cannot be read, or does not match its
// own link, is an error: the log is damaged. A command that is refused
// is not an error here but Applied.Err; its link is kept all the same.
func (e *Engine) ApplyEntry(index uint64, entry []byte) (Applied, error) {
	e.applying.Lock()
	defer e.applying.Unlock()
	tx := e.store.Write()
	defer tx.Abort()
	head, err := tx.Head(nil)
	if err != nil {
		return Applied{}, err
	}
	applied, err := e.applyEntry(tx, &head, index, entry)
	if err != nil || errors.Is(applied.Err, errChainMoved) {
		return applied, err
	}
	if applied.Err != nil { // refused: only the chain moves on
		tx.Abort()
		tx = e.store.Write()
	}
	if err := tx.SetHead(head.Index, head.Link); err != nil {
		return applied, err
	}
	if err := tx.Commit(); err != nil {
		return applied, err
	}
	e.applied(applied)
	return applied, nil
}

// ApplyEntries applies a batch of log entries in one transaction, as
// Raft hands them over: replaying a long log goes much faster so. If any
// command in the batch is refused, the batch is applied again entry by
// entry, so that the refused one changes nothing but the chain.
func (e *Engine) ApplyEntries(indexes []uint64, entries [][]byte) ([]Applied, error) {
	e.applying.Lock()
	tx := e.store.Write()
	out := make([]Applied, len(entries))
	head, err := tx.Head(nil)
	clean := err == nil
	for i, entry := range entries {
		if !clean {
			break
		}
		applied, err := e.applyEntry(tx, &head, indexes[i], entry)
		clean = err == nil && applied.Err == nil
		out[i] = applied
	}
	if clean && tx.SetHead(head.Index, head.Link) == nil && tx.Commit() == nil {
		e.applied(out...)
		e.applying.Unlock()
		return out, nil
	}
	tx.Abort()
	e.applying.Unlock()
	for i, entry := range entries {
		applied, err := e.ApplyEntry(indexes[i], entry)
		if err != nil {
			return out, fmt.Errorf("log entry %d: %w", indexes[i], err)
		}
		out[i] = applied
	}
	return out, nil
}

// applyEntry applies an entry in tx after head, which it moves on when
// the entry follows it — even if the command is refused: its link counts.
func (e *Engine) applyEntry(tx *state.Txn, head *state.Head, index uint64, entry []byte) (applied Applied, err error) {
	applied.Index = index
	prev, link, command, err := Unseal(entry)
	if err != nil {
		return applied, err
	}
	if prev != head.Link {
		applied.Err = errChainMoved
		return applied, nil
	}
	var c Command
	if p, ok := e.proposed.Load(link); ok {
		c = p.(Command) // the bytes are its encoding: Unseal checked them against the link
	} else if c, err = DecodeCommand(command); err != nil {
		return applied, err
	}
	c.meta().Index = index
	applied.Done, applied.Err = e.fsm.apply(tx, c)
	head.Index, head.Link = index, link
	return applied, nil
}

// Head is where the record's hash chain has got to.
func (e *Engine) Head() (state.Head, error) { return e.store.Read().Head(nil) }

// Snapshot is the whole state at one moment, to be written out later
// while commands go on being applied.
type Snapshot struct{ tx *state.Txn }

// Snapshot takes the state as it is now.
func (e *Engine) Snapshot() Snapshot { return Snapshot{e.store.Read()} }

// Write writes the snapshot to w.
func (s Snapshot) Write(w io.Writer) error { return s.tx.WriteSnapshot(w) }

// WriteSnapshot writes the whole state, as it is at this moment, to w.
func (e *Engine) WriteSnapshot(w io.Writer) error { return e.Snapshot().Write(w) }

// Restore replaces the whole state with a snapshot's.
func (e *Engine) Restore(r io.Reader) error {
	restored, err := state.Restore(r)
	if err != nil {
		return err
	}
	e.applying.Lock()
	defer e.applying.Unlock()
	e.store.Replace(restored)
	e.fsm.forgetRunbooks()
	e.ForgetHead()
	return nil
}

// scenarioNow is the time in the activation a command is about: for an
// exercise running faster than real time, its scenario time, so that what
// people do in a paced drill lines up with the steps around it.
func (e *Engine) scenarioNow(tx *state.Txn, c Command, now time.Time) time.Time {
	a, err := tx.Activation(nil, activationOf(tx, c))
	if err != nil || a == nil || !a.Exercise() || a.Speed <= 0 {
		return now
	}
	return paceOf(a).scenario(now)
}

// Parsed tells the engine that source, under name, parses to rb (by
// runbooks.Parse, as the server's library parsed it), so that activating
// it need not parse it again: a runbook reaching thousands of people takes
// a tenth of a second to parse. rb is shared, read only.
func (e *Engine) Parsed(name string, source []byte, rb *runbooks.Runbook) {
	e.fsm.mu.Lock()
	defer e.fsm.mu.Unlock()
	e.fsm.parsed[sourceKey(name, source)] = rb
}

// OnCommit registers fn to hear what each command applied through this
// engine did, after it is committed; fn may apply commands of its own.
// The function returned stops it hearing.
func (e *Engine) OnCommit(fn func(Committed)) (stop func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := &hook{fn}
	e.onCommit = append(slices.Clone(e.onCommit), h)
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.onCommit = slices.DeleteFunc(slices.Clone(e.onCommit), func(x *hook) bool { return x == h })
	}
}

// OnApplied registers fn to hear what every command this node applies
// did — those given to other nodes of a cluster too — in the order they
// are applied, from the goroutine applying them: fn must not wait, nor
// apply commands. Streams of events to browsers listen so.
func (e *Engine) OnApplied(fn func(Committed)) {
	for {
		old := e.onApplied.Load()
		var next []func(Committed)
		if old != nil {
			next = slices.Clone(*old)
		}
		next = append(next, fn)
		if e.onApplied.CompareAndSwap(old, &next) {
			return
		}
	}
}

// applied tells those registered with OnApplied.
func (e *Engine) applied(done ...Applied) {
	hooks := e.onApplied.Load()
	if hooks == nil {
		return
	}
	for _, a := range done {
		if a.Err == nil {
			for _, fn := range *hooks {
				fn(a.Done)
			}
		}
	}
}

// hook is one OnCommit registration.
type hook struct{ fn func(Committed) }

// Read is a consistent view of the state as it is now.
func (e *Engine) Read() *state.Txn { return e.store.Read() }

// Runbook is an activation's pinned copy of its runbook.
func (e *Engine) Runbook(activation string) (*runbooks.Runbook, error) {
	_, rb, err := e.activation(e.Read(), activation)
	return rb, err
}

// activation reads an activation, which must exist, and its runbook.
func (e *Engine) activation(tx *state.Txn, id string) (*state.Activation, *runbooks.Runbook, error) {
	a, err := tx.Activation(nil, id)
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return nil, nil, notFound("no activation %q", id)
	}
	rb, err := e.fsm.runbook(a)
	return a, rb, err
}
