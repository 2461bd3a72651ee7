package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/record"
)

// passedOn applies a command another node of the cluster was given: the
// follower's side of engine.Options.Forward. Only the cluster's nodes,
// with its secret, may; a node that no longer leads says so (421).
func (s *Server) passedOn(secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !record.SameSecret(r.Header.Get(record.ClusterHeader), secret) {
			writeError(w, http.StatusUnauthorized, "unauthenticated", "only crier's other nodes may pass on commands")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the command is too large")
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
		if !record.SameSecret(r.Header.Get(record.ClusterHeader), secret) {
			writeError(w, http.StatusUnauthorized, "unauthenticated", "only a node with the cluster's secret may join it")
			return
		}
		var req struct {
			ID   string `json:"id"`
			Addr string `json:"raft_addr"`
		}
		if !decode(w, r, &req) {
			return
		}
		err := add(req.ID, req.Addr)
		switch {
		case errors.Is(err, engine.ErrNotLeader):
			leader, _ := s.engine.Read().Leader(nil)
			answer := map[string]string{"error": "this node does not lead", "code": "not_leader"}
			if leader != nil {
				answer["leader"] = leader.API
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
