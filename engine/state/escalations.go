package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Why something was escalated.
const (
	EscalationApprovalOverdue = "approval_overdue"
	EscalationAckOverdue      = "acknowledgement_overdue"
	// EscalationInformationVoid: nothing has reached the public for longer
	// than the runbook promised (public_updates).
	EscalationInformationVoid = "information_void"
	// EscalationCorrectionOverdue: a rumour found false, misleading or
	// still unverified has no correction out within the runbook's
	// rumours.correct_within.
	EscalationCorrectionOverdue = "correction_overdue"
)

// Escalation event kinds.
const (
	EventEscalated           = "escalated"
	EventEscalationExhausted = "escalation_exhausted" // the chain sent all it may; still waiting
)

// Escalation is a notice that something was not done in time.
type Escalation struct {
	ID           string   `json:"id"`
	ActivationID string   `json:"activation_id"`
	SubjectID    string   `json:"subject_id"` // the message or task
	Reason       string   `json:"reason"`
	To           []string `json:"to"`                    // stakeholder ids told
	Waiting      []string `json:"waiting"`               // who had not acted
	Unreachable  []string `json:"unreachable,omitempty"` // who every delivery failed to reach
	Reminder     int      `json:"reminder"`              // the round: 1 for the first notice, then counting
	Level        int      `json:"level,omitempty"`       // the policy's level told; past the last, a reminder
	// Exhausted marks the end of the chain: it has sent every notice its
	// policy allows and the people listed are still waiting. Nothing is sent.
	Exhausted bool      `json:"exhausted,omitempty"`
	At        time.Time `json:"at"`
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
