package server

import (
	"html/template"
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
	Timeline   []timelineLine // the events in words
	LastEvent  string
	CanHalt    bool
	CanInject  bool
	CanDecide  bool
	Decisions  []*state.Decision
	// The community tension log: each place's latest entry, and the
	// chart of all of them.
	Tension      []*state.Tension
	TensionChart template.HTML
	// The rumour register; CanCorrect: the person may assess and correct.
	Rumours    []rumourRow
	CanCorrect bool
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
	// FirstReach: who a live activation now reaches in its first hour,
	// and how many more than are listed, on the activate form.
	FirstReach []string
	FirstMore  int
	Prefix     string // the exercise marking
	// Unconfirmed: a live activation was asked for without the runbook's
	// id typed to confirm it.
	Unconfirmed bool
	// The modes the person may start from the activate form, and their
	// roles in words, to say why when they may not.
	MayLive, MayExercise bool
	Roles                string
	Clock                *exerciseClock // an exercise's own time, running on the page
	Zone                 string         // the time zone the page's times are in
	// The live page's own: the incident clock, what is due, planned
	// against actual drawn, and a line that sums it up.
	Incident *incidentClock
	Due      dueView
	Chart    template.HTML
	Summary  liveSummary
	Params   []paramValue // what it was activated with, in the runbook's order
}

// exerciseClock is what the page needs to show an exercise's time now and
// keep it running: scenario time at a real moment, and the speed.
type exerciseClock struct {
	Now      string // exercise time when the page was made
	Since    string // the real time the pace runs from, when faster than real time
	Speed    float64
	Scenario int64 // ms since the epoch
	Wall     int64 // ms since the epoch
	Zone     string
}

func (s *Server) clockOf(a *state.Activation) *exerciseClock {
	if !a.Exercise() || a.State != state.ActivationActive {
		return nil
	}
	scenario0, wall0, speed := engine.ExerciseClock(a)
	now := s.activationNow(a.ID)
	c := &exerciseClock{Now: now.In(s.loc).Format("15:04:05"), Speed: speed, Scenario: scenario0.UnixMilli(), Wall: wall0.UnixMilli(), Zone: s.loc.String()}
	if speed != 1 {
		c.Since = wall0.In(s.loc).Format("15:04")
	}
	return c
}

func (s *Server) activationRoutes() {
	s.mux.Handle("GET /ui/activations/{id}", s.web(anyone, s.activationPage))
	s.mux.Handle("GET /ui/activations/{id}/live", s.web(anyone, s.liveSections))
	s.mux.Handle("POST /ui/activations/{id}", s.form(mayEnd, s.endActivation))
	s.mux.Handle("POST /ui/activations/{id}/injects", s.form(exerciseLead, s.injectFromForm))
	s.mux.Handle("POST /ui/activations/{id}/decisions", s.form(planner, s.decisionFromForm))
	s.mux.Handle("POST /ui/activations/{id}/tension", s.form(anyone, s.tensionFromForm))
	s.mux.Handle("POST /ui/activations/{id}/rumours", s.form(anyone, s.rumourFromForm))
	s.mux.Handle("POST /ui/activations/{id}/rumours/{rid}/assess", s.form(commsOfficer, s.assessFromForm))
	s.mux.Handle("POST /ui/activations/{id}/speed", s.form(func(u *User, _ *http.Request) bool { return u.Has(RolePlanner, RoleExerciseLead) }, s.speedFromForm))
	s.mux.Handle("POST /ui/runbooks/reload", s.form(planner, s.reloadFromForm))
	s.workRoutes() // tasks, acknowledgements, the archive and the runbook pages
	s.mux.Handle("GET /ui/activations/{id}/report", s.web(anyone, s.reportPage))
	s.mux.Handle("GET /ui/runbooks/{id}/activate", s.web(anyone, s.activateForm))
	s.mux.Handle("POST /ui/runbooks/{id}/activate", s.form(anyone, s.activateFromForm)) // the mode decides: mayActivate
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
	s.showActivation(w, r, u, http.StatusOK, takeNotice(w, r), "")
}

func (s *Server) showActivation(w http.ResponseWriter, r *http.Request, u *User, status int, done, problem string) {
	p, ok := s.activationData(r, u, done, problem)
	if !ok {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no activation " + r.PathValue("id") + "."})
		return
	}
	s.renderPage(w, status, "activation.html", p)
}

