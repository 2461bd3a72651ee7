package notifiers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// ledger is a Recorder that keeps what it hears.
type ledger struct {
	write    time.Duration // how long recording attempts takes, as a disk would
	mu       sync.Mutex
	attempts map[string]int
	outcomes map[string]Outcome
	refuse   map[string]bool // deliveries the record no longer lets go
	finishes int             // records of outcomes written
}

func newLedger() *ledger {
	return &ledger{attempts: map[string]int{}, outcomes: map[string]Outcome{}, refuse: map[string]bool{}}
}

func (l *ledger) Attempting(_ context.Context, ms []Message) ([]Message, error) {
	time.Sleep(l.write)
	l.mu.Lock()
	defer l.mu.Unlock()
	var ok []Message
	for _, m := range ms {
		if !l.refuse[m.Delivery] {
			l.attempts[m.Delivery]++
			ok = append(ok, m)
		}
	}
	return ok, nil
}

func (l *ledger) Finished(_ context.Context, os []Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.finishes++
	for _, o := range os {
		if _, dup := l.outcomes[o.Message.Delivery]; dup {
			panic("two outcomes for " + o.Message.Delivery)
		}
		l.outcomes[o.Message.Delivery] = o
	}
}

// service is a fake notifier: it keeps when each message reached it and
// answers with what answer says.
type service struct {
	mu       sync.Mutex
	sent     []sent
	calls    map[string]int
	answer   func(m Message, call int) (bool, error)
	busy     int // sends under way now
	mostBusy int
	hold     time.Duration            // how long each send takes
	holdTo   map[string]time.Duration // or to one target
}

type sent struct {
	at time.Time
	m  Message
}

func (s *service) Notify(ctx context.Context, m Message) (bool, error) {
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[m.Delivery]++
	call := s.calls[m.Delivery]
	s.busy++
	s.mostBusy = max(s.mostBusy, s.busy)
	s.mu.Unlock()
	if h := max(s.hold, s.holdTo[m.Target]); h > 0 {
		time.Sleep(h)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy--
	if s.answer != nil {
		if retry, err := s.answer(m, call); err != nil {
			return retry, err
		}
	}
	s.sent = append(s.sent, sent{at: time.Now(), m: m})
	return false, nil
}

func (s *service) times(target string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, x := range s.sent {
		if x.m.Target == target {
			out = append(out, x.at)
		}
	}
	return out
}

func messages(typ, target string, n int) []Message {
	out := make([]Message, n)
	for i := range out {
		out[i] = Message{Delivery: fmt.Sprintf("%s/%s/%03d", typ, strings.TrimPrefix(target, "#"), i), Type: typ, Target: target, Body: "b"}
	}
	return out
}

// emails is a fan-out: n emails of one activation, each to a person of
// their own.
func emails(activation string, n int) []Message {
	out := make([]Message, n)
	for i := range out {
		out[i] = Message{Delivery: fmt.Sprintf("%s/%04d", activation, i), Activation: activation, Type: "email", Target: fmt.Sprintf("p%d@example.org", i)}
	}
	return out
}

// dispatch runs a dispatcher in a synctest bubble, submits ms, waits for
// all of it to finish and returns when it did, in the bubble's time.
func dispatch(t *testing.T, opts DispatchOptions, rec Recorder, ms ...Message) time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	d := NewDispatcher(opts, rec)
	go d.Run(ctx)
	start := time.Now()
	d.Submit(ms...)
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// Each Slack channel gets a message a second, in order, and channels do
// not wait for each other; the workspace cap holds over all of them.
func TestPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{}
		rec := newLedger()
		ms := append(messages("slack", "#a", 10), messages("slack", "#b", 10)...)
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{
			"slack": {Notifier: s, PerTarget: Limit{Rate: 1, Burst: 1}, Overall: Limit{Rate: 4, Burst: 1}},
		}}, rec, ms...)
		for _, ch := range []string{"#a", "#b"} {
			at := s.times(ch)
			if len(at) != 10 {
				t.Fatalf("%s: %d sent, want 10", ch, len(at))
			}
			for i := 1; i < len(at); i++ {
				if gap := at[i].Sub(at[i-1]); gap < time.Second {
					t.Errorf("%s: messages %d and %d %s apart, faster than 1/s", ch, i-1, i, gap)
				}
			}
		}
		// Both channels at once: about 9s, not the 19s of one after the other.
		if took > 10*time.Second {
			t.Errorf("20 messages to two channels took %s", took)
		}
		var order []string
		for _, x := range s.sent {
			if x.m.Target == "#a" {
				order = append(order, x.m.Delivery)
			}
		}
		if !slices.IsSorted(order) {
			t.Errorf("#a out of order: %v", order)
		}
	})
}

