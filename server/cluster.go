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
