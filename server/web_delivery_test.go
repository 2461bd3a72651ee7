package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// A comms officer reading a text before approving it sees how long it is
// as GOV.UK Notify counts it, in how many fragments it goes, and a warning
// when it is too long to send; once sent, each delivery's state says what
// the exercise withheld and what the phone network delivered or did not.
func TestTextsOnTheMessageAndActivationPages(t *testing.T) {
	f := newScheduled(t, map[string]string{"residents": residents}, Options{})
	code, a := f.call(token("Elle"), "POST", "/api/v1/activations", map[string]any{"runbook": "residents", "mode": "exercise"})
	if code != http.StatusCreated {
		t.Fatalf("activate: %d %v", code, a)
	}
	id := a["id"].(string)
	f.until(0)
	msg := "/ui/messages/" + id + "/warning/1"

	hana := f.browser()
	hana.do("POST", "/login", url.Values{"token": {token("Hana")}})
	_, page, _ := hana.do("GET", msg, nil)
	tooLong := `<p class="alert error" role="alert">Too long for a text message: 1,120 characters; GOV.UK Notify takes at most 918 — shorten it before approving.</p>`
	if !strings.Contains(page, tooLong) || !strings.Contains(page, "This text is too long to send: shorten it before approving.") {
		t.Errorf("the draft's page does not warn that it is too long\n%s", page)
	}
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "action": {"edit"}, "subject": {"Flood warning"},
		"body": {"EXERCISE EXERCISE EXERCISE\nMove cars away from the river by 6pm. Sandbags at Mill Lane depot until 8pm. Call 0300 123 4567 if water enters your home.\nEXERCISE EXERCISE EXERCISE"}}
	if code, page = hana.post(msg, form); code != http.StatusOK || strings.Contains(page, "Too long") ||
		!strings.Contains(page, "As a text message: 220 characters as GOV.UK Notify counts them (it takes at most 918), sent as 2 fragments: the phone network carries a long text in parts") {
		t.Errorf("after shortening: %d\n%s", code, page)
	}
	dev := f.browser()
	dev.do("POST", "/login", url.Values{"token": {token("Dev")}})
	_, page, _ = dev.do("GET", msg, nil)
	dev.do("POST", msg, url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "action": {"approve"}, "revision": {"2"}})
	f.until(0)
	// GOV.UK Notify's receipts, as the receipt poller records them.
	receipts(t, f.fixture, map[string][2]string{
		"+447700900101": {state.DeliveryDelivered, "delivered to the phone (delivered)"},
		"+447700900102": {state.DeliveryUndelivered, "the phone network could not deliver it; the number may be wrong or not in use (permanent-failure)"},
	})

	_, page, _ = dev.do("GET", msg, nil)
	for _, want := range []string{
		"<p>2 sent (1 delivered to the phone, 1 not delivered), 1 withheld (not taking part in the exercise)</p>",
		`<tr class="delivered"><td>Mill Lane flood warden (&#43;447700900101)</td><td>sms</td><td>delivered to the phone</td>`,
		`<tr class="problem"><td>Riverside flood warden (&#43;447700900102)</td><td>sms</td><td>not delivered: the phone network could not deliver it; the number may be wrong or not in use (permanent-failure)</td>`,
		`<tr class="withheld"><td>Ward councillor (&#43;447700900103)</td><td>sms</td><td>withheld — not taking part in the exercise</td>`,
		"As a text message: 220 characters as GOV.UK Notify counts them",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the message page lacks %s\n%s", want, page)
		}
	}
	_, page, _ = dev.do("GET", "/ui/activations/"+id, nil)
	for _, want := range []string{
		"warning · <span data-message=\"" + id + "/warning/1\">sent</span>",
		"2 sent (1 delivered to the phone, 1 not delivered), 1 withheld (not taking part in the exercise)",
		"<td>wardens</td><td>sms</td><td>2</td><td>1</td><td>1</td><td>0</td><td class=\"withheld\">1</td><td>0</td>",
		`<p class="error">Not delivered: text to &#43;447700900102 (warning): the phone network could not deliver it`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the activation page lacks %s\n%s", want, page)
		}
	}
	_, md := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/report?format=md", nil)
	for _, want := range []string{"| wardens | sms | 2 | 1 | 1 | 0 | 1 | 0 |", "## Texts not delivered",
		"| warning | +447700900102 | the phone network could not deliver it; the number may be wrong or not in use (permanent-failure) |"} {
		if !strings.Contains(md["raw"].(string), want) {
			t.Errorf("the report lacks %s\n%s", want, md["raw"])
		}
	}
}

// receipts records what the phone network said of texts, by number: the
// state and the receipt, with the command the receipt poller applies.
func receipts(t *testing.T, f *fixture, by map[string][2]string) {
	t.Helper()
	as, _ := f.engine.Read().Activations(nil)
	var outcomes []engine.Outcome
	for _, a := range as {
		ds, _ := f.engine.Read().DeliveriesOfActivation(nil, a.ID)
		for _, d := range ds {
			if r, ok := by[d.Target]; ok && d.State == state.DeliverySent {
				outcomes = append(outcomes, engine.Outcome{Delivery: d.ID, State: r[0], Receipt: r[1]})
			}
		}
	}
	if _, err := f.engine.Apply(context.Background(), &engine.RecordOutcomes{Meta: engine.Meta{Actor: "dispatcher"}, Outcomes: outcomes}); err != nil {
		t.Fatal(err)
	}
}

// A draft's length as a text is shown only when it would go by text: not
// for a statement to Slack, nor for an exercise whose redirect sends
// everything to a Slack channel instead of the phones.
func TestTextLengthOnlyForTexts(t *testing.T) {
	redirected := strings.Replace(residents, "exercise:\n  participants: [warden, deputy-warden]",
		"  - {id: control, type: slack, slack_channel: \"#exercise-control\"}\nexercise:\n  redirect: [control]", 1)
	for _, tc := range []struct {
		runbook, source, mode, message string
		texts                          bool
	}{
		{"residents", residents, "live", "warning", true},
		{"residents", residents, "exercise", "warning", true},
		{"residents", redirected, "exercise", "warning", false},
		{"tension", statement, "live", "statement", false},
	} {
		f := newScheduled(t, map[string]string{tc.runbook: tc.source}, Options{})
		req := map[string]any{"runbook": tc.runbook, "mode": tc.mode}
		if tc.runbook == "tension" {
			req["params"] = map[string]string{"area": "Eastfield"}
		}
		code, a := f.call(token("Ada"), "POST", "/api/v1/activations", req)
		if code != http.StatusCreated {
			t.Fatalf("%s: activate: %d %v", tc.runbook, code, a)
		}
		f.until(0)
		b := f.browser()
		b.do("POST", "/login", url.Values{"token": {token("Hana")}})
		_, page, _ := b.do("GET", "/ui/messages/"+a["id"].(string)+"/"+tc.message+"/1", nil)
		if texts := strings.Contains(page, "Too long for a text message") || strings.Contains(page, "As a text message"); texts != tc.texts {
			t.Errorf("%s as %s: the length as a text shown: %v, want %v\n%s", tc.runbook, tc.mode, texts, tc.texts, page)
		}
	}
}
