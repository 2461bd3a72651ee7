package server

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// The web app: pages rendered on the server from templates and assets
// embedded in the binary (no CDN), working with forms alone. It acts by the
// same rules as the API: the same role checks (the may functions), then the
// same engine commands.

//go:embed web
var webFiles embed.FS

// page is what every template gets.
type page struct {
	Title    string
	User     *User
	CSRF     string
	Exercise bool
	Live     bool // a live activation's page: messages go to real people
	Error    string
	Done     string
	Next     string
	// One page's own content.
	Approvals   []messageView
	Tasks       []taskView
	Activations []activationView
	Runbooks    []runbookView
	CanReload   bool
	Message     messageView
	CanDecide   bool
	WhyNot      string
	Diff        []diffLine // the current revision against the draft
	Previews    []preview  // the message as each channel shows it
	Approvers   []string   // who may approve the message
	Waits       []runningWaits
	Still       []engine.StillWaiting // about the message shown, after its escalation ran out
	Text        *textFit              // the message as a text message, when it goes as one
	Ack         *ackOffer             // the message page's Acknowledge button, for its addressee
	// Given is what a refused form had in it, to fill it in again
	// (Refill) so that nothing typed is lost; posted names that form.
	Given  url.Values
	posted string
}

// Refill is what a refused form had in a field, to show it again; "" for
// any other form.
func (p page) Refill(form, field string) string {
	if p.posted != form {
		return ""
	}
	return p.Given.Get(field)
}

// Posted names the refused form the page shows again, or "".
func (p page) Posted() string { return p.posted }

// refillFrom keeps what a refused form had in it, for Refill.
func (p *page) refillFrom(r *http.Request) {
	if r.Method != http.MethodPost {
		return
	}
	p.Given = r.PostForm
	switch {
	case strings.HasSuffix(r.Pattern, "/injects"):
		p.posted = "inject"
	case strings.HasSuffix(r.Pattern, "/decisions"):
		p.posted = "decision"
	case strings.HasSuffix(r.Pattern, "/tension"):
		p.posted = "tension"
	case strings.HasSuffix(r.Pattern, "/rumours"):
		p.posted = "rumour"
	case strings.HasSuffix(r.Pattern, "/activate"):
		p.posted = "activate"
	case r.Pattern == "POST /ui/activations/{id}":
		p.posted = "end"
	case strings.HasSuffix(r.Pattern, "/messages/new"):
		p.posted = "compose"
	default:
		p.posted = r.PostFormValue("action") // the message page's: reject, edit or redraft
	}
}

// preview is a message as one kind of channel shows it.
type preview struct {
	Channel, Subject, Body, Note string
}

func (s *Server) webRoutes() {
	s.pages = template.Must(template.New("").Funcs(template.FuncMap{
		"words":    func(state string) string { return strings.ReplaceAll(state, "_", " ") },
		"join":     strings.Join,
		"dec":      func(n int) int { return n - 1 },
		"clock":    func(t time.Time) string { return t.In(s.loc).Format("15:04") },
		"day":      func(t time.Time) string { return t.In(s.loc).Format("Mon 2 Jan 15:04 MST") },
		"seconds":  func(t time.Time) string { return t.In(s.loc).Format("15:04:05") },
		"duration": runbooks.HumanDuration, // for people: "1h 5m", never "5h15m44s373.8ms"
		"plural":   plural,
		"key":      newKey, // a form's idempotency key, new at each rendering
	}).ParseFS(webFiles, "web/*.html"))
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(mustSub(webFiles, "web"))))
	s.mux.HandleFunc("GET /login", s.signInPage) // and a sign-in link's page: login_as.go
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.Handle("POST /logout", s.web(anyone, func(w http.ResponseWriter, r *http.Request, _ *User) {
		s.endSession(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
	s.mux.Handle("GET /{$}", s.web(anyone, s.dashboard))
	s.mux.Handle("GET /ui/", s.web(anyone, func(w http.ResponseWriter, r *http.Request, u *User) {
		if r.URL.Path == "/ui/" {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "crier has no page at " + r.URL.Path + "."})
	}))
	s.mux.Handle("GET /ui/messages/{id...}", s.web(anyone, s.messagePage))
	s.mux.Handle("POST /ui/messages/{id...}", s.form(commsOfficer, s.messageDecision))
	s.mux.Handle("GET /ui/activations/{id}/messages/new", s.web(commsOfficer, s.composePage))
	s.mux.Handle("POST /ui/activations/{id}/messages/new", s.form(commsOfficer, s.composeFromForm))
	s.activationRoutes()
	s.directoryRoutes()
}

// web lets a request through to a page only with a signed-in session, a
// valid CSRF token on every form, and a role that may use it.
func (s *Server) web(may func(*User, *http.Request) bool, handle func(http.ResponseWriter, *http.Request, *User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.fromSession(r)
		if u == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
			if !s.csrfValid(r) {
				s.render(w, r, http.StatusForbidden, "error.html", &page{Title: "Not done", User: u,
					Error: "This form has expired or did not come from crier. Go back, reload the page and try again."})
				return
			}
		}
		if !may(u, r) {
			s.render(w, r, http.StatusForbidden, "error.html", &page{Title: "Not allowed", User: u,
				Error: u.Name + " may not do this (roles: " + u.rolesText() + ")."})
			return
		}
		handle(w, r, u)
	})
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if p.User != nil {
		p.CSRF = s.csrfToken(r)
	}
	s.renderPage(w, status, name, p)
}

