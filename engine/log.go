package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
)

// Log keeps the record: the engine's commands, in order, each applied to
// the engine once it is kept. MemoryLog keeps them in memory (tests,
// instant drills); the record package keeps them on disk through Raft.
type Log interface {
	// Open replays into e what the log already holds, and from then on
	// applies to e each entry appended, once it is kept.
	Open(ctx context.Context, e *Engine) error
	// Append proposes an entry; the engine waits for it to be applied,
	// outside its own lock, so that many commands can be kept at once.
	Append(ctx context.Context, entry []byte) (Future, error)
}

// Future is an entry on its way into the log.
type Future interface {
	// Wait returns once the entry is applied, with what applying it did.
	Wait(ctx context.Context) (Applied, error)
}

// Applied is what applying one log entry did.
type Applied struct {
	Index uint64    // the entry's place in the log
	Done  Committed // what the command did
	Err   error     // the command's own refusal: it changed nothing
}

// An entry is the command with its link in the record's hash chain: the
// link before it, then its own, the SHA-256 of the link before and of the
// command. Editing any byte of any entry breaks the chain there.
const linkSize = sha256.Size

// seal makes a log entry of an encoded command following prev.
func seal(prev [linkSize]byte, command []byte) (entry []byte, link [linkSize]byte) {
	link = chainLink(prev, command)
	entry = make([]byte, 0, 2*linkSize+len(command))
	entry = append(entry, prev[:]...)
	entry = append(entry, link[:]...)
	return append(entry, command...), link
}

func chainLink(prev [linkSize]byte, command []byte) [linkSize]byte {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(command)
	var link [linkSize]byte
	h.Sum(link[:0])
	return link
}

// Unseal splits a log entry into its links and command, checking that
// the entry's own link is the hash of what it holds.
func Unseal(entry []byte) (prev, link [linkSize]byte, command []byte, err error) {
	if len(entry) < 2*linkSize {
		return prev, link, nil, errors.New("the entry is too short to hold its links")
	}
	copy(prev[:], entry)
	copy(link[:], entry[linkSize:])
	command = entry[2*linkSize:]
	if chainLink(prev, command) != link {
		return prev, link, nil, errors.New("the entry does not match its own link: it has been changed")
	}
	return prev, link, command, nil
}

// errChainMoved refuses an entry proposed after a link that is no longer
// the head, as when leadership moved while it was on its way; Apply
// proposes it again.
var errChainMoved = errors.New("the record moved on while the command was proposed")

// MemoryLog is a Log in memory.
type MemoryLog struct {
	mu      sync.Mutex
	entries [][]byte
	engine  *Engine
}

// Open implements Log.
func (l *MemoryLog) Open(_ context.Context, e *Engine) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.engine = e
	for i, entry := range l.entries {
		if _, err := e.ApplyEntry(uint64(i+1), entry); err != nil {
			return fmt.Errorf("log entry %d: %w", i+1, err)
		}
	}
	return nil
}

// Append implements Log: the entry is kept and applied before it returns.
func (l *MemoryLog) Append(_ context.Context, entry []byte) (Future, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, entry)
	applied, err := l.engine.ApplyEntry(uint64(len(l.entries)), entry)
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// Entries calls fn with every entry kept, in order.
func (l *MemoryLog) Entries(fn func(index uint64, entry []byte) error) error {
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

// Wait makes an Applied a Future already done.
func (a Applied) Wait(context.Context) (Applied, error) { return a, nil }