// A relay allowing 30 messages a minute is never asked for more in any
// minute, and is kept busy.
func TestRelayLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{}
		ms := messages("email", "x@example.org", 120)
		for i := range ms {
			ms[i].Target = fmt.Sprintf("p%03d@example.org", i)
		}
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{"email": {Notifier: s, Overall: PerMinute(30)}}}, newLedger(), ms...)
		var at []time.Time
		for _, x := range s.sent {
			at = append(at, x.at)
		}
		most := 0
		for i := range at {
			n := 0
			for k := i; k < len(at) && at[k].Sub(at[i]) < time.Minute; k++ {
				n++
			}
			most = max(most, n)
		}
		if most > 30 {
			t.Errorf("%d messages in one minute, limit 30", most)
		}
		used := float64(len(at)-1) / took.Minutes() / 30
		t.Logf("relay limit 30/min: busiest minute %d messages; %.1f%% of the limit used over %s", most, 100*used, took)
		if used < 0.9 {
			t.Errorf("used %.0f%% of the relay's limit", 100*used)
		}
	})
}

// A Retry-After is waited out on that channel only; a permanent failure
// fails that message only; the others go at once.
func TestRetryAfterAndPermanentFailuresStayPut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := &service{answer: func(m Message, call int) (bool, error) {
			switch {
			case m.Target == "#limited" && call == 1:
				return true, &RetryAfterError{After: 30 * time.Second, Err: errors.New("slack: rate limited")}
			case m.Target == "#archived":
				return false, errors.New("slack: is_archived")
			}
			return false, nil
		}}
		rec := newLedger()
		ms := slices.Concat(messages("slack", "#limited", 2), messages("slack", "#archived", 1), messages("slack", "#ok", 3))
		dispatch(t, DispatchOptions{Routes: map[string]Route{"slack": {Notifier: s, PerTarget: Limit{Rate: 10, Burst: 1}}}}, rec, ms...)
		limited := s.times("#limited")
		if len(limited) != 2 || limited[0].Sub(start) < 30*time.Second {
			t.Errorf("#limited sent at %v, want both, the first after 30s", limited)
		}
		if ok := s.times("#ok"); len(ok) != 3 || ok[2].Sub(start) > time.Second {
			t.Errorf("#ok sent at %v, want all three within a second", ok)
		}
		o := rec.outcomes["slack/archived/000"]
		if o.Err == nil || !strings.Contains(o.Err.Error(), "is_archived") || o.Attempts != 1 {
			t.Errorf("archived outcome: %+v", o)
		}
		if len(rec.outcomes) != 6 || rec.attempts["slack/limited/000"] != 2 {
			t.Errorf("outcomes %d, attempts %v", len(rec.outcomes), rec.attempts)
		}
	})
}

