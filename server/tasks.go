package server

import (
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
	Yours          bool       `json:"-"`                 // assigned to the user looking
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
	if t, err := s.engine.Read().Task(nil, id); err != nil || t == nil {
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
		c = &engine.CompleteTask{Meta: meta, Task: id, By: u.Identity()}
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
	t, err := s.engine.Read().Task(nil, id)
	if err != nil {
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
