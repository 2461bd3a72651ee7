package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

var now = time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)

// receiver is a partner's endpoint that checks requests the way
// docs/webhooks.md tells receivers to, written independently of Sign. It
// keeps each request as it arrived.
type receiver struct {
	secret []byte
	header http.Header

	mu       sync.Mutex
	status   int
	got      []Payload
	bad      []string
	requests []request
}

// request is a request as the receiver got it.
type request struct {
	header http.Header
	body   []byte
}

// Requests are the requests received so far.
func (r *receiver) Requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, _ := io.ReadAll(req.Body)
	r.requests = append(r.requests, request{header: req.Header.Clone(), body: body})
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(req.Header.Get("X-Crier-Timestamp") + "." + string(body)))
	if want := "v1=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(req.Header.Get("X-Crier-Signature"))) {
		r.bad = append(r.bad, "signature")
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		r.bad = append(r.bad, err.Error())
	}
	r.got = append(r.got, p)
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
}

func notifier(secret string, env map[string]string) *Notifier {
	return &Notifier{Client: &http.Client{Timeout: 5 * time.Second}, Secret: []byte(secret),
		Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Now: func() time.Time { return now }}
}

func TestNotifyPostsSignedJSON(t *testing.T) {
	rx := &receiver{secret: []byte("s3cret"), status: http.StatusAccepted}
	srv := httptest.NewServer(rx)
	defer srv.Close()
	n := notifier("s3cret", map[string]string{"PARTNER_HOOK": srv.URL + "/hooks/crier/TOKEN123"})
	retry, err := n.Notify(context.Background(), notifiers.Message{Delivery: "a-000001/declare/1/r1/000", Activation: "a-000001",
		Runbook: "flood-warning", Step: "alert-partners", Exercise: true, Type: "webhook", Channel: "lrf-hook",
		Target: "${PARTNER_HOOK}", Subject: "EXERCISE EXERCISE EXERCISE Flood warning", Body: "EXERCISE EXERCISE EXERCISE\n\nRiver Wend"})
	if err != nil || retry {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	if len(rx.bad) > 0 || len(rx.got) != 1 {
		t.Fatalf("receiver saw %d requests, problems %v", len(rx.got), rx.bad)
	}
	p := rx.got[0]
	if p.Delivery != "a-000001/declare/1/r1/000" || !p.Exercise || p.Step != "alert-partners" || !p.SentAt.Equal(now) || !strings.HasSuffix(p.Body, "River Wend") {
		t.Errorf("payload %+v", p)
	}
}

func TestNotifyClassifiesFailuresWithoutLeakingTheURL(t *testing.T) {
	for _, tc := range []struct {
		status int
		header http.Header
		retry  bool
		after  time.Duration
	}{
		{status: 500, retry: true},
		{status: 429, header: http.Header{"Retry-After": {"12"}}, retry: true, after: 12 * time.Second},
		{status: 404},
		{status: 401},
	} {
		rx := &receiver{secret: []byte("x"), status: tc.status, header: tc.header}
		srv := httptest.NewServer(rx)
		n := notifier("x", map[string]string{"HOOK": srv.URL + "/secret-path-TOKEN123"})
		retry, err := n.Notify(context.Background(), notifiers.Message{Delivery: "d", Target: "${HOOK}", Body: "b"})
		srv.Close()
		if err == nil || retry != tc.retry {
			t.Errorf("%d: retry %v, err %v", tc.status, retry, err)
			continue
		}
		var ra *notifiers.RetryAfterError
		if errors.As(err, &ra) != (tc.after > 0) || (ra != nil && ra.After != tc.after) {
			t.Errorf("%d: retry-after %v", tc.status, ra)
		}
		if strings.Contains(err.Error(), "TOKEN123") {
			t.Errorf("%d: the error shows the URL's secret: %v", tc.status, err)
		}
	}
	// A refused connection is temporary, and its error hides the URL too.
	n := notifier("x", map[string]string{"HOOK": "http://127.0.0.1:1/secret-path-TOKEN123"})
	retry, err := n.Notify(context.Background(), notifiers.Message{Target: "${HOOK}", Body: "b"})
	if !retry || err == nil || strings.Contains(err.Error(), "TOKEN123") {
		t.Errorf("refused connection: retry %v, err %v", retry, err)
	}
}

func TestUnsetURLVariable(t *testing.T) {
	_, err := notifier("x", nil).Notify(context.Background(), notifiers.Message{Target: "${PARTNER_HOOK}", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "PARTNER_HOOK") {
		t.Errorf("got %v", err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"delivery":"d"}`)
	ts := "1779489060" // now
	sig := "v1=" + Sign([]byte("k"), ts, body)
	for _, tc := range []struct {
		name, ts, sig string
		body          []byte
		ok            bool
	}{
		{"good", ts, sig, body, true},
		{"tampered body", ts, sig, []byte(`{"delivery":"e"}`), false},
		{"wrong signature", ts, "v1=00", body, false},
		{"replayed an hour later", "1779485460", "v1=" + Sign([]byte("k"), "1779485460", body), body, false},
		{"not a time", "soon", sig, body, false},
	} {
		err := Verify([]byte("k"), tc.ts, tc.sig, tc.body, now, 5*time.Minute)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
