package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// activationPage is what an activation page shows.
type activationPage struct {
	page
	Activation activationView
	Messages   []messageView
	Events     []eventView
	LastEvent  string
	CanHalt    bool
	CanInject  bool
	CanDecide  bool
	Decisions  []*state.Decision
	Steps      []stepRow
	ByChannel  []engine.ChannelCount
	Failed     []engine.DeliveryReport
	NotArrived []engine.DeliveryReport // texts the phone network did not deliver
	Still      []engine.StillWaiting   // after the escalation ran out
	Waiting    []ackWaiting
	Runbook    runbookView
	Severities []string // for the activate form
	Plan       []runbooks.Occurrence
	Reach      []modeReach // what each mode can reach, on the activate form
	Prefix     string      // the exercise marking
}

func (s *Server) activationRoutes() {
	s.mux.Handle("GET /ui/activations/{id}", s.web(anyone, s.activationPage))
	s.mux.Handle("POST /ui/activations/{id}", s.web(mayEnd, s.endActivation))
	s.mux.Handle("POST /ui/activations/{id}/injects", s.web(exerciseLead, s.injectFromForm))
	s.mux.Handle("POST /ui/activations/{id}/decisions", s.web(planner, s.decisionFromForm))
	s.mux.Handle("POST /ui/activations/{id}/speed", s.web(func(u *User, _ *http.Request) bool { return u.Has(RolePlanner, RoleExerciseLead) }, s.speedFromForm))
	s.mux.Handle("POST /ui/runbooks/reload", s.web(planner, s.reloadFromForm))
	s.mux.Handle("POST /ui/tasks/{id...}", s.web(planner, s.taskFromForm))
	s.mux.Handle("GET /ui/activations/{id}/report", s.web(anyone, s.reportPage))
	s.mux.Handle("GET /ui/runbooks/{id}/activate", s.web(anyone, s.activateForm))
	s.mux.Handle("POST /ui/runbooks/{id}/activate", s.web(anyone, s.activateFromForm)) // the mode decides: mayActivate
}

// mayActivate: live needs a planner; an exercise a planner or an exercise lead.
func mayActivate(u *User, mode string) bool {
	if mode == "live" {
		return u.Has(RolePlanner)
	}
	return u.Has(RolePlanner, RoleExerciseLead)
}

// mayEnd: standing down needs a planner; halting an exercise, a planner or an exercise lead.
func mayEnd(u *User, r *http.Request) bool {
	if r.Method == http.MethodPost && r.PostFormValue("action") == "standdown" {
		return u.Has(RolePlanner)
	}
	return u.Has(RolePlanner, RoleExerciseLead)
}

func (s *Server) activationPage(w http.ResponseWriter, r *http.Request, u *User) {
	s.showActivation(w, r, u, http.StatusOK, "", "")
}

func (s *Server) showActivation(w http.ResponseWriter, r *http.Request, u *User, status int, done, problem string) {
	tx := s.engine.Read()
	a, err := tx.Activation(nil, r.PathValue("id"))
	if err != nil || a == nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no activation " + r.PathValue("id") + "."})
		return
	}
	p := &activationPage{page: page{Title: a.Title, User: u, Exercise: a.Exercise(), Done: done, Error: problem},
		Activation: viewActivation(a), CanHalt: a.Exercise() && u.Has(RolePlanner, RoleExerciseLead) || u.Has(RolePlanner),
		CanInject: a.Exercise() && u.Has(RoleExerciseLead), CanDecide: u.Has(RolePlanner)}
	p.Decisions, _ = tx.DecisionsOf(nil, a.ID)
	if rep, err := s.engine.Report(a.ID); err == nil {
		for _, st := range rep.Steps {
			p.Steps = append(p.Steps, stepRow{Step: st.Step, N: st.Occurrence, Kind: st.Kind, State: st.State,
				Planned: offsetText(st.PlannedSeconds), Fired: offsetText(st.FiredSeconds), Complete: offsetText(st.CompleteSeconds)})
		}
		p.ByChannel = rep.ByChannel
		for _, d := range rep.Deliveries {
			switch d.Status {
			case state.DeliveryFailed:
				p.Failed = append(p.Failed, d)
			case state.DeliveryUndelivered:
				p.NotArrived = append(p.NotArrived, d)
			}
		}
		p.Still = rep.StillWaiting
	}
	p.Waiting = s.ackWaiting(tx, a.ID)
	ms, _ := tx.MessagesOf(nil, a.ID)
	for _, m := range ms {
		if v, err := s.viewMessage(tx, m, false); err == nil {
			p.Messages = append(p.Messages, v)
		}
	}
	ts, _ := tx.TasksOf(nil, a.ID)
	for _, t := range ts {
		p.Tasks = append(p.Tasks, viewTask(t))
	}
	evs, _ := tx.EventsOf(nil, a.ID)
	for _, e := range evs {
		p.Events = append(p.Events, viewEvent(e))
		p.LastEvent = e.ID
	}
	p.CSRF = s.csrfToken(r)
	s.renderPage(w, status, "activation.html", p)
}

