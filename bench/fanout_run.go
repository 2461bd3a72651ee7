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
		"fanout.yaml":       {Data: people("fanout", o.People, "slack")},
		"fanout-email.yaml": {Data: people("fanout-email", o.People, "email")},
		"probe.yaml":        {Data: people("probe", 1, "slack")},
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
	var slackFloor, durable, inMemory, emailFloor, emailDurable []float64
	var heap, rss float64
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
	}
	slackName := fmt.Sprintf("the Slack notifier alone, %d workers, same fake (median of %d)", f.Workers, f.Rounds)
	emailName := fmt.Sprintf("the email notifier alone, %d workers, same relay (median of %d)", f.Workers, f.Rounds)
	return []Figure{
		figure("fanout_slack_durable_rate", median(durable), "sends/s", slackName, median(slackFloor), ">= 0.6 of the floor"),
		figure("fanout_slack_in_memory_rate", median(inMemory), "sends/s", slackName, median(slackFloor), ">= 0.8 of the floor"),
		figure("fanout_email_durable_rate", median(emailDurable), "sends/s", emailName, median(emailFloor), ">= 0.6 of the floor"),
		figure("fanout_durable_peak_heap", heap, "MiB", "", 0, ""),
		figure("fanout_durable_peak_rss", rss, "MiB", "", 0, "<= 64 MiB"),
	}, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
