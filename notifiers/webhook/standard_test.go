package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// verifyStandard checks a request as the Standard Webhooks specification
// tells a receiver to, written from the specification's text rather than
// from SignStandard: the key is the secret without its whsec_ prefix,
// base64-decoded; the signed content is the webhook-id, the
// webhook-timestamp and the body joined by full stops; webhook-signature
// is a space-separated list of "v1," and a base64 HMAC-SHA256, any of
// which may match, compared in constant time; the timestamp must be
// within five minutes of now.
func verifyStandard(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, timestamp, signatures := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || timestamp == "" || signatures == "" {
		return errors.New("missing required headers")
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("invalid timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp out of tolerance")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Split(signatures, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching signature found")
}

// flood is the message the partner is sent.
var flood = notifiers.Message{
	Delivery:   "a-000017/alert-partners/1/r1/003",
	Activation: "a-000017",
	Runbook:    "flood-warning",
	Step:       "alert-partners",
	Type:       "webhook",
	Target:     "${PARTNER_HOOK}",
	Subject:    "Flood warning: River Wend",
	Body:       "The River Wend is expected to flood tonight.",
}

// A receiver with an off-the-shelf Standard Webhooks library and the
// secret docs/webhooks.md tells it to use accepts crier's requests, and
// refuses a changed body or another secret; crier's own signature is still
// there, unchanged, for existing receivers.
func TestStandardWebhooksSignature(t *testing.T) {
	standard := "whsec_" + base64.StdEncoding.EncodeToString([]byte("northbridge-lrf-partner-key-2026"))
	for _, tc := range []struct {
		name       string
		configured string // crier's notifiers.webhook.signing_secret
		receiver   string // what the receiver gives its library
	}{
		{"a secret in the Standard Webhooks form", standard, standard},
		{"any other secret", "4f1c0e9d2b7a6c5e8f3d1a0b9c8e7f6a", "whsec_" + base64.StdEncoding.EncodeToString([]byte("4f1c0e9d2b7a6c5e8f3d1a0b9c8e7f6a"))},
		{"whsec_ and base64 without padding", strings.TrimRight(standard, "="), standard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rx := &receiver{secret: []byte(tc.configured), status: http.StatusOK}
			srv := httptest.NewServer(rx)
			defer srv.Close()
			n := notifier(tc.configured, map[string]string{"PARTNER_HOOK": srv.URL})
			if retry, err := n.Notify(context.Background(), flood); err != nil {
				t.Fatalf("retry %v, err %v", retry, err)
			}
			reqs := rx.Requests()
			if len(reqs) != 1 || len(rx.bad) > 0 {
				t.Fatalf("%d requests; the X-Crier signature: %v", len(reqs), rx.bad)
			}
			req := reqs[0]
			if err := verifyStandard(tc.receiver, req.header, req.body, now); err != nil {
				t.Errorf("the receiver refused the request: %v\n%v", err, req.header)
			}
			stamp := strconv.FormatInt(now.Unix(), 10)
			if id, ts := req.header.Get("webhook-id"), req.header.Get("webhook-timestamp"); id != flood.Delivery || ts != stamp || req.header.Get(HeaderTimestamp) != stamp {
				t.Errorf("webhook-id %q, webhook-timestamp %q, X-Crier-Timestamp %q: want the delivery id and %s", id, ts, req.header.Get(HeaderTimestamp), stamp)
			}

			tampered := []byte(strings.Replace(string(req.body), "tonight", "next week", 1))
			if err := verifyStandard(tc.receiver, req.header, tampered, now); err == nil {
				t.Error("a tampered body was accepted")
			}
			wrong := "whsec_" + base64.StdEncoding.EncodeToString([]byte("someone-else-entirely-2026"))
			if err := verifyStandard(wrong, req.header, req.body, now); err == nil {
				t.Error("a request was accepted with the wrong secret")
			}
			if err := verifyStandard(tc.receiver, req.header, req.body, now.Add(6*time.Minute)); err == nil {
				t.Error("a request was accepted six minutes after it was signed")
			}
		})
	}
}

// A retry is signed afresh, at its own time, under the same webhook-id, so
// a receiver can tell it has the delivery already.
func TestRetryKeepsWebhookID(t *testing.T) {
	rx := &receiver{secret: []byte("s3cret"), status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rx)
	defer srv.Close()
	clock := now
	n := notifier("s3cret", map[string]string{"PARTNER_HOOK": srv.URL})
	n.Now = func() time.Time { return clock }
	if retry, err := n.Notify(context.Background(), flood); err == nil || !retry {
		t.Fatalf("503: retry %v, err %v; want a temporary failure", retry, err)
	}
	clock = now.Add(30 * time.Second)
	rx.mu.Lock()
	rx.status = http.StatusOK
	rx.mu.Unlock()
	if retry, err := n.Notify(context.Background(), flood); err != nil {
		t.Fatalf("the retry: retry %v, err %v", retry, err)
	}
	reqs := rx.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	first, second := reqs[0].header, reqs[1].header
	if first.Get("webhook-id") != flood.Delivery || second.Get("webhook-id") != first.Get("webhook-id") {
		t.Errorf("webhook-id %q, then %q on the retry: want %q both times", first.Get("webhook-id"), second.Get("webhook-id"), flood.Delivery)
	}
	if want := strconv.FormatInt(clock.Unix(), 10); second.Get("webhook-timestamp") != want {
		t.Errorf("the retry's webhook-timestamp %q, want %s", second.Get("webhook-timestamp"), want)
	}
	key := "whsec_" + base64.StdEncoding.EncodeToString([]byte("s3cret"))
	if err := verifyStandard(key, second, reqs[1].body, clock); err != nil {
		t.Errorf("the retry: %v", err)
	}
}

// The signature Standard Webhooks' own libraries test against.
func TestSignStandardMatchesTheLibraries(t *testing.T) {
	key, err := StandardKey([]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
	if err != nil {
		t.Fatal(err)
	}
	got := SignStandard(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// A whsec_ secret that is not base64 is refused before anything is sent,
// with an error that does not show it.
func TestMalformedStandardSecret(t *testing.T) {
	rx := &receiver{secret: []byte("x"), status: http.StatusOK}
	srv := httptest.NewServer(rx)
	defer srv.Close()
	secret := "whsec_not-base64-at-all!"
	retry, err := notifier(secret, map[string]string{"PARTNER_HOOK": srv.URL}).Notify(context.Background(), flood)
	if err == nil || retry || !strings.Contains(err.Error(), "not a key in base64") {
		t.Fatalf("retry %v, err %v; want a permanent failure saying the secret is not base64", retry, err)
	}
	if strings.Contains(err.Error(), "not-base64-at-all") {
		t.Errorf("the error shows the secret: %v", err)
	}
	if len(rx.Requests()) != 0 {
		t.Error("a request was sent")
	}
}