// A delivery that keeps failing is retried with growing waits until its
// deadline, then failed and reported with its last error.
func TestDeadLetter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{answer: func(m Message, _ int) (bool, error) {
			if m.Target == "https://down.example" {
				return true, errors.New("webhook: the service answered 503 Service Unavailable")
			}
			return false, nil
		}}
		rec := newLedger()
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{"webhook": {Notifier: s}}, Deadline: 10 * time.Minute},
			rec, slices.Concat(messages("webhook", "https://down.example", 1), messages("webhook", "https://up.example", 1))...)
		o := rec.outcomes["webhook/https://down.example/000"]
		if o.Err == nil || !strings.Contains(o.Err.Error(), "not delivered within 10m0s: ") || !strings.Contains(o.Err.Error(), "503") {
			t.Fatalf("outcome: %+v", o)
		}
		// 1s doubling, jittered: about 9 tries in 10 minutes.
		if o.Attempts < 6 || o.Attempts > 12 || took > 11*time.Minute {
			t.Errorf("%d attempts over %s", o.Attempts, took)
		}
		if up := rec.outcomes["webhook/https://up.example/000"]; up.Err != nil || up.Attempts != 1 {
			t.Errorf("the other webhook: %+v", up)
		}
	})
}

// batcher is a fake Batcher: everything shares one key, three at a time;
// it answers per message.
type batcher struct {
	service
	batches [][]string
}

func (b *batcher) BatchKey(m Message) string { return m.Subject }
func (b *batcher) MaxBatch() int             { return 3 }
func (b *batcher) NotifyBatch(ctx context.Context, ms []Message) []Result {
	var ids []string
	out := make([]Result, len(ms))
	for i, m := range ms {
		ids = append(ids, m.Target)
		out[i].Retry, out[i].Err = b.Notify(ctx, m)
	}
	b.mu.Lock()
	b.batches = append(b.batches, ids)
	b.mu.Unlock()
	return out
}

// Identical content goes in batches; one recipient's temporary failure
// is retried alone; a message the record stopped is not sent.
func TestBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &batcher{}
		b.answer = func(m Message, call int) (bool, error) {
			if m.Target == "e" && call == 1 {
				return true, errors.New("451 try later")
			}
			return false, nil
		}
		ms := make([]Message, 7)
		for i := range ms {
			ms[i] = Message{Delivery: fmt.Sprint(i), Type: "email", Target: string(rune('a' + i)), Subject: "same"}
		}
		rec := newLedger()
		rec.refuse["6"] = true
		dispatch(t, DispatchOptions{Routes: map[string]Route{"email": {Notifier: b}}, Workers: 1}, rec, ms...)
		// Which batch goes first is not promised: the activation's first
		// job is recorded by an attempter of its own.
		slices.SortFunc(b.batches, func(x, y []string) int { return strings.Compare(x[0], y[0]) })
		got := fmt.Sprint(b.batches)
		if got != "[[a b c] [d e f]]" || b.calls["4"] != 2 {
			t.Errorf("batches %s", got)
		}
		if len(rec.outcomes) != 6 || rec.outcomes["4"].Err != nil || rec.outcomes["4"].Attempts != 2 {
			t.Errorf("outcomes: %v", rec.outcomes)
		}
	})
}

// No more sends are under way at once than there are workers; a type
// with no notifier fails at once.
func TestWorkersAndUnknownTypes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{hold: time.Second}
		rec := newLedger()
		var ms []Message
		for i := range 40 {
			ms = append(ms, messages("teams", fmt.Sprintf("https://t%d.example", i), 1)...)
		}
		ms = append(ms, Message{Delivery: "sms/1", Type: "sms", Target: "+447700900123"})
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{"teams": {Notifier: s}}, Workers: 4}, rec, ms...)
		// Ten rounds of four, and the last round's outcomes recorded with
		// those of the round before when it came within finishEvery.
		if s.mostBusy != 4 || took < 10*time.Second || took > 10*time.Second+finishEvery {
			t.Errorf("%d sends at once at most, all done in %s; want 4 and 10s", s.mostBusy, took)
		}
		if o := rec.outcomes["sms/1"]; o.Err == nil || !strings.Contains(o.Err.Error(), "no notifier is configured for sms") {
			t.Errorf("sms outcome: %+v", o)
		}
	})
}

