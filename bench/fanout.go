package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
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
	crierslack "github.com/crierhq/crier/notifiers/slack"
	"github.com/crierhq/crier/server"
)

// FanoutOptions size a fan-out run.
type FanoutOptions struct {
	People  int // distinct Slack users one activation reaches
	Workers int // the dispatcher's senders, and the floor's (16 when 0)
	Dir     string
	Log     Options // its Log is used
}

// fakeSlack answers chat.postMessage as Slack does, as fast as it can,
// and counts what it was sent; its workspace limit is out of the way.
type fakeSlack struct {
	*httptest.Server
	posts       atomic.Int64
	first, last atomic.Int64 // unix nanoseconds
}

func newFakeSlack() *fakeSlack {
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("channel") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := f.posts.Add(1)
		now := time.Now().UnixNano()
		f.first.CompareAndSwap(0, now)
		f.last.Store(now)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"D%s","ts":"1764680000.%06d"}`, r.Form.Get("channel")[1:], n)
	}))
	return f
}

// people is a runbook reaching n distinct Slack users by direct message,
// at activation, with no approval: the fan-out a large list would be.
func people(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: fanout\ntitle: Fan-out\nstakeholders:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, roles: [everyone], slack: U%08d}\n", i, i, i)
	}
	b.WriteString("channels:\n  - {id: log, type: log}\nsteps:\n  - {id: tell, title: Tell everyone, at: 0s, notify: {to: [role:everyone], subject: Road closures in Eastgate, " +
		"body: \"The A61 is closed between the station and the park while the police work at the scene. Please use the ring road.\"}}\n")
	return []byte(b.String())
}

// fanoutMessages are the messages the floor sends: what crier would send
// to the same people.
func fanoutMessages(n int) []notifiers.Message {
	ms := make([]notifiers.Message, n)
	for i := range ms {
		ms[i] = notifiers.Message{Delivery: fmt.Sprintf("a-000001/tell/1/p%d/slack", i), Message: "a-000001/tell/1", Activation: "a-000001",
			Runbook: "fanout", Step: "tell", Type: "slack", Target: fmt.Sprintf("U%08d", i), Stakeholder: fmt.Sprintf("p%d", i), Revision: 1,
			Subject: "Road closures in Eastgate", Body: "The A61 is closed between the station and the park while the police work at the scene. Please use the ring road."}
	}
	return ms
}

// floor posts ms with workers goroutines through the Slack notifier alone,
// with no record and no dispatcher: what the machine and the fake carry.
func floor(ctx context.Context, url string, workers int, ms []notifiers.Message) (time.Duration, error) {
	n := crierslack.New("xoxb-bench", url+"/", notifiers.HTTPClient(workers, time.Minute))
	work := make(chan notifiers.Message)
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for m := range work {
				if _, err := n.Notify(ctx, m); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	for _, m := range ms {
		work <- m
	}
	close(work)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("the floor: %d posts failed", f)
	}
	return time.Since(start), nil
}

// served is crier serve's path in this process: the record (on disk, or
// in memory when dir is ""), the scheduler, the deliverer with the Slack
// notifier, and the API an activation comes through.
type served struct {
	eng   *engine.Engine
	api   *httptest.Server
	close func()
}

const benchToken = "bench-planner-token-0000000000"

func serve(ctx context.Context, dir, slackURL string, workers int, runbook []byte, o Options) (*served, error) {
	var eng *engine.Engine
	var closeRecord func() = func() {}
	if dir != "" {
		n, e, err := onRecord(ctx, dir, o)
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
	lib, err := server.NewLibraryFS(fstest.MapFS{"fanout.yaml": {Data: runbook}}, ".")
	if err != nil {
		closeRecord()
		return nil, err
	}
	sched, err := engine.NewScheduler(eng, engine.RealClock{}, o.Log)
	if err != nil {
		closeRecord()
		return nil, err
	}
	route := crierslack.New("xoxb-bench", slackURL+"/", notifiers.HTTPClient(workers, time.Minute)).Route(1, 1e6)
	d := engine.NewDeliverer(eng, notifiers.DispatchOptions{Routes: map[string]notifiers.Route{"slack": route}, Workers: workers, Log: o.Log})
	d.Follow(sched)
	run, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { sched.Run(run) })
	wg.Go(func() { d.Run(run) })
	api := httptest.NewServer(server.New(server.Options{Engine: eng, Library: lib, Log: o.Log,
		Users: []config.User{{Name: "Bench Planner", Email: "planner@northbridge.gov.uk", Roles: []string{config.RolePlanner}, Token: benchToken}}}))
	return &served{eng: eng, api: api, close: func() { api.Close(); stop(); wg.Wait(); closeRecord() }}, nil
}

// activate starts the fan-out runbook over the API, as a planner would.
func (s *served) activate(ctx context.Context) (string, error) {
	body, _ := json.Marshal(map[string]string{"runbook": "fanout", "mode": "live"})
	req, err := http.NewRequestWithContext(ctx, "POST", s.api.URL+"/api/v1/activations", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
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

// sentAll returns a channel closed when every message of the
// activations has gone (message_sent: each delivery sent or failed).
func sentAll(e *engine.Engine, activations int) (<-chan struct{}, func()) {
	done := make(chan struct{})
	var n atomic.Int64
	stop := e.OnCommit(func(c engine.Committed) {
		for _, ev := range c.Events {
			if ev.Kind == "message_sent" && n.Add(1) == int64(activations) {
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
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Fanout measures one activation reaching o.People Slack users through
// crier serve's path — the record on disk with its fsync, then the
// in-memory record — beside the floor, the Slack notifier alone with as
// many workers, posting the same requests to the same fake in the same run.
func Fanout(ctx context.Context, o FanoutOptions) ([]Figure, error) {
	if o.Workers <= 0 {
		o.Workers = 16
	}
	fake := newFakeSlack()
	defer fake.Close()
	runbook := people(o.People)

	mem := watchMemory()
	took, err := floor(ctx, fake.URL, o.Workers, fanoutMessages(o.People))
	if err != nil {
		return nil, err
	}
	floorHeap, floorRSS := mem.peaks()
	floorRate := float64(o.People) / took.Seconds()

	path := func(dir string) (rate, heap, rss float64, err error) {
		mem := watchMemory()
		s, err := serve(ctx, dir, fake.URL, o.Workers, runbook, o.Log)
		if err != nil {
			return 0, 0, 0, err
		}
		defer s.close()
		done, unhook := sentAll(s.eng, 1)
		defer unhook()
		start := time.Now()
		id, err := s.activate(ctx)
		if err != nil {
			return 0, 0, 0, err
		}
		select {
		case <-done:
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		}
		took := time.Since(start)
		if os.Getenv("CRIER_FANOUT_TRACE") != "" {
			fmt.Fprintf(os.Stderr, "%s: first post after %s, last after %s, all recorded after %s\n", cmp.Or(dir, "in memory"),
				time.Unix(0, fake.first.Load()).Sub(start), time.Unix(0, fake.last.Load()).Sub(start), took)
		}
		fake.first.Store(0)
		heap, rss = mem.peaks()
		n, err := sent(s.eng, id)
		if err != nil {
			return 0, 0, 0, err
		}
		if n != o.People {
			return 0, 0, 0, fmt.Errorf("%d of %d deliveries were sent", n, o.People)
		}
		rate = float64(n) / took.Seconds()
		return rate, heap, rss, nil
	}
	dir, err := os.MkdirTemp(o.Dir, "crier-fanout-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	durable, heap, rss, err := path(dir)
	if err != nil {
		return nil, err
	}
	inMemory, _, _, err := path("")
	if err != nil {
		return nil, err
	}
	floorName := fmt.Sprintf("the Slack notifier alone, %d workers, same fake", o.Workers)
	return []Figure{
		figure("fanout_durable_rate", durable, "sends/s", floorName, floorRate, ">= 0.6 of the floor"),
		figure("fanout_in_memory_rate", inMemory, "sends/s", floorName, floorRate, ">= 0.8 of the floor"),
		figure("fanout_durable_peak_heap", heap, "MiB", "the floor's peak heap", floorHeap, ""),
		figure("fanout_durable_peak_rss", rss, "MiB", "the floor's peak resident set", floorRSS, "<= 64 MiB"),
	}, nil
}
