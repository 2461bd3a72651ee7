package server

import (
	"net/http"

	"github.com/crierhq/crier/engine"
)

// The community tension log over the API: anyone signed in records an
// entry (POST) and reads the log (GET).

// recordTension adds {area, community, level, trend, note} to an
// activation's tension log.
func (s *Server) recordTension(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		Area      string `json:"area"`
		Community string `json:"community"`
		Level     int    `json:"level"`
		Trend     string `json:"trend"`
		Note      string `json:"note"`
	}
	if !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	index, err := s.engine.Apply(r.Context(), &engine.RecordTension{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Area: req.Area, Community: req.Community, Level: req.Level, Trend: req.Trend, Note: req.Note})
	if err != nil {
		refused(w, err)
		return
	}
	log, err := s.engine.Read().TensionOf(nil, id)
	if err != nil {
		refused(w, err)
		return
	}
	for _, e := range log {
		if e.ID == engine.TensionID(id, index) {
			writeJSON(w, http.StatusCreated, e)
			return
		}
	}
	writeError(w, http.StatusInternalServerError, "internal", "the entry was recorded but cannot be read back")
}

// tensionLog is an activation's tension log, oldest first.
func (s *Server) tensionLog(w http.ResponseWriter, r *http.Request, _ *User) {
	id := r.PathValue("id")
	if a, err := s.engine.Read().Activation(nil, id); err != nil || a == nil {
		writeError(w, http.StatusNotFound, "not_found", "no activation "+id)
		return
	}
	log, err := s.engine.Read().TensionOf(nil, id)
	if err != nil {
		refused(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(log))
}
