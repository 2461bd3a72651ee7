// Package teams posts crier messages to Microsoft Teams channels as
// Adaptive Cards, through the channel's Workflows webhook ("When a Teams
// webhook request is received"), shortened to fit what a Workflows webhook
// takes (fit.go). Most UK councils run Microsoft 365, and Teams is where
// many of their partners already are.
package teams

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// Notifier posts cards to Teams Workflows webhook URLs.
type Notifier struct {
	Client *http.Client
	// Lookup resolves the ${ENV_VAR} references runbooks give for URLs.
	Lookup func(name string) (string, bool)
	Now    func() time.Time
	// Log, when set, hears of each message shortened to fit in a card.
	Log *slog.Logger
}

var _ notifiers.Notifier = (*Notifier)(nil)

// Notify implements notifiers.Notifier.
func (n *Notifier) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	target, err := notifiers.ResolveURL(m.Target, n.Lookup)
	if err != nil {
		return false, fmt.Errorf("teams: %w", err)
	}
	body, short, err := fit(m)
	if err != nil {
		return false, fmt.Errorf("teams: %w", err)
	}
	if short.left > 0 && n.Log != nil {
		n.Log.InfoContext(ctx, "teams: message shortened to fit in a card", "delivery", m.Delivery,
			"kept", short.kept, "left_out", short.left, "bytes", len(body), "linked", m.Link != "")
	}
	return notifiers.PostJSON(ctx, n.Client, "teams", target, body, nil, n.Now())
}

// message is what a Workflows webhook takes: a message with one Adaptive
// Card attachment.
type message struct {
	Type        string       `json:"type"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	ContentType string `json:"contentType"`
	Content     card   `json:"content"`
}

type card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []any     `json:"body"`
	Actions []openURL `json:"actions,omitempty"`
}

type openURL struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type textBlock struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
}

type container struct {
	Type  string `json:"type"`
	Style string `json:"style"`
	Bleed bool   `json:"bleed"`
	Items []any  `json:"items"`
}

// Card lays a message out as an Adaptive Card: for drills a red banner
// first, then the subject as the heading, the body, and a line naming the
// runbook, step and activation. Notify sends it shortened (see fit) when
// it is too big for a Workflows webhook.
func Card(m notifiers.Message) any {
	return layout(m, bodyText(m), nil)
}

// layout lays m out with text as its body. A card that shows only the start
// of the body (short) says so after it, and links to the whole message on
// crier, in the text and as the card's action, when m.Link is set.
func layout(m notifiers.Message, text string, short *shortening) message {
	var body []any
	banner := container{Type: "Container", Style: "attention", Bleed: true, Items: []any{
		textBlock{Type: "TextBlock", Text: "EXERCISE: this is a drill, not a real incident", Wrap: true, Weight: "Bolder", Color: "Attention"},
	}}
	if m.Exercise {
		body = append(body, banner)
	}
	if m.Subject != "" {
		body = append(body, textBlock{Type: "TextBlock", Text: m.Subject, Wrap: true, Weight: "Bolder", Size: "Medium"})
	}
	for _, para := range strings.Split(text, "\n\n") {
		body = append(body, textBlock{Type: "TextBlock", Text: para, Wrap: true})
	}
	var actions []openURL
	if short != nil {
		body = append(body, note(m, *short))
		if m.Exercise { // the cut took the closing exercise marking with it
			body = append(body, banner)
		}
		if m.Link != "" {
			actions = append(actions, openURL{Type: "Action.OpenUrl", Title: "Read the full message on crier", URL: m.Link})
		}
	}
	body = append(body, textBlock{Type: "TextBlock", Wrap: true, IsSubtle: true, Size: "Small",
		Text: fmt.Sprintf("crier · runbook %s · step %s · activation %s", m.Runbook, m.Step, m.Activation)})
	return message{Type: "message", Attachments: []attachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content: card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
			Body: body, Actions: actions},
	}}}
}
