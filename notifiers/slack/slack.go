// Package slack posts crier messages to Slack channels and, for
// stakeholders named directly, to their direct messages, with the
// slack-go client: Block Kit layout within Slack's limits (split.go), a
// message too long for one posted as a thread (thread.go), a clear banner
// in drills, and Slack's rate-limit answers turned into waits rather than
// losses.
package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/crierhq/crier/notifiers"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// Notifier posts to Slack with a bot token.
type Notifier struct {
	Client  *slack.Client // slack.New(token, slack.OptionAPIURL(...)) for tests
	threads threads
}

var _ notifiers.Notifier = (*Notifier)(nil)

// New makes a notifier posting with a bot token to Slack's Web API at
// apiURL (https://slack.com/api/ unless a test or proxy says otherwise),
// through client (one keeping a connection for each sender: see
// notifiers.HTTPClient).
func New(token, apiURL string, client *http.Client) *Notifier {
	return &Notifier{Client: slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(client))}
}

// Route paces the notifier as Slack asks: perChannel messages a second to
// each channel, workspace a second across all of them.
func (n *Notifier) Route(perChannel, workspace float64) notifiers.Route {
	return notifiers.Route{Notifier: n,
		PerTarget: notifiers.Limit{Rate: rate.Limit(perChannel), Burst: 1},
		Overall:   notifiers.Limit{Rate: rate.Limit(workspace), Burst: max(1, int(workspace))}}
}

// Notify implements notifiers.Notifier. The target is a channel (#name or
// id) or, for a direct message, a user id. A message too long for one
// Slack message goes as a thread: its first part in the channel, the rest
// as replies to it, in order. If a reply fails for a moment, the next
// Notify for the same delivery goes on from that reply (see threads).
func (n *Notifier) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	parts := layout(m)
	t := n.threads.resume(m.Delivery, len(parts))
	for i := t.sent; i < len(parts); i++ {
		p := parts[i]
		opts := []slack.MsgOption{
			slack.MsgOptionText(p.text, true), // escaped: & < > are Slack mark-up
			slack.MsgOptionBlocks(p.blocks...),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "crier_delivery",
				EventPayload: map[string]any{"delivery": m.Delivery, "part": i + 1, "parts": len(parts)}}),
		}
		channel := strings.TrimPrefix(m.Target, "#")
		if i > 0 {
			channel = t.channel
			opts = append(opts, slack.MsgOptionTS(t.ts))
		}
		gotChannel, ts, err := n.Client.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			retry, err := classify(err)
			if len(parts) > 1 {
				err = fmt.Errorf("%w (part %d of %d)", err, i+1, len(parts))
			}
			if retry && i > 0 {
				n.threads.remember(m.Delivery, t)
			} else {
				n.threads.forget(m.Delivery)
			}
			return retry, err
		}
		if i == 0 {
			// Replies go to the channel Slack names: a direct message to a
			// user id lands in a D… channel.
			t.channel, t.ts = cmp.Or(gotChannel, channel), ts
		}
		t.sent = i + 1
	}
	n.threads.forget(m.Delivery)
	return false, nil
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

// fallback is the text notifications and screen readers use: a one-line
// preview, far below maxText.
func fallback(m notifiers.Message) string {
	if m.Kind == notifiers.KindApprovalRequest {
		return "Approval needed: " + preview(m.Subject, maxHeader)
	}
	return preview(cmp.Or(m.Subject, m.Body), maxHeader)
}

// part is one Slack message of a crier message: the first stands in the
// channel, the others are replies in its thread.
type part struct {
	text   string // the fallback
	blocks []slack.Block
}

// Blocks lays out the first Slack message of m: the whole message when it
// fits in one, as it mostly does.
func Blocks(m notifiers.Message) []slack.Block {
	return layout(m)[0].blocks
}

// layout lays a message out as one or more Slack messages, each within
// Slack's limits. The first has, in a drill, a banner; the approval line;
// the subject as a header; then the body; the buttons; a context line
// naming runbook, step and activation. Replies have the banner, more of the
// body and the context line. The body is plain text (template values are
// not markup: a param cannot ping @channel), cut into sections of at most
// maxSection at paragraph, line or word breaks, and into messages of at
// most maxBodyText and maxBlocks.
func layout(m notifiers.Message) []part {
	body := strings.ReplaceAll(m.Body, "\r\n", "\n")
	header := preview(m.Subject, maxHeader)
	if header != strings.TrimSpace(m.Subject) { // shortened: the body starts with the whole subject
		body = m.Subject + "\n\n" + body
	}
	var groups [][]string
	var group []string
	size := 0
	for _, sec := range split(body, maxSection) {
		if len(group) > 0 && (len(group) == maxBlocks-maxFrame || size+length(sec) > maxBodyText) {
			groups, group, size = append(groups, group), nil, 0
		}
		group, size = append(group, sec), size+length(sec)
	}
	groups = append(groups, group)

	parts := make([]part, len(groups))
	for i, sections := range groups {
		var blocks []slack.Block
		if m.Exercise {
			blocks = append(blocks, slack.NewSectionBlock(
				slack.NewTextBlockObject(slack.MarkdownType, ":rotating_light: *EXERCISE*: this is a drill, not a real incident", false, false), nil, nil))
		}
		if i == 0 && m.Kind == notifiers.KindApprovalRequest {
			blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
				fmt.Sprintf(":memo: *Approval needed* for revision %d: nothing is sent until it is approved", m.Revision), false, false), nil, nil))
		}
		if i == 0 && header != "" {
			blocks = append(blocks, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, true, false)))
		}
		for _, sec := range sections {
			blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.PlainTextType, sec, true, false), nil, nil))
		}
		if b := buttons(m); i == 0 && b != nil { // on the first part, where people see them
			blocks = append(blocks, b)
		}
		context := fmt.Sprintf("crier · runbook %s · step %s · activation %s", m.Runbook, m.Step, m.Activation)
		switch {
		case len(groups) > 1 && i == 0:
			context += fmt.Sprintf(" · part 1 of %d: continued in the thread", len(groups))
		case len(groups) > 1:
			context += fmt.Sprintf(" · part %d of %d", i+1, len(groups))
		}
		blocks = append(blocks, slack.NewContextBlock("",
			slack.NewTextBlockObject(slack.PlainTextType, preview(context, maxContext), false, false)))
		text := fallback(m)
		if i > 0 {
			text += fmt.Sprintf(" (part %d of %d)", i+1, len(groups))
		}
		parts[i] = part{text: text, blocks: blocks}
	}
	return parts
}
