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
