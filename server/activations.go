package server

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// activationView is an activation as the API shows it (its pinned
// runbook source aside).
type activationView struct {
	ID        string            `json:"id"`
	Runbook   string            `json:"runbook"`
	Title     string            `json:"title"`
	Mode      string            `json:"mode"`
	State     string            `json:"state"`
	Event     string            `json:"event,omitempty"`
	Severity  string            `json:"severity,omitempty"`
	Params    map[string]string `json:"params"`
	Speed     float64           `json:"speed,omitempty"`
	StartedAt time.Time         `json:"started_at"`
	StartedBy string            `json:"started_by"`
	EndedAt   *time.Time        `json:"ended_at,omitempty"`
	EndedBy   string            `json:"ended_by,omitempty"`
	EndReason string            `json:"end_reason,omitempty"`
	// StillWaiting counts, on the dashboard, what is still waiting after
	// its escalation ran out.
	StillWaiting int `json:"-"`
}

func viewActivation(a *state.Activation) activationView {
	v := activationView{ID: a.ID, Runbook: a.Runbook, Title: a.Title, Mode: a.Mode, State: a.State, Event: a.Event,
		Severity: a.Severity, Params: a.Params, Speed: a.Speed, StartedAt: a.StartedAt, StartedBy: a.StartedBy,
		EndedBy: a.EndedBy, EndReason: a.EndReason}
	if v.Params == nil {
		v.Params = map[string]string{}
	}
	if !a.EndedAt.IsZero() {
		v.EndedAt = &a.EndedAt
	}
	return v
}

// activate starts a runbook from the library: live needs a planner; an
// exercise, a planner or an exercise lead.
func (s *Server) activate(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		Runbook  string            `json:"runbook"`
		Params   map[string]string `json:"params"`
		Event    string            `json:"event"`
		Severity string            `json:"severity"`
		Mode     string            `json:"mode"`
		Speed    float64           `json:"speed"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch req.Mode {
	case "live":
		if !u.Has(RolePlanner) {
			writeError(w, http.StatusForbidden, "forbidden", u.Name+" may not activate a live runbook: that needs the planner role")
			return
		}
	case "exercise":
		if !u.Has(RolePlanner, RoleExerciseLead) {
			writeError(w, http.StatusForbidden, "forbidden", u.Name+" may not start an exercise: that needs the planner or exercise-lead role")
			return
		}
	default:
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", `mode must be "live" or "exercise"`)
		return
	}
	rb, source, file, ok := s.library.Get(req.Runbook)
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", "no runbook "+req.Runbook+" in the library")
		return
	}
	s.engine.Parsed(file, source, rb)
	index, err := s.engine.Apply(r.Context(), &engine.Activate{Meta: engine.Meta{Actor: u.Person()}, Source: source, SourceName: file,
		Mode: req.Mode, Event: req.Event, Severity: req.Severity, Params: req.Params, Speed: req.Speed})
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", err.Error())
		return
	}
	a, err := s.engine.Read().Activation(nil, engine.ActivationID(index))
	if err != nil || a == nil {
		refused(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/activations/"+a.ID)
	writeJSON(w, http.StatusCreated, viewActivation(a))
}

func (s *Server) listActivations(w http.ResponseWriter, r *http.Request, _ *User) {
	st, ok := stateQuery(w, r, state.ActivationActive, state.ActivationStoodDown, state.ActivationHalted)
	if !ok {
		return
	}
	tx := s.engine.Read()
	var all []*state.Activation
	var err error
	if st != "" {
		all, err = tx.ActivationsInState(nil, st)
	} else {
		all, err = tx.Activations(nil)
	}
	if err != nil {
		refused(w, err)
		return
	}
	out := []activationView{}
	for _, a := range all {
		out = append(out, viewActivation(a))
	}
	writeJSON(w, http.StatusOK, out)
}

// activation is the activation the path names, or an answer that there is none.
func (s *Server) activation(w http.ResponseWriter, r *http.Request) *state.Activation {
	a, err := s.engine.Read().Activation(nil, r.PathValue("id"))
	if err == nil && a == nil {
		writeError(w, http.StatusNotFound, "not_found", "no activation "+r.PathValue("id"))
	} else if err != nil {
		refused(w, err)
	}
	return a
}

func (s *Server) getActivation(w http.ResponseWriter, r *http.Request, _ *User) {
	if a := s.activation(w, r); a != nil {
		writeJSON(w, http.StatusOK, viewActivation(a))
	}
}

// reason reads a body of {reason}, which must be given.
func reason(w http.ResponseWriter, r *http.Request) (string, bool) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !decode(w, r, &req) {
		return "", false
	}
	if strings.TrimSpace(req.Reason) == "" {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", "give a reason: it goes in the record")
		return "", false
	}
	return req.Reason, true
}

// apply runs a command for u and answers with the activation as it is
// after it, or with the engine's refusal.
func (s *Server) apply(w http.ResponseWriter, r *http.Request, c engine.Command, activation string) {
	if _, err := s.engine.Apply(r.Context(), c); err != nil {
		refused(w, err)
		return
	}
	a, err := s.engine.Read().Activation(nil, activation)
	if err != nil || a == nil {
		refused(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewActivation(a))
}

func (s *Server) standDown(w http.ResponseWriter, r *http.Request, u *User) {
	if why, ok := reason(w, r); ok {
		s.apply(w, r, &engine.StandDown{Meta: engine.Meta{Actor: u.Person()}, Activation: r.PathValue("id"), Reason: why}, r.PathValue("id"))
	}
}

func (s *Server) halt(w http.ResponseWriter, r *http.Request, u *User) {
	if why, ok := reason(w, r); ok {
		s.apply(w, r, &engine.Halt{Meta: engine.Meta{Actor: u.Person()}, Activation: r.PathValue("id"), Reason: why}, r.PathValue("id"))
	}
}

func (s *Server) recordDecision(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		Decision    string `json:"decision"`
		Rationale   string `json:"rationale"`
		Information string `json:"information"`
	}
	if !decode(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Decision) == "" {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", "give the decision")
		return
	}
	id := r.PathValue("id")
	index, err := s.engine.Apply(r.Context(), &engine.RecordDecision{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Decision: req.Decision, Rationale: req.Rationale, Information: req.Information})
	if err != nil {
		refused(w, err)
		return
	}
	decisions, err := s.engine.Read().DecisionsOf(nil, id)
	if err != nil {
		refused(w, err)
		return
	}
	for _, d := range decisions {
		if d.ID == engine.DecisionID(id, index) {
			writeJSON(w, http.StatusCreated, d)
			return
		}
	}
	writeError(w, http.StatusInternalServerError, "internal", "the decision was recorded but cannot be read back")
}

// snapshot streams the whole state as it is at this moment: a backup,
// consistent however long it takes to send (crier snapshot save).
// Its SHA-256 follows in a trailer, so that a copy cut short is known.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, _ *User) {
	snap := s.engine.Snapshot()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="crier.snapshot"`)
	w.Header().Set("Trailer", SnapshotSumHeader)
	sum := sha256.New()
	if err := snap.Write(io.MultiWriter(w, sum)); err != nil {
		s.log.Error("writing a snapshot", "err", err)
		panic(http.ErrAbortHandler) // the client sees the stream broken, never a clean end
	}
	w.Header().Set(SnapshotSumHeader, hex.EncodeToString(sum.Sum(nil)))
}

