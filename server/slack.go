package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	crierslack "github.com/crierhq/crier/notifiers/slack"
	"github.com/crierhq/crier/record"
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
	sig, canonical := slackSignature(r.Header)
	verifier, err := slack.NewSecretsVerifier(r.Header, s.slackSecret)
	if !canonical && err == nil {
		err = errors.New("not Slack's spelling of a signature")
	}
	if err == nil {
		_, _ = verifier.Write(body)
		err = verifier.Ensure()
	}
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "not a request signed by Slack in the last five minutes")
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
	keys := []string{"sig:" + string(sig)}
	if cb.TriggerID != "" { // the interaction's own id
		keys = append(keys, "trigger:"+cb.TriggerID)
	}
	if !s.replays.first(s.now(), keys...) {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "this Slack request has been received before")
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
		s.answerInSlack(r.Context(), cb.ResponseURL, cb.Message.Blocks.BlockSet, done, err)
	}
}

// rejection is what the Reject modal carries to its submission: the
// button's value, where to answer, and the lines the message in Slack
// has gained so far (a submission does not carry the message itself).
type rejection struct {
	Action      crierslack.ActionValue `json:"action"`
	ResponseURL string                 `json:"response_url"`
	Said        []string               `json:"said,omitempty"`
}

// maxMetadata is the most a Slack view's private_metadata may hold.
const maxMetadata = 3000

// askWhy opens a modal asking the rejecter for their reason.
func (s *Server) askWhy(ctx context.Context, cb slack.InteractionCallback, v crierslack.ActionValue) {
	meta, _ := json.Marshal(rejection{Action: v, ResponseURL: cb.ResponseURL, Said: said(cb.Message.Blocks.BlockSet)})
	if len(meta) > maxMetadata {
		meta, _ = json.Marshal(rejection{Action: v, ResponseURL: cb.ResponseURL}) // the record keeps the approvals regardless
	}
	input := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Why it must not go out", false, false), "reason")
	input.Multiline = true
	view := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "crier_reject", PrivateMetadata: string(meta),
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Reject the message", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		Close:  slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil, input)}}}
	if _, err := s.slackAPI.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		s.log.Warn("opening the reject dialogue in Slack", "err", notifiers.RedactError(err))
		s.answerInSlack(ctx, cb.ResponseURL, nil, outcome{}, fmt.Errorf("Slack would not open the dialogue for a reason; reject in crier's web app instead"))
	}
}

// rejectionSubmitted records a rejection with the reason given in the
// modal, or shows the modal why not. The message in Slack keeps what it
// said, rebuilt from the record, and loses its buttons.
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
	done.line += ": " + reason
	s.answerInSlack(r.Context(), meta.ResponseURL, s.approvalRequest(meta.Action, meta.Said), done, nil)
}

// outcome is what a click did: the line the message in Slack gains, and
// whether the message still waits for approvals, so keeps its buttons.
type outcome struct {
	line    string
	waiting bool
}

// click does what a button asks, as the Slack user who clicked it.
func (s *Server) click(ctx context.Context, who slack.User, action string, v crierslack.ActionValue, reason string) (outcome, error) {
	u := s.users.bySlack(who.ID)
	var c engine.Command
	switch action {
	case crierslack.ActionAcknowledge: // a stakeholder the runbook names by Slack id; no crier account needed
		actor := who.ID
		if u != nil {
			actor = u.Person() // recorded as everything else they do is
		}
		c = &engine.Acknowledge{Meta: engine.Meta{Actor: actor}, Subject: v.Message, By: who.ID, Via: "slack"}
	case crierslack.ActionApprove, crierslack.ActionReject:
		if u == nil || !u.Has(RoleComms) {
			return outcome{}, fmt.Errorf("only a comms officer with a crier account linked to this Slack user may approve or reject")
		}
		meta := engine.Meta{Actor: u.Person()}
		if action == crierslack.ActionApprove {
			c = &engine.Approve{Meta: meta, Message: v.Message, Revision: v.Revision, By: u.Identity()}
		} else {
			c = &engine.Reject{Meta: meta, Message: v.Message, Revision: v.Revision, By: u.Identity(), Reason: reason}
		}
	}
	if _, err := s.engine.Apply(ctx, c); err != nil {
		return outcome{}, err
	}
	name := who.Name
	if u != nil {
		name = u.Name
	}
	by := fmt.Sprintf("by %s at %s", name, s.now().In(s.loc).Format("15:04 MST"))
	switch action {
	case crierslack.ActionApprove:
		return s.approved(v, by), nil
	case crierslack.ActionReject:
		return outcome{line: "Rejected " + by}, nil
	}
	return outcome{line: "Acknowledged " + by}, nil
}

// approved says what an approval did, read from the record after it: the
// revision approved, how many of the approvals it needs it now has, and
// whether it still waits for more.
func (s *Server) approved(v crierslack.ActionValue, by string) outcome {
	tx := s.engine.Read()
	m, err := tx.Message(nil, v.Message)
	if err != nil || m == nil {
		if v.Revision == 0 {
			return outcome{line: "Approved " + by}
		}
		return outcome{line: fmt.Sprintf("Approved revision %d %s", v.Revision, by)}
	}
	revision := v.Revision
	if revision == 0 { // a button that names none approves the current revision
		revision = m.Current().N
	}
	line := fmt.Sprintf("Approved revision %d %s", revision, by)
	if m.MinApprovals > 1 {
		given, _ := tx.ApprovalsOf(nil, m.ID) // a read of memory: it fails only when the record is broken
		n := 0
		for _, p := range given {
			if p.Revision == revision {
				n++
			}
		}
		line += fmt.Sprintf(" (%d of %d approvals)", n, m.MinApprovals)
	}
	return outcome{line: line, waiting: m.State == state.MessagePendingApproval && m.Current().N == revision}
}

