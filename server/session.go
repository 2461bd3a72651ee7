package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sessions for the web app are signed cookies, kept by the browser alone:
// the user's token digest and an expiry, with an HMAC. Forms carry a CSRF
// token derived from the session, so another site cannot post as the user.

const (
	sessionCookie = "crier_session"
	sessionLife   = 12 * time.Hour // a working shift
)

func (s *Server) sign(parts ...string) string {
	mac := hmac.New(sha256.New, s.sessionKey)
	mac.Write([]byte(strings.Join(parts, "|")))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// startSession sets the session cookie for u.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *User) {
	digest := base64.RawURLEncoding.EncodeToString(u.digest[:])
	expires := strconv.FormatInt(s.now().Add(sessionLife).Unix(), 10)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: digest + "." + expires + "." + s.sign("session", digest, expires),
		Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r), MaxAge: int(sessionLife / time.Second)})
}

func endSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: secure(r), MaxAge: -1})
}

// secure says whether the browser reached crier over HTTPS (directly or
// through the council's proxy), so the cookie is kept to HTTPS.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// fromSession is the user whose valid, unexpired session cookie the
// request carries, or nil.
func (s *Server) fromSession(r *http.Request) *User {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(s.sign("session", parts[0], parts[1]))) {
		return nil
	}
	expires, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.now().Unix() > expires {
		return nil
	}
	digest, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil
	}
	var found *User
	for _, u := range s.users.all {
		if subtle.ConstantTimeCompare(digest, u.digest[:]) == 1 {
			found = u
		}
	}
	return found
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
