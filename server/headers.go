package server

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// Every answer carries the same protective headers, whoever wrote it (a
// page, the acknowledgement page, JSON, Markdown, a static file): browsers
// must not guess a type other than the one given, nor show crier inside
// another site's frame, nor run anything crier did not serve itself.
// Requests that would change something and come from another site are
// refused before any handler sees them (http.CrossOriginProtection, by
// Sec-Fetch-Site or Origin); the forms' CSRF tokens stay as a second lock.

// contentPolicy allows crier's own scripts, styles and images, and the
// acknowledgement page's one inline style by its hash.
var contentPolicy = strings.Join([]string{
	"default-src 'self'",
	"style-src 'self' 'sha256-" + hashOf(ackStyle) + "'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
	"form-action 'self'",
	"object-src 'none'",
}, "; ")

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// protect wraps the routes in the headers and the cross-origin check.
func (s *Server) protect(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("a request from another site was refused", "remote", clientIP(r), "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"))
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeError(w, http.StatusForbidden, "cross_origin", "requests from another site's pages are not accepted")
			return
		}
		s.renderPage(w, http.StatusForbidden, "error.html", &page{Title: "Not done",
			Error: "This form did not come from crier, so nothing was done. Open crier and try again there."})
	}))
	inner := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentPolicy)
		h.Set("Referrer-Policy", "same-origin")
		inner.ServeHTTP(w, r)
	})
}