// SnapshotSumHeader is the trailer with a snapshot's SHA-256.
const SnapshotSumHeader = "Crier-Snapshot-Sha256"

// report is an activation's report: ?format=json (the default), md, or
// html (the printable page).
func (s *Server) report(w http.ResponseWriter, r *http.Request, _ *User) {
	rep, err := s.engine.Report(r.PathValue("id"))
	if err != nil {
		refused(w, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, rep)
	case "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(rep.Activation)+`-report.md"`)
		_ = rep.Markdown(w)
	case "html":
		v, err := s.reportView(page{Title: "Report: " + rep.Title, Exercise: rep.Mode == "exercise"}, rep)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", "the report could not be rendered: "+err.Error())
			return
		}
		s.renderPage(w, http.StatusOK, "report.html", v)
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "format must be json, md or html")
	}
}

// sendInject sends an exercise lead's inject {to, body} during an exercise.
func (s *Server) sendInject(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		To   []string `json:"to"`
		Body string   `json:"body"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.apply(w, r, &engine.SendInject{Meta: engine.Meta{Actor: u.Person()}, Activation: r.PathValue("id"), To: req.To, Body: req.Body}, r.PathValue("id"))
}

// setSpeed changes how fast an exercise runs, from now: {speed}, scenario
// seconds per real second, from 1 (real time) to engine.MaxSpeed; the
// engine refuses any other as invalid (400).
func (s *Server) setSpeed(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		Speed float64 `json:"speed"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.apply(w, r, &engine.SetSpeed{Meta: engine.Meta{Actor: u.Person()}, Activation: r.PathValue("id"), Speed: req.Speed, Wall: s.now()}, r.PathValue("id"))
}
