package engine

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// quietNotifier takes every message and keeps nothing.
type quietNotifier struct{}

func (quietNotifier) Notify(context.Context, notifiers.Message) (bool, error) { return false, nil }

// BenchmarkActivationHeapPerListRow sends a message to a list of 100,000
// rows and reports the heap the engine holds for it afterwards, beyond
// the list itself, per row: the target is at most 200 bytes. The record
// is kept as crier serve keeps it, out of the heap (on disk there; here
// counted and let go), and its size is reported apart, per row.
func BenchmarkActivationHeapPerListRow(b *testing.B) {
	const rows = 100_000
	csv, phones := residents(rows)
	files := fstest.MapFS{"lists/vulnerable.csv": {Data: []byte(csv)}}
	for range b.N {
		log := &forgettingLog{}
		e, err := Open(context.Background(), Options{ListFiles: files, Log: log})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Apply(context.Background(), &SetDirectory{Source: []byte(listDirectory), Name: "directory.yaml"}); err != nil {
			b.Fatal(err)
		}
		e.Directory() // the list, read and held
		before := heapInUse()
		d := NewDeliverer(e, to(quietNotifier{}))
		d.Settle = true
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		start := time.Now()
		id := ActivationID(mustApply(b, e, &Activate{Source: []byte(textsTheList), SourceName: "t.yaml", Mode: "live"}))
		occ := OccurrenceID(id, "warn", 1) // due at the start: fired with the activation
		if err := d.handOff(ctx, occ); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		m, _ := e.Read().Message(nil, occ)
		if m.Sent != phones {
			b.Fatalf("%d sent, want %d", m.Sent, phones)
		}
		after := heapInUse()
		if f := os.Getenv("CRIER_HEAP_PROFILE"); f != "" {
			out, _ := os.Create(f)
			pprof.WriteHeapProfile(out)
			out.Close()
		}
		b.ReportMetric(float64(after-before)/rows, "heap-B/row")
		b.ReportMetric(float64(log.bytes)/rows, "record-B/row")
		b.ReportMetric(float64(phones)/elapsed.Seconds(), "rows/s")
		stop()
		<-done
		runtime.KeepAlive(e)
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func mustApply(b *testing.B, e *Engine, c Command) uint64 {
	b.Helper()
	i, err := e.Apply(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	return i
}

// forgettingLog applies each entry and keeps only its size, as a log on
// disk keeps entries out of the heap.
type forgettingLog struct {
	mu     sync.Mutex
	n      uint64
	bytes  int64
	engine *Engine
}

func (l *forgettingLog) Open(_ context.Context, e *Engine) error { l.engine = e; return nil }

func (l *forgettingLog) Append(_ context.Context, entry []byte) (Future, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	l.bytes += int64(len(entry))
	return l.engine.ApplyEntry(l.n, entry)
}
