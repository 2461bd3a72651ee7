package server

import (
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
		Plan []runbooks.Occurrence `json:"plan"`
	}{viewRunbook(rb, file), nonNil(plan)})
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