// A destination's messages go in the order they came, even when one
// arrives while every worker is busy and another is waiting its turn.
func TestOrderPerDestinationWithWorkersBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{holdTo: map[string]time.Duration{"#k": 2 * time.Second, "#l": 3 * time.Second}}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		d := NewDispatcher(DispatchOptions{Routes: map[string]Route{"slack": {Notifier: s, PerTarget: Limit{Rate: 100, Burst: 1}}}, Workers: 2}, newLedger())
		go d.Run(ctx)
		k := messages("slack", "#k", 3)
		d.Submit(k[0], k[1], messages("slack", "#l", 1)[0])
		time.Sleep(time.Second) // both workers busy, k[1] waiting its turn
		d.Submit(k[2])
		if err := d.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, x := range s.sent {
			if x.m.Target == "#k" {
				order = append(order, x.m.Delivery)
			}
		}
		if want := []string{k[0].Delivery, k[1].Delivery, k[2].Delivery}; !slices.Equal(order, want) {
			t.Errorf("#k got %v, want %v", order, want)
		}
	})
}

// A new activation's message is not queued behind another's fan-out: it
// goes as soon as the jobs already released have gone.
func TestActivationsTakeTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{hold: 10 * time.Millisecond}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		d := NewDispatcher(DispatchOptions{Routes: map[string]Route{"email": {Notifier: s}}, Workers: 2}, newLedger())
		go d.Run(ctx)
		d.Submit(emails("a-000001", 2000)...)
		time.Sleep(time.Second) // about 200 of the fan-out sent
		d.Submit(Message{Delivery: "a-000002/0", Activation: "a-000002", Type: "email", Target: "duty@example.org"})
		if err := d.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		at := -1
		for i, x := range s.sent {
			if x.m.Activation == "a-000002" {
				at = i
			}
		}
		// Already with the workers or recorded as attempted when it came:
		// the jobs released before it, at most the window of jobs in flight.
		before := 0
		for _, x := range s.sent[:max(at, 0)] {
			if x.at.After(s.sent[0].at.Add(time.Second)) {
				before++
			}
		}
		if at < 0 || before > InFlight*2 {
			t.Errorf("the new activation's message went %d sends after it came (at %d of %d)", before, at, len(s.sent))
		}
	})
}

// A new activation's first message is recorded and sent as soon as it
// comes, not after the attempts of a fan-out's jobs are written: it has an
// attempter of its own.
func TestANewActivationIsNotRecordedBehindAFanOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{hold: time.Millisecond}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		record := newLedger()
		record.write = 20 * time.Millisecond
		d := NewDispatcher(DispatchOptions{Routes: map[string]Route{"email": {Notifier: s}}, Workers: 4}, record)
		go d.Run(ctx)
		// One record written, and the send: not two, nor a queue of them.
		m := Message{Delivery: "a-000009/0", Activation: "a-000009", Type: "email", Target: "duty@example.org"}
		if took := sentDuringFanOuts(t, ctx, d, s, m); took > record.write+5*time.Millisecond {
			t.Errorf("the new activation's message was sent %s after it came", took)
		}
	})
}

// sentDuringFanOuts submits three activations' fan-outs of 4,000 emails
// in all, then, half a second on, m: how long after it came m was sent.
func sentDuringFanOuts(t *testing.T, ctx context.Context, d *Dispatcher, s *service, m Message) time.Duration {
	t.Helper()
	var fanOuts []Message
	for i := range 4000 {
		a := fmt.Sprintf("a-%06d", 1+i%3)
		fanOuts = append(fanOuts, Message{Delivery: fmt.Sprintf("%s/%04d", a, i), Activation: a, Type: "email", Target: fmt.Sprintf("p%d@example.org", i)})
	}
	d.Submit(fanOuts...)
	time.Sleep(500 * time.Millisecond)
	came := time.Now()
	d.Submit(m)
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, x := range s.sent {
		if x.m.Delivery == m.Delivery {
			return x.at.Sub(came)
		}
	}
	t.Fatalf("%s was never sent", m.Delivery)
	return 0
}

