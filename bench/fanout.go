package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/server"
)

// people is a runbook reaching n distinct people at activation, with no
// approval: by Slack direct message, or by email asking each to
// acknowledge (so that each email is their own, with its link). Their
// Slack ids are numbered from first.
func people(id string, n int, by string, first int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nid: %s\ntitle: Fan-out\nstakeholders:\n", id)
	for i := range n {
		switch {
		case by == "email":
			fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, roles: [everyone], email: person%d@northbridge.example}\n", i, i, i)
		default:
			fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, roles: [everyone], slack: %s}\n", i, i, slackUser(first+i))
		}
	}
	ack := ""
	if by == "email" {
		ack = ", ack_within: 1h"
	}
	fmt.Fprintf(&b, "channels:\n  - {id: log, type: log}\nsteps:\n  - {id: tell, title: Tell everyone, at: 0s, notify: {to: [role:everyone], subject: %s, body: %q%s}}\n",
		fanoutSubject, fanoutBody, ack)
	return []byte(b.String())
}

// slackUser is the Slack id of the nth person.
func slackUser(n int) string { return fmt.Sprintf("U%08d", n) }

const (
	fanoutSubject = "Road closures in Eastgate"
	fanoutBody    = "The A61 is closed between the station and the park while the police work at the scene. Please use the ring road."
)

// fanoutMessages are the messages the floor sends: what crier sends the
// same people.
func fanoutMessages(n int, by string, ack func(notifiers.Message) string) []notifiers.Message {
	ms := make([]notifiers.Message, n)
	for i := range ms {
		m := notifiers.Message{Delivery: fmt.Sprintf("a-000001/tell/1/r1/%03d", i), Message: "a-000001/tell/1", Activation: "a-000001",
			Runbook: "fanout", Step: "tell", Type: by, Target: slackUser(i), Stakeholder: fmt.Sprintf("p%d", i), Revision: 1,
			Subject: fanoutSubject, Body: fanoutBody}
		if by == "email" {
			m.Target, m.AckRequested = fmt.Sprintf("person%d@northbridge.example", i), true
			m.AckURL = ack(m)
		}
		ms[i] = m
	}
	return ms
}

// floor sends ms with workers goroutines through a notifier alone, with
// no record and no dispatcher: what the machine and the fake carry. A
// notifier that takes batches is given them as the dispatcher would.
func floor(ctx context.Context, n notifiers.Notifier, workers int, ms []notifiers.Message) (time.Duration, error) {
	var jobs [][]notifiers.Message
	b, batches := n.(notifiers.Batcher)
	for i := 0; i < len(ms); {
		size := 1
		if batches {
			size = max(b.MaxBatch(), 1)
		}
		jobs = append(jobs, ms[i:min(i+size, len(ms))])
		i += size
	}
	work := make(chan []notifiers.Message)
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for job := range work {
				if batches {
					for _, r := range b.NotifyBatch(ctx, job) {
						if r.Err != nil {
							failed.Add(1)
						}
					}
					continue
				}
				if _, err := n.Notify(ctx, job[0]); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	for _, job := range jobs {
		work <- job
	}
	close(work)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("the floor: %d sends failed", f)
	}
	return time.Since(start), nil
}

// served is crier serve's path in this process: the record (on disk, or
// in memory when dir is ""), the scheduler, the deliverer with the
// notifiers, and the API an activation comes through.
type served struct {
	eng   *engine.Engine
	api   *httptest.Server
	close func()
}

const benchToken = "bench-planner-token-0000000000"

// path is what a served path sends through.
type path struct {
	dir     string // the record's directory, or "" in memory
	routes  map[string]notifiers.Route
	workers int
	ackLink func(notifiers.Message) string
}

func serve(ctx context.Context, p path, runbooks fstest.MapFS, log *slog.Logger) (*served, error) {
	var eng *engine.Engine
	closeRecord := func() {}
	if p.dir != "" {
		n, e, err := onRecord(ctx, p.dir, Options{Log: log})
		if err != nil {
			return nil, err
		}
		eng, closeRecord = e, func() { n.Close() }
	} else {
		e, err := engine.Open(ctx, engine.Options{})
		if err != nil {
			return nil, err
		}
		eng = e
	}
	lib, err := server.NewLibraryFS(runbooks, ".")
	if err != nil {
		closeRecord()
		return nil, err
	}
	sched, err := engine.NewScheduler(eng, engine.RealClock{}, log)
	if err != nil {
		closeRecord()
		return nil, err
	}
	d := engine.NewDeliverer(eng, notifiers.DispatchOptions{Routes: p.routes, Workers: p.workers, Log: log})
	d.AckLink = p.ackLink
	d.Follow(sched)
	run, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { sched.Run(run) })
	wg.Go(func() { d.Run(run) })
	api := httptest.NewServer(server.New(server.Options{Engine: eng, Library: lib, Log: log,
		Users: []config.User{{Name: "Bench Planner", Email: "planner@northbridge.gov.uk", Roles: []string{config.RolePlanner}, Token: benchToken}}}))
	return &served{eng: eng, api: api, close: func() { api.Close(); stop(); wg.Wait(); closeRecord() }}, nil
}

// activate starts the fan-out runbook over the API, as a planner would.
func (s *served) activate(ctx context.Context, runbook string) (string, error) {
	return activate(ctx, s.api.URL, benchToken, runbook)
}

// activate starts a runbook over the API at base with a planner's token,
// and returns the activation's id.
func activate(ctx context.Context, base, token, runbook string) (string, error) {
	body, _ := json.Marshal(map[string]string{"runbook": runbook, "mode": "live"})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/activations", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var a struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("activating over the API: %s %v", resp.Status, err)
	}
	return a.ID, nil
}

// sentAll returns a channel closed once n messages of a step have gone
// (message_sent: each delivery sent or failed).
func sentAll(e *engine.Engine, step string, n int) (<-chan struct{}, func()) {
	done := make(chan struct{})
	var count atomic.Int64
	stop := e.OnCommit(func(c engine.Committed) {
		for _, ev := range c.Events {
			if ev.Kind == "message_sent" && engine.StepOf(ev.ActivationID, ev.Subject) == step && count.Add(1) == int64(n) {
				close(done)
			}
		}
	})
	return done, stop
}

// sent counts the deliveries of an activation the record has as sent.
func sent(e *engine.Engine, activation string) (int, error) {
	ds, err := e.Read().DeliveriesOfActivation(nil, activation)
	n := 0
	for _, d := range ds {
		if d.State == state.DeliverySent {
			n++
		}
	}
	return n, err
}

// memory watches the heap and the process's resident set while a path
// runs: the peaks, from a fresh start.
type memory struct {
	stop     chan struct{}
	done     chan struct{}
	peakHeap uint64
}

func watchMemory() *memory {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // the resident peak starts again from now (Linux)
	m := &memory{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(m.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			m.peakHeap = max(m.peakHeap, sample[0].Value.Uint64())
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// peaks stops watching: the peak heap and the peak resident set, in MiB
// (the resident peak 0 where /proc does not tell it).
func (m *memory) peaks() (heap, rss float64) {
	close(m.stop)
	<-m.done
	return float64(m.peakHeap) / (1 << 20), float64(peakRSS()) / (1 << 20)
}

func peakRSS() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return vmHWM(string(status))
}

// vmHWM reads the peak resident set from a /proc status file, in bytes.
func vmHWM(status string) uint64 {
	for line := range strings.SplitSeq(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
