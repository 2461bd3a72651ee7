// Package slack posts crier messages to Slack channels and, for
// stakeholders named directly, to their direct messages, with the
// slack-go client: Block Kit layout, a clear banner in drills, and Slack's
// rate-limit answers turned into waits rather than losses.
package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/crierhq/crier/notifiers"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// Notifier posts to Slack with a bot token.
type Notifier struct {
	Client *slack.Client // slack.New(token, slack.OptionAPIURL(...)) for tests
}

var _ notifiers.Notifier = (*Notifier)(nil)

// New makes a notifier posting with a bot token to Slack's Web API at
// apiURL (https://slack.com/api/ unless a test or proxy says otherwise).
func New(token, apiURL string) *Notifier {
	return &Notifier{Client: slack.New(token, slack.OptionAPIURL(apiURL))}
}

// Route paces the notifier as Slack asks: perChannel messages a second to
// each channel, workspace a second across all of them.
func (n *Notifier) Route(perChannel, workspace float64) notifiers.Route {
	return notifiers.Route{Notifier: n,
		PerTarget: notifiers.Limit{Rate: rate.Limit(perChannel), Burst: 1},
		Overall:   notifiers.Limit{Rate: rate.Limit(workspace), Burst: max(1, int(workspace))}}
}

// Slack's own limits on Block Kit text.
const (
	maxHeader  = 150
	maxSection = 3000
)

// Notify implements notifiers.Notifier. The target is a channel (#name or
// id) or, for a direct message, a user id.
func (n *Notifier) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	_, _, err := n.Client.PostMessageContext(ctx, strings.TrimPrefix(m.Target, "#"),
		slack.MsgOptionText(fallback(m), true), // escaped: & < > are Slack mark-up
		slack.MsgOptionBlocks(Blocks(m)...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "crier_delivery", EventPayload: map[string]any{"delivery": m.Delivery}}),
	)
	if err == nil {
		return false, nil
	}
	return classify(err)
}

// classify sorts Slack's failures: rate limits wait as long as Slack says,
// server errors and network failures are retried, the rest (an unknown
// channel, a bot not in it, a revoked token) fail this delivery only.
func classify(err error) (bool, error) {
	var limited *slack.RateLimitedError
	var status slack.StatusCodeError
	switch {
	case errors.As(err, &limited):
		return true, &notifiers.RetryAfterError{After: limited.RetryAfter, Err: fmt.Errorf("slack: rate limited")}
	case errors.As(err, &status):
		return status.Code >= 500 || status.Code == 408, fmt.Errorf("slack: %w", err)
	}
	var api slack.SlackErrorResponse
	if errors.As(err, &api) {
		return api.Err == "internal_error" || api.Err == "fatal_error" || api.Err == "service_unavailable" || api.Err == "request_timeout",
			fmt.Errorf("slack: %s", api.Err)
	}
	return true, fmt.Errorf("slack: %w", notifiers.RedactError(err))
}

// fallback is the text notifications and screen readers use.
func fallback(m notifiers.Message) string {
	if m.Kind == notifiers.KindApprovalRequest {
		return "Approval needed: " + m.Subject
	}
	if m.Subject != "" {
		return m.Subject
	}
	return truncate(m.Body, maxHeader)
}

// Blocks lays a message out: in a drill a banner first; the subject as a
// header; the body as plain text (template values are not markup: a param
// cannot ping @channel); a context line naming runbook, step and activation.
func Blocks(m notifiers.Message) []slack.Block {
	var blocks []slack.Block
	if m.Exercise {
		blocks = append(blocks, slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, ":rotating_light: *EXERCISE*: this is a drill, not a real incident", false, false), nil, nil))
	}
	if m.Kind == notifiers.KindApprovalRequest {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			fmt.Sprintf(":memo: *Approval needed* for revision %d: nothing is sent until it is approved", m.Revision), false, false), nil, nil))
	}
	if m.Subject != "" {
		blocks = append(blocks, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(m.Subject, maxHeader), true, false)))
	}
	for _, para := range strings.Split(strings.TrimSpace(m.Body), "\n\n") {
		for para != "" {
			chunk := truncate(para, maxSection)
			blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.PlainTextType, chunk, true, false), nil, nil))
			para = strings.TrimPrefix(para, chunk)
		}
	}
	if b := buttons(m); b != nil {
		blocks = append(blocks, b)
	}
	blocks = append(blocks, slack.NewContextBlock("",
		slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf("crier · runbook %s · step %s · activation %s", m.Runbook, m.Step, m.Activation), false, false)))
	return blocks
}

// truncate cuts s to at most n characters, on a rune boundary.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
