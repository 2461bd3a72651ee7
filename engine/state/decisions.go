package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Decision is an entry in an activation's decision log: what was decided,
// why, on what information, by whom and when. A debrief or an inquiry
// reads these.
type Decision struct {
	ID           string    `json:"id"`
	ActivationID string    `json:"activation_id"`
	Decision     string    `json:"decision"`
	Rationale    string    `json:"rationale"`
	Information  string    `json:"information"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// UpsertDecision writes a decision.
func (t *Txn) UpsertDecision(d *Decision) error { return t.insert(TableDecisions, d) }

// DecisionsOf returns an activation's decision log.
func (t *Txn) DecisionsOf(ws memdb.WatchSet, activationID string) ([]*Decision, error) {
	return list[Decision](t, ws, TableDecisions, IndexActivation, activationID)
}
