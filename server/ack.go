package server

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
	"github.com/golang-jwt/jwt/v5"
)

// Acknowledgement links let a partner acknowledge a message without an
// account: each is a JWT (HS256) naming one message and one stakeholder,
// good for one purpose and for a limited time. Opening the link shows a
// page with a button; only pressing it (a POST) records the
// acknowledgement, because mail scanners open links.

// ackAudience keeps the tokens to their one purpose.
const ackAudience = "crier-acknowledge"

// AckLinks makes and checks acknowledgement links.
type AckLinks struct {
	Base   string // the server's public URL
	Secret []byte // signs the links; links die with it
	TTL    time.Duration
	Now    func() time.Time
}

type ackClaims struct {
	Message string `json:"msg"`
	jwt.RegisteredClaims
}

// Link is the acknowledgement link for a delivery to a stakeholder, or ""
// when it asks for none: the deliverer's hook for emails.
func (l *AckLinks) Link(m notifiers.Message) string {
	if !m.AckRequested || m.Stakeholder == "" || m.Type != "email" {
		return ""
	}
	now := l.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, ackClaims{Message: m.Message, RegisteredClaims: jwt.RegisteredClaims{
		Subject: m.Stakeholder, Audience: jwt.ClaimStrings{ackAudience}, ID: m.Delivery,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(l.TTL)),
	}}).SignedString(l.Secret)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(l.Base, "/") + "/ack/" + url.PathEscape(tok)
}

// check reads a link's token: the message and stakeholder it is for.
func (l *AckLinks) check(tok string) (*ackClaims, error) {
	var c ackClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return l.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithAudience(ackAudience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(l.Now))
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, errors.New("this link has expired; ask the sender to confirm another way")
	}
	if err != nil || c.Message == "" || c.Subject == "" {
		return nil, errors.New("this link is not one crier made, or it has been changed")
	}
	return &c, nil
}

// ackStyle is the acknowledgement page's inline style, allowed by its
// hash in the content policy.
const ackStyle = `body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#111}
button{font:inherit;padding:.6rem 1.2rem;background:#0b5394;color:#fff;border:0;border-radius:4px}
button:focus{outline:3px solid #f5a623;outline-offset:2px}.msg{border-left:4px solid #0b5394;padding:.2rem 1rem;white-space:pre-wrap}`

