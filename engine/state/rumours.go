package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Rumour is an entry in an activation's rumour register: what is being
// said, where it was seen, how it was assessed, and the correction that
// answered it.
type Rumour struct {
	ID           string    `json:"id"`
	ActivationID string    `json:"activation_id"`
	Summary      string    `json:"summary"`
	Source       string    `json:"source,omitempty"` // who or what is saying it
	Where        string    `json:"where,omitempty"`  // where it was seen: a platform, a group, a street
	SeenAt       time.Time `json:"seen_at"`
	Communities  []string  `json:"communities,omitempty"`
	LoggedBy     string    `json:"logged_by"`
	LoggedAt     time.Time `json:"logged_at"`
	// Verdict is false, misleading, unverified or true, once assessed.
	Verdict     string    `json:"verdict,omitempty"`
	VerdictNote string    `json:"verdict_note,omitempty"`
	AssessedBy  string    `json:"assessed_by,omitempty"`
	AssessedAt  time.Time `json:"assessed_at,omitzero"`
	// Correction is the message written to correct it, and CorrectedAt
	// when it went out.
	Correction  string    `json:"correction,omitempty"`
	CorrectedAt time.Time `json:"corrected_at,omitzero"`
}

// Verdicts a rumour may be given.
var Verdicts = []string{"false", "misleading", "unverified", "true"}

// UpsertRumour writes a rumour.
func (t *Txn) UpsertRumour(r *Rumour) error { return t.insert(TableRumours, r) }

// Rumour returns the rumour with the given id, or nil.
func (t *Txn) Rumour(ws memdb.WatchSet, id string) (*Rumour, error) {
	return get[Rumour](t, ws, TableRumours, id)
}

// RumoursOf returns an activation's rumour register, oldest first.
func (t *Txn) RumoursOf(ws memdb.WatchSet, activationID string) ([]*Rumour, error) {
	return list[Rumour](t, ws, TableRumours, IndexActivation, activationID)
}
