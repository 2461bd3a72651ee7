package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
	crierslack "github.com/crierhq/crier/notifiers/slack"
	"github.com/slack-go/slack"
)

const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// slackAnswers is Slack's response_url: it keeps what crier posts back.
type slackAnswers struct {
	mu  sync.Mutex
	got []map[string]any
}

func (a *slackAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	json.NewDecoder(r.Body).Decode(&m)
	a.mu.Lock()
	a.got = append(a.got, m)
	a.mu.Unlock()
}

func (a *slackAnswers) last() map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) == 0 {
		return nil
	}
	return a.got[len(a.got)-1]
}

// click is Slack's request when a user clicks one of crier's buttons on
// message m, signed at `at` (with the wrong secret, if given).
func (f *fixture) click(user string, m notifiers.Message, action string, responseURL string, at time.Time, secret string) (*http.Request, error) {
	var button *slack.ButtonBlockElement
	for _, b := range crierslack.Blocks(m) {
		if ab, ok := b.(*slack.ActionBlock); ok {
			for _, el := range ab.Elements.ElementSet {
				if btn := el.(*slack.ButtonBlockElement); btn.ActionID == action {
					button = btn
				}
			}
		}
	}
	if button == nil {
		return nil, fmt.Errorf("no %s button on %s", action, m.Delivery)
	}
	payload, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"user":         map[string]string{"id": user, "name": user},
		"response_url": responseURL,
		"message":      map[string]any{"blocks": crierslack.Blocks(m)},
		"actions":      []map[string]string{{"type": "button", "block_id": "crier_actions", "action_id": button.ActionID, "value": button.Value}},
	})
	body := "payload=" + url.QueryEscape(string(payload))
	req, _ := http.NewRequest("POST", f.http.URL+"/slack/interactions", strings.NewReader(body))
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req, nil
}

func send(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Approve in Slack by two named comms officers sends the statement; the
// Slack message is updated to say so. Signatures that are wrong, stale or
// replayed are refused; a clicker with no crier account is told why.
func TestSlackButtons(t *testing.T) {
	f := newFixture(t)
	answers := &slackAnswers{}
	responses := httptest.NewServer(answers)
	defer responses.Close()
	id := f.activated()
	req := notifiers.Message{Delivery: id + "/statement/1/r1/approval-request", Message: id + "/statement/1", Kind: notifiers.KindApprovalRequest,
		Activation: id, Runbook: "tension", Step: "statement", Type: "slack", Target: "#comms-approvals", Revision: 1, Body: "We know."}
	now := time.Now()

	bad, _ := f.click("U0HEADCOMMS", req, crierslack.ActionApprove, responses.URL, now, "not-the-secret")
	stale, _ := f.click("U0HEADCOMMS", req, crierslack.ActionApprove, responses.URL, now.Add(-6*time.Minute), slackSecret)
	for name, r := range map[string]*http.Request{"wrong signature": bad, "stale": stale} {
		if code := send(t, r); code != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, code)
		}
	}
	approve, err := f.click("U0HEADCOMMS", req, crierslack.ActionApprove, responses.URL, now, slackSecret)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(approve.Body)
	approve.Body = io.NopCloser(strings.NewReader(string(body)))
	if code := send(t, approve); code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	if a := answers.last(); a == nil || a["replace_original"] != true || !strings.Contains(fmt.Sprint(a["text"]), "Approved revision 1 by Hana Head") ||
		strings.Contains(fmt.Sprint(a["blocks"]), "crier_approve") {
		t.Errorf("Slack answer: %v", a)
	}
	replay, _ := http.NewRequest("POST", approve.URL.String(), strings.NewReader(string(body)))
	replay.Header = approve.Header.Clone()
	if code := send(t, replay); code != http.StatusUnauthorized {
		t.Errorf("replayed: %d", code)
	}
	// Someone with no crier account: nothing done, and told so alone.
	stranger, _ := f.click("U0STRANGER", req, crierslack.ActionApprove, responses.URL, now, slackSecret)
	send(t, stranger)
	if a := answers.last(); a["response_type"] != "ephemeral" || !strings.Contains(fmt.Sprint(a["text"]), "Not done") {
		t.Errorf("stranger: %v", a)
	}
	second, _ := f.click("U0DUTYCOMMS", req, crierslack.ActionApprove, responses.URL, now, slackSecret)
	send(t, second)
	_, m := f.call(token("Val"), "GET", "/api/v1/messages/"+id+"/statement/1", nil)
	if m["state"] != "dispatching" {
		t.Errorf("after two approvals in Slack: %v", m["state"])
	}
	// A stakeholder acknowledges their task from Slack, with no crier account.
	task := notifiers.Message{Delivery: id + "/walkabout/1/r1/000", Message: id + "/walkabout/1", Activation: id, Runbook: "tension",
		Step: "walkabout", Type: "slack", Target: "U0COHESION", Stakeholder: "cohesion", Revision: 1, Body: "Walk.", AckRequested: true}
	ack, _ := f.click("U0COHESION", task, crierslack.ActionAcknowledge, responses.URL, now, slackSecret)
	send(t, ack)
	_, tasks := f.call(token("Val"), "GET", "/api/v1/tasks?activation="+id, nil)
	if !strings.Contains(fmt.Sprint(tasks["raw"]), `"acknowledged_by": "cohesion"`) {
		t.Errorf("tasks after the Slack acknowledgement: %v", tasks)
	}
}

