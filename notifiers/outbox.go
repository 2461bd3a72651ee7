package notifiers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Outbox writes each message as one JSON line to a file per activation in
// a directory, instead of sending it: for drills, demonstrations and tests.
type Outbox struct {
	Dir string
	// File, when set, is the one file in Dir every message is written to,
	// whatever its activation: a drill's own, as every drill's activation
	// has the same id.
	File string
	Now  func() time.Time

	mu sync.Mutex
}

var _ Notifier = (*Outbox)(nil)

// OutboxEntry is one line of an outbox file.
type OutboxEntry struct {
	At time.Time `json:"at"`
	Message
}

// Notify implements Notifier.
func (o *Outbox) Notify(_ context.Context, m Message) (bool, error) {
	line, err := json.Marshal(OutboxEntry{At: o.Now().UTC(), Message: m})
	if err != nil {
		return false, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return true, fmt.Errorf("outbox: %w", err)
	}
	name := o.File
	if name == "" {
		name = m.Activation + ".jsonl"
	}
	f, err := os.OpenFile(filepath.Join(o.Dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return true, fmt.Errorf("outbox: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return true, fmt.Errorf("outbox: %w", err)
	}
	return false, f.Close()
}