// Under a fan-out the outcomes are recorded together, a record every
// finishEvery (or every finishMost jobs a worker) at most, not one for
// each moment a send finishes; the outcome of a lone send is recorded as
// soon as it is sent, and sends one after another, as a drill's steps go,
// are not held for the fan-out's wait.
func TestOutcomesAreRecordedTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newLedger()
		ms := emails("a-000001", 4000)
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{"email": {Notifier: &service{hold: time.Millisecond}}}, Workers: 8}, rec, ms...)
		if most := int(took/finishEvery) + len(ms)/(finishMost*8) + 2; rec.finishes > most || len(rec.outcomes) != len(ms) {
			t.Errorf("%d outcomes in %d records over %s; want at most %d records", len(rec.outcomes), rec.finishes, took, most)
		}
		time.Sleep(time.Second)
		alone := newLedger()
		if took := dispatch(t, DispatchOptions{Routes: map[string]Route{"email": {Notifier: &service{hold: time.Millisecond}}}}, alone,
			Message{Delivery: "x", Activation: "a-000002", Type: "email", Target: "duty@example.org"}); took != time.Millisecond {
			t.Errorf("a lone send was recorded %s after it went; want with its send, 1ms", took)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		d := NewDispatcher(DispatchOptions{Routes: map[string]Route{"email": {Notifier: &service{hold: time.Millisecond}}}}, newLedger())
		go d.Run(ctx)
		start := time.Now()
		for i := range 10 {
			d.Submit(Message{Delivery: fmt.Sprint("step", i), Activation: "a-000003", Type: "email", Target: "duty@example.org"})
			if err := d.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took > 10*(time.Millisecond+finishSpacing) {
			t.Errorf("ten sends one after another were recorded in %s; want each within %s of its send", took, finishSpacing)
		}
	})
}

// A fan-out of quick sends is not held up by the wait for its outcomes'
// record: the record starts early once enough are waiting on it, so the
// jobs in flight never fill the window.
func TestQuickSendsAreNotHeldByTheRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := emails("a-000001", 20000)
		rec := newLedger()
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{"email": {Notifier: &service{hold: 100 * time.Microsecond}}}, Workers: 16}, rec, ms...)
		if sending := time.Duration(len(ms)/16) * 100 * time.Microsecond; took > 2*sending || len(rec.outcomes) != len(ms) {
			t.Errorf("20,000 sends of 100µs by 16 workers took %s (%d recorded); the sends alone take %s", took, len(rec.outcomes), sending)
		}
	})
}

// An activation whose sends were paced (put back until their destination
// allowed them) and which then fell quiet is quiet: its next message is
// its first again, recorded and sent as soon as it comes.
func TestAPacedActivationGoesFirstOnceQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &service{hold: time.Millisecond}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		record := newLedger()
		record.write = 20 * time.Millisecond
		d := NewDispatcher(DispatchOptions{Routes: map[string]Route{
			"email": {Notifier: s},
			"sms":   {Notifier: s, PerTarget: Limit{Rate: 1, Burst: 1}},
		}, Workers: 4}, record)
		go d.Run(ctx)
		d.Submit(Message{Delivery: "a-000009/t1", Activation: "a-000009", Type: "sms", Target: "+447700900123"},
			Message{Delivery: "a-000009/t2", Activation: "a-000009", Type: "sms", Target: "+447700900123"})
		if err := d.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute)
		m := Message{Delivery: "a-000009/e1", Activation: "a-000009", Type: "email", Target: "duty@example.org"}
		if took := sentDuringFanOuts(t, ctx, d, s, m); took > record.write+5*time.Millisecond {
			t.Errorf("the quiet activation's message was sent %s after it came", took)
		}
	})
}

// A paced route's sends, each alone in flight, are still recorded a few
// together: a record every finishSpacing at most.
func TestPacedOutcomesAreRecordedTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := emails("a-000001", 2000)
		rec := newLedger()
		took := dispatch(t, DispatchOptions{Routes: map[string]Route{"email": {Notifier: &service{hold: time.Millisecond}, Overall: Limit{Rate: 500, Burst: 1}}}}, rec, ms...)
		if most := int(took/finishSpacing) + 2; rec.finishes > most || len(rec.outcomes) != len(ms) {
			t.Errorf("%d outcomes in %d records over %s; want at most %d records", len(rec.outcomes), rec.finishes, took, most)
		}
	})
}
