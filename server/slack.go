package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	crierslack "github.com/crierhq/crier/notifiers/slack"
	"github.com/slack-go/slack"
)

// slackInteraction takes the clicks on crier's Slack buttons: Approve and
// Reject (for comms officers the runbook names) and Acknowledge (for any
// stakeholder it names by Slack id). Each request must carry Slack's v0
// signature, made within five minutes and not seen before; the check is
// slack-go's, in constant time. The message in Slack is then updated to
// say what was done, or the clicker is told why not.
func (s *Server) slackInteraction(w http.ResponseWriter, r *http.Request) {
	if s.slackSecret == "" {
		writeError(w, http.StatusNotFound, "not_found", "Slack is not configured (notifiers.slack.signing_secret)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request is too large")
		return
	}
	verifier, err := slack.NewSecretsVerifier(r.Header, s.slackSecret)
	if err == nil {
		_, _ = verifier.Write(body)
		err = verifier.Ensure()
	}
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "not a request signed by Slack in the last five minutes")
		return
	}
	if !s.replays.first(r.Header.Get("X-Slack-Signature"), s.now()) {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "this Slack request has been received before")
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the Slack payload is not JSON")
		return
	}
	w.WriteHeader(http.StatusOK) // Slack wants an answer within 3 seconds; the update follows
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	for _, a := range cb.ActionCallback.BlockActions {
		action, v, err := crierslack.ParseAction(a)
		if err != nil {
			continue // another app's button
		}
		done, err := s.click(r.Context(), cb.User, action, v)
		s.answerInSlack(r.Context(), cb, done, err)
	}
}

// click does what a button asks, as the Slack user who clicked it.
func (s *Server) click(ctx context.Context, who slack.User, action string, v crierslack.ActionValue) (string, error) {
	u := s.users.bySlack(who.ID)
	var c engine.Command
	var done string
	switch action {
	case crierslack.ActionAcknowledge: // a stakeholder the runbook names by Slack id; no crier account needed
		c = &engine.Acknowledge{Meta: engine.Meta{Actor: who.ID}, Subject: v.Message, By: who.ID, Via: "slack"}
		done = "Acknowledged"
	case crierslack.ActionApprove, crierslack.ActionReject:
		if u == nil || !u.Has(RoleComms) {
			return "", fmt.Errorf("only a comms officer with a crier account linked to this Slack user may approve or reject")
		}
		meta := engine.Meta{Actor: u.Identity()}
		if action == crierslack.ActionApprove {
			c, done = &engine.Approve{Meta: meta, Message: v.Message, Revision: v.Revision, By: u.Identity()}, fmt.Sprintf("Approved revision %d", v.Revision)
		} else {
			c, done = &engine.Reject{Meta: meta, Message: v.Message, By: u.Identity(), Reason: "rejected in Slack"}, "Rejected"
		}
	}
	if _, err := s.engine.Apply(ctx, c); err != nil {
		return "", err
	}
	name := who.Name
	if u != nil {
		name = u.Name
	}
	return fmt.Sprintf("%s by %s at %s", done, name, s.now().Format("15:04 MST")), nil
}

// answerInSlack updates the clicked message to say what was done (its
// buttons gone), or tells the clicker alone why nothing was.
func (s *Server) answerInSlack(ctx context.Context, cb slack.InteractionCallback, done string, err error) {
	if cb.ResponseURL == "" {
		return
	}
	msg := map[string]any{"replace_original": false, "response_type": "ephemeral"}
	if err != nil {
		msg["text"] = "Not done: " + err.Error()
	} else {
		var blocks []slack.Block
		for _, b := range cb.Message.Blocks.BlockSet {
			if b.BlockType() != slack.MBTAction {
				blocks = append(blocks, b)
			}
		}
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.PlainTextType, done, false, false)))
		msg = map[string]any{"replace_original": true, "text": done, "blocks": blocks}
	}
	body, _ := json.Marshal(msg)
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, cb.ResponseURL, bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, rerr := s.http.Do(req)
	if rerr != nil {
		s.log.Warn("updating the message in Slack", "err", rerr)
		return
	}
	resp.Body.Close()
}

// replays remembers the signatures of the last five minutes' Slack
// requests, so that a request captured and sent again is refused.
type replays struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// first reports whether sig is new, and remembers it.
func (r *replays) first(sig string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for k, at := range r.seen {
		if now.Sub(at) > 10*time.Minute { // twice Slack's window: both clocks may drift
			delete(r.seen, k)
		}
	}
	if _, ok := r.seen[sig]; ok {
		return false
	}
	r.seen[sig] = now
	return true
}