// inCrier is where to go after signing in: next if it is a page of crier
// itself, else the dashboard. Browsers read a backslash as a slash and
// drop tabs and newlines, so "/\evil.example" leads away as "//" does.
func inCrier(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\t\r\n") {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	next := inCrier(r.PostFormValue("next"))
	if s.tooManyGuesses(w, r, func(wait time.Duration) {
		s.render(w, r, http.StatusTooManyRequests, "login.html", &page{Title: "Sign in", Next: next,
			Error: "Too many wrong tokens have come from here. Try again in " + runbooks.HumanDuration(wait.Round(time.Second)) + "."})
	}) {
		return
	}
	u := s.users.byToken(r.PostFormValue("token"))
	if u == nil {
		s.wrongToken(r)
		s.render(w, r, http.StatusUnauthorized, "login.html", &page{Title: "Sign in", Next: next, Error: "That token is not one crier knows."})
		return
	}
	s.startSession(w, r, u)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// approverOf reports whether the runbook names u as an approver of m.
func (s *Server) approverOf(m *state.Message, u *User) bool {
	rb, err := s.engine.Runbook(m.ActivationID)
	return err == nil && (engine.MayApproveMessage(rb, s.engine.Directory(), m, u.Identity()) || u.Slack != "" && engine.MayApproveMessage(rb, s.engine.Directory(), m, u.Slack))
}

func (s *Server) messagePage(w http.ResponseWriter, r *http.Request, u *User) {
	s.showMessagePage(w, r, u, http.StatusOK, takeNotice(w, r), "")
}

func (s *Server) showMessagePage(w http.ResponseWriter, r *http.Request, u *User, status int, done, problem string) {
	tx := s.engine.Read()
	m, err := tx.Message(nil, r.PathValue("id"))
	if err != nil || m == nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no message " + r.PathValue("id") + "."})
		return
	}
	v, err := s.viewMessage(tx, m, true)
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "error.html", &page{Title: "Not shown", User: u, Error: err.Error()})
		return
	}
	a, _ := tx.Activation(nil, m.ActivationID)
	exercise := a != nil && a.Exercise()
	p := &messagePage{page: page{Title: v.Subject, User: u, Message: v, CanDecide: commsOfficer(u, r) && s.approverOf(m, u),
		Exercise: exercise, Done: done, Error: problem, Text: s.fitText(m, v, exercise)}}
	p.refillFrom(r)
	p.WhyNot = s.whyNot(m, v, u)
	p.Ack = s.ackOfferFor(tx, m, u)
	ds, _ := tx.DeliveriesOf(nil, m.ID)
	p.To, p.msg = s.recipientsOf(m, ds), m
	p.Active = a != nil && a.State == state.ActivationActive
	p.Previews = s.previews(m, v, p.Text)
	still, _ := s.engine.StillWaiting(m.ActivationID)
	for _, w := range still {
		if w.Subject == m.ID {
			p.Still = append(p.Still, w)
		}
	}
	if rb, err := s.engine.Runbook(m.ActivationID); err == nil {
		p.Approvers, p.rb = engine.ApproversOf(rb, s.engine.Directory(), m), rb
	}
	if len(m.Revisions) > 1 {
		draft := m.Revisions[0]
		p.Diff = lineDiff(draft.Subject+"\n\n"+draft.Body, v.Subject+"\n\n"+v.Body)
	}
	p.CSRF = s.csrfToken(r)
	s.renderPage(w, status, "message.html", p)
}

// previews shows a message as each kind of channel it goes to will: the
// kinds of its deliveries once it has any, else of what its step (or, for
// an ad-hoc message, its audiences) reaches.
// Slack and Teams a heading and the text, email a subject line, SMS the
// one text sent (fit: its length, or nil when it goes by no text).
func (s *Server) previews(m *state.Message, v messageView, fit *textFit) []preview {
	kinds := map[string]bool{}
	for _, d := range v.Deliveries {
		kinds[d.Type] = kinds[d.Type] || d.State != state.DeliveryWithheld
	}
	if len(v.Deliveries) == 0 {
		rb, err := s.engine.Runbook(m.ActivationID)
		if err != nil {
			return nil
		}
		st, ok := engine.MessageStep(rb, m)
		if !ok || st.Notify == nil {
			return nil
		}
		reach := rb.Reach(st.Notify.To)
		for _, c := range reach.Channels {
			kinds[string(c.Type)] = true
		}
		for _, sh := range reach.Stakeholders {
			kinds["email"] = kinds["email"] || len(sh.Email) > 0
			kinds["slack"] = kinds["slack"] || sh.Slack != ""
		}
	}
	kinds["sms"] = fit != nil
	var out []preview
	for _, k := range []string{"slack", "teams", "email", "sms", "webhook", "log"} {
		if !kinds[k] {
			continue
		}
		p := preview{Channel: k, Subject: v.Subject, Body: v.Body}
		switch k {
		case "email":
			p.Note = "Subject line, then the text (and an HTML copy with every character escaped)."
		case "sms":
			p.Subject, p.Body = "", fit.Text
			p.Note = fmt.Sprintf("As a text message: %s characters as GOV.UK Notify counts them (it takes at most %s), sent as %s.",
				fit.CharsText(), fit.MaxText(), plural(fit.Fragments, "fragment", "fragments"))
			if fit.Fragments > 1 {
				p.Note = strings.TrimSuffix(p.Note, ".") + ": the phone network carries a long text in parts, and Notify charges for each."
			}
			if fit.TooLong {
				p.Note = fmt.Sprintf("%s characters as GOV.UK Notify counts them: too long, Notify takes at most %s.", fit.CharsText(), fit.MaxText())
			}
		case "slack", "teams":
			p.Note = "A heading, the text as plain text (no mentions or formatting from the text), and the runbook, step and activation."
		}
		out = append(out, p)
	}
	return out
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded: it is there
	}
	return sub
}

// plural counts things in words: "1 fragment", "3 fragments".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}
