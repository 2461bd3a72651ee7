package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/crierhq/crier/notifiers"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
)

var drill = notifiers.Message{Delivery: "a-000001/holding-statement/1/r1/000", Activation: "a-000001", Runbook: "major-incident",
	Step: "holding-statement", Exercise: true, Type: "slack", Target: "#exercise-control",
	Subject: "EXERCISE EXERCISE EXERCISE Statement on the incident at Victoria Hall",
	Body:    "EXERCISE EXERCISE EXERCISE\n\nWe are aware of an incident at Victoria Hall. <!channel> Please avoid the area.\n\nEXERCISE EXERCISE EXERCISE"}

// posted records what chat.postMessage receives, answering as Slack does.
type posted struct{ channel, text, blocks string }

func TestPostsBlockKit(t *testing.T) {
	var got []posted
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			if r.Header.Get("Authorization") != "Bearer xoxb-test" && r.Form.Get("token") != "xoxb-test" {
				w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
				return
			}
			got = append(got, posted{r.Form.Get("channel"), r.Form.Get("text"), r.Form.Get("blocks")})
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":true,"channel":"C0123456789","ts":"1779489060.000100"}`))
		})
	})
	srv.Start()
	defer srv.Stop()
	n := &Notifier{Client: slack.New("xoxb-test", slack.OptionAPIURL(srv.GetAPIURL()))}
	if retry, err := n.Notify(context.Background(), drill); err != nil || retry {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	if len(got) != 1 {
		t.Fatalf("Slack got %d messages", len(got))
	}
	p := got[0]
	if p.channel != "exercise-control" || p.text != drill.Subject {
		t.Errorf("channel %q text %q", p.channel, p.text)
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(p.blocks), &blocks); err != nil || len(blocks.BlockSet) != 4 {
		t.Fatalf("blocks %s: %v", p.blocks, err)
	}
	for _, want := range []string{`"type":"header"`, "EXERCISE*: this is a drill", "Please avoid the area", "runbook major-incident · step holding-statement · activation a-000001"} {
		if !strings.Contains(p.blocks, want) {
			t.Errorf("blocks lack %q: %s", want, p.blocks)
		}
	}
	// The body is plain text, so a param cannot notify the whole channel.
	if !strings.Contains(p.blocks, `{"type":"plain_text","text":"EXERCISE EXERCISE EXERCISE\n\nWe are aware of an incident at Victoria Hall. \u003c!channel\u003e`) {
		t.Errorf("body is not plain text: %s", p.blocks)
	}
	// The notification text is escaped too: Slack reads & < > as mark-up.
	m := drill
	m.Subject = "Road closed <!channel> & diverted"
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got[1].text != "Road closed &lt;!channel&gt; &amp; diverted" {
		t.Errorf("text %q", got[1].text)
	}
}

func TestRateLimitsAndErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		retry   bool
		after   bool
	}{
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		}, true, true},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, true, false},
		{"channel not found", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`))
		}, false, false},
	} {
		srv := slacktest.NewTestServer(func(c slacktest.Customize) { c.Handle("/chat.postMessage", tc.handler) })
		srv.Start()
		n := &Notifier{Client: slack.New("xoxb-test", slack.OptionAPIURL(srv.GetAPIURL()))}
		retry, err := n.Notify(context.Background(), drill)
		srv.Stop()
		var ra *notifiers.RetryAfterError
		if err == nil || retry != tc.retry || errors.As(err, &ra) != tc.after {
			t.Errorf("%s: retry %v, err %v", tc.name, retry, err)
		}
		if tc.after && ra.After.Seconds() != 3 {
			t.Errorf("%s: retry after %v", tc.name, ra.After)
		}
	}
}
