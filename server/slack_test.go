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

	"github.com/crierhq/crier/engine/state"
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
	req, err := f.clickOn(user, crierslack.Blocks(m), action, responseURL, at, secret)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Delivery, err)
	}
	return req, nil
}

// clickOn is Slack's request when a user clicks a button on a message in
// Slack showing blocks: crier's own, or those crier answered with.
func (f *fixture) clickOn(user string, blocks any, action string, responseURL string, at time.Time, secret string) (*http.Request, error) {
	shown, _ := json.Marshal(blocks)
	var parsed slack.Blocks
	if err := json.Unmarshal(shown, &parsed); err != nil {
		return nil, err
	}
	var button *slack.ButtonBlockElement
	for _, b := range parsed.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok {
			for _, el := range ab.Elements.ElementSet {
				if btn := el.(*slack.ButtonBlockElement); btn.ActionID == action {
					button = btn
				}
			}
		}
	}
	if button == nil {
		return nil, fmt.Errorf("no %s button", action)
	}
	payload, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"user":         map[string]string{"id": user, "name": user},
		"response_url": responseURL,
		"message":      map[string]any{"blocks": json.RawMessage(shown)},
		"actions":      []map[string]string{{"type": "button", "block_id": "crier_actions", "action_id": button.ActionID, "value": button.Value}},
	})
	body := "payload=" + url.QueryEscape(string(payload))
	req, _ := http.NewRequest("POST", f.http.URL+"/slack/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sign(req, body, at, secret)
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

// Approve in Slack by two named comms officers, each clicking the message
// as Slack then shows it, sends the statement. After the first approval the
// message keeps its text and its buttons and says who approved, 1 of 2;
// after the second it loses its buttons. Signatures that are wrong, stale
// or replayed are refused; a clicker with no crier account, or one who has
// approved already, is told why.
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
	first := answers.last()
	if first == nil || first["replace_original"] != true || !strings.Contains(shown(first), "We know.") ||
		!strings.Contains(shown(first), `"type":"actions"`) || !strings.Contains(shown(first), "Approved revision 1 by Hana Head at 09:00 UTC (1 of 2 approvals)") {
		t.Fatalf("Slack answer to the first approval: %v", first)
	}
	if m, _ := f.engine.Read().Message(nil, id+"/statement/1"); m.State != state.MessagePendingApproval {
		t.Errorf("after one of two approvals: %s", m.State)
	}
	replay, _ := http.NewRequest("POST", approve.URL.String(), strings.NewReader(string(body)))
	replay.Header = approve.Header.Clone()
	if code := send(t, replay); code != http.StatusUnauthorized {
		t.Errorf("replayed: %d", code)
	}
	// The same click with its signature spelt another way: the same
	// bytes, refused as Slack never writes them so.
	captured := approve.Header.Get("X-Slack-Signature")
	hexSig := strings.TrimPrefix(captured, "v0=")
	for name, sig := range map[string]string{
		"upper-case hex":   "v0=" + strings.ToUpper(hexSig),
		"mixed-case hex":   "v0=" + upperFirstLetter(hexSig),
		"upper-case V0":    "V0=" + hexSig,
		"without v0=":      hexSig,
		"a space inside":   "v0= " + hexSig,
		"spaces outside":   "  " + captured + " ", // HTTP trims them: seen before
		"a second version": captured + ",v1=" + hexSig,
	} {
		again, _ := http.NewRequest("POST", approve.URL.String(), strings.NewReader(string(body)))
		again.Header = approve.Header.Clone()
		again.Header.Set("X-Slack-Signature", sig)
		if code := send(t, again); code != http.StatusUnauthorized {
			t.Errorf("replayed, its signature %s (%q): %d", name, sig, code)
		}
	}
	answers.mu.Lock()
	if n := len(answers.got); n != 1 {
		t.Errorf("crier answered in Slack %d times to one click", n)
	}
	answers.mu.Unlock()
	// Someone with no crier account: nothing done, and told so alone.
	stranger, _ := f.click("U0STRANGER", req, crierslack.ActionApprove, responses.URL, now, slackSecret)
	send(t, stranger)
	if a := answers.last(); a["response_type"] != "ephemeral" || !strings.Contains(fmt.Sprint(a["text"]), "Not done") {
		t.Errorf("stranger: %v", a)
	}
	again, _ := f.clickOn("U0HEADCOMMS", first["blocks"], crierslack.ActionApprove, responses.URL, now, slackSecret)
	send(t, again)
	if a := answers.last(); a["response_type"] != "ephemeral" || !strings.Contains(fmt.Sprint(a["text"]), "already approved") {
		t.Errorf("approving twice: %v", a)
	}
	second, err := f.clickOn("U0DUTYCOMMS", first["blocks"], crierslack.ActionApprove, responses.URL, now, slackSecret)
	if err != nil {
		t.Fatalf("the message in Slack after one approval: %v", err)
	}
	send(t, second)
	_, m := f.call(token("Val"), "GET", "/api/v1/messages/"+id+"/statement/1", nil)
	if m["state"] != "dispatching" {
		t.Errorf("after two approvals in Slack: %v", m["state"])
	}
	if a := answers.last(); a["replace_original"] != true || !strings.Contains(shown(a), "We know.") || strings.Contains(shown(a), `"type":"actions"`) ||
		!strings.Contains(shown(a), "Approved revision 1 by Hana Head at 09:00 UTC (1 of 2 approvals)") ||
		!strings.Contains(shown(a), "Approved revision 1 by Dev Duty at 09:00 UTC (2 of 2 approvals)") {
		t.Errorf("Slack answer to the second approval: %v", a)
	}
	// A stakeholder acknowledges their task from Slack, with no crier account.
	task := notifiers.Message{Delivery: id + "/walkabout/1/r1/000", Message: id + "/walkabout/1", Activation: id, Runbook: "tension",
		Step: "walkabout", Type: "slack", Target: "U0COHESION", Stakeholder: "cohesion", Revision: 1, Body: "Walk.", AckRequested: true}
	// Another stakeholder pressing the button, forwarded the message, is
	// refused: only the person the task is for acknowledges it.
	other, _ := f.click("U0LIAISON", task, crierslack.ActionAcknowledge, responses.URL, now, slackSecret)
	send(t, other)
	if a := answers.last(); a["response_type"] != "ephemeral" || !strings.Contains(fmt.Sprint(a["text"]), "assigned to cohesion, not liaison") {
		t.Errorf("another stakeholder's click: %v", a)
	}
	ack, _ := f.click("U0COHESION", task, crierslack.ActionAcknowledge, responses.URL, now, slackSecret)
	send(t, ack)
	_, tasks := f.call(token("Val"), "GET", "/api/v1/tasks?activation="+id, nil)
	if !strings.Contains(fmt.Sprint(tasks["raw"]), `"acknowledged_by": "cohesion"`) {
		t.Errorf("tasks after the Slack acknowledgement: %v", tasks)
	}
}

