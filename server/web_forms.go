package server

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/crierhq/crier/engine"
)

// The web app's forms that change something. Each is carried out at most
// once for the idempotency key its page put in it (onceForForm); done, it
// answers 303 See Other to the page to show, with a notice that lasts one
// showing, so that a reload shows the page again and does nothing; refused,
// it shows its page again with why, and what was typed.

// form lets a form through as web does, then carries it out at most once.
func (s *Server) form(may func(*User, *http.Request) bool, handle func(http.ResponseWriter, *http.Request, *User)) http.Handler {
	return s.web(may, func(w http.ResponseWriter, r *http.Request, u *User) { s.onceForForm(w, r, u, handle) })
}

// noticeCookie carries a notice across the redirect after a form: the key
// of one of noticeText's fixed sentences, never text anyone typed.
const noticeCookie = "crier_notice"

// noticeText is the sentence for a notice's key, or "" for none.
func noticeText(key string) string {
	switch key {
	case "approved":
		return "Your approval is recorded."
	case "rejected":
		return "The message is rejected; it will not be sent."
	case "edited":
		return "Your revision is saved; earlier approvals no longer count."
	case "redrafted":
		return "Your re-draft is saved and waits for approval again; the rejection stays in the record."
	case "written":
		return "Your message is written and waits for approval."
	case "stood-down":
		return "Stood down: nothing more fires or is sent."
	case "halted":
		return "The exercise is halted: nothing more fires or is sent."
	case "inject":
		return "The inject is on its way."
	case "decision":
		return "Decision recorded: it is in the log below."
	case "tension":
		return "Tension recorded: it is in the log below."
	case "rumour":
		return "Rumour logged: it is in the register below."
	case "assessed":
		return "Your assessment is recorded."
	case "speed":
		return "The speed is changed: what is still to come is placed again at the new speed."
	case "task-done":
		return "The task is done."
	case "task-reassigned":
		return "The task is reassigned, and sent to its new assignee."
	case "task-acknowledged":
		return "Your acknowledgement is recorded."
	case "reloaded":
		return "The runbooks are read again."
	case "activated-live":
		return "Activated live: messages go to real people."
	case "activated-exercise":
		return "The exercise has started."
	case "cover-added":
		return "The cover is in the directory, and in force for the times given."
	case "directory-saved":
		return "The directory is saved and in force; the version before stays in the record."
	case "directory-unchanged":
		return "Nothing was changed: the text is the directory in force."
	}
	return ""
}

// done answers a form that did what it asked: 303 to the page to show,
// which says notice once.
func (s *Server) done(w http.ResponseWriter, r *http.Request, to, notice string) {
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: notice, Path: "/", MaxAge: 60, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// takeNotice is the notice a page shows once, after a form; it is then cleared.
func takeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	return noticeText(c.Value)
}

// messageDecision approves, rejects, edits or re-drafts from the message
// page.
func (s *Server) messageDecision(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.PathValue("id")
	meta := engine.Meta{Actor: u.Person()}
	m, _ := s.engine.Read().Message(nil, id)
	if m == nil {
		s.showMessagePage(w, r, u, http.StatusNotFound, "", "")
		return
	}
	var c engine.Command
	var done string
	switch r.PostFormValue("action") {
	case "approve":
		rev, _ := strconv.Atoi(r.PostFormValue("revision"))
		c, done = &engine.Approve{Meta: meta, Message: id, Revision: rev, By: u.Identity()}, "approved"
	case "reject":
		c, done = &engine.Reject{Meta: meta, Message: id, Revision: seenRevision(r), By: u.Identity(), Reason: r.PostFormValue("reason")}, "rejected"
	case "edit", "redraft":
		action := r.PostFormValue("action")
		var problem string
		if c, problem = revisionCommand(r, u, m, action); problem != "" {
			s.showMessagePage(w, r, u, http.StatusUnprocessableEntity, "", "Not saved. "+problem)
			return
		}
		done = "edited"
		if action == "redraft" {
			done = "redrafted"
		}
	default:
		s.showMessagePage(w, r, u, http.StatusBadRequest, "", "Choose approve, edit or reject.")
		return
	}
	if _, err := s.engine.Apply(r.Context(), c); err != nil {
		s.showMessagePage(w, r, u, http.StatusConflict, "", "Not done: "+err.Error())
		return
	}
	s.done(w, r, "/ui/messages/"+id, done)
}

// endActivation stands an activation down, or halts an exercise: with a
// reason, and only once the box saying so is ticked.
func (s *Server) endActivation(w http.ResponseWriter, r *http.Request, u *User) {
	id, why := r.PathValue("id"), r.PostFormValue("reason")
	meta := engine.Meta{Actor: u.Person()}
	var c engine.Command = &engine.Halt{Meta: meta, Activation: id, Reason: why}
	done, notDone := "halted", "Not halted"
	if r.PostFormValue("action") == "standdown" {
		c, done, notDone = &engine.StandDown{Meta: meta, Activation: id, Reason: why}, "stood-down", "Not stood down"
	}
	switch {
	case strings.TrimSpace(why) == "":
		s.showActivation(w, r, u, http.StatusUnprocessableEntity, "", notDone+": give a reason. It goes in the record.")
		return
	case r.PostFormValue("confirm") != "yes":
		s.showActivation(w, r, u, http.StatusUnprocessableEntity, "", notDone+": tick the box to confirm. Nothing more fires or is sent after it, and it cannot be undone.")
		return
	}
	s.applyAndRedirect(w, r, u, c, id, done, notDone)
}

