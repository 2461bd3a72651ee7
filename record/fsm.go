package record

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"
)

// fsm is Raft's view of the engine: it applies committed entries, in
// batches when Raft has many, and snapshots and restores the state.
type fsm struct {
	engine  *engine.Engine
	log     *slog.Logger
	damaged atomic.Pointer[error] // the first entry that could not be applied
}

func (f *fsm) damage(err error) {
	f.damaged.CompareAndSwap(nil, &err)
}

// response is what applying an entry gives its proposer.
type response struct {
	applied engine.Applied
	err     error
}

func (f *fsm) Apply(l *raft.Log) any {
	applied, err := f.engine.ApplyEntry(l.Index, l.Data)
	if err != nil {
		f.log.Error("a log entry cannot be applied: the record is damaged", "index", l.Index, "err", err)
		f.damage(fmt.Errorf("log entry %d: %w", l.Index, err))
	}
	return response{applied, err}
}

// ApplyBatch implements raft.BatchingFSM.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	var at []int
	var indexes []uint64
	var entries [][]byte
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			at, indexes, entries = append(at, i), append(indexes, l.Index), append(entries, l.Data)
		}
	}
	applied, err := f.engine.ApplyEntries(indexes, entries)
	if err != nil {
		f.log.Error("log entries cannot be applied: the record is damaged", "from", indexes[0], "err", err)
		f.damage(err)
	}
	for k, i := range at {
		r := response{err: err}
		if k < len(applied) && applied[k].Index != 0 {
			r = response{applied: applied[k]}
		}
		out[i] = r
	}
	return out
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) { return snapshot{f.engine.Snapshot()}, nil }

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.engine.Restore(bufio.NewReaderSize(rc, 1<<20))
}

// snapshot writes the state it was taken at, while commands go on.
type snapshot struct{ s engine.Snapshot }

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	w := bufio.NewWriterSize(sink, 1<<20)
	err := s.s.Write(w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (snapshot) Release() {}

// hclogger passes Raft's log lines on to crier's own logger. A single
// node's elections are not news: quiet, its Raft says only what goes wrong.
func hclogger(log *slog.Logger, quiet bool) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "raft", Output: io.Discard, Level: hclog.Debug})
	l.RegisterSink(sink{log, quiet})
	return l
}

type sink struct {
	log   *slog.Logger
	quiet bool
}

func (s sink) Accept(name string, level hclog.Level, msg string, args ...any) {
	lvl := slog.LevelDebug
	switch {
	case level >= hclog.Error:
		lvl = slog.LevelError
	case s.quiet:
	case level == hclog.Warn:
		lvl = slog.LevelWarn
	case level == hclog.Info:
		lvl = slog.LevelInfo
	}
	for i, a := range args {
		if f, ok := a.(hclog.Format); ok && len(f) > 0 { // hclog.Fmt: formatted only when written
			if format, ok := f[0].(string); ok {
				args[i] = fmt.Sprintf(format, f[1:]...)
			}
		}
	}
	s.log.Log(context.Background(), lvl, msg, append([]any{"part", name}, args...)...)
}

// boltOptions opens the log file without waiting for ever on another
// process holding it, and keeps bbolt's list of free pages in memory
// rather than writing it at every commit (rebuilt when the file opens), as
// etcd does: a commit of a fan-out's outcomes writes only their pages.
func boltOptions() *bbolt.Options {
	return &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType}
}

// lockedHint explains bbolt's timeout: another crier has the file open.
func lockedHint(err error) error {
	if errors.Is(err, bbolt.ErrTimeout) || strings.Contains(err.Error(), "timeout") {
		return fmt.Errorf("another crier has it open (stop it first): %w", err)
	}
	return err
}