// A button naming no revision approves the current one, and the message in
// Slack says which. Times are shown in the configured time zone, with its
// abbreviation: British Summer Time in July, Greenwich Mean Time in November.
func TestSlackApprovalTimesAndRevision(t *testing.T) {
	f := newFixture(t)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	answers := &slackAnswers{}
	responses := httptest.NewServer(answers)
	defer responses.Close()
	id := f.activated()
	july := f.withServer(Options{Location: london, Now: func() time.Time { return time.Date(2026, 7, 1, 13, 37, 0, 0, time.UTC) }})
	november := f.withServer(Options{Location: london, Now: func() time.Time { return start }})
	req := notifiers.Message{Delivery: id + "/statement/1/r1/approval-request", Message: id + "/statement/1", Kind: notifiers.KindApprovalRequest,
		Activation: id, Runbook: "tension", Step: "statement", Type: "slack", Target: "#comms-approvals", Body: "We know."} // no revision

	first, _ := july.click("U0HEADCOMMS", req, crierslack.ActionApprove, responses.URL, time.Now(), slackSecret)
	send(t, first)
	a := answers.last()
	if line := "Approved revision 1 by Hana Head at 14:37 BST (1 of 2 approvals)"; a["text"] != line || !strings.Contains(shown(a), line) {
		t.Fatalf("Slack answer in July: %v", a)
	}
	second, err := november.clickOn("U0DUTYCOMMS", a["blocks"], crierslack.ActionApprove, responses.URL, time.Now(), slackSecret)
	if err != nil {
		t.Fatal(err)
	}
	send(t, second)
	if a := answers.last(); a["text"] != "Approved revision 1 by Dev Duty at 09:00 GMT (2 of 2 approvals)" || strings.Contains(shown(a), `"type":"actions"`) {
		t.Errorf("Slack answer in November: %v", a)
	}
}

