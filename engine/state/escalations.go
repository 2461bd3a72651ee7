package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Why something was escalated.
const (
	EscalationApprovalOverdue = "approval_overdue"
	EscalationAckOverdue      = "acknowledgement_overdue"
)

// Escalation is a notice that something was not done in time.
type Escalation struct {
	ID           string    `json:"id"`
	ActivationID string    `json:"activation_id"`
	SubjectID    string    `json:"subject_id"` // the message or task
	Reason       string    `json:"reason"`
	To           []string  `json:"to"`       // stakeholder ids told
	Waiting      []string  `json:"waiting"`  // who had not acted
	Reminder     int       `json:"reminder"` // 1 for the first notice, then counting reminders
	At           time.Time `json:"at"`
}

// UpsertEscalation writes an escalation.
func (t *Txn) UpsertEscalation(e *Escalation) error { return t.insert(TableEscalations, e) }

// EscalationsOf returns an activation's escalations.
func (t *Txn) EscalationsOf(ws memdb.WatchSet, activationID string) ([]*Escalation, error) {
	return list[Escalation](t, ws, TableEscalations, IndexActivation, activationID)
}

// EscalationsAbout returns the escalations of one message or task.
func (t *Txn) EscalationsAbout(ws memdb.WatchSet, subjectID string) ([]*Escalation, error) {
	return list[Escalation](t, ws, TableEscalations, IndexSubject, subjectID)
}
