package slack

import (
	"encoding/json"
	"fmt"

	"github.com/crierhq/crier/notifiers"
	"github.com/slack-go/slack"
)

// The action ids of crier's buttons. Slack sends them, with the button's
// value, to the server's interactivity endpoint when someone clicks.
const (
	ActionApprove     = "crier_approve"
	ActionReject      = "crier_reject"
	ActionAcknowledge = "crier_acknowledge"
)

// ActionValue is what a button carries: the message and revision an
// approval is for, or the delivery an acknowledgement answers.
type ActionValue struct {
	Activation string `json:"activation"`
	Message    string `json:"message"`
	Revision   int    `json:"revision,omitempty"`
	Delivery   string `json:"delivery,omitempty"`
}

// ParseAction reads one of crier's button clicks from an interaction
// payload's action. It says which action, and for what.
func ParseAction(a *slack.BlockAction) (string, ActionValue, error) {
	var v ActionValue
	switch a.ActionID {
	case ActionApprove, ActionReject, ActionAcknowledge:
	default:
		return "", v, fmt.Errorf("slack: %q is not one of crier's actions", a.ActionID)
	}
	if err := json.Unmarshal([]byte(a.Value), &v); err != nil || v.Message == "" {
		return "", v, fmt.Errorf("slack: the %s button carries no message", a.ActionID)
	}
	return a.ActionID, v, nil
}

// buttons are the actions a message asks for: Approve and Reject on an
// approval request, Acknowledge where the step wants acknowledgements.
func buttons(m notifiers.Message) slack.Block {
	value := func(v ActionValue) string {
		b, _ := json.Marshal(v) // plain strings and ints: cannot fail
		return string(b)
	}
	var els []slack.BlockElement
	switch {
	case m.Kind == notifiers.KindApprovalRequest:
		v := value(ActionValue{Activation: m.Activation, Message: m.Message, Revision: m.Revision})
		approve := slack.NewButtonBlockElement(ActionApprove, v, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
		approve.Style = slack.StylePrimary
		reject := slack.NewButtonBlockElement(ActionReject, v, slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false))
		reject.Style = slack.StyleDanger
		els = append(els, approve, reject)
	case m.AckRequested:
		v := value(ActionValue{Activation: m.Activation, Message: m.Message, Revision: m.Revision, Delivery: m.Delivery})
		ack := slack.NewButtonBlockElement(ActionAcknowledge, v, slack.NewTextBlockObject(slack.PlainTextType, "Acknowledge", false, false))
		ack.Style = slack.StylePrimary
		els = append(els, ack)
	default:
		return nil
	}
	return slack.NewActionBlock("crier_actions", els...)
}