// renderPage renders a page with content of its own.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, p any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'")
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, name, p); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
	}
}

func (s *Server) endActivation(w http.ResponseWriter, r *http.Request, u *User) {
	id, why := r.PathValue("id"), r.PostFormValue("reason")
	meta := engine.Meta{Actor: u.Identity()}
	var c engine.Command = &engine.Halt{Meta: meta, Activation: id, Reason: why}
	done := "The exercise is halted: nothing more fires or is sent."
	if r.PostFormValue("action") == "standdown" {
		c, done = &engine.StandDown{Meta: meta, Activation: id, Reason: why}, "Stood down: nothing more fires or is sent."
	}
	if strings.TrimSpace(why) == "" {
		s.showActivation(w, r, u, http.StatusUnprocessableEntity, "", "Give a reason: it goes in the record.")
		return
	}
	s.applyAndShow(w, r, u, c, done, "Not done")
}

func (s *Server) activateForm(w http.ResponseWriter, r *http.Request, u *User) {
	s.showActivateForm(w, r, u, http.StatusOK, "")
}

func (s *Server) showActivateForm(w http.ResponseWriter, r *http.Request, u *User, status int, problem string) {
	rb, _, file, ok := s.library.Get(r.PathValue("id"))
	if !ok {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no runbook " + r.PathValue("id") + "."})
		return
	}
	horizon, err := engine.DrillHorizon(rb)
	if err != nil {
		horizon = 24 * time.Hour
	}
	plan, _ := runbooks.Plan(rb, s.now(), horizon, runbooks.PlanOptions{Exercise: true})
	p := &activationPage{page: page{Title: "Activate " + rb.Title, User: u, Error: problem, CSRF: s.csrfToken(r)},
		Runbook: viewRunbook(rb, file), Plan: plan, Severities: runbooks.Severities(), Reach: s.reachByMode(rb), Prefix: rb.ExercisePrefix()}
	s.renderPage(w, status, "activate.html", p)
}

func (s *Server) activateFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	mode := r.PostFormValue("mode")
	if !mayActivate(u, mode) {
		s.render(w, r, http.StatusForbidden, "error.html", &page{Title: "Not allowed", User: u,
			Error: u.Name + " may not start a " + mode + " activation (roles: " + u.rolesText() + ")."})
		return
	}
	_, source, file, ok := s.library.Get(r.PathValue("id"))
	if !ok {
		s.showActivateForm(w, r, u, http.StatusNotFound, "There is no such runbook.")
		return
	}
	params := map[string]string{}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "param."); ok && len(v) > 0 && v[0] != "" {
			params[name] = v[0]
		}
	}
	speed, _ := strconv.ParseFloat(r.PostFormValue("speed"), 64)
	if mode != "exercise" || speed <= 1 {
		speed = 0 // real time
	}
	index, err := s.engine.Apply(r.Context(), &engine.Activate{Meta: engine.Meta{Actor: u.Identity()}, Source: source, SourceName: file,
		Mode: mode, Event: r.PostFormValue("event"), Severity: r.PostFormValue("severity"), Params: params, Speed: speed})
	if err != nil {
		s.showActivateForm(w, r, u, http.StatusUnprocessableEntity, "Not activated: "+err.Error())
		return
	}
	http.Redirect(w, r, "/ui/activations/"+engine.ActivationID(index), http.StatusSeeOther)
}

// reportPage shows the report, printable, with its downloads.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, u *User) {
	rep, err := s.engine.Report(r.PathValue("id"))
	if err != nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: err.Error()})
		return
	}
	v, err := newReportView(page{Title: "Report: " + rep.Title, User: u, Exercise: rep.Mode == "exercise", CSRF: s.csrfToken(r)}, rep)
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "error.html", &page{Title: "No report", User: u, Error: "The report could not be shown: " + err.Error()})
		return
	}
	s.renderPage(w, http.StatusOK, "report.html", v)
}

// injectFromForm sends an inject from the exercise controls.
func (s *Server) injectFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	var to []string
	for _, t := range strings.Split(r.PostFormValue("to"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			to = append(to, t)
		}
	}
	s.applyAndShow(w, r, u, &engine.SendInject{Meta: engine.Meta{Actor: u.Identity()}, Activation: r.PathValue("id"),
		To: to, Body: r.PostFormValue("body")}, "The inject is on its way.", "Not sent")
}

// decisionFromForm adds to the decision log from the activation page.
func (s *Server) decisionFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	if strings.TrimSpace(r.PostFormValue("decision")) == "" {
		s.showActivation(w, r, u, http.StatusUnprocessableEntity, "", "Write the decision.")
		return
	}
	s.applyAndShow(w, r, u, &engine.RecordDecision{Meta: engine.Meta{Actor: u.Identity()}, Activation: r.PathValue("id"),
		Decision: r.PostFormValue("decision"), Rationale: r.PostFormValue("rationale"), Information: r.PostFormValue("information")}, "The decision is in the log.", "Not recorded")
}

