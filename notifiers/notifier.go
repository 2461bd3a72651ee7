// Package notifiers delivers messages: the Notifier interface, the message
// model every channel type shares, and one notifier per channel type. It
// knows nothing of runbooks or of how the engine decides what to send.
package notifiers

import (
	"context"
)

// Message is one delivery: one revision of one message to one endpoint.
type Message struct {
	Delivery    string `json:"delivery"` // stable id: the key for de-duplicating a re-send
	Activation  string `json:"activation"`
	Runbook     string `json:"runbook"`
	Step        string `json:"step"`
	Exercise    bool   `json:"exercise,omitempty"`
	Type        string `json:"type"`              // slack, teams, email, sms, webhook or log
	Channel     string `json:"channel,omitempty"` // the runbook channel, if any
	Target      string `json:"target"`            // Slack channel or user, address, number, URL reference
	Stakeholder string `json:"stakeholder,omitempty"`
	Language    string `json:"language,omitempty"` // BCP 47, for a translation; empty for the message as written
	Subject     string `json:"subject,omitempty"`
	Body        string `json:"body"`
}

// Notifier sends messages of one or more channel types.
type Notifier interface {
	// Notify sends one message. A nil error means it was accepted by the
	// service; otherwise retry says whether trying again may succeed.
	Notify(ctx context.Context, m Message) (retry bool, err error)
}
