package server

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// The dashboard: what needs the user now. Messages waiting for their
// approval, what waits for their acknowledgement, tasks, the running
// activations and the runbooks; the archive of every activation.

// dashboardPage is what the dashboard shows beyond page.
type dashboardPage struct {
	page
	Acks        []ackItem        // waiting for the user's acknowledgement
	Running     []activationLine // activations still running: live first, then newest first
	Ended       []activationLine // the latest few that have ended
	AllEnded    int              // how many have ended in all
	CanActivate bool             // a live activation or an exercise
	// Exercises are the activations that are exercises, by id: their
	// messages' and tasks' times are exercise time.
	Exercises map[string]bool
	Lines     []activationLine // the archive: every activation, newest first
}

// endedOnDashboard is how many ended activations the dashboard shows; the
// archive has the rest.
const endedOnDashboard = 5

// workRoutes are the pages and forms for work where people are: tasks,
// acknowledgements, the archive of activations and the runbook pages.
func (s *Server) workRoutes() {
	s.mux.Handle("POST /ui/tasks/{id...}", s.form(s.mayTaskForm, s.taskForm))
	s.mux.Handle("POST /ui/acks/{id...}", s.form(anyone, s.ackFromForm)) // the engine checks it was sent to them
	s.mux.Handle("GET /ui/activations", s.web(anyone, s.activationsPage))
	s.mux.Handle("GET /ui/runbooks/{id}", s.web(anyone, s.runbookPage))
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, u *User) {
	s.showDashboard(w, r, u, http.StatusOK, takeNotice(w, r), "")
}

// showDashboard is the dashboard, with a notice (done) or why a form from
// it was refused (problem).
func (s *Server) showDashboard(w http.ResponseWriter, r *http.Request, u *User, status int, done, problem string) {
	tx := s.engine.Read()
	p := &dashboardPage{page: page{Title: "Dashboard", User: u, Approvals: []messageView{}, CanReload: u.Has(RolePlanner), Done: done, Error: problem},
		CanActivate: mayActivate(u, "exercise"), Exercises: map[string]bool{}}
	waiting, _ := tx.MessagesInState(nil, state.MessagePendingApproval)
	for _, m := range waiting { // only what the user may approve now: not what they wrote, nor approved already
		if u.Has(RoleComms) && s.approverOf(m, u) {
			if v, err := s.viewMessage(tx, m, false); err == nil && s.whyNot(m, v, u) == "" {
				p.Approvals = append(p.Approvals, v)
			}
		}
	}
	for _, st := range []string{state.TaskOpen, state.TaskAcknowledged} {
		ts, _ := tx.TasksInState(nil, st)
		for _, t := range ts {
			v := s.taskFor(t, u)
			if v.Yours || (v.Overdue && u.Has(RolePlanner)) { // a planner chases what is late
				p.Tasks = append(p.Tasks, v)
			}
		}
	}
	slices.SortStableFunc(p.Tasks, func(a, b taskView) int { // overdue first
		switch {
		case a.Overdue == b.Overdue:
			return 0
		case a.Overdue:
			return -1
		}
		return 1
	})
	as, _ := tx.Activations(nil)
	as = slices.Clone(as)
	slices.Reverse(as) // newest first
	for _, a := range as {
		p.Activations = append(p.Activations, viewActivation(a))
		p.Exercises[a.ID] = a.Exercise()
		if a.State == state.ActivationActive {
			p.Acks = append(p.Acks, s.acksFor(tx, a, u)...)
		}
	}
	p.Waits = s.stillWaiting(p.Activations) // counts them in p.Activations
	for i, v := range p.Activations {
		switch {
		case v.State == state.ActivationActive:
			p.Running = append(p.Running, s.lineOf(v, as[i]))
		case len(p.Ended) < endedOnDashboard:
			p.Ended = append(p.Ended, s.lineOf(v, as[i]))
			fallthrough
		default:
			p.AllEnded++
		}
	}
	liveFirst(p.Running)
	for _, rb := range s.library.List() {
		p.Runbooks = append(p.Runbooks, viewRunbook(rb, ""))
	}
	p.CSRF = s.csrfToken(r)
	s.renderPage(w, status, "dashboard.html", p)
}

// ackDue is when a task must be acknowledged by, in its activation's own
// time (scenario time for an exercise), and whether it asks that at all:
// only an open task whose step sets ack_within.
func (s *Server) ackDue(t *state.Task) (time.Time, bool) {
	rb, err := s.engine.Runbook(t.ActivationID)
	if err != nil || t.State != state.TaskOpen {
		return time.Time{}, false
	}
	st, ok := rb.Step(t.Step)
	if !ok || st.Task == nil || st.Task.AckWithin == nil {
		return time.Time{}, false
	}
	since := t.OpenedAt // or since it was last given to someone else
	if t.ReassignedAt.After(since) {
		since = t.ReassignedAt
	}
	return since.Add(st.Task.AckWithin.D), true
}

// overdue reports whether a task is still not acknowledged after its
// step's ack_within, judged on its activation's clock.
func (s *Server) overdue(t *state.Task) bool {
	due, ok := s.ackDue(t)
	return ok && s.activationNow(t.ActivationID).After(due)
}

// activationNow is the time now in an activation's own time: an
// exercise's scenario time, on the clock its record keeps.
func (s *Server) activationNow(id string) time.Time {
	a, err := s.engine.Read().Activation(nil, id)
	if err != nil || a == nil {
		return s.now()
	}
	scenario0, wall0, speed := engine.ExerciseClock(a)
	return scenario0.Add(time.Duration(float64(s.now().Sub(wall0)) * speed))
}

// assignedTo reports whether a task is u's: theirs by name or by a role.
func (s *Server) assignedTo(t *state.Task, u *User) bool {
	_, ok := s.asAssignee(t, u)
	return ok
}

// asAssignee is how the runbook knows u as someone a task is assigned to
// (their email address, or else their Slack user id), and whether it is.
func (s *Server) asAssignee(t *state.Task, u *User) (string, bool) {
	rb, err := s.engine.Runbook(t.ActivationID)
	if err != nil {
		return u.Identity(), false
	}
	for _, who := range []string{u.Identity(), u.Slack} {
		if who != "" && engine.IsAssignee(rb, s.engine.Directory(), t.Assignee, who) {
			return who, true
		}
	}
	return u.Identity(), false
}

// assigneeName is who a task is for, in words: a stakeholder's name, or
// anyone holding a role.
func assigneeName(rb *runbooks.Runbook, assignee string) string {
	if role, ok := strings.CutPrefix(assignee, "role:"); ok {
		return "anyone with the role " + role
	}
	return stakeholderName(rb, assignee)
}

// activationsPage lists every activation, newest first, with its report.
func (s *Server) activationsPage(w http.ResponseWriter, r *http.Request, u *User) {
	p := &dashboardPage{page: page{Title: "Activations", User: u}}
	as, _ := s.engine.Read().Activations(nil)
	for _, a := range slices.Backward(as) {
		p.Lines = append(p.Lines, s.lineOf(viewActivation(a), a))
	}
	p.CSRF = s.csrfToken(r)
	s.renderPage(w, http.StatusOK, "activations.html", p)
}
