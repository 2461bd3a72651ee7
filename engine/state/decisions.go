package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Decision is an entry in an activation's decision log: what was decided,
// why, on what information, by whom and when. A debrief or an inquiry
// reads these.
type Decision struct {
	ID           string
	ActivationID string
	Decision     string
	Rationale    string
	Information  string
	By           string
	At           time.Time
}

// UpsertDecision writes a decision.
func (t *Txn) UpsertDecision(d *Decision) error { return t.insert(TableDecisions, d) }

// DecisionsOf returns an activation's decision log.
func (t *Txn) DecisionsOf(ws memdb.WatchSet, activationID string) ([]*Decision, error) {
	return list[Decision](t, ws, TableDecisions, IndexActivation, activationID)
}
