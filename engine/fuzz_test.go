package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// FuzzReportMarkdown: whatever people write in a report's fields, its
// Markdown has the shape it has with plain text there, and no link, image
// or HTML (see checkShape).
func FuzzReportMarkdown(f *testing.F) {
	for i, h := range hostile {
		f.Add(h, hostile[(i+1)%len(hostile)])
	}
	f.Add("1. x", "+ y")
	f.Add("x\\", "*")
	f.Add("www.a.b", "ftp://a.b")
	f.Fuzz(func(t *testing.T, a, b string) {
		texts := []string{a, b, a + "\n" + b, b + " " + a}
		fields := func(text func(string) string) func() string {
			i := 0
			return func() string { i++; return text(texts[i%len(texts)]) }
		}
		md := markdownOf(t, reportWith(fields(func(s string) string { return s })))
		want := markdownOf(t, reportWith(fields(func(s string) string {
			if strings.TrimSpace(s) == "" {
				return s
			}
			return "plain"
		})))
		checkShape(t, md, want)
		if t.Failed() {
			t.Logf("Markdown:\n%s", md)
		}
	})
}

// FuzzDecodeCommand: reading a logged command never panics, and a command
// read is written back as a command that reads the same.
func FuzzDecodeCommand(f *testing.F) {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for _, c := range []Command{
		&Activate{Meta: Meta{Index: 1, At: at, Actor: "lead"}, Source: []byte("version: 1\n"), SourceName: "r.yaml",
			Mode: "exercise", Params: map[string]string{"venue": "Victoria Hall"}, Speed: 60},
		&Fire{Occurrence: "a-000001/statement/1"},
		&StandDown{Activation: "a-000001", Reason: "all clear"},
		&Halt{Activation: "a-000001", Reason: "a real incident"},
		&RecordDecision{Activation: "a-000001", Decision: "hold", Rationale: "unconfirmed", Information: "police"},
		&Approve{Message: "a-000001/statement/1", Revision: 2, By: "lead"},
		&Reject{Message: "a-000001/statement/1", By: "lead", Reason: "names a suspect"},
		&Edit{Message: "a-000001/statement/1", By: "lead", Subject: "s", Body: "b"},
		&Edit{Message: "a-000001/statement/1", By: "lead", Subject: "s", Body: "b",
			Translations: map[string]state.Translation{"cy": {Subject: "p", Body: "c"}}, Withhold: []string{"pl"}},
		&Redraft{Message: "a-000001/statement/1", By: "lead", Subject: "s", Body: "b", Withhold: []string{"cy"}},
		&WriteMessage{Activation: "a-000001", By: "lead", To: []string{"residents"}, Subject: "s", Body: "b",
			Translations: map[string]state.Translation{"cy": {Body: "c"}}},
		&Acknowledge{Subject: "a-000001/walk/1", By: "deputy", Via: "web"},
		&RecordOutcomes{Outcomes: []Outcome{{Delivery: "d", State: "sent"}}},
	} {
		data, err := EncodeCommand(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, kind := range []string{"complete_task", "reassign_task", "send_inject", "set_speed", "resume_deliveries", "announce_leader"} {
		f.Add([]byte(kind + "\n{}"))
	}
	f.Add([]byte("activate\nnull"))
	f.Add([]byte("activate"))
	f.Add([]byte("nonsense\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommand(data)
		if err != nil {
			return
		}
		if kind, _, _ := bytes.Cut(data, []byte{'\n'}); c.Kind() != string(kind) {
			t.Fatalf("read a %s command from %q", c.Kind(), kind)
		}
		once, err := EncodeCommand(c)
		if err != nil {
			return // a value JSON cannot write, such as a huge number read as infinite
		}
		again, err := DecodeCommand(once)
		if err != nil {
			t.Fatalf("a command written back does not read: %v\n%s", err, once)
		}
		if twice, err := EncodeCommand(again); err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("a command written back reads differently: %v\n%s\n%s", err, once, twice)
		}
	})
}
