package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Options configure an engine.
type Options struct {
	Log   Log   // where commands are kept; an in-memory log when nil
	Clock Clock // the real clock when nil
}

// Engine holds the state and is the one way to change it.
type Engine struct {
	store *state.Store
	fsm   *fsm
	log   Log
	clock Clock

	mu       sync.Mutex // one command at a time
	last     uint64     // the index of the last command applied
	onCommit []func(Committed)
}

// Open makes an engine and replays every command already in its log.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	store, err := state.New()
	if err != nil {
		return nil, err
	}
	e := &Engine{store: store, fsm: newFSM(store), log: opts.Log, clock: opts.Clock}
	if e.log == nil {
		e.log = &MemoryLog{}
	}
	if e.clock == nil {
		e.clock = RealClock{}
	}
	err = e.log.Entries(ctx, func(index uint64, entry []byte) error {
		c, err := DecodeCommand(entry)
		if err != nil {
			return fmt.Errorf("log entry %d: %w", index, err)
		}
		if c.meta().Index != index {
			return fmt.Errorf("log entry %d says it is entry %d", index, c.meta().Index)
		}
		tx := store.Write()
		defer tx.Abort()
		if _, err := e.fsm.apply(tx, c); err != nil {
			return fmt.Errorf("replaying log entry %d (%s): %w", index, c.Kind(), err)
		}
		tx.Commit()
		e.last = index
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Apply stamps a command with its log index and, unless the caller has
// set it, the time; applies it; and, when it applies cleanly, logs and
// commits it. A command that fails changes nothing and is not logged.
// Then those registered with OnCommit hear what it did.
func (e *Engine) Apply(ctx context.Context, c Command) (uint64, error) {
	index, done, hooks, err := e.commit(ctx, c)
	if err != nil {
		return 0, err
	}
	for _, fn := range hooks {
		fn(done)
	}
	return index, nil
}

func (e *Engine) commit(ctx context.Context, c Command) (uint64, Committed, []func(Committed), error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := c.meta()
	m.Index = e.last + 1
	tx := e.store.Write()
	defer tx.Abort()
	if m.At.IsZero() {
		m.At = e.scenarioNow(tx, c)
	}
	m.At = m.At.UTC()
	done, err := e.fsm.apply(tx, c)
	if err != nil {
		return 0, done, nil, err
	}
	entry, err := EncodeCommand(c)
	if err != nil {
		return 0, done, nil, err
	}
	index, err := e.log.Append(ctx, entry)
	if err != nil {
		return 0, done, nil, fmt.Errorf("logging a %s command: %w", c.Kind(), err)
	}
	if index != m.Index {
		return 0, done, nil, fmt.Errorf("the log put a %s command at %d, not %d", c.Kind(), index, m.Index)
	}
	tx.Commit()
	e.last = index
	return index, done, e.onCommit, nil
}

// scenarioNow is the time in the activation a command is about: for an
// exercise running faster than real time, its scenario time, so that what
// people do in a paced drill lines up with the steps around it.
func (e *Engine) scenarioNow(tx *state.Txn, c Command) time.Time {
	now := e.clock.Now()
	a, err := tx.Activation(nil, activationOf(tx, c))
	if err != nil || a == nil || !a.Exercise() || a.Speed <= 0 {
		return now
	}
	return paceOf(a).scenario(now)
}

// OnCommit registers fn to hear what each command did, after it is
// committed. fn may apply commands of its own.
func (e *Engine) OnCommit(fn func(Committed)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onCommit = append(e.onCommit, fn)
}

// Read is a consistent view of the state as it is now.
func (e *Engine) Read() *state.Txn { return e.store.Read() }

// Runbook is an activation's pinned copy of its runbook.
func (e *Engine) Runbook(activation string) (*runbooks.Runbook, error) {
	a, err := e.Read().Activation(nil, activation)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, notFound("no activation %q", activation)
	}
	return e.fsm.runbook(a)
}
