package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing/fstest"
	"time"

	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/email"
	crierslack "github.com/crierhq/crier/notifiers/slack"
	"github.com/crierhq/crier/server"
)

// FanoutOptions size a fan-out run.
type FanoutOptions struct {
	People  int // the distinct people one activation reaches
	Workers int // the dispatcher's senders, and the floor's (16 when 0)
	Rounds  int // each path runs this many times, in turn; medians are reported (3 when 0)
	Log     *slog.Logger
	// Crier, when set, is a crier executable: the Slack fan-out then runs
	// also through a crier serve process of its own, whose resident set is
	// crier's alone (this process's holds the fakes and the floor too).
	Crier string
}

// fanout is what every path of a run shares.
type fanout struct {
	FanoutOptions
	slack    *fakeSlack
	relay    *fakeRelay
	slackN   *crierslack.Notifier
	mailer   *email.Notifier
	acks     *server.AckLinks
	runbooks fstest.MapFS
}

func newFanout(o FanoutOptions) (*fanout, error) {
	if o.Workers <= 0 {
		o.Workers = notifiers.DefaultWorkers
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &fanout{FanoutOptions: o, slack: newFakeSlack()}
	relay, err := newFakeRelay()
	if err != nil {
		f.slack.Close()
		return nil, err
	}
	f.relay = relay
	f.slackN = crierslack.New("xoxb-bench", f.slack.URL+"/", notifiers.HTTPClient(o.Workers, time.Minute))
	if f.mailer, err = email.New(email.Config{Host: relay.Host, Port: relay.Port, TLS: email.NoTLS,
		From: "Northbridge Council <emergency@northbridge.example>", Now: time.Now}); err != nil {
		f.close()
		return nil, err
	}
	f.acks = &server.AckLinks{Base: "http://127.0.0.1:8080", Secret: []byte(rand.Text()), TTL: 14 * 24 * time.Hour, Now: time.Now}
	f.runbooks = fstest.MapFS{
		"fanout.yaml":       {Data: people("fanout", o.People, "slack", 0)},
		"fanout-email.yaml": {Data: people("fanout-email", o.People, "email", 0)},
		"probe.yaml":        {Data: probeRunbook()},
	}
	return f, nil
}

func (f *fanout) close() {
	f.slack.Close()
	f.relay.Close()
	if f.mailer != nil {
		f.mailer.Close()
	}
}

// path is a served path of the run: on a record in a new directory, or
// in memory, sending through Slack or email.
func (f *fanout) path(durable bool, by string) (path, func(), error) {
	p := path{workers: f.Workers, routes: map[string]notifiers.Route{}}
	if by == "email" {
		p.routes["email"], p.ackLink = notifiers.Route{Notifier: f.mailer}, f.acks.Link
	} else {
		p.routes["slack"] = f.slackN.Route(1, 1e6)
	}
	if !durable {
		return p, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "crier-fanout-")
	p.dir = dir
	return p, func() { os.RemoveAll(dir) }, err
}

// run activates a runbook over the API on a path and waits until each of
// its deliveries is on the record as sent or failed: the sends a second,
// and the peak heap and resident set meanwhile, in MiB.
func (f *fanout) run(ctx context.Context, durable bool, by, runbook string) (rate, heap, rss float64, err error) {
	p, remove, err := f.path(durable, by)
	if err != nil {
		return 0, 0, 0, err
	}
	defer remove()
	mem := watchMemory()
	s, err := serve(ctx, p, f.runbooks, f.Log)
	if err != nil {
		return 0, 0, 0, err
	}
	defer s.close()
	done, unhook := sentAll(s.eng, "tell", 1)
	defer unhook()
	start := time.Now()
	id, err := s.activate(ctx, runbook)
	if err != nil {
		return 0, 0, 0, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return 0, 0, 0, ctx.Err()
	}
	took := time.Since(start)
	heap, rss = mem.peaks()
	n, err := sent(s.eng, id)
	if err == nil && n != f.People {
		err = fmt.Errorf("%d of %d deliveries were sent", n, f.People)
	}
	return float64(n) / took.Seconds(), heap, rss, err
}

// floorRate is the floor's sends a second: the notifier alone.
func (f *fanout) floorRate(ctx context.Context, by string) (float64, error) {
	var n notifiers.Notifier = f.slackN
	if by == "email" {
		n = f.mailer
	}
	took, err := floor(ctx, n, f.Workers, fanoutMessages(f.People, by, f.acks.Link))
	return float64(f.People) / took.Seconds(), err
}

// Fanout measures one activation reaching o.People people through crier
// serve's path — the record on disk with its fsync, then the record in
// memory — beside the floor: the same notifier alone, with as many
// workers, sending the same messages to the same fake in the same run. By
// Slack direct message, then by email, each personal, through a loopback
// SMTP relay. Each path runs o.Rounds times, in turn; medians are given.
func Fanout(ctx context.Context, o FanoutOptions) ([]Figure, error) {
	f, err := newFanout(o)
	if err != nil {
		return nil, err
	}
	defer f.close()
	var slackFloor, durable, inMemory, emailFloor, emailDurable, process []float64
	var heap, rss, processRSS float64
	for range f.Rounds {
		steps := []struct {
			into    *[]float64
			floor   bool
			durable bool
			by      string
			runbook string
		}{
			{&slackFloor, true, false, "slack", ""},
			{&durable, false, true, "slack", "fanout"},
			{&inMemory, false, false, "slack", "fanout"},
			{&emailFloor, true, false, "email", ""},
			{&emailDurable, false, true, "email", "fanout-email"},
		}
		for i, st := range steps {
			var rate float64
			if st.floor {
				rate, err = f.floorRate(ctx, st.by)
			} else {
				var h, r float64
				rate, h, r, err = f.run(ctx, st.durable, st.by, st.runbook)
				if i == 1 {
					heap, rss = max(heap, h), max(rss, r)
				}
			}
			if err != nil {
				return nil, err
			}
			*st.into = append(*st.into, rate)
		}
		if f.Crier != "" {
			rate, peak, err := f.servedProcess(ctx)
			if err != nil {
				return nil, err
			}
			process, processRSS = append(process, rate), max(processRSS, peak)
		}
	}
	slackName := fmt.Sprintf("the Slack notifier alone, %d workers, same fake (median of %d)", f.Workers, f.Rounds)
	emailName := fmt.Sprintf("the email notifier alone, %d workers, same relay (median of %d)", f.Workers, f.Rounds)
	figs := []Figure{
		figure("fanout_slack_durable_rate", median(durable), "sends/s", slackName, median(slackFloor), ">= 0.6 of the floor"),
		figure("fanout_slack_in_memory_rate", median(inMemory), "sends/s", slackName, median(slackFloor), ">= 0.8 of the floor"),
		figure("fanout_email_durable_rate", median(emailDurable), "sends/s", emailName, median(emailFloor), ">= 0.6 of the floor"),
		figure("fanout_durable_peak_heap", heap, "MiB", "", 0, ""),
		figure("fanout_bench_process_peak_rss", rss, "MiB", "", 0, ""),
	}
	if f.Crier != "" {
		figs = append(figs,
			figure("fanout_serve_process_rate", median(process), "sends/s", slackName, median(slackFloor), ""),
			figure("fanout_serve_process_peak_rss", processRSS, "MiB", "", 0, "<= 64 MiB"))
	}
	return figs, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// Many measures activations of o.People each, started together on the
// durable path: their sends a second against one activation's alone in
// the same run (the per-delivery cost should not grow), the heap each
// delivery keeps, and activation to first delivery of a one-person
// runbook while they are under way, against the same with nothing else
// under way.
func Many(ctx context.Context, o FanoutOptions, activations int) ([]Figure, error) {
	f, err := newFanout(o)
	if err != nil {
		return nil, err
	}
	defer f.close()
	alone, _, _, err := f.run(ctx, true, "slack", "fanout")
	if err != nil {
		return nil, err
	}
	idle, _, err := f.probing(ctx, 0)
	if err != nil {
		return nil, err
	}
	loaded, many, err := f.probing(ctx, activations)
	if err != nil {
		return nil, err
	}
	total := float64(activations * f.People)
	name := fmt.Sprintf("%d activations of %d at once", activations, f.People)
	figs := []Figure{
		figure("many_rate", many.rate, "sends/s", "one activation alone, same run", alone, "same per-delivery cost"),
		figure("many_first_delivery_p99", ms(percentile(loaded, 99)), "ms", "the same with nothing else under way, p99", ms(percentile(idle, 99)), "<= 10 ms while "+name),
		figure("many_first_delivery_p50", ms(percentile(loaded, 50)), "ms", "the same with nothing else under way, p50", ms(percentile(idle, 50)), ""),
		figure("many_heap_kept_per_delivery", float64(many.kept)/total, "bytes", "", 0, "<= 1024 B"),
		figure("many_peak_heap_per_delivery", many.peakHeap*(1<<20)/total, "bytes", "", 0, ""),
	}
	if f.Crier == "" {
		return figs, nil
	}
	c, err := f.crashed(ctx, activations)
	if err != nil {
		return nil, fmt.Errorf("crier serve killed mid-fan-out: %w", err)
	}
	inFlight := fmt.Sprintf("what can be in flight: %d a worker", notifiers.InFlight)
	return append(figs,
		figure("crash_lost", float64(c.lost), "deliveries", "", 0, "0 of "+fmt.Sprint(c.total)+", crier serve killed after "+fmt.Sprint(c.atKill)+" posts"),
		figure("crash_duplicates_unmarked", float64(c.unmarked), "deliveries", "", 0, "0"),
		figure("crash_marked_possibly_duplicated", float64(c.marked), "deliveries", inFlight, float64(notifiers.InFlight*f.Workers), "<= in flight"),
		figure("crash_arrived_twice", float64(c.twice), "deliveries", "", 0, ""),
		figure("crash_restart_to_all_sent", c.finish.Seconds(), "s", "", 0, ""),
	), nil
}

// load is what activations under way came to.
type load struct {
	rate     float64 // their sends a second
	kept     int64   // the heap they left, collected
	peakHeap float64 // MiB
}

// probing serves the durable path, starts activations of the fan-out
// together, and meanwhile activates the probe runbook again and again,
// each time timing activation to its email reaching the relay (an email:
// Slack would pace the probes, one a second to one person); with no
// activations, forty probes on an idle path.
func (f *fanout) probing(ctx context.Context, activations int) ([]time.Duration, load, error) {
	p, remove, err := f.path(true, "slack")
	if err != nil {
		return nil, load{}, err
	}
	p.routes["email"] = notifiers.Route{Notifier: f.mailer}
	defer remove()
	s, err := serve(ctx, p, f.runbooks, f.Log)
	if err != nil {
		return nil, load{}, err
	}
	defer s.close()
	before := heapInUse()
	mem := watchMemory()
	done, unhook := sentAll(s.eng, "tell", activations)
	defer unhook()
	start := time.Now()
	errs := make(chan error, activations)
	for range activations {
		go func() { _, err := s.activate(ctx, "fanout"); errs <- err }()
	}
	var times []time.Duration
	for running := activations > 0; running || len(times) < 40 && activations == 0; {
		select {
		case <-f.relay.arrived: // a late probe's
		default:
		}
		at := time.Now()
		if _, err := s.activate(ctx, "probe"); err != nil {
			return nil, load{}, err
		}
		select {
		case got := <-f.relay.arrived:
			times = append(times, got.Sub(at))
		case <-time.After(30 * time.Second):
			return nil, load{}, fmt.Errorf("a probe's message did not arrive within 30s")
		}
		select {
		case <-done:
			running = false
		case <-time.After(20 * time.Millisecond):
		}
	}
	var l load
	if activations > 0 {
		l.rate = float64(activations*f.People) / time.Since(start).Seconds()
		for range activations {
			if err := <-errs; err != nil {
				return nil, load{}, err
			}
		}
	}
	l.peakHeap, _ = mem.peaks()
	l.kept = int64(heapInUse()) - int64(before)
	return times, l, nil
}

// probeRunbook emails the duty officer at activation.
func probeRunbook() []byte {
	return []byte("version: 1\nid: probe\ntitle: Probe\nstakeholders:\n  - {id: duty, name: Duty officer, email: " + probe + "}\n" +
		"channels:\n  - {id: log, type: log}\nsteps:\n  - {id: probe, title: Probe, at: 0s, notify: {to: [duty], subject: Probe, body: Probe}}\n")
}
