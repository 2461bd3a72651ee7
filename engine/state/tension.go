package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Tension is an entry in an activation's community tension log: how tense
// one community in one area is, on a scale of 1 (calm) to 5 (disorder
// likely), and which way it is going, as someone signed in judged it.
type Tension struct {
	ID           string    `json:"id"`
	ActivationID string    `json:"activation_id"`
	Area         string    `json:"area"`
	Community    string    `json:"community,omitempty"`
	Level        int       `json:"level"`
	Trend        string    `json:"trend"` // rising, steady or falling
	Note         string    `json:"note,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Trends a tension entry may give.
var Trends = []string{"rising", "steady", "falling"}

// UpsertTension writes a tension entry.
func (t *Txn) UpsertTension(e *Tension) error { return t.insert(TableTension, e) }

// TensionOf returns an activation's tension log, oldest first.
func (t *Txn) TensionOf(ws memdb.WatchSet, activationID string) ([]*Tension, error) {
	return list[Tension](t, ws, TableTension, IndexActivation, activationID)
}
