package engine

import (
	"context"
	"sync"
)

// Log is where commands are kept, in order, before they are applied. The
// in-memory log serves tests and instant drills; a durable, replicated one
// replaces it without the engine noticing.
type Log interface {
	// Append stores an encoded command and returns its index, from 1.
	Append(ctx context.Context, entry []byte) (uint64, error)
	// Entries calls fn with every stored entry in order.
	Entries(ctx context.Context, fn func(index uint64, entry []byte) error) error
}

// MemoryLog is a Log in memory.
type MemoryLog struct {
	mu      sync.Mutex
	entries [][]byte
}

// Append implements Log.
func (l *MemoryLog) Append(_ context.Context, entry []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, entry)
	return uint64(len(l.entries)), nil
}

// Entries implements Log.
func (l *MemoryLog) Entries(_ context.Context, fn func(uint64, []byte) error) error {
	l.mu.Lock()
	entries := l.entries[:len(l.entries):len(l.entries)]
	l.mu.Unlock()
	for i, e := range entries {
		if err := fn(uint64(i+1), e); err != nil {
			return err
		}
	}
	return nil
}
