package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// runbookView is a runbook as the API lists it.
type runbookView struct {
	ID       string      `json:"id"`
	Title    string      `json:"title"`
	File     string      `json:"file,omitempty"`
	Params   []paramView `json:"params"`
	Steps    int         `json:"steps"`
	Timezone string      `json:"timezone"`
}

// paramView is a param an activation may give, as the activate form asks.
type paramView struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required"`
	Default     string `json:"default,omitempty"`
}

func viewRunbook(rb *runbooks.Runbook, file string) runbookView {
	params := []paramView{}
	for _, p := range rb.Params {
		params = append(params, paramView{Name: p.Name, Description: p.Description, Required: p.Required, Default: p.Default})
	}
	return runbookView{ID: string(rb.ID), Title: rb.Title, File: file, Params: params, Steps: len(rb.Steps), Timezone: rb.Location().String()}
}

func (s *Server) listRunbooks(w http.ResponseWriter, _ *http.Request, _ *User) {
	out := []runbookView{}
	for _, rb := range s.library.List() {
		_, _, file, _ := s.library.Get(string(rb.ID))
		out = append(out, viewRunbook(rb, file))
	}
	writeJSON(w, http.StatusOK, out)
}

// getRunbook shows a runbook with its plan from now, as it would run if
// activated: ?exercise=true plans the drill, ?horizon=3d how far ahead.
func (s *Server) getRunbook(w http.ResponseWriter, r *http.Request, _ *User) {
	rb, _, file, ok := s.library.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no runbook "+r.PathValue("id"))
		return
	}
	horizon, err := engine.DrillHorizon(rb)
	if h := r.URL.Query().Get("horizon"); h != "" {
		if horizon, err = runbooks.ParseDuration(h); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "horizon: "+err.Error())
			return
		}
	}
	if err != nil {
		horizon = 7 * 24 * time.Hour
	}
	plan, err := runbooks.Plan(rb, s.now(), horizon, runbooks.PlanOptions{Exercise: r.URL.Query().Get("exercise") == "true"})
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		runbookView
		Plan []planEntry `json:"plan"`
	}{viewRunbook(rb, file), planEntries(plan)})
}

// planEntry is one occurrence of a plan as the API shows it: its offset
// written for people ("1h 5m"), beside the exact offset_seconds for programs.
type planEntry struct{ runbooks.Occurrence }

func planEntries(plan []runbooks.Occurrence) []planEntry {
	out := make([]planEntry, 0, len(plan))
	for _, o := range plan {
		out = append(out, planEntry{o})
	}
	return out
}

func (p planEntry) MarshalJSON() ([]byte, error) {
	data, err := p.Occurrence.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	if fields["offset"], err = json.Marshal(runbooks.HumanDuration(p.Offset)); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// reloadRunbooks reads the library's files again. A file that no longer
// loads is reported, and the copy that did stays offered.
func (s *Server) reloadRunbooks(w http.ResponseWriter, _ *http.Request, _ *User) {
	problems := []string{}
	if err := s.library.Reload(); err != nil {
		problems = strings.Split(err.Error(), "\n")
	}
	list := []runbookView{}
	for _, rb := range s.library.List() {
		_, _, file, _ := s.library.Get(string(rb.ID))
		list = append(list, viewRunbook(rb, file))
	}
	writeJSON(w, http.StatusOK, map[string]any{"runbooks": list, "problems": problems})
}
