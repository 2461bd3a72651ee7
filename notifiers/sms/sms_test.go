package sms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
	"github.com/golang-jwt/jwt/v5"
)

const (
	service = "26785a09-ab16-4eb0-8407-a37497a57506"
	secret  = "3d844edf-8d35-48ac-975b-e847b4f122b0"
	apiKey  = "crier_northbridge-" + service + "-" + secret
)

var now = time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)

// notify is a fake of GOV.UK Notify's SMS endpoint: it checks the JWT the
// way Notify does and answers with Notify's shapes.
type notify struct {
	status int
	body   string
	got    []request
}

func (f *notify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v2/notifications/sms" || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	tok, err := jwt.Parse(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(service), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil || !tok.Valid {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":[{"error":"AuthError","message":"Invalid token: signature, api token not found"}],"status_code":403}`))
		return
	}
	var req request
	json.NewDecoder(r.Body).Decode(&req)
	f.got = append(f.got, req)
	w.WriteHeader(f.status)
	w.Write([]byte(f.body))
}

func send(t *testing.T, f *notify, key string) (bool, error) {
	t.Helper()
	srv := httptest.NewServer(f)
	defer srv.Close()
	n := &Notifier{Client: srv.Client(), APIKey: key, TemplateID: "f33517ff-2a88-4f6e-b855-c550268ce08a", BaseURL: srv.URL, Now: func() time.Time { return now }}
	return n.Notify(context.Background(), notifiers.Message{Delivery: "a-000002/flood-wardens-text/1/r1/004", Type: "sms",
		Target: "+447700900123", Subject: "Northbridge flood alert", Body: "Flood warning for the River Wend. Sandbags at the depot."})
}

func TestSendsThroughNotify(t *testing.T) {
	f := &notify{status: http.StatusCreated, body: `{"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"a-000002/flood-wardens-text/1/r1/004"}`}
	retry, err := send(t, f, apiKey)
	if err != nil || retry {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	if len(f.got) != 1 {
		t.Fatalf("Notify got %d requests", len(f.got))
	}
	r := f.got[0]
	if r.PhoneNumber != "+447700900123" || r.TemplateID != "f33517ff-2a88-4f6e-b855-c550268ce08a" || r.Reference != "a-000002/flood-wardens-text/1/r1/004" ||
		r.Personalisation["body"] != "Northbridge flood alert\n\nFlood warning for the River Wend. Sandbags at the depot." {
		t.Errorf("request %+v", r)
	}
}

func TestNotifyErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      *notify
		key    string
		retry  bool
		reason string
	}{
		{"bad number", &notify{status: 400, body: `{"errors":[{"error":"ValidationError","message":"phone_number Not a UK mobile number"}],"status_code":400}`}, apiKey, false, "Not a UK mobile number"},
		{"rate limited", &notify{status: 429, body: `{"errors":[{"error":"RateLimitError","message":"Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}],"status_code":429}`}, apiKey, true, "RateLimitError"},
		{"Notify down", &notify{status: 500, body: `{"errors":[{"error":"Exception","message":"Internal server error"}],"status_code":500}`}, apiKey, true, "Internal server error"},
		{"wrong key", &notify{status: 201}, "crier_northbridge-" + service + "-00000000-0000-0000-0000-000000000000", false, "AuthError"},
	} {
		retry, err := send(t, tc.f, tc.key)
		if err == nil || retry != tc.retry || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: retry %v, err %v", tc.name, retry, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret", tc.name)
		}
	}
	if _, err := (&Notifier{APIKey: "short", Now: time.Now}).Notify(context.Background(), notifiers.Message{}); err == nil {
		t.Error("a malformed key was accepted")
	}
}
