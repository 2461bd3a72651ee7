package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/notifiers/sms/notifytest"
)

const (
	service  = "26785a09-ab16-4eb0-8407-a37497a57506"
	secret   = "3d844edf-8d35-48ac-975b-e847b4f122b0"
	apiKey   = "crier_northbridge-" + service + "-" + secret
	template = "f33517ff-2a88-4f6e-b855-c550268ce08a"
)

var now = time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)

func fake() *notifytest.Server {
	return &notifytest.Server{ServiceID: service, Secret: secret, TemplateID: template, Now: func() time.Time { return now }}
}

// over serves f over HTTP and gives a notifier for it with key.
func over(t *testing.T, f *notifytest.Server, key string) *sms.Notifier {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &sms.Notifier{Client: srv.Client(), APIKey: key, TemplateID: template, BaseURL: srv.URL, Now: func() time.Time { return now }}
}

func text(delivery, to, body string) notifiers.Message {
	return notifiers.Message{Delivery: delivery, Type: "sms", Target: to, Subject: "Northbridge flood alert", Body: body}
}

const floodBody = "Flood warning for the River Wend. Sandbags at the depot."

func TestSendsThroughNotify(t *testing.T) {
	f := fake()
	ref, retry, err := over(t, f, apiKey).NotifyRef(context.Background(), text("a-000002/flood-wardens-text/1/r1/004", "+447700900123", floodBody))
	if err != nil || retry {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	got := f.Sent()
	if len(got) != 1 {
		t.Fatalf("Notify has %d texts", len(got))
	}
	if ref != got[0].ID || ref == "" {
		t.Errorf("ref %q, Notify's id %q", ref, got[0].ID)
	}
	if got[0].PhoneNumber != "+447700900123" || got[0].Reference != "a-000002/flood-wardens-text/1/r1/004" ||
		got[0].Body != "Northbridge flood alert\n\n"+floodBody {
		t.Errorf("text %+v", got[0])
	}
	// Notify as a plain Notifier sends the same way.
	if retry, err := over(t, f, apiKey).Notify(context.Background(), text("d2", "+447700900124", floodBody)); err != nil || retry {
		t.Errorf("Notify: retry %v, err %v", retry, err)
	}
}

func TestNotifyErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(f *notifytest.Server)
		key      string
		body     string
		clock    time.Duration // how far crier's clock is from Notify's
		first    bool          // a text goes first, and is accepted
		retry    bool
		reason   string
		requests int // sends Notify saw
	}{
		{name: "bad number", setup: func(f *notifytest.Server) {
			f.FailNext(400, "ValidationError", "phone_number Not a UK mobile number")
		}, retry: false, reason: "Not a UK mobile number", requests: 1},
		{name: "per-minute limit", setup: func(f *notifytest.Server) {
			f.RateLimit = 1
		}, first: true, retry: true, reason: "RateLimitError: Exceeded rate limit for key type LIVE of 1 requests per 60 seconds", requests: 2},
		{name: "daily limit", setup: func(f *notifytest.Server) {
			f.DailyLimit = 1
		}, first: true, retry: false, reason: "sent all the texts it may today (TooManyRequestsError: Exceeded send limits (sms: 1) for today)", requests: 2},
		{name: "Notify down", setup: func(f *notifytest.Server) {
			f.FailNext(500, "Exception", "Internal server error")
		}, retry: true, reason: "Internal server error", requests: 1},
		{name: "wrong key", key: "crier_northbridge-" + service + "-00000000-0000-0000-0000-000000000000",
			retry: false, reason: "AuthError: Invalid token: API key not found"},
		{name: "clock wrong", clock: 31 * time.Second, retry: false, reason: "accurate to within 30 seconds"},
		{name: "too long", body: strings.Repeat("x", 1030-len("Northbridge flood alert\n\n")),
			retry: false, reason: "sms: text is 1,030 characters; GOV.UK Notify takes at most 918", requests: 0},
	} {
		f := fake()
		if tc.setup != nil {
			tc.setup(f)
		}
		n := over(t, f, cmpOr(tc.key, apiKey))
		n.Now = func() time.Time { return now.Add(tc.clock) }
		if tc.first {
			if _, err := n.Notify(context.Background(), text("d0", "+447700900123", floodBody)); err != nil {
				t.Fatalf("%s: the first text: %v", tc.name, err)
			}
		}
		_, retry, err := n.NotifyRef(context.Background(), text("d1", "+447700900123", cmpOr(tc.body, floodBody)))
		if err == nil || retry != tc.retry || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: retry %v, err %v", tc.name, retry, err)
		}
		if got := f.Requests(); got != tc.requests {
			t.Errorf("%s: Notify saw %d sends, want %d", tc.name, got, tc.requests)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret", tc.name)
		}
	}
	if _, err := (&sms.Notifier{APIKey: "short", Now: time.Now}).Notify(context.Background(), notifiers.Message{}); err == nil {
		t.Error("a malformed key was accepted")
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestDailyLimitError: a caller can tell the daily limit from other
// failures.
func TestDailyLimitError(t *testing.T) {
	f := fake()
	f.DailyLimit = 1
	n := over(t, f, apiKey)
	if _, _, err := n.NotifyRef(context.Background(), text("d1", "+447700900123", floodBody)); err != nil {
		t.Fatal(err)
	}
	_, _, err := n.NotifyRef(context.Background(), text("d2", "+447700900123", floodBody))
	if !errors.Is(err, sms.ErrDailyLimit) {
		t.Errorf("err %v, want ErrDailyLimit", err)
	}
	_, _, err = n.NotifyRef(context.Background(), text("d3", "+447700900123", strings.Repeat("x", 894)))
	var long *sms.TooLongError
	if !errors.As(err, &long) || long.Chars != 919 {
		t.Errorf("err %v, want a TooLongError of 919", err)
	}
}

var _ http.Handler = (*notifytest.Server)(nil)
