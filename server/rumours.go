package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// The rumour register over the API: anyone signed in logs a rumour; a
// comms officer assesses it and writes its correction (POST
// …/rumours/{rid}/correction, as an ad-hoc message: writeMessage), which
// the runbook's rumours section approves; everyone reads the register.

// logRumour adds {summary, source, where, seen_at, communities}.
func (s *Server) logRumour(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		Summary     string   `json:"summary"`
		Source      string   `json:"source"`
		Where       string   `json:"where"`
		SeenAt      string   `json:"seen_at"`
		Communities []string `json:"communities"`
	}
	if !decode(w, r, &req) {
		return
	}
	var seen time.Time
	if text := strings.TrimSpace(req.SeenAt); text != "" {
		var err error
		if seen, err = time.Parse(time.RFC3339, text); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "unprocessable", fmt.Sprintf(
				"seen_at: %q is not a date and time; write it with its offset from UTC, such as 2026-07-01T14:30:00+01:00 (or leave it out: when the rumour is logged)", req.SeenAt))
			return
		}
	}
	id := r.PathValue("id")
	index, err := s.engine.Apply(r.Context(), &engine.LogRumour{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Summary: req.Summary, Source: req.Source, Where: req.Where, SeenAt: seen, Communities: req.Communities})
	if err != nil {
		refused(w, err)
		return
	}
	s.showRumour(w, engine.RumourID(id, index), http.StatusCreated)
}

// assessRumour gives a rumour its verdict {verdict, note}.
func (s *Server) assessRumour(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		Verdict string `json:"verdict"`
		Note    string `json:"note"`
	}
	if !decode(w, r, &req) {
		return
	}
	rumour := engine.RumourIn(r.PathValue("id"), r.PathValue("rid"))
	if _, err := s.engine.Apply(r.Context(), &engine.AssessRumour{Meta: engine.Meta{Actor: u.Person()}, Rumour: rumour,
		Verdict: req.Verdict, Note: req.Note}); err != nil {
		refused(w, err)
		return
	}
	s.showRumour(w, rumour, http.StatusOK)
}

// rumours is an activation's register, oldest first.
func (s *Server) rumours(w http.ResponseWriter, r *http.Request, _ *User) {
	id := r.PathValue("id")
	if a, err := s.engine.Read().Activation(nil, id); err != nil || a == nil {
		writeError(w, http.StatusNotFound, "not_found", "no activation "+id)
		return
	}
	list, err := s.engine.Read().RumoursOf(nil, id)
	if err != nil {
		refused(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(list))
}

func (s *Server) showRumour(w http.ResponseWriter, id string, status int) {
	rumour, err := s.engine.Read().Rumour(nil, id)
	if err != nil || rumour == nil {
		writeError(w, http.StatusNotFound, "not_found", "no rumour "+id)
		return
	}
	writeJSON(w, status, rumour)
}

// rumourFromForm logs a rumour from the activation page.
func (s *Server) rumourFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.PathValue("id")
	var communities []string
	for _, c := range strings.Split(r.PostFormValue("communities"), ",") {
		communities = append(communities, strings.TrimSpace(c))
	}
	s.applyAndRedirect(w, r, u, &engine.LogRumour{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Summary: r.PostFormValue("summary"), Source: r.PostFormValue("source"), Where: r.PostFormValue("where"),
		Communities: communities}, id, "rumour", "Not logged")
}

// assessFromForm gives a rumour its verdict from the activation page.
func (s *Server) assessFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.PathValue("id")
	s.applyAndRedirect(w, r, u, &engine.AssessRumour{Meta: engine.Meta{Actor: u.Person()}, Rumour: engine.RumourIn(id, r.PathValue("rid")),
		Verdict: r.PostFormValue("verdict"), Note: r.PostFormValue("note")}, id, "assessed", "Not assessed")
}

// rumourRow is a rumour as the activation page lists it.
type rumourRow struct {
	*state.Rumour
	N string // its number, for its forms and the correction's link
	// CorrectionWaits: its correction waits for approval, so another
	// cannot be written; CorrectionRefused: it was rejected (or cancelled),
	// so a new one may be.
	CorrectionWaits, CorrectionRefused bool
}

func rumourRows(tx *state.Txn, activation string) []rumourRow {
	list, _ := tx.RumoursOf(nil, activation)
	out := make([]rumourRow, 0, len(list))
	for _, r := range list {
		row := rumourRow{Rumour: r, N: r.ID[strings.LastIndex(r.ID, "/")+1:]}
		if m, _ := tx.Message(nil, r.Correction); m != nil && r.CorrectedAt.IsZero() {
			row.CorrectionWaits = m.State == state.MessagePendingApproval
			row.CorrectionRefused = m.State == state.MessageRejected || m.State == state.MessageCancelled
		}
		out = append(out, row)
	}
	return out
}
