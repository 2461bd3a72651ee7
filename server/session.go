package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sessions for the web app are kept by the server, in memory: the cookie
// holds only a random id. Signing out forgets the id at once, so a copied
// cookie stops working; a session also ends after an idle time and at
// most a working shift after sign-in. A restart ends every session.
// Forms carry a CSRF token derived from the session, so another site
// cannot post as the user.

const (
	sessionCookie = "crier_session"
	sessionLife   = 12 * time.Hour   // a working shift, however busy
	sessionIdle   = 30 * time.Minute // the default, without a request
	maxSessions   = 10000            // the oldest-used goes first beyond this
)

// session is one signed-in browser.
type session struct {
	user    *User
	started time.Time
	seen    time.Time // its last request
}

// sessions are the signed-in browsers, by cookie id.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
	idle time.Duration
	max  int
}

func newSessions(idle time.Duration) *sessions {
	if idle <= 0 {
		idle = sessionIdle
	}
	return &sessions{byID: map[string]*session{}, idle: idle, max: maxSessions}
}

// live reports whether a session may still be used at now.
func (ss *sessions) live(x *session, now time.Time) bool {
	return now.Sub(x.started) < sessionLife && now.Sub(x.seen) < ss.idle
}

// start makes a session for u and returns its id.
func (ss *sessions) start(u *User, now time.Time) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand does not fail on the platforms Go supports
	id := base64.RawURLEncoding.EncodeToString(b)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.max {
		var oldest string
		for k, x := range ss.byID {
			if !ss.live(x, now) {
				delete(ss.byID, k)
			} else if oldest == "" || x.seen.Before(ss.byID[oldest].seen) {
				oldest = k
			}
		}
		if len(ss.byID) >= ss.max {
			delete(ss.byID, oldest)
		}
	}
	ss.byID[id] = &session{user: u, started: now, seen: now}
	return id
}

// use is the user of session id at now, or nil; it counts as activity.
func (ss *sessions) use(id string, now time.Time) *User {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	x, ok := ss.byID[id]
	if !ok {
		return nil
	}
	if !ss.live(x, now) {
		delete(ss.byID, id)
		return nil
	}
	x.seen = now
	return x.user
}

// end forgets session id: its cookie no longer signs anyone in.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

func (s *Server) sign(parts ...string) string {
	mac := hmac.New(sha256.New, s.sessionKey)
	mac.Write([]byte(strings.Join(parts, "|")))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// startSession sets the session cookie for u, ending any session the
// browser had, so an id planted before sign-in is worth nothing after.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *User) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.sessions.start(u, s.now()),
		Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r), MaxAge: int(sessionLife / time.Second)})
}

// endSession ends the request's session on the server and in the browser.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: secure(r), MaxAge: -1})
}

// secure says whether the browser reached crier over HTTPS (directly or
// through the council's proxy), so the cookie is kept to HTTPS.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// fromSession is the user whose live session the request's cookie names,
// or nil.
func (s *Server) fromSession(r *http.Request) *User {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return s.sessions.use(c.Value, s.now())
}

// csrfToken is the token the session's forms carry.
func (s *Server) csrfToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return s.sign("csrf", c.Value)
}

// csrfValid checks a form's token against the session.
func (s *Server) csrfValid(r *http.Request) bool {
	want := s.csrfToken(r)
	got := r.PostFormValue("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return want != "" && hmac.Equal([]byte(got), []byte(want))
}