// reloadFromForm reads the runbooks again, from the dashboard.
func (s *Server) reloadFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	if err := s.library.Reload(); err != nil {
		s.render(w, r, http.StatusOK, "error.html", &page{Title: "Some runbooks did not load", User: u,
			Error: err.Error() + " — the copies that loaded before are still offered."})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// ackWaiting is who has yet to acknowledge what asks them to.
type ackWaiting struct {
	Subject, Message string
	Who              []string
}

// ackWaiting lists, for each message that asks for acknowledgement, the
// stakeholders it reached who have not acknowledged it.
func (s *Server) ackWaiting(tx *state.Txn, activation string) []ackWaiting {
	rb, err := s.engine.Runbook(activation)
	if err != nil {
		return nil
	}
	ms, _ := tx.MessagesOf(nil, activation)
	var out []ackWaiting
	for _, m := range ms {
		st, ok := rb.Step(m.Step)
		if !ok || (st.Task == nil && (st.Notify == nil || st.Notify.AckWithin == nil)) {
			continue
		}
		if m.ID != engine.OccurrenceID(activation, m.Step, occurrenceN(m.ID)) {
			continue // an escalation's notice about the step, not the step's own message
		}
		acked := map[string]bool{}
		acks, _ := tx.AcknowledgementsOf(nil, m.ID)
		for _, k := range acks {
			acked[k.Stakeholder] = true
		}
		ds, _ := tx.DeliveriesOf(nil, m.ID)
		var ids []string
		reached := map[string]bool{} // whether any delivery to them did not fail
		for _, d := range ds {
			if d.Stakeholder == "" || d.State == state.DeliveryWithheld || acked[d.Stakeholder] {
				continue
			}
			if !slices.Contains(ids, d.Stakeholder) {
				ids = append(ids, d.Stakeholder)
			}
			reached[d.Stakeholder] = reached[d.Stakeholder] || d.State != state.DeliveryFailed
		}
		var who []string
		for _, id := range ids {
			name := stakeholderName(rb, id)
			if !reached[id] {
				name += " (unreachable: every delivery failed)"
			}
			who = append(who, name)
		}
		if len(who) > 0 {
			out = append(out, ackWaiting{Subject: m.Current().Subject, Message: m.ID, Who: who})
		}
	}
	return out
}

// occurrenceN is the occurrence number at the end of a step's message
// id (a-000001/statement/2), or 0.
func occurrenceN(id string) int {
	n, _ := strconv.Atoi(id[strings.LastIndex(id, "/")+1:])
	return n
}

// speedFromForm changes an exercise's speed from the exercise controls.
func (s *Server) speedFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	speed, _ := strconv.ParseFloat(r.PostFormValue("speed"), 64)
	s.applyAndShow(w, r, u, &engine.SetSpeed{Meta: engine.Meta{Actor: u.Identity()}, Activation: r.PathValue("id"),
		Speed: speed, Wall: s.now()}, fmt.Sprintf("The exercise now runs at %gx.", speed), "Not changed")
}

// taskFromForm marks a task done or reassigns it from the activation page.
func (s *Server) taskFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.PathValue("id")
	meta := engine.Meta{Actor: u.Identity()}
	var c engine.Command = &engine.CompleteTask{Meta: meta, Task: id, By: u.Identity()}
	done := "The task is done."
	switch to := strings.TrimSpace(r.PostFormValue("to")); r.PostFormValue("action") {
	case "reassign":
		c, done = &engine.ReassignTask{Meta: meta, Task: id, To: to}, "The task is now for "+to+"."
	case "ack":
		c, done = &engine.Acknowledge{Meta: meta, Subject: id, By: u.Identity(), Via: "web"}, "Your acknowledgement is recorded."
	}
	t, _ := s.engine.Read().Task(nil, id)
	if t == nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no task " + id + "."})
		return
	}
	r.SetPathValue("id", t.ActivationID) // the page to show again
	s.applyAndShow(w, r, u, c, done, "Not done")
}

// stepRow is one line of planned against actual.
type stepRow struct {
	Step, Kind, State, Planned, Fired, Complete string
	N                                           int
}

// offsetText shows an offset from activation, or a dash for none.
func offsetText(seconds *int64) string {
	if seconds == nil {
		return "–"
	}
	return "+" + runbooks.HumanDuration(time.Duration(*seconds)*time.Second)
}

// applyAndShow runs a command from the activation page and shows the page
// again, saying it was done, or why not (notDone: "Not sent", say).
func (s *Server) applyAndShow(w http.ResponseWriter, r *http.Request, u *User, c engine.Command, done, notDone string) {
	if _, err := s.engine.Apply(r.Context(), c); err != nil {
		s.showActivation(w, r, u, http.StatusConflict, "", notDone+": "+err.Error())
		return
	}
	s.showActivation(w, r, u, http.StatusOK, done, "")
}
