package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Message states, in the order a message moves through them.
const (
	MessageDrafted         = "drafted"
	MessagePendingApproval = "pending_approval"
	MessageApproved        = "approved"
	MessageDispatching     = "dispatching"
	MessageSent            = "sent"
	MessagePartiallyFailed = "partially_failed"
	MessageFailed          = "failed"
	MessageRejected        = "rejected"
	MessageCancelled       = "cancelled" // stood down before it was sent
	MessageWithheld        = "withheld"  // an exercise's, every delivery withheld: it reached no one
)

// Message is what a notify step (or inject) says, with every revision.
type Message struct {
	ID           string
	ActivationID string
	OccurrenceID string
	Step         string
	State        string
	Revisions    []Revision // the last is current
	// Translations are the message in other languages, as rendered when
	// the step fired, by BCP 47 tag.
	Translations map[string]Translation
	// NeedsApproval and MinApprovals come from the step's approval block.
	NeedsApproval bool
	MinApprovals  int
	RejectedBy    string
	RejectReason  string
	// Deliveries of the current revision by outcome, kept as they change
	// so that a message knows it is finished without reading them all.
	Outstanding, Sent, Failed int
	Withheld                  int // an exercise's deliveries to people not taking part, never sent
	// About is, for an escalation notice, the message or task it is about:
	// a notice is read, never acknowledged.
	About string
	// AdHoc is, for a message a comms officer wrote during the activation
	// rather than a step's, who it goes to and who approves it.
	AdHoc     *AdHoc
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Revision is one version of a message's text.
type Revision struct {
	N        int       `json:"revision"`
	Subject  string    `json:"subject"`
	Body     string    `json:"body"`
	EditedBy string    `json:"edited_by,omitempty"` // the stakeholder; empty for the text the engine rendered
	Editor   string    `json:"editor,omitempty"`    // the person who wrote it
	At       time.Time `json:"at"`
	// Translations, in a revision after the first, are the translations
	// its writer revised, by language; Withheld the languages they chose
	// not to send. An edit recorded before edits carried translations has
	// neither: its message goes out without them.
	Translations map[string]Translation `json:"translations,omitempty"`
	Withheld     []string               `json:"withheld,omitempty"`
	// Rejected is, for a re-draft, the rejection it answers: who rejected
	// the revision before and why. The re-draft puts the message back for
	// approval; the rejection stays here and in the record.
	Rejected *Rejection `json:"rejected,omitempty"`
}

// Rejection is one approver's no to a revision.
type Rejection struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// AdHoc is who an ad-hoc message goes to and who may approve it, settled
// when it is written.
type AdHoc struct {
	To        []string `json:"to"`        // the runbook's audiences
	Approvers []string `json:"approvers"` // stakeholder ids
	// Rumour, for a correction, is the rumour it corrects.
	Rumour string `json:"rumour,omitempty"`
}

// CarriesTranslations reports whether a revision says which translations
// go with it: the draft does, and every edit that revised or withheld
// them.
func (r Revision) CarriesTranslations() bool {
	return r.N == 1 || len(r.Translations) > 0 || len(r.Withheld) > 0
}

// TranslationsOf are the translations that go with a revision: the
// draft's as rendered, or those its writer revised.
func (m *Message) TranslationsOf(r Revision) map[string]Translation {
	if r.N == 1 {
		return m.Translations
	}
	return r.Translations
}

// Translation is a message's text in another language.
type Translation struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Current is the revision in force.
func (m *Message) Current() Revision { return m.Revisions[len(m.Revisions)-1] }

// UpsertMessage writes a message.
func (t *Txn) UpsertMessage(m *Message) error { return t.insert(TableMessages, m) }

// Message returns the message with the given id, or nil.
func (t *Txn) Message(ws memdb.WatchSet, id string) (*Message, error) {
	return get[Message](t, ws, TableMessages, id)
}

// MessagesOf returns an activation's messages.
func (t *Txn) MessagesOf(ws memdb.WatchSet, activationID string) ([]*Message, error) {
	return list[Message](t, ws, TableMessages, IndexActivation, activationID)
}

// MessagesInState returns every activation's messages in one state.
func (t *Txn) MessagesInState(ws memdb.WatchSet, state string) ([]*Message, error) {
	return list[Message](t, ws, TableMessages, IndexState, state)
}