// With the Slack API at hand, Reject opens a dialogue asking why; the
// reason submitted goes in the record, and the message in Slack says so.
// A submission by someone who may not reject is answered in the dialogue.
func TestSlackRejectAsksWhy(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	var opened map[string]any
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			TriggerID string         `json:"trigger_id"`
			View      map[string]any `json:"view"`
		}
		json.NewDecoder(r.Body).Decode(&req) // views.open takes JSON
		opened = req.View
		if r.URL.Path != "/views.open" || req.TriggerID != "trigger-1" {
			w.Write([]byte(`{"ok":false,"error":"invalid_trigger"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true,"view":{"id":"V1"}}`))
	}))
	defer slackAPI.Close()
	answers := &slackAnswers{}
	responses := httptest.NewServer(answers)
	defer responses.Close()
	srv := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, SlackSigningSecret: slackSecret,
		SlackAPI: slack.New("xoxb-test", slack.OptionAPIURL(slackAPI.URL+"/"))}))
	defer srv.Close()
	g := &fixture{t: t, engine: f.engine, lib: f.lib, http: srv}
	req := notifiers.Message{Delivery: id + "/statement/1/r1/approval-request", Message: id + "/statement/1", Kind: notifiers.KindApprovalRequest,
		Activation: id, Runbook: "tension", Step: "statement", Type: "slack", Target: "#comms-approvals", Revision: 1, Body: "We know."}

	click, _ := g.click("U0HEADCOMMS", req, crierslack.ActionReject, responses.URL, time.Now(), slackSecret)
	body, _ := io.ReadAll(click.Body)
	click.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "payload=%7B", "payload=%7B%22trigger_id%22%3A%22trigger-1%22%2C", 1)))
	click.ContentLength = -1
	resign(click, slackSecret)
	send(t, click)
	if opened["callback_id"] != "crier_reject" {
		t.Fatalf("no dialogue opened: %v; answers %v", opened, answers.got)
	}
	submit := func(user, reason string) (int, string) {
		payload, _ := json.Marshal(map[string]any{"type": "view_submission", "user": map[string]string{"id": user},
			"view": map[string]any{"callback_id": "crier_reject", "private_metadata": opened["private_metadata"],
				"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]string{"type": "plain_text_input", "value": reason}}}}}})
		r, _ := http.NewRequest("POST", srv.URL+"/slack/interactions", strings.NewReader("payload="+url.QueryEscape(string(payload))))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resign(r, slackSecret)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if code, out := submit("U0STRANGER", "no"); code != http.StatusOK || !strings.Contains(out, `"response_action": "errors"`) {
		t.Errorf("a stranger's submission: %d %s", code, out)
	}
	submit("U0HEADCOMMS", "Names the wrong street")
	m, _ := f.engine.Read().Message(nil, id+"/statement/1")
	if m.State != "rejected" || m.RejectReason != "Names the wrong street" {
		t.Errorf("after the dialogue: %s %q", m.State, m.RejectReason)
	}
	if a := answers.last(); !strings.Contains(fmt.Sprint(a["text"]), "Rejected by Hana Head") || !strings.Contains(fmt.Sprint(a["text"]), "Names the wrong street") {
		t.Errorf("Slack answer: %v", a)
	}
}

// resign signs a request's body afresh, as Slack would.
func resign(r *http.Request, secret string) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}