var ackPage = template.Must(template.New("ack").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — crier</title>
<style>` + ackStyle + `</style>
</head><body><main>
<h1>{{.Title}}</h1>
{{if .Subject}}<p class="msg"><strong>{{.Subject}}</strong>{{"\n\n"}}{{.Body}}</p>{{end}}
<p>{{.Text}}</p>
{{if .Form}}<form method="post"><button type="submit">Acknowledge</button></form>{{end}}
</main></body></html>
`))

type ackView struct {
	Title, Subject, Body, Text string
	Form                       bool
}

// ackLink shows (GET) or records (POST) an acknowledgement link.
func (s *Server) ackLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the link is the credential
	if s.links == nil {
		w.WriteHeader(http.StatusNotFound)
		ackPage.Execute(w, ackView{Title: "Not found", Text: "This server does not take acknowledgement links."})
		return
	}
	c, err := s.links.check(r.PathValue("token"))
	if err != nil {
		w.WriteHeader(http.StatusForbidden)
		ackPage.Execute(w, ackView{Title: "This link cannot be used", Text: err.Error()})
		return
	}
	m, err := s.engine.Read().Message(nil, c.Message)
	if err != nil || m == nil {
		w.WriteHeader(http.StatusNotFound)
		ackPage.Execute(w, ackView{Title: "Not found", Text: "The message this link is for is not in crier's record."})
		return
	}
	cur := m.Current()
	if r.Method != http.MethodPost {
		ackPage.Execute(w, ackView{Title: "Acknowledge this message", Subject: cur.Subject, Body: cur.Body,
			Text: "Press the button to tell the sender you have read it.", Form: true})
		return
	}
	_, err = s.engine.Apply(r.Context(), &engine.Acknowledge{Meta: engine.Meta{Actor: c.Subject}, Subject: c.Message, By: c.Subject, Via: "email link"})
	switch {
	case err != nil && strings.Contains(err.Error(), "already acknowledged"):
		ackPage.Execute(w, ackView{Title: "Already acknowledged", Text: "Your acknowledgement was recorded before. Thank you."})
	case err != nil:
		w.WriteHeader(http.StatusConflict)
		ackPage.Execute(w, ackView{Title: "Not recorded", Text: fmt.Sprintf("crier could not record it: %v", err)})
	default:
		ackPage.Execute(w, ackView{Title: "Thank you", Text: "Your acknowledgement has been recorded."})
	}
}

// In the web app, whoever a message or task asks to acknowledge it does so
// from their dashboard or the message's page, by the engine's one rule for
// who may (engine.AwaitsAcknowledgement, then Acknowledge itself).

// ackItem is a message or task waiting for the user's acknowledgement.
type ackItem struct {
	ID, Subject, Activation, ActivationTitle string
	Task                                     bool
	Exercise                                 bool
	Sent                                     time.Time
}

// ackOffer is the message page's Acknowledge button, for its addressee.
type ackOffer struct {
	ID   string
	Task bool
}

// acksFor lists what a running activation asks u to acknowledge and u has
// not: messages whose step sets ack_within that were sent to them, and
// tasks assigned to them that no one has acknowledged.
func (s *Server) acksFor(tx *state.Txn, a *state.Activation, u *User) []ackItem {
	rb, err := s.engine.Runbook(a.ID)
	if err != nil {
		return nil
	}
	ms, _ := tx.MessagesOf(nil, a.ID)
	var out []ackItem
	for _, m := range ms {
		task, ok := s.asksToAcknowledge(tx, rb, m, u)
		if !ok {
			continue
		}
		subject := m.Current().Subject
		if st, found := rb.Step(m.Step); task && found {
			subject = st.Title
		}
		out = append(out, ackItem{ID: m.ID, Subject: subject, Activation: a.ID, ActivationTitle: a.Title,
			Task: task, Exercise: a.Exercise(), Sent: m.CreatedAt})
	}
	return out
}

// asksToAcknowledge reports whether m asks u to acknowledge it and they
// have not yet, and whether it is a task's notice (the task is what they
// acknowledge).
func (s *Server) asksToAcknowledge(tx *state.Txn, rb *runbooks.Runbook, m *state.Message, u *User) (task, ok bool) {
	st, found := rb.Step(m.Step)
	if !found || st.Task == nil && (st.Notify == nil || st.Notify.AckWithin == nil) {
		return false, false
	}
	return st.Task != nil, s.ackerOf(tx, rb, m.ID, u) != ""
}

// ackerOf is how the runbook knows u as someone asked to acknowledge a
// message or task (their email address, or else their Slack user id), or
// "" when they are not asked, or have acknowledged it already.
func (s *Server) ackerOf(tx *state.Txn, rb *runbooks.Runbook, subject string, u *User) string {
	for _, who := range []string{u.Identity(), u.Slack} {
		if who != "" && engine.AwaitsAcknowledgement(tx, rb, s.engine.Directory(), subject, who) {
			return who
		}
	}
	return ""
}

// ackOfferFor is the message page's Acknowledge button, when the message
// asks u to acknowledge it and its activation is still running.
func (s *Server) ackOfferFor(tx *state.Txn, m *state.Message, u *User) *ackOffer {
	a, err := tx.Activation(nil, m.ActivationID)
	if err != nil || a == nil || a.State != state.ActivationActive {
		return nil
	}
	rb, err := s.engine.Runbook(a.ID)
	if err != nil {
		return nil
	}
	if task, ok := s.asksToAcknowledge(tx, rb, m, u); ok {
		return &ackOffer{ID: m.ID, Task: task}
	}
	return nil
}

// ackFromForm records u's acknowledgement from the dashboard or, with
// back=message, from the message's page, and goes back there.
func (s *Server) ackFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.PathValue("id")
	who := u.Identity()
	if rb, err := s.engine.Runbook(s.activationOfSubject(id)); err == nil {
		who = cmp.Or(s.ackerOf(s.engine.Read(), rb, id, u), who)
	}
	_, err := s.engine.Apply(r.Context(), &engine.Acknowledge{Meta: engine.Meta{Actor: u.Person()}, Subject: id, By: who, Via: "web"})
	back := r.PostFormValue("back") == "message"
	switch {
	case err != nil && back:
		s.showMessagePage(w, r, u, http.StatusConflict, "", "Not acknowledged: "+err.Error())
	case err != nil:
		s.showDashboard(w, r, u, http.StatusConflict, "", "Not acknowledged: "+err.Error())
	case back:
		s.done(w, r, "/ui/messages/"+id, "task-acknowledged")
	default:
		s.done(w, r, "/#acks", "task-acknowledged")
	}
}

// activationOfSubject is the activation a message or task is part of, or "".
func (s *Server) activationOfSubject(id string) string {
	tx := s.engine.Read()
	if m, err := tx.Message(nil, id); err == nil && m != nil {
		return m.ActivationID
	}
	if t, err := tx.Task(nil, id); err == nil && t != nil {
		return t.ActivationID
	}
	return ""
}
