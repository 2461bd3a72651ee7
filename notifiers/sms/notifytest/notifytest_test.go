package notifytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	service  = "26785a09-ab16-4eb0-8407-a37497a57506"
	secret   = "3d844edf-8d35-48ac-975b-e847b4f122b0"
	template = "f33517ff-2a88-4f6e-b855-c550268ce08a"
)

var now = time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)

func token(method jwt.SigningMethod, iss string, iat time.Time, key string) string {
	s, err := jwt.NewWithClaims(method, jwt.MapClaims{"iss": iss, "iat": iat.Unix()}).SignedString([]byte(key))
	if err != nil {
		panic(err)
	}
	return s
}

func post(t *testing.T, s *Server, tok, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "https://api.notifications.service.gov.uk/v2/notifications/sms",
		strings.NewReader(`{"phone_number":"+447700900123","template_id":"`+template+`","personalisation":{"body":`+quote(body)+`}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The fake refuses what Notify refuses, with Notify's words.
func TestRefuses(t *testing.T) {
	good := token(jwt.SigningMethodHS256, service, now, secret)
	for _, tc := range []struct {
		name   string
		setup  func(s *Server)
		tok    string
		body   string
		status int
		want   string
	}{
		{name: "accepted", tok: good, status: 201, want: `"id":"740e5834-3a29-46b4-9a6f-000000000001"`},
		{name: "no token", status: 401, want: "authentication token must be provided"},
		{name: "wrong secret", tok: token(jwt.SigningMethodHS256, service, now, "another-secret"), status: 403, want: "API key not found"},
		{name: "not HS256", tok: token(jwt.SigningMethodHS512, service, now, secret), status: 403, want: "AuthError"},
		{name: "wrong issuer", tok: token(jwt.SigningMethodHS256, "someone-else", now, secret), status: 403, want: "AuthError"},
		{name: "iat 31s old", tok: token(jwt.SigningMethodHS256, service, now.Add(-31*time.Second), secret), status: 403, want: "accurate to within 30 seconds"},
		{name: "iat 31s ahead", tok: token(jwt.SigningMethodHS256, service, now.Add(31*time.Second), secret), status: 403, want: "accurate to within 30 seconds"},
		{name: "iat 30s old", tok: token(jwt.SigningMethodHS256, service, now.Add(-30*time.Second), secret), status: 201, want: `"id"`},
		{name: "918 characters", tok: good, body: strings.Repeat("x", 918), status: 201, want: `"id"`},
		{name: "1,030 characters", tok: good, body: strings.Repeat("x", 1030), status: 400,
			want: `{"error":"BadRequestError","message":"Your message is too long. Text messages cannot be longer than 918 characters. Your message is 1030 characters long."}`},
		{name: "empty", tok: good, body: " ", status: 400, want: "Your message is empty."},
		{name: "daily limit", setup: func(s *Server) { s.DailyLimit = 1; s.texts = []*Text{{SentAt: now}} }, tok: good, status: 429,
			want: `{"error":"TooManyRequestsError","message":"Exceeded send limits (sms: 1) for today"}`},
		{name: "yesterday's texts do not count", setup: func(s *Server) { s.DailyLimit = 1; s.texts = []*Text{{SentAt: now.Add(-24 * time.Hour)}} },
			tok: good, status: 201, want: `"id"`},
		{name: "per-minute limit", setup: func(s *Server) { s.RateLimit = 1; s.sends = []time.Time{now.Add(-59 * time.Second)} }, tok: good, status: 429,
			want: `{"error":"RateLimitError","message":"Exceeded rate limit for key type LIVE of 1 requests per 60 seconds"}`},
		{name: "a minute later", setup: func(s *Server) { s.RateLimit = 1; s.sends = []time.Time{now.Add(-60 * time.Second)} }, tok: good, status: 201, want: `"id"`},
	} {
		s := &Server{ServiceID: service, Secret: secret, TemplateID: template, Now: func() time.Time { return now }}
		if tc.setup != nil {
			tc.setup(s)
		}
		status, body := post(t, s, tc.tok, cmpOr(tc.body, "Flood warning for the River Wend."))
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %s", tc.name, status, body, tc.status, tc.want)
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// A text's status moves through its fate, one step per read.
func TestFate(t *testing.T) {
	s := &Server{ServiceID: service, Secret: secret, TemplateID: template, Now: func() time.Time { return now }}
	s.Fate("+447700900123", "sending", "temporary-failure")
	tok := token(jwt.SigningMethodHS256, service, now, secret)
	if status, body := post(t, s, tok, "Flood warning."); status != 201 {
		t.Fatalf("%d %s", status, body)
	}
	for _, want := range []string{"sending", "temporary-failure", "temporary-failure"} {
		req, _ := http.NewRequest(http.MethodGet, "https://api.notifications.service.gov.uk/v2/notifications/"+s.Sent()[0].ID, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Status string }
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got.Status != want {
			t.Errorf("status %q, want %q", got.Status, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.notifications.service.gov.uk/v2/notifications/740e5834-3a29-46b4-9a6f-999999999999", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, _ := s.Client().Do(req)
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != 404 || !strings.Contains(buf.String(), "No result found") {
		t.Errorf("an unknown id: %d %s", resp.StatusCode, buf.String())
	}
}
