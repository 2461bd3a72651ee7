package teams

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crierhq/crier/notifiers"
)

var statement = notifiers.Message{Delivery: "a-000001/holding-statement/1/r1/002", Activation: "a-000001", Runbook: "major-incident",
	Step: "holding-statement", Exercise: true, Type: "teams", Target: "${TEAMS_LRF_URL}",
	Subject: "EXERCISE EXERCISE EXERCISE Statement on the incident at Victoria Hall"}

// paragraphs is a statement of about n bytes in paragraphs of prose.
func paragraphs(n int) string {
	var b strings.Builder
	b.WriteString("EXERCISE EXERCISE EXERCISE")
	for i := 1; b.Len() < n; i++ {
		fmt.Fprintf(&b, "\n\nUpdate %d: %s", i, strings.TrimSpace(strings.Repeat("Please avoid the area around Victoria Hall and follow official advice only. ", 4)))
	}
	return b.String()
}

// post sends m through a Notifier to a fake Workflows webhook and returns
// what reached the channel, failing the test if the card was dropped.
func post(t *testing.T, m notifiers.Message, log *slog.Logger) (card map[string]any, size int) {
	t.Helper()
	wf := &workflow{status: http.StatusAccepted}
	srv := httptest.NewServer(wf)
	defer srv.Close()
	n := &Notifier{Client: srv.Client(), Now: time.Now, Log: log,
		Lookup: func(string) (string, bool) { return srv.URL + "/workflows/abc?sig=SECRET", true }}
	if retry, err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	if len(wf.dropped) > 0 || len(wf.cards) != 1 {
		t.Fatalf("the flow dropped cards of %v bytes; %d reached the channel", wf.dropped, len(wf.cards))
	}
	return wf.cards[0], wf.sizes[0]
}

// shown is what a card shows of the body (its plain TextBlocks, joined
// as paragraphs), its note, if any, and the URL of its action, if any.
func shown(card map[string]any) (text, note, action string) {
	var paras []string
	for _, el := range card["body"].([]any) {
		b := el.(map[string]any)
		t, _ := b["text"].(string)
		switch {
		case b["type"] != "TextBlock" || b["isSubtle"] == true || b["size"] == "Medium":
		case strings.HasPrefix(t, "The full message is longer"):
			note = t
		default:
			paras = append(paras, t)
		}
	}
	if as, _ := card["actions"].([]any); len(as) > 0 {
		a := as[len(as)-1].(map[string]any)
		if a["type"] == "Action.OpenUrl" {
			action, _ = a["url"].(string)
		}
	}
	return strings.Join(paras, "\n\n"), note, action
}

// A message too big for a card is cut, after a paragraph if it can be, so
// that the request is within maxBody; the card says how much was left out
// and, with a link, ends with it.
func TestLongMessageIsShortenedToFit(t *testing.T) {
	const link = "https://crier.northbridge.gov.uk/ui/messages/a-000001/holding-statement/1"
	long := paragraphs(44000)
	for _, tc := range []struct {
		name, body, link string
		breaks           string // what the text left out must start with: the break cut at
	}{
		{"44 KB of paragraphs, with a link", long, link, "\n\n"},
		{"44 KB of paragraphs, no link", long, "", "\n\n"},
		{"one paragraph of lines", strings.Repeat("Rest centre open at Northbridge Leisure Centre, Mill Lane.\n", 800), link, "\n"},
		{"one line of words", strings.Repeat("Avoid the area. ", 3000), link, " "},
		{"Urdu with no spaces", strings.Repeat("ابلاغ", 6000), link, ""},
		{"& < > escaped in JSON", strings.Repeat("<&> ", 8000), link, " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := statement
			m.Body, m.Link = tc.body, tc.link
			var logged bytes.Buffer
			card, size := post(t, m, slog.New(slog.NewTextHandler(&logged, nil)))
			text, note, action := shown(card)
			rest, ok := strings.CutPrefix(tc.body, text)
			if size > maxBody || !ok || text == "" || !strings.HasPrefix(rest, tc.breaks) || !utf8.ValidString(text) {
				t.Fatalf("%d bytes; kept %d of %d bytes, a prefix %v, cut before %.10q", size, len(text), len(tc.body), ok, rest)
			}
			left := count(utf8.RuneCountInString(strings.TrimSpace(rest)))
			wantNote := "The full message is longer: it was shortened to fit in Teams, and " + left + " characters were left out."
			if tc.link != "" {
				wantNote = "The full message is longer (" + left + " more characters): [read it on crier](" + link + ")"
			}
			if note != wantNote || action != tc.link {
				t.Errorf("note %q, action %q", note, action)
			}
			if !strings.Contains(logged.String(), "shortened") || !strings.Contains(logged.String(), "left_out=") {
				t.Errorf("log: %s", logged.String())
			}
			// A drill's card still ends marked as an exercise, the cut having
			// taken the body's closing marking.
			blocks := card["body"].([]any)
			last := blocks[len(blocks)-2].(map[string]any) // before the line naming the runbook
			if last["type"] != "Container" || !strings.Contains(fmt.Sprint(last["items"]), "EXERCISE: this is a drill") {
				t.Errorf("a shortened drill card does not end with the exercise banner: %v", last)
			}
		})
	}
}

// count writes n as people in the UK read it: 12,345.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// A card of exactly maxBody bytes goes whole; one more byte and the last
// paragraph is left out.
func TestCardAtTheLimit(t *testing.T) {
	m := statement
	m.Body, m.Link = paragraphs(20000)+"\n\nx", "https://crier.northbridge.gov.uk/ui/messages/a-000001/holding-statement/1"
	whole, _, _ := fit(m)
	pad := maxBody - len(whole)
	for _, extra := range []int{0, 1} {
		m := m
		m.Body += strings.Repeat("x", pad+extra)
		card, size := post(t, m, nil)
		text, note, _ := shown(card)
		switch {
		case extra == 0 && (size != maxBody || text != m.Body || note != ""):
			t.Errorf("at the limit: %d bytes, whole %v, note %q", size, text == m.Body, note)
		case extra == 1 && (size > maxBody || text != paragraphs(20000) || !strings.Contains(note, "("+count(pad+2)+" more characters)")):
			t.Errorf("one byte over: %d bytes, note %q", size, note)
		}
	}
}

// A card too big without any of the body fails the delivery rather than
// being dropped by the flow.
func TestCardTooBigWithoutItsBody(t *testing.T) {
	m := statement
	m.Subject, m.Body = strings.Repeat("S", maxBody), "Avoid the area."
	n := &Notifier{Client: http.DefaultClient, Now: time.Now, Lookup: func(string) (string, bool) { return "http://127.0.0.1:1/", true }}
	if retry, err := n.Notify(context.Background(), m); err == nil || retry || !strings.Contains(err.Error(), "28000 bytes") {
		t.Errorf("retry %v, err %v", retry, err)
	}
}
