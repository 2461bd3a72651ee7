package sms_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/notifiers/sms/notifytest"
)

// outcomes is a Recorder that keeps the outcomes by delivery.
type outcomes struct {
	mu sync.Mutex
	by map[string]notifiers.Outcome
}

func (o *outcomes) Attempting(_ context.Context, ms []notifiers.Message) ([]notifiers.Message, error) {
	return ms, nil
}

func (o *outcomes) Finished(_ context.Context, os []notifiers.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, x := range os {
		o.by[x.Message.Delivery] = x
	}
}

// dispatch sends ms through the dispatcher to f, reached in memory inside
// the caller's synctest bubble, and returns the outcomes by delivery.
func dispatch(t *testing.T, f *notifytest.Server, ms ...notifiers.Message) map[string]notifiers.Outcome {
	t.Helper()
	n := &sms.Notifier{Client: f.Client(), APIKey: apiKey, TemplateID: template, BaseURL: sms.DefaultBaseURL, Now: time.Now}
	rec := &outcomes{by: map[string]notifiers.Outcome{}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	d := notifiers.NewDispatcher(notifiers.DispatchOptions{Routes: map[string]notifiers.Route{"sms": {Notifier: n}}}, rec)
	go d.Run(ctx)
	d.Submit(ms...)
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return rec.by
}

func texts(n int) []notifiers.Message {
	var ms []notifiers.Message
	for i := range n {
		ms = append(ms, text(fmt.Sprintf("a-000002/flood-wardens-text/1/r1/%03d", i), fmt.Sprintf("+4477009001%02d", i), floodBody))
	}
	return ms
}

// sentAs checks that o was sent and carries Notify's id for it.
func sentAs(t *testing.T, f *notifytest.Server, o notifiers.Outcome) {
	t.Helper()
	for _, x := range f.Sent() {
		if x.Reference == o.Message.Delivery {
			if o.Err != nil || o.Ref != x.ID {
				t.Errorf("%s: err %v, ref %q; want sent as %q", o.Message.Delivery, o.Err, o.Ref, x.ID)
			}
			return
		}
	}
	t.Errorf("%s never reached Notify (err %v)", o.Message.Delivery, o.Err)
}

// A text too long for Notify fails at its first attempt, saying how long
// it is, and Notify never hears of it.
func TestTooLongNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &notifytest.Server{ServiceID: service, Secret: secret, TemplateID: template}
		long := text("long", "+447700900123", strings.Repeat("x", 1030-len("Northbridge flood alert\n\n")))
		o := dispatch(t, f, long)["long"]
		if o.Err == nil || o.Attempts != 1 || o.Ref != "" ||
			!strings.Contains(o.Err.Error(), "text is 1,030 characters; GOV.UK Notify takes at most 918") {
			t.Errorf("outcome %+v", o)
		}
		if f.Requests() != 0 {
			t.Errorf("Notify was asked %d times", f.Requests())
		}
	})
}

// Past the service's daily limit a text fails after one request, for that
// reason, instead of being retried all day.
func TestDailyLimitNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &notifytest.Server{ServiceID: service, Secret: secret, TemplateID: template, DailyLimit: 1}
		got := dispatch(t, f, texts(2)...)
		var sent, failed []notifiers.Outcome
		for _, o := range got {
			if o.Err == nil {
				sent = append(sent, o)
			} else {
				failed = append(failed, o)
			}
		}
		if len(sent) != 1 || len(failed) != 1 {
			t.Fatalf("%d sent, %d failed; want one of each", len(sent), len(failed))
		}
		sentAs(t, f, sent[0])
		if o := failed[0]; o.Attempts != 1 || !errors.Is(o.Err, sms.ErrDailyLimit) ||
			!strings.Contains(o.Err.Error(), "Exceeded send limits (sms: 1) for today") {
			t.Errorf("failed: %d attempts, %v", o.Attempts, o.Err)
		}
		if f.Requests() != 2 {
			t.Errorf("Notify was asked %d times, want 2", f.Requests())
		}
	})
}

// Notify's per-minute limit only delays a text: it is tried again until
// the minute allows it.
func TestRateLimitRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &notifytest.Server{ServiceID: service, Secret: secret, TemplateID: template, RateLimit: 1}
		start := time.Now()
		got := dispatch(t, f, texts(2)...)
		retried := 0
		for _, o := range got {
			sentAs(t, f, o)
			if o.Attempts > 1 {
				retried++
			}
		}
		if len(got) != 2 || retried != 1 {
			t.Errorf("%d outcomes, %d retried; want 2, 1", len(got), retried)
		}
		if took := time.Since(start); took < time.Minute {
			t.Errorf("both sent within %s, inside Notify's minute", took)
		}
	})
}