// outcomeBlock begins the block id of each line crier adds to a message
// in Slack, so that the lines can be told from the message's own.
const outcomeBlock = "crier_outcome_"

// said is the lines crier has added to a message in Slack so far.
func said(shown []slack.Block) []string {
	var lines []string
	for _, b := range shown {
		c, ok := b.(*slack.ContextBlock)
		if !ok || !strings.HasPrefix(c.BlockID, outcomeBlock) {
			continue
		}
		for _, el := range c.ContextElements.Elements {
			if t, ok := el.(*slack.TextBlockObject); ok {
				lines = append(lines, t.Text)
			}
		}
	}
	return lines
}

// approvalRequest is the approval request for the revision v names (the
// current one when it names none), as crier posted it to Slack, rebuilt
// from the record, with the lines crier has added since. It is nil when
// the record has no such message.
func (s *Server) approvalRequest(v crierslack.ActionValue, lines []string) []slack.Block {
	tx := s.engine.Read()
	m, err := tx.Message(nil, v.Message)
	if err != nil || m == nil {
		return nil
	}
	a, err := tx.Activation(nil, m.ActivationID)
	if err != nil || a == nil {
		return nil
	}
	rev := m.Current()
	for _, r := range m.Revisions {
		if r.N == v.Revision {
			rev = r
		}
	}
	blocks := crierslack.Blocks(notifiers.Message{Kind: notifiers.KindApprovalRequest, Message: m.ID, Activation: a.ID,
		Runbook: a.Runbook, Step: m.Step, Exercise: a.Exercise(), Revision: rev.N, Subject: rev.Subject, Body: rev.Body})
	for i, line := range lines {
		blocks = append(blocks, slack.NewContextBlock(fmt.Sprintf("%s%d", outcomeBlock, i+1),
			slack.NewTextBlockObject(slack.PlainTextType, line, false, false)))
	}
	return blocks
}

// answerInSlack replaces the message in Slack with what it showed and a
// line saying what was done: its buttons kept while it waits for more
// approvals, gone once it is approved, rejected or acknowledged. If
// nothing was done, it tells the clicker alone why.
func (s *Server) answerInSlack(ctx context.Context, responseURL string, shown []slack.Block, done outcome, err error) {
	if responseURL == "" {
		return
	}
	if host, ok := s.toSlack(responseURL); !ok {
		s.log.Warn("not answering Slack at a response_url that is not Slack's", "host", host)
		return
	}
	msg := map[string]any{"replace_original": false, "response_type": "ephemeral"}
	if err != nil {
		msg["text"] = "Not done: " + err.Error()
	} else {
		var blocks []slack.Block
		lines := len(said(shown))
		for _, b := range shown {
			if b.BlockType() != slack.MBTAction || done.waiting {
				blocks = append(blocks, b)
			}
		}
		blocks = append(blocks, slack.NewContextBlock(fmt.Sprintf("%s%d", outcomeBlock, lines+1),
			slack.NewTextBlockObject(slack.PlainTextType, done.line, false, false)))
		msg = map[string]any{"replace_original": true, "text": done.line, "blocks": blocks}
	}
	body, _ := json.Marshal(msg)
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
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

// slackResponseHost is where Slack's response_urls point.
const slackResponseHost = "hooks.slack.com"

// toSlack reports whether a response_url is Slack's (or a host the
// options allow), so that a signed request cannot send crier's answer,
// with the message it shows, anywhere else; and the host it names, for
// the log (the whole URL is a credential).
func (s *Server) toSlack(responseURL string) (string, bool) {
	u, err := url.Parse(responseURL)
	if err != nil || u.User != nil {
		return "", false
	}
	if u.Scheme == "https" && u.Host == slackResponseHost {
		return u.Host, true
	}
	return u.Host, (u.Scheme == "https" || u.Scheme == "http") && slices.ContainsFunc(s.slackHosts, func(h string) bool {
		return h == u.Host || h == u.Hostname()
	})
}

// replays remembers the signatures of the last five minutes' Slack
// requests, so that a request captured and sent again is refused.
type replays struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// first reports whether a request is new — none of its keys seen — and
// remembers them all. Keys are what the request is, never how it is
// spelled: a signature's bytes, the request's own id.
func (r *replays) first(now time.Time, keys ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for k, at := range r.seen {
		if now.Sub(at) > 10*time.Minute { // twice the signatures' window: both clocks may drift
			delete(r.seen, k)
		}
	}
	fresh := true
	for _, k := range keys {
		if _, ok := r.seen[k]; ok {
			fresh = false
		}
		r.seen[k] = now
	}
	return fresh
}

// slackSignature is the bytes of Slack's v0 signature, spelled as Slack
// writes it ("v0=" and 64 lower-case hex digits) or not at all.
func slackSignature(h http.Header) ([]byte, bool) {
	sig, ok := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if !ok || !record.LowerHex(sig, sha256.Size) {
		return nil, false
	}
	b, err := hex.DecodeString(sig)
	return b, err == nil
}