// activationData is everything the activation page shows, read once for
// the page and again, the same way, for each live refresh of its sections.
func (s *Server) activationData(r *http.Request, u *User, done, problem string) (*activationPage, bool) {
	tx := s.engine.Read() // first, so that the last event read is no later than anything else shown
	a, err := tx.Activation(nil, r.PathValue("id"))
	if err != nil || a == nil {
		return nil, false
	}
	p := &activationPage{page: page{Title: a.Title, User: u, Exercise: a.Exercise(), Live: !a.Exercise(), Done: done, Error: problem},
		Activation: viewActivation(a), CanHalt: a.Exercise() && u.Has(RolePlanner, RoleExerciseLead) || u.Has(RolePlanner),
		CanInject: a.Exercise() && u.Has(RoleExerciseLead), CanDecide: u.Has(RolePlanner)}
	p.refillFrom(r)
	p.Clock, p.Zone, p.Params = s.clockOf(a), s.loc.String(), s.paramsOf(a)
	p.Decisions, _ = tx.DecisionsOf(nil, a.ID)
	p.Rumours, p.CanCorrect = rumourRows(tx, a.ID), u.Has(RoleComms)
	if log, _ := tx.TensionOf(nil, a.ID); len(log) > 0 {
		p.Tension, p.TensionChart = tensionNow(log), tensionChart(log, s.loc, s.activationNow(a.ID))
	}
	p.Waiting = s.ackWaiting(tx, a.ID)
	rep, err := s.engine.Report(a.ID)
	if err == nil {
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
		p.Chart = s.planVsActual(rep)
	} else {
		rep = nil
	}
	p.Due = s.dueOf(tx, a, rep, p.Waiting)
	p.Incident = s.incidentClockOf(a)
	ms, _ := tx.MessagesOf(nil, a.ID)
	for _, m := range ms {
		if v, err := s.viewMessage(tx, m, false); err == nil {
			p.Messages = append(p.Messages, v)
		}
	}
	ts, _ := tx.TasksOf(nil, a.ID)
	for _, t := range ts {
		p.Tasks = append(p.Tasks, s.taskFor(t, u))
	}
	evs, _ := tx.EventsOf(nil, a.ID)
	rb, _ := s.engine.Runbook(a.ID) // nil names steps by their ids
	for _, e := range evs {
		p.Events = append(p.Events, viewEvent(e))
		p.Timeline = append(p.Timeline, lineOfEvent(rb, viewEvent(e)))
		p.LastEvent = e.ID
	}
	p.CSRF = s.csrfToken(r)
	p.Summary = summarise(a, p)
	return p, true
}

// renderPage renders a page with content of its own.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, p any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, name, p); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
	}
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
		Runbook: viewRunbook(rb, file), Plan: plan, Severities: runbooks.Severities(), Prefix: rb.ExercisePrefix(),
		MayLive: mayActivate(u, "live"), MayExercise: mayActivate(u, "exercise"), Roles: roleWords(u.Roles)}
	p.FirstReach, p.FirstMore = firstReach(rb, s.engine.Directory(), s.now(), 8)
	p.Unconfirmed = p.MayLive && r.Method == http.MethodPost && r.PostFormValue("mode") == "live" && !liveConfirmed(r, string(rb.ID))
	for _, m := range s.reachByMode(rb) { // only the modes they may start
		if mayActivate(u, m.Mode) {
			p.Reach = append(p.Reach, m)
		}
	}
	if !p.MayExercise {
		p.Title = "You may not activate " + rb.Title
		status = http.StatusForbidden
	}
	p.refillFrom(r)
	s.renderPage(w, status, "activate.html", p)
}

// modeRefused is why a mode someone chose on the activate form is not
// theirs to start, in words.
func modeRefused(u *User, mode string) string {
	if mode == "live" {
		why := "Not activated: you may not start a live activation, which needs the planner role (your role: " + roleWords(u.Roles) + ")."
		if mayActivate(u, "exercise") {
			why += " You may start it as an exercise."
		}
		return why
	}
	return "Not activated: " + mode + " is not a mode crier knows; choose an exercise or a live activation."
}

// reportPage shows the report, printable, with its downloads.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, u *User) {
	rep, err := s.engine.Report(r.PathValue("id"))
	if err != nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: err.Error()})
		return
	}
	v, err := s.reportView(page{Title: "Report: " + rep.Title, User: u, Exercise: rep.Mode == "exercise", CSRF: s.csrfToken(r)}, rep)
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "error.html", &page{Title: "No report", User: u, Error: "The report could not be shown: " + err.Error()})
		return
	}
	s.renderPage(w, http.StatusOK, "report.html", v)
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
