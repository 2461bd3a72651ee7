package teams

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// workflow stands in for a Teams Workflows webhook: it takes a message with
// an Adaptive Card attachment and answers 202, as Power Automate does.
// Like Power Automate, it answers 202 to a body over maxBody too, and then
// drops it: the card never reaches the channel.
type workflow struct {
	status  int
	cards   []map[string]any
	sizes   []int // of the bodies whose cards reached the channel
	dropped []int // the sizes of those that did not
}

func (w *workflow) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	if len(data) > maxBody {
		w.dropped = append(w.dropped, len(data))
		rw.WriteHeader(http.StatusAccepted)
		return
	}
	var msg struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string         `json:"contentType"`
			Content     map[string]any `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(data, &msg); err != nil || r.Header.Get("Content-Type") != "application/json" ||
		msg.Type != "message" || len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	w.cards = append(w.cards, msg.Attachments[0].Content)
	w.sizes = append(w.sizes, len(data))
	rw.WriteHeader(w.status)
}

func TestNotifyPostsAnAdaptiveCard(t *testing.T) {
	wf := &workflow{status: http.StatusAccepted}
	srv := httptest.NewServer(wf)
	defer srv.Close()
	n := &Notifier{Client: srv.Client(), Now: time.Now,
		Lookup: func(k string) (string, bool) { return srv.URL + "/workflows/abc?sig=SECRET", k == "TEAMS_LRF_URL" }}
	retry, err := n.Notify(context.Background(), notifiers.Message{Delivery: "d1", Activation: "a-000003", Runbook: "cyber-attack",
		Step: "warn-partners", Exercise: true, Type: "teams", Target: "${TEAMS_LRF_URL}",
		Subject: "EXERCISE EXERCISE EXERCISE Treat our emails with caution",
		Body:    "EXERCISE EXERCISE EXERCISE\n\nDo not open attachments from northbridge.gov.uk today.\n\nEXERCISE EXERCISE EXERCISE"})
	if err != nil || retry {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	if len(wf.cards) != 1 {
		t.Fatalf("the workflow got %d cards", len(wf.cards))
	}
	c := wf.cards[0]
	text, _ := json.Marshal(c["body"])
	for _, want := range []string{"EXERCISE: this is a drill", "Treat our emails with caution", "Do not open attachments", "runbook cyber-attack · step warn-partners · activation a-000003"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card lacks %q: %s", want, text)
		}
	}
	if c["type"] != "AdaptiveCard" || c["version"] != "1.4" {
		t.Errorf("card = %v", c)
	}
}

func TestNotifyFailuresHideTheURL(t *testing.T) {
	wf := &workflow{status: http.StatusTooManyRequests}
	srv := httptest.NewServer(wf)
	defer srv.Close()
	n := &Notifier{Client: srv.Client(), Now: time.Now,
		Lookup: func(string) (string, bool) { return srv.URL + "/workflows/abc?sig=SECRET", true }}
	retry, err := n.Notify(context.Background(), notifiers.Message{Target: "${X}", Body: "b"})
	if !retry || err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "workflows") {
		t.Errorf("retry %v, err %v", retry, err)
	}
}
