package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/record"
)

// nodeRoutes are the routes only the cluster's other nodes use, served
// apart from the API (Internal), over the nodes' mutual TLS.
func (s *Server) nodeRoutes(secret string, add func(id, addr string) error) http.Handler {
	mux := http.NewServeMux()
	if secret != "" {
		mux.HandleFunc("POST /internal/v1/apply", s.passedOn(secret))
		if add != nil {
			mux.HandleFunc("POST /internal/v1/join", s.joins(secret, add))
		}
	}
	return mux
}

// Internal serves the other nodes of a cluster: crier serve serves it on
// the node's raft_addr, behind mutual TLS, never on server.listen.
func (s *Server) Internal() http.Handler { return s.internal }

// passedOn applies a command another node of the cluster was given: the
// follower's side of engine.Options.Forward. Only the cluster's nodes,
// with its secret, may; a node that no longer leads says so (421).
func (s *Server) passedOn(secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.fromANode(w, r, secret)
		if !ok {
			return
		}
		c, err := engine.DecodeCommand(body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		index, err := s.engine.ApplyHere(r.Context(), c)
		switch {
		case errors.Is(err, engine.ErrNotLeader):
			writeError(w, http.StatusMisdirectedRequest, "not_leader", err.Error())
		case err != nil:
			refused(w, err)
		default:
			writeJSON(w, http.StatusOK, map[string]uint64{"index": index})
		}
	}
}

// joins adds a node to the cluster (crier serve --join): on the leader,
// or, asked of a follower, naming the leader's address to ask instead.
func (s *Server) joins(secret string, add func(id, addr string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.fromANode(w, r, secret)
		if !ok {
			return
		}
		var req struct {
			ID   string `json:"id"`
			Addr string `json:"raft_addr"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.ID == "" || req.Addr == "" {
			writeError(w, http.StatusBadRequest, "bad_request", "a node joining gives its id and raft_addr")
			return
		}
		err := add(req.ID, req.Addr)
		switch {
		case errors.Is(err, engine.ErrNotLeader):
			answer := map[string]string{"error": "this node does not lead", "code": "not_leader"}
			if nl := (*record.NotLeading)(nil); errors.As(err, &nl) && nl.Leader != "" {
				answer["leader"] = nl.Leader // its raft_addr, where the joiner asks next
			}
			writeJSON(w, http.StatusMisdirectedRequest, answer)
		case err != nil:
			writeError(w, http.StatusConflict, "conflict", err.Error())
		default:
			s.log.Info("a node joined the cluster", "node", req.ID, "raft_addr", req.Addr)
			writeJSON(w, http.StatusOK, map[string]string{"joined": req.ID})
		}
	}
}

// fromANode reads a request another node of the cluster signed: within
// the last few minutes, with the cluster's secret, and never seen before
// (a request captured and sent again is refused).
func (s *Server) fromANode(w http.ResponseWriter, r *http.Request, secret string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request is too large")
		return nil, false
	}
	signed, err := record.CheckSignature(r.Header.Get(record.SignatureHeader), secret, r.URL.Path, body, s.now())
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "only crier's other nodes may: "+err.Error())
		return nil, false
	}
	if !s.nodeReplays.first(s.now(), "id:"+string(signed.ID[:]), "sig:"+string(signed.Signature[:])) {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "this request was sent before")
		return nil, false
	}
	return body, true
}