// With the Slack API at hand, Reject opens a dialogue asking why; the
// reason submitted goes in the record, and the message in Slack says so,
// keeping its text and the approval it had, without its buttons. A
// submission by someone who may not reject is answered in the dialogue.
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
	g := f.withServer(Options{SlackAPI: slack.New("xoxb-test", slack.OptionAPIURL(slackAPI.URL+"/")), Now: func() time.Time { return start }})
	srv := g.http
	req := notifiers.Message{Delivery: id + "/statement/1/r1/approval-request", Message: id + "/statement/1", Kind: notifiers.KindApprovalRequest,
		Activation: id, Runbook: "tension", Step: "statement", Type: "slack", Target: "#comms-approvals", Revision: 1,
		Subject: "Statement on the incident in Eastfield", Body: "We know there is concern in Eastfield. Officers are on patrol."}

	approve, _ := g.click("U0DUTYCOMMS", req, crierslack.ActionApprove, responses.URL, time.Now(), slackSecret)
	send(t, approve)
	click, err := g.clickOn("U0HEADCOMMS", answers.last()["blocks"], crierslack.ActionReject, responses.URL, time.Now(), slackSecret)
	if err != nil {
		t.Fatalf("the message in Slack after one approval: %v", err)
	}
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
	a := answers.last()
	if line := "Rejected by Hana Head at 09:00 UTC: Names the wrong street"; a["replace_original"] != true || a["text"] != line || !strings.Contains(shown(a), line) {
		t.Errorf("Slack answer: %v", a)
	}
	if !strings.Contains(shown(a), "concern in Eastfield") || !strings.Contains(shown(a), "Approval needed") || strings.Contains(shown(a), `"type":"actions"`) ||
		!strings.Contains(shown(a), "Approved revision 1 by Dev Duty at 09:00 UTC (1 of 2 approvals)") {
		t.Errorf("the message in Slack after the rejection: %s", shown(a))
	}
}

// shown is the blocks of an answer to Slack, as JSON.
func shown(answer map[string]any) string {
	b, _ := json.Marshal(answer["blocks"])
	return string(b)
}

// withServer is a fixture with a server of its own, made with opts, over
// f's engine and runbooks: for the Slack API, a time zone or a clock.
func (f *fixture) withServer(opts Options) *fixture {
	opts.Engine, opts.Library, opts.Users, opts.SlackSigningSecret = f.engine, f.lib, people, slackSecret
	opts.SlackResponseHosts = []string{"127.0.0.1"}
	srv := httptest.NewServer(New(opts))
	f.t.Cleanup(srv.Close)
	return &fixture{t: f.t, engine: f.engine, lib: f.lib, http: srv}
}

// resign signs a request's body afresh, as Slack would.
func resign(r *http.Request, secret string) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	sign(r, string(body), time.Now(), secret)
}

// sign signs a request with body at `at`, as Slack does.
func sign(r *http.Request, body string, at time.Time, secret string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// upperFirstLetter writes the first of a-f in hex in capitals.
func upperFirstLetter(hex string) string {
	i := strings.IndexAny(hex, "abcdef")
	if i < 0 {
		return strings.ToUpper(hex)
	}
	return hex[:i] + strings.ToUpper(hex[i:i+1]) + hex[i+1:]
}
