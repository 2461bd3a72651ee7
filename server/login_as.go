package server

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// loginAsPage asks whether to sign in as the person a sign-in link names.
type loginAsPage struct {
	page
	As    *User
	Token string
}

// RolesText is the person's roles, in words.
func (p loginAsPage) RolesText() string { return roleWords(p.As.Roles) }

// roleWords names roles as people say them: "comms officer", not "comms".
func roleWords(roles []string) string {
	words := map[string]string{RoleComms: "comms officer", RoleExerciseLead: "exercise lead"}
	var out []string
	for _, r := range roles {
		out = append(out, cmp.Or(words[r], r))
	}
	return strings.Join(out, ", ")
}

// signInPage is the sign-in form. Opened from a sign-in link, such as
// those crier serve prints for its demo users (/login?as=TOKEN), it names
// the person and offers one button that signs in as them: a GET signs no
// one in, so that another site cannot sign a browser in as someone else.
// crier logs paths, never query strings, so the token is not logged.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	next := inCrier(r.URL.Query().Get("next"))
	token := r.URL.Query().Get("as")
	if token == "" {
		s.render(w, r, http.StatusOK, "login.html", &page{Title: "Sign in", Next: next})
		return
	}
	if s.tooManyGuesses(w, r, func(wait time.Duration) {
		s.render(w, r, http.StatusTooManyRequests, "login.html", &page{Title: "Sign in", Next: next,
			Error: "Too many wrong tokens have come from here. Try again in " + runbooks.HumanDuration(wait.Round(time.Second)) + "."})
	}) {
		return
	}
	u := s.users.byToken(token)
	if u == nil {
		s.wrongToken(r)
		s.render(w, r, http.StatusUnauthorized, "login.html", &page{Title: "Sign in", Next: next,
			Error: "That sign-in link is not one crier knows. A link works only while the crier serve that printed it runs: use the links it printed last."})
		return
	}
	s.renderPage(w, http.StatusOK, "login_as.html", &loginAsPage{page: page{Title: "Sign in as " + u.Name, Next: next}, As: u, Token: token})
}