// activateFromForm starts an activation from the activate form. A live one
// needs the runbook's id typed to confirm it; an exercise needs nothing more.
func (s *Server) activateFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	mode := r.PostFormValue("mode")
	if !mayActivate(u, mode) { // the form again, with what was typed
		s.showActivateForm(w, r, u, http.StatusForbidden, modeRefused(u, mode))
		return
	}
	rb, source, file, ok := s.library.Get(r.PathValue("id"))
	if !ok {
		s.showActivateForm(w, r, u, http.StatusNotFound, "There is no such runbook.")
		return
	}
	s.engine.Parsed(file, source, rb)
	if mode == "live" && !liveConfirmed(r, string(rb.ID)) {
		s.showActivateForm(w, r, u, http.StatusUnprocessableEntity, "Not activated. A live activation sends to real people at once: "+
			"to confirm it, type the runbook's id, "+string(rb.ID)+", in the box above the button.")
		return
	}
	params := map[string]string{}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "param."); ok && len(v) > 0 && v[0] != "" {
			params[name] = v[0]
		}
	}
	speed, ok := formSpeed(r)
	if !ok {
		s.showActivateForm(w, r, u, http.StatusUnprocessableEntity, "Not activated: the speed must be a number; "+engine.SpeedRange)
		return
	}
	if mode != "exercise" || speed == 1 {
		speed = 0 // real time
	}
	index, err := s.engine.Apply(r.Context(), &engine.Activate{Meta: engine.Meta{Actor: u.Person()}, Source: source, SourceName: file,
		Mode: mode, Event: r.PostFormValue("event"), Severity: r.PostFormValue("severity"), Params: params, Speed: speed})
	if err != nil {
		s.showActivateForm(w, r, u, http.StatusUnprocessableEntity, "Not activated: "+err.Error())
		return
	}
	started := "activated-exercise"
	if mode == "live" {
		started = "activated-live"
	}
	s.done(w, r, "/ui/activations/"+engine.ActivationID(index), started)
}

// liveConfirmed reports whether the activate form has the runbook's id
// typed in its confirm field, as a live activation needs.
func liveConfirmed(r *http.Request, runbook string) bool {
	return strings.EqualFold(strings.TrimSpace(r.PostFormValue("confirm")), runbook)
}

// injectFromForm sends an inject from the exercise controls.
func (s *Server) injectFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	var to []string
	for _, t := range strings.Split(r.PostFormValue("to"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			to = append(to, t)
		}
	}
	id := r.PathValue("id")
	s.applyAndRedirect(w, r, u, &engine.SendInject{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		To: to, Body: r.PostFormValue("body")}, id, "inject", "Not sent")
}

// decisionFromForm adds to the decision log from the activation page.
func (s *Server) decisionFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	if strings.TrimSpace(r.PostFormValue("decision")) == "" {
		s.showActivation(w, r, u, http.StatusUnprocessableEntity, "", "Write the decision.")
		return
	}
	id := r.PathValue("id")
	s.applyAndRedirect(w, r, u, &engine.RecordDecision{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Decision: r.PostFormValue("decision"), Rationale: r.PostFormValue("rationale"), Information: r.PostFormValue("information")},
		id, "decision", "Not recorded")
}

// speedFromForm changes an exercise's speed from the exercise controls.
func (s *Server) speedFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	speed, ok := formSpeed(r)
	if !ok {
		speed = -1 // refused by the engine, naming the range, as any speed out of it
	}
	id := r.PathValue("id")
	s.applyAndRedirect(w, r, u, &engine.SetSpeed{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Speed: speed, Wall: s.now()}, id, "speed", "Not changed")
}

// reloadFromForm reads the runbooks again, from the dashboard.
func (s *Server) reloadFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	if err := s.library.Reload(); err != nil {
		s.render(w, r, http.StatusOK, "error.html", &page{Title: "Some runbooks did not load", User: u,
			Error: err.Error() + " — the copies that loaded before are still offered."})
		return
	}
	s.done(w, r, "/", "reloaded")
}

// applyAndRedirect runs a command from the activation page: done, it goes
// back to the page with the notice; refused, it shows the page again with
// why (notDone: "Not sent", say).
func (s *Server) applyAndRedirect(w http.ResponseWriter, r *http.Request, u *User, c engine.Command, activation, notice, notDone string) {
	if _, err := s.engine.Apply(r.Context(), c); err != nil {
		s.showActivation(w, r, u, http.StatusConflict, "", notDone+": "+err.Error())
		return
	}
	s.done(w, r, "/ui/activations/"+activation, notice)
}

// formSpeed reads a form's speed: empty is real time (1); anything not a
// finite number is not a speed.
func formSpeed(r *http.Request) (float64, bool) {
	text := strings.TrimSpace(r.PostFormValue("speed"))
	if text == "" {
		return 1, true
	}
	speed, err := strconv.ParseFloat(text, 64)
	return speed, err == nil && !math.IsNaN(speed) && !math.IsInf(speed, 0)
}
