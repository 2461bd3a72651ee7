package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Wrong tokens are limited per client address, so that nobody can guess
// tokens at the speed of the network: a client may get a token wrong
// guessPerMinute times a minute, in bursts of guessBurst, and is then
// answered 429 with Retry-After, right token or wrong, until it may try
// again. Right tokens cost nothing, and other clients are unaffected.

const (
	guessPerMinute = 5
	guessBurst     = 10
	maxGuessers    = 10000 // addresses remembered; the recovered go first
)

// GuessLimit is how many wrong tokens a client address may give.
type GuessLimit struct {
	PerMinute float64
	Burst     int
}

// guesses are the wrong tokens each client address has given lately.
type guesses struct {
	limit GuessLimit
	mu    sync.Mutex
	by    map[string]*rate.Limiter
}

// wait is how long the client at ip must wait before its token is
// checked, at now: zero when it may try now.
func (g *guesses) wait(ip string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	l, ok := g.by[ip]
	if !ok {
		return 0
	}
	left := l.TokensAt(now)
	if left >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - left) / float64(l.Limit()) * float64(time.Second)))
}

// failed counts a wrong token from ip at now.
func (g *guesses) failed(ip string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit.PerMinute <= 0 || g.limit.Burst <= 0 {
		g.limit = GuessLimit{PerMinute: guessPerMinute, Burst: guessBurst}
	}
	if g.by == nil {
		g.by = map[string]*rate.Limiter{}
	}
	l, ok := g.by[ip]
	if !ok {
		if len(g.by) >= maxGuessers {
			g.forget(now)
		}
		l = rate.NewLimiter(rate.Limit(g.limit.PerMinute/60), g.limit.Burst)
		g.by[ip] = l
	}
	l.AllowN(now, 1)
}

// forget drops the addresses that have recovered all their tries, or one
// at random when none has.
func (g *guesses) forget(now time.Time) {
	for ip, l := range g.by {
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(g.by, ip)
		}
	}
	for ip := range g.by {
		if len(g.by) < maxGuessers {
			break
		}
		delete(g.by, ip)
	}
}

// clientIP is the address a request came from: the connection's, never
// a header the client could write.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// tooManyGuesses answers 429 if the client must wait before its token is
// checked, logging it, and reports whether it did.
func (s *Server) tooManyGuesses(w http.ResponseWriter, r *http.Request, answer func(wait time.Duration)) bool {
	wait := s.guesses.wait(clientIP(r), s.now())
	if wait <= 0 {
		return false
	}
	s.log.Warn("a token was not checked: too many wrong tokens from this address", "remote", clientIP(r), "path", r.URL.Path, "retry_after", wait)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	answer(wait)
	return true
}

// wrongToken counts and logs a wrong token; never the token itself.
func (s *Server) wrongToken(r *http.Request) {
	s.guesses.failed(clientIP(r), s.now())
	s.log.Warn("a wrong token was given", "remote", clientIP(r), "path", r.URL.Path)
}
