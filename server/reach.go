package server

import (
	"net/http"
	"slices"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// reachView is where an activation of a runbook can send, before it
// starts, as the API gives it: the engine's Reach, and the same in words,
// one line per channel type.
type reachView struct {
	engine.Reach
	Lines []string `json:"lines"`
}

// getReach answers GET /api/v1/runbooks/{id}/reach?mode=exercise|live:
// every real endpoint an activation in that mode can reach.
func (s *Server) getReach(w http.ResponseWriter, r *http.Request, _ *User) {
	rb, _, _, ok := s.library.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no runbook "+r.PathValue("id"))
		return
	}
	mode := r.URL.Query().Get("mode")
	if mode != "live" && mode != "exercise" {
		writeError(w, http.StatusBadRequest, "bad_request", `give ?mode=live or ?mode=exercise: what an activation can reach depends on it`)
		return
	}
	reach := engine.CanReach(rb, s.engine.Directory(), mode == "exercise", s.approvalsChannel)
	writeJSON(w, http.StatusOK, reachView{Reach: reach, Lines: reach.Lines()})
}

// modeReach is what the activate form says one mode can reach.
type modeReach struct {
	Mode     string // exercise or live
	Heading  string // "This exercise can reach:"
	Lines    []string
	Unsealed bool // an exercise with neither redirect nor participants: it sends to real people
	Sealed   bool // an exercise kept to its redirect or participants
}

// reachByMode is what the activate form shows for each mode it offers.
func (s *Server) reachByMode(rb *runbooks.Runbook) []modeReach {
	ex := named(rb, engine.CanReach(rb, s.engine.Directory(), true, s.approvalsChannel))
	live := named(rb, engine.CanReach(rb, s.engine.Directory(), false, s.approvalsChannel))
	return []modeReach{
		{Mode: "exercise", Heading: "This exercise can reach:", Lines: ex.Lines(), Unsealed: !ex.Sealed && len(ex.Real) > 0, Sealed: ex.Sealed},
		{Mode: "live", Heading: "This activation can reach:", Lines: live.Lines()},
	}
}

// named is a reach with each stakeholder given by name, as people read it.
func named(rb *runbooks.Runbook, r engine.Reach) engine.Reach {
	r.Real = slices.Clone(r.Real)
	for i := range r.Real {
		r.Real[i].Who = stakeholderName(rb, r.Real[i].Who)
	}
	return r
}
