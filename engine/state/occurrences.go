package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Occurrence states.
const (
	OccurrencePending   = "pending"
	OccurrenceFired     = "fired"    // its message or task exists and is under way
	OccurrenceComplete  = "complete" // what it started has finished
	OccurrenceCancelled = "cancelled"
)

// Occurrence is one firing of a step or inject.
type Occurrence struct {
	ID           string
	ActivationID string
	Step         string // step or inject id
	Kind         string // notify, task, inject, or a check: approval_check, ack_check
	Subject      string // for a check, the message or task it checks on
	N            int    // 1-based, counting a recurring step's firings (a check's, every check of its subject)
	Round        int    // for a check: the round of its escalation chain, 1 at the deadline
	DueAt        time.Time
	State        string
	FiredAt      time.Time
	CompletedAt  time.Time
}

// UpsertOccurrence writes an occurrence.
func (t *Txn) UpsertOccurrence(o *Occurrence) error { return t.insert(TableOccurrences, o) }

// Occurrence returns the occurrence with the given id, or nil.
func (t *Txn) Occurrence(ws memdb.WatchSet, id string) (*Occurrence, error) {
	return get[Occurrence](t, ws, TableOccurrences, id)
}

// OccurrencesOf returns an activation's occurrences.
func (t *Txn) OccurrencesOf(ws memdb.WatchSet, activationID string) ([]*Occurrence, error) {
	return list[Occurrence](t, ws, TableOccurrences, IndexActivation, activationID)
}

// OccurrencesInState returns every activation's occurrences in one state.
func (t *Txn) OccurrencesInState(ws memdb.WatchSet, state string) ([]*Occurrence, error) {
	return list[Occurrence](t, ws, TableOccurrences, IndexState, state)
}
