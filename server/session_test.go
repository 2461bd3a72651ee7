package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepClock is a clock a test moves on by hand.
type stepClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// signedIn is a browser signed in as name, and the CSRF token of its pages.
func signedIn(t *testing.T, f *fixture, name string) (*browser, string) {
	t.Helper()
	b := f.browser()
	if code, _, _ := b.do("POST", "/login", url.Values{"token": {token(name)}}); code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", name, code)
	}
	_, body, _ := b.do("GET", "/", nil)
	csrf := csrfField.FindStringSubmatch(body)
	if csrf == nil {
		t.Fatalf("no CSRF token on the dashboard:\n%s", body)
	}
	return b, csrf[1]
}

// copyOf is another browser holding the same cookies as b: someone who
// copied them.
func copyOf(f *fixture, b *browser) *browser {
	thief := f.browser()
	u, _ := url.Parse(b.base)
	thief.client.Jar.SetCookies(u, b.client.Jar.Cookies(u))
	return thief
}

// signedOut reports whether b is sent to the sign-in page.
func signedOut(b *browser) bool {
	code, _, h := b.do("GET", "/", nil)
	return code == http.StatusSeeOther && strings.HasPrefix(h.Get("Location"), "/login")
}

// Signing out ends the session on the server: a copy of the cookie made
// before stops working at once, for pages and for the API alike.
func TestSignOutEndsACopiedCookie(t *testing.T) {
	f := newFixture(t)
	b, csrf := signedIn(t, f, "Val")
	thief := copyOf(f, b)
	if signedOut(thief) {
		t.Fatal("the copied cookie did not work before sign-out")
	}
	if code, _, _ := b.do("POST", "/logout", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}
	if !signedOut(thief) {
		t.Error("the copied cookie still opens the dashboard after sign-out")
	}
	if code, _, _ := thief.do("GET", "/api/v1/runbooks", nil); code != http.StatusUnauthorized {
		t.Errorf("the copied cookie reads the API after sign-out: %d", code)
	}
	// Signing in again makes a new session; the old cookie stays dead.
	again, _ := signedIn(t, f, "Val")
	if signedOut(again) || !signedOut(thief) {
		t.Error("signing in again brought the old session back, or did not sign in")
	}
}

// A session ends after its idle time without a request, and 12 hours
// after sign-in however busy; requests in between keep it going.
func TestSessionsEndWhenIdleAndAfterAShift(t *testing.T) {
	for _, tc := range []struct {
		name  string
		idle  time.Duration // Options.SessionIdle
		every time.Duration // between requests
		lasts time.Duration // how long the session is good for
	}{
		{"default idle time, left alone", 0, 31 * time.Minute, 0},
		{"default idle time, in use", 0, 29 * time.Minute, 12 * time.Hour},
		{"five minutes idle, left alone", 5 * time.Minute, 6 * time.Minute, 0},
		{"five minutes idle, in use", 5 * time.Minute, 4 * time.Minute, 12 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &stepClock{at: start}
			f := newFixture(t).withServer(Options{Now: clock.now, SessionIdle: tc.idle})
			b, _ := signedIn(t, f, "Val")
			var used time.Duration
			for used+tc.every < tc.lasts {
				clock.advance(tc.every)
				used += tc.every
				if signedOut(b) {
					t.Fatalf("signed out after %s, in use every %s", used, tc.every)
				}
			}
			clock.advance(tc.every)
			if !signedOut(b) {
				t.Errorf("still signed in after %s, with requests every %s", used+tc.every, tc.every)
			}
		})
	}
}

// The store of sessions stays bounded: beyond its size the session used
// longest ago goes first, and the ones in use stay.
func TestSessionsAreBounded(t *testing.T) {
	now := start
	ss := newSessions(0)
	ss.max = 3
	u := &User{Name: "Val"}
	first := ss.start(u, now)
	second := ss.start(u, now.Add(time.Second))
	third := ss.start(u, now.Add(2*time.Second))
	ss.use(first, now.Add(3*time.Second)) // now second is the one used longest ago
	fourth := ss.start(u, now.Add(4*time.Second))
	at := now.Add(5 * time.Second)
	for _, c := range []struct {
		name, id string
		live     bool
	}{{"first", first, true}, {"second", second, false}, {"third", third, true}, {"fourth", fourth, true}} {
		if got := ss.use(c.id, at) != nil; got != c.live {
			t.Errorf("the %s session: live %v, want %v", c.name, got, c.live)
		}
	}
	if len(ss.byID) != 3 {
		t.Errorf("%d sessions kept, at most 3", len(ss.byID))
	}
}
