package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
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
	if cb.Type == slack.InteractionTypeViewSubmission {
		s.rejectionSubmitted(w, r, cb)
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
		if action == crierslack.ActionReject && s.slackAPI != nil && cb.TriggerID != "" {
			s.askWhy(r.Context(), cb, v) // the reason goes in the record
			continue
		}
		done, err := s.click(r.Context(), cb.User, action, v, "rejected in Slack")
		s.answerInSlack(r.Context(), cb, done, err)
	}
}

// rejection is what the Reject modal carries to its submission.
type rejection struct {
	Action      crierslack.ActionValue `json:"action"`
	ResponseURL string                 `json:"response_url"`
}

// askWhy opens a modal asking the rejecter for their reason.
func (s *Server) askWhy(ctx context.Context, cb slack.InteractionCallback, v crierslack.ActionValue) {
	meta, _ := json.Marshal(rejection{Action: v, ResponseURL: cb.ResponseURL})
	input := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Why it must not go out", false, false), "reason")
	input.Multiline = true
	view := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "crier_reject", PrivateMetadata: string(meta),
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Reject the message", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		Close:  slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil, input)}}}
	if _, err := s.slackAPI.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		s.log.Warn("opening the reject dialogue in Slack", "err", notifiers.RedactError(err))
		s.answerInSlack(ctx, cb, "", fmt.Errorf("Slack would not open the dialogue for a reason; reject in crier's web app instead"))
	}
}

// rejectionSubmitted records a rejection with the reason given in the
// modal, or shows the modal why not.
func (s *Server) rejectionSubmitted(w http.ResponseWriter, r *http.Request, cb slack.InteractionCallback) {
	var meta rejection
	if cb.View.CallbackID != "crier_reject" || json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta) != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	reason := strings.TrimSpace(cb.View.State.Values["reason"]["reason"].Value)
	done, err := s.click(r.Context(), cb.User, crierslack.ActionReject, meta.Action, reason)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"response_action": "errors", "errors": map[string]string{"reason": "Not done: " + err.Error()}})
		return
	}
	w.WriteHeader(http.StatusOK) // closes the modal
	s.answerInSlack(r.Context(), slack.InteractionCallback{ResponseURL: meta.ResponseURL}, done+": "+reason, nil)
}

// click does what a button asks, as the Slack user who clicked it.
func (s *Server) click(ctx context.Context, who slack.User, action string, v crierslack.ActionValue, reason string) (string, error) {
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
			c, done = &engine.Reject{Meta: meta, Message: v.Message, By: u.Identity(), Reason: reason}, "Rejected"
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
