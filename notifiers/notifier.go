// Package notifiers delivers messages: the Notifier interface, the message
// model every channel type shares, the dispatcher that paces and retries
// sends, takes activations in turn and has the record kept around them,
// and one notifier per channel type in the packages below. It knows
// nothing of runbooks or of how the engine decides what to send.
package notifiers

import (
	"context"
)

// Message kinds: what a message asks of the people it reaches.
const (
	KindMessage         = ""                 // a runbook message: read it
	KindApprovalRequest = "approval_request" // a draft for approvers: approve or reject it
)

// Message is one delivery: one revision of one message to one endpoint.
type Message struct {
	Delivery   string `json:"delivery"` // stable id: the key for de-duplicating a re-send
	Message    string `json:"message"`  // the message this delivers (with Revision, the same for all its recipients)
	Kind       string `json:"kind,omitempty"`
	Activation string `json:"activation"`
	Runbook    string `json:"runbook"`
	Step       string `json:"step"`
	Exercise   bool   `json:"exercise,omitempty"`
	Type       string `json:"type"`              // slack, teams, email, sms, webhook or log
	Channel    string `json:"channel,omitempty"` // the runbook channel, if any
	Target     string `json:"target"`            // Slack channel or user, address, number, URL reference
	// Private: the target is a contact list's row (a resident's address
	// or number), never to be written into a log or the record; a
	// service's error that repeats it is told without it.
	Private     bool   `json:"private,omitempty"`
	Stakeholder string `json:"stakeholder,omitempty"`
	Language    string `json:"language,omitempty"` // BCP 47, for a translation; empty for the message as written
	Revision    int    `json:"revision,omitempty"` // the message revision sent (an approval is for one revision)
	Subject     string `json:"subject,omitempty"`
	Body        string `json:"body"`
	// AckRequested is set when the step asks the people reached to
	// acknowledge: chat notifiers add an Acknowledge button.
	AckRequested bool `json:"ack_requested,omitempty"`
	// AckURL, when set, is this recipient's own acknowledgement link
	// (personalised content: an email carrying it goes to this recipient
	// alone).
	AckURL string `json:"ack_url,omitempty"`
	// Link, when set, is the message's page on crier: where a notifier
	// that must shorten a message points for the whole text.
	Link string `json:"link,omitempty"`
}

// Notifier sends messages of one or more channel types.
type Notifier interface {
	// Notify sends one message. A nil error means it was accepted by the
	// service; otherwise retry says whether trying again may succeed.
	Notify(ctx context.Context, m Message) (retry bool, err error)
}

// Result is what became of one message in a batch.
type Result struct {
	Retry bool   // the failure is temporary: trying again may succeed
	Err   error  // nil when the service accepted the message
	Ref   string // the service's reference for an accepted message, if any
}

// Batcher is a Notifier that can send one content to many endpoints at
// once, as email does with one envelope for many recipients.
type Batcher interface {
	Notifier
	// BatchKey says which messages may share one send: those with equal,
	// non-empty keys. "" means the message goes alone.
	BatchKey(m Message) string
	// MaxBatch is the most messages one NotifyBatch takes.
	MaxBatch() int
	// NotifyBatch sends messages that share a BatchKey and returns one
	// Result per message, in the same order: one bad endpoint fails only
	// its own message.
	NotifyBatch(ctx context.Context, ms []Message) []Result
}
