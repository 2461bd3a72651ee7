package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Someone guessing tokens from one address gets ten wrong, then is
// answered 429 with Retry-After for the next, right or wrong, until a try
// has come back (12 s at 5 a minute); people elsewhere sign in as usual.
// The log names the address, never the token.
func TestWrongTokensAreLimitedPerAddress(t *testing.T) {
	clock := &stepClock{at: start}
	var logged bytes.Buffer
	s := New(Options{Users: people, Now: clock.now, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	const guesser, colleague = "203.0.113.9:40000", "198.51.100.7:50000"
	login := func(from, tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = from
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	api := func(from, tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/v1/activations/a-000001", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		r.RemoteAddr = from
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	for i := range 5 {
		if w := login(guesser, "guess-login-"+string(rune('a'+i))); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d at /login: %d", i+1, w.Code)
		}
		if w := api(guesser, "guess-api-"+string(rune('a'+i))); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d over the API: %d", i+1, w.Code)
		}
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"a wrong token at /login":      login(guesser, "guess-11"),
		"the right token at /login":    login(guesser, token("Val")),
		"a wrong token over the API":   api(guesser, "guess-12"),
		"the right token over the API": api(guesser, token("Val")),
	} {
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "12" || w.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s after ten wrong: %d, Retry-After %q, cookie %q", name, w.Code, w.Header().Get("Retry-After"), w.Header().Get("Set-Cookie"))
		}
	}
	if body := login(guesser, "guess").Body.String(); !strings.Contains(body, "Too many wrong tokens have come from here. Try again in 12s.") {
		t.Errorf("the sign-in page does not say why:\n%s", body)
	}
	if w := login(colleague, token("Hana")); w.Code != http.StatusSeeOther || w.Header().Get("Set-Cookie") == "" {
		t.Errorf("a colleague elsewhere signing in: %d", w.Code)
	}
	clock.advance(12 * time.Second)
	if w := login(guesser, token("Val")); w.Code != http.StatusSeeOther {
		t.Errorf("the right token once a try has come back: %d", w.Code)
	}
	if w := login(guesser, "guess-13"); w.Code != http.StatusUnauthorized {
		t.Errorf("a wrong token once a try has come back: %d", w.Code)
	}
	if w := login(guesser, "guess-14"); w.Code != http.StatusTooManyRequests {
		t.Errorf("a second wrong token with one try back: %d", w.Code)
	}
	log := logged.String()
	if !strings.Contains(log, "a wrong token was given") || !strings.Contains(log, "remote=203.0.113.9") || !strings.Contains(log, "too many wrong tokens") {
		t.Errorf("the log does not record the guessing:\n%s", log)
	}
	if strings.Contains(log, "guess-") || strings.Contains(log, token("Val")) {
		t.Errorf("the log shows a token:\n%s", log)
	}
}

// The addresses remembered stay bounded: when full, those that have all
// their tries back are forgotten, and a new guesser is still counted.
func TestGuessersAreBounded(t *testing.T) {
	g := guesses{}
	for i := range maxGuessers {
		g.failed(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), start)
	}
	if len(g.by) != maxGuessers {
		t.Fatalf("%d addresses remembered, want %d", len(g.by), maxGuessers)
	}
	later := start.Add(time.Hour) // every one has its tries back
	for range guessBurst {
		g.failed("192.0.2.1", later)
	}
	if len(g.by) != 1 || g.wait("192.0.2.1", later) == 0 {
		t.Errorf("%d addresses remembered after all recovered; the new guesser waits %s", len(g.by), g.wait("192.0.2.1", later))
	}
}
