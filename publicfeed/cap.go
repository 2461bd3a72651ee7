// Package publicfeed publishes what crier sends to the public as OASIS CAP
// 1.2 alerts and Atom feeds of them, read from the engine's record: once a
// message to an audience of kind public is dispatched it is an alert
// (Alert for an activation's first, Update after), and when the activation
// is stood down (or an exercise halted) a Cancel follows. Live and exercise
// alerts are kept apart: an exercise's have status Exercise and are listed
// only by Alerts(exercise=true).
package publicfeed

import (
	"encoding/xml"
	"strings"
	"time"
	"unicode/utf8"
)

// Namespace is CAP 1.2's XML namespace.
const Namespace = "urn:oasis:names:tc:emergency:cap:1.2"

// TimeLayout is CAP's date and time: a numeric zone offset, never "Z".
// Format CAP times with FormatTime, which also writes UTC as CAP asks.
const TimeLayout = "2006-01-02T15:04:05-07:00"

// FormatTime is a time as CAP 1.2 writes it (§3.3.2): to the second, with
// a numeric zone offset, and a zero offset (UTC, or GMT in a UK winter)
// as "-00:00", never "+00:00" or "Z".
func FormatTime(t time.Time) string {
	s := t.Format(TimeLayout)
	if rest, ok := strings.CutSuffix(s, "+00:00"); ok {
		return rest + "-00:00"
	}
	return s
}

// MaxHeadline is the longest headline CAP recommends, in characters.
const MaxHeadline = 160

// Alert is one CAP 1.2 alert message.
type Alert struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string   `xml:"identifier"`
	Sender     string   `xml:"sender"`
	Sent       string   `xml:"sent"`
	Status     string   `xml:"status"`
	MsgType    string   `xml:"msgType"`
	Scope      string   `xml:"scope"`
	Note       string   `xml:"note,omitempty"`
	References string   `xml:"references,omitempty"`
	Incidents  string   `xml:"incidents,omitempty"`
	Info       []Info   `xml:"info"`

	// What the feeds and the public page need beside the CAP document.
	at       time.Time // Sent as a time
	live     bool      // the activation was live
	current  bool      // the activation is still running
	activity string    // the activation's id
}

// Info is an alert's text in one language.
type Info struct {
	Language    string   `xml:"language"`
	Category    []string `xml:"category"`
	Event       string   `xml:"event"`
	Urgency     string   `xml:"urgency"`
	Severity    string   `xml:"severity"`
	Certainty   string   `xml:"certainty"`
	Headline    string   `xml:"headline,omitempty"`
	Description string   `xml:"description,omitempty"`
	Web         string   `xml:"web,omitempty"`
}

// SentAt is when the alert was sent.
func (a *Alert) SentAt() time.Time { return a.at }

// Current reports whether the activation it belongs to is still running.
func (a *Alert) Current() bool { return a.current }

// Activation is the id of the activation the alert belongs to.
func (a *Alert) Activation() string { return a.activity }

// Marshal is the alert as a CAP XML document.
func (a *Alert) Marshal() ([]byte, error) {
	out, err := xml.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// Grading is how CAP grades an alert: urgency, severity and certainty.
type Grading struct{ Urgency, Severity, Certainty string }

// GradingOf maps an activation's severity to CAP's grading (documented in
// docs/cap.md); an activation with no severity, or one crier does not
// know, is Unknown throughout.
func GradingOf(severity string) Grading {
	switch severity {
	case "critical":
		return Grading{"Immediate", "Extreme", "Observed"}
	case "high":
		return Grading{"Immediate", "Severe", "Observed"}
	case "medium":
		return Grading{"Expected", "Moderate", "Likely"}
	case "low":
		return Grading{"Expected", "Minor", "Likely"}
	}
	return Grading{"Unknown", "Unknown", "Unknown"}
}

// categories map words of an activation's event to CAP categories, the
// first rule with a word in the event winning.
var categories = []struct {
	category string
	words    []string
}{
	{"Infra", []string{"cyber", "power", "outage", "telecoms", "utility"}},
	{"Met", []string{"flood", "flooding", "storm", "weather", "snow", "heatwave"}},
	{"Fire", []string{"fire", "wildfire"}},
	{"Health", []string{"health", "disease", "outbreak", "pandemic"}},
	{"Transport", []string{"transport", "rail", "road", "traffic"}},
	{"CBRNE", []string{"chemical", "biological", "radiological", "nuclear", "explosive", "cbrne"}},
	{"Security", []string{"terrorist", "terrorism", "terror", "attack", "hate", "crime", "security"}},
	{"Safety", []string{"protest", "tension", "disorder", "safety"}},
}

// CategoryOf is the CAP category of an activation's event (its trigger's
// name, such as flood-warning, or the words it was activated with): the
// first rule above with one of its words, else Other.
func CategoryOf(event string) string {
	words := strings.FieldsFunc(strings.ToLower(event), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	for _, c := range categories {
		for _, w := range words {
			for _, cw := range c.words {
				if w == cw {
					return c.category
				}
			}
		}
	}
	return "Other"
}

// headline is a message's subject cut to MaxHeadline characters, or when
// it has none, the first line of its body, cut alike.
func headline(subject, body string) string {
	h := strings.TrimSpace(subject)
	if h == "" {
		h, _, _ = strings.Cut(strings.TrimSpace(body), "\n")
	}
	if utf8.RuneCountInString(h) <= MaxHeadline {
		return h
	}
	r := []rune(h)
	return strings.TrimSpace(string(r[:MaxHeadline-1])) + "…"
}
