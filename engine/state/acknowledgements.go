package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Acknowledgement is a stakeholder saying they have seen a message or task.
type Acknowledgement struct {
	ID           string
	ActivationID string
	SubjectID    string // the message or task acknowledged
	Stakeholder  string
	At           time.Time
	Via          string // api, slack, email link, simulated
	For          bool   // acknowledged by an admin (By) for the stakeholder
	By           string // the person who acknowledged
}

// UpsertAcknowledgement writes an acknowledgement.
func (t *Txn) UpsertAcknowledgement(a *Acknowledgement) error {
	return t.insert(TableAcknowledgements, a)
}

// AcknowledgementsOf returns the acknowledgements of one message or task.
func (t *Txn) AcknowledgementsOf(ws memdb.WatchSet, subjectID string) ([]*Acknowledgement, error) {
	return list[Acknowledgement](t, ws, TableAcknowledgements, IndexSubject, subjectID)
}
