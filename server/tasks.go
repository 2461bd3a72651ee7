package server

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// taskView is a task as the API shows it.
type taskView struct {
	ID             string     `json:"id"`
	Activation     string     `json:"activation"`
	Step           string     `json:"step"`
	Assignee       string     `json:"assignee"`
	Instructions   string     `json:"instructions"`
	State          string     `json:"state"`
	OpenedAt       time.Time  `json:"opened_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
	DoneBy         string     `json:"done_by,omitempty"`
	Overdue        bool       `json:"overdue,omitempty"` // not acknowledged within the step's ack_within
	// For pages: the step's title, who has it in words, when it must be
	// acknowledged by (in its activation's own time), and what the user
	// looking may do with it.
	Title       string    `json:"-"`
	Who         string    `json:"-"`
	AckBy       time.Time `json:"-"`
	Exercise    bool      `json:"-"` // times in scenario time
	In          string    `json:"-"` // the activation's title
	Yours       bool      `json:"-"` // assigned to the user looking
	CanAck      bool      `json:"-"`
	CanComplete bool      `json:"-"`
	CanReassign bool      `json:"-"`
}

func viewTask(t *state.Task) taskView {
	v := taskView{ID: t.ID, Activation: t.ActivationID, Step: t.Step, Assignee: t.Assignee, Instructions: t.Instructions,
		State: t.State, OpenedAt: t.OpenedAt, AcknowledgedBy: t.AcknowledgedBy, DoneBy: t.DoneBy}
	if !t.AcknowledgedAt.IsZero() {
		v.AcknowledgedAt = &t.AcknowledgedAt
	}
	if !t.DoneAt.IsZero() {
		v.DoneAt = &t.DoneAt
	}
	return v
}

// taskFor is a task as a page shows it to u: its title, who has it, its
// deadline and what u may do with it, by the rules the forms are held to.
func (s *Server) taskFor(t *state.Task, u *User) taskView {
	v := viewTask(t)
	v.Title, v.Who = t.Step, t.Assignee
	if rb, err := s.engine.Runbook(t.ActivationID); err == nil {
		if st, ok := rb.Step(t.Step); ok {
			v.Title = st.Title
		}
		v.Who = assigneeName(rb, t.Assignee)
	}
	if a, err := s.engine.Read().Activation(nil, t.ActivationID); err == nil && a != nil {
		v.Exercise, v.In = a.Exercise(), a.Title
	}
	v.AckBy, _ = s.ackDue(t)
	v.Overdue, v.Yours = s.overdue(t), s.assignedTo(t, u)
	running := t.State == state.TaskOpen || t.State == state.TaskAcknowledged
	v.CanAck = t.State == state.TaskOpen && v.Yours
	v.CanComplete = running && s.mayTask(u, t.ID, "done")
	v.CanReassign = running && s.mayTask(u, t.ID, "reassign")
	return v
}

// mayTask is who may do what with a task: anyone may ask to acknowledge
// it (the engine checks it is assigned to them); whoever it is assigned
// to, or a planner, may complete it; only a planner reassigns it.
func (s *Server) mayTask(u *User, id, action string) bool {
	switch {
	case action == "ack" || planner(u, nil):
		return true
	case action == "done":
		t, err := s.engine.Read().Task(nil, id)
		return err == nil && t != nil && s.assignedTo(t, u)
	}
	return false
}

// mayActOnTask is mayTask for the API: the action ends the path.
func (s *Server) mayActOnTask(u *User, r *http.Request) bool {
	id, action := idAndAction(r)
	return s.mayTask(u, id, action)
}

// mayTaskForm is mayTask for the web app's task forms: the action is a
// field, and a form without one marks the task done.
func (s *Server) mayTaskForm(u *User, r *http.Request) bool {
	return s.mayTask(u, r.PathValue("id"), cmp.Or(r.PostFormValue("action"), "done"))
}

// completion is u completing a task: as someone it is assigned to, under
// the name the runbook knows them by, or else as a planner.
func (s *Server) completion(t *state.Task, u *User) *engine.CompleteTask {
	by, yours := s.asAssignee(t, u)
	return &engine.CompleteTask{Meta: engine.Meta{Actor: u.Person()}, Task: t.ID, By: by, AsAssignee: yours || !u.Has(RolePlanner)}
}

// taskForm acknowledges, completes or reassigns a task from the dashboard
// (back=dashboard) or the activation page, and goes back there.
func (s *Server) taskForm(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.PathValue("id")
	t, _ := s.engine.Read().Task(nil, id)
	if t == nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no task " + id + "."})
		return
	}
	meta := engine.Meta{Actor: u.Person()}
	var c engine.Command = s.completion(t, u)
	done := "task-done"
	switch r.PostFormValue("action") {
	case "reassign":
		c, done = &engine.ReassignTask{Meta: meta, Task: id, To: strings.TrimSpace(r.PostFormValue("to"))}, "task-reassigned"
	case "ack":
		by, _ := s.asAssignee(t, u)
		c, done = &engine.Acknowledge{Meta: meta, Subject: id, By: by, Via: "web"}, "task-acknowledged"
	}
	if r.PostFormValue("back") == "dashboard" {
		if _, err := s.engine.Apply(r.Context(), c); err != nil {
			s.showDashboard(w, r, u, http.StatusConflict, "", "Not done: "+err.Error())
			return
		}
		s.done(w, r, "/#tasks", done)
		return
	}
	r.SetPathValue("id", t.ActivationID) // the page to show
	s.applyAndRedirect(w, r, u, c, t.ActivationID, done, "Not done")
}

// listTasks lists tasks by ?activation= and/or ?state= (open,
// acknowledged, done, cancelled).
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, _ *User) {
	st, ok := stateQuery(w, r, state.TaskOpen, state.TaskAcknowledged, state.TaskDone, state.TaskCancelled)
	if !ok {
		return
	}
	tx := s.engine.Read()
	activation := r.URL.Query().Get("activation")
	var all []*state.Task
	var err error
	switch {
	case activation != "":
		all, err = tx.TasksOf(nil, activation)
	case st != "":
		all, err = tx.TasksInState(nil, st)
	default:
		var as []*state.Activation
		as, err = tx.Activations(nil)
		for _, a := range as {
			ts, e := tx.TasksOf(nil, a.ID)
			all, err = append(all, ts...), e
		}
	}
	if err != nil {
		refused(w, err)
		return
	}
	out := []taskView{}
	for _, t := range all {
		if st == "" || t.State == st {
			out = append(out, viewTask(t))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// actOnTask acknowledges (…/ack), completes (…/done) or reassigns
// (…/reassign {to}) a task, for the user as they are known to the runbook.
func (s *Server) actOnTask(w http.ResponseWriter, r *http.Request, u *User) {
	id, action := idAndAction(r)
	t, err := s.engine.Read().Task(nil, id)
	if err != nil || t == nil {
		writeError(w, http.StatusNotFound, "not_found", "no task "+id+" (a message is acknowledged at /api/v1/messages/ID/ack)")
		return
	}
	meta := engine.Meta{Actor: u.Person()}
	var c engine.Command
	switch action {
	case "ack":
		var ok bool
		if c, ok = acknowledgement(w, r, u, id); !ok {
			return
		}
	case "done":
		c = s.completion(t, u)
	case "reassign":
		var req struct {
			To string `json:"to"`
		}
		if !decode(w, r, &req) {
			return
		}
		c = &engine.ReassignTask{Meta: meta, Task: id, To: req.To}
	default:
		writeError(w, http.StatusNotFound, "not_found", "POST a task's /ack, /done or /reassign")
		return
	}
	if _, err := s.engine.Apply(r.Context(), c); err != nil {
		refused(w, err)
		return
	}
	if t, err = s.engine.Read().Task(nil, id); err != nil {
		refused(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTask(t))
}

// idAndAction splits a path like a-000001/walkabout/1/ack into the id, which
// holds slashes, and the action after the last one.
func idAndAction(r *http.Request) (id, action string) {
	path := r.PathValue("id")
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return path, ""
	}
	return path[:i], path[i+1:]
}
