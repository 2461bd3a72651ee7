package server

import (
	"encoding/xml"
	"html"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

func secs(n int64) *int64 { return &n }

// The chart of planned against actual writes a step's id as text, never
// as markup, whatever it holds; it marks a step that fired late, and one
// whose deadline was missed, as late in words as well as in colour; and it
// is well-formed XML a screen reader has a title and a description for.
func TestPlanVsActual(t *testing.T) {
	f := newFixture(t)
	s := New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }})
	hostile := `x"/><script>alert(1)</script><text onclick="evil()">`
	ended := start.Add(2 * time.Hour)
	rep := &engine.Report{Activation: "a-000009", Title: `Flood <b>"warning"</b>`, State: state.ActivationStoodDown,
		StartedAt: start, EndedAt: &ended,
		Steps: []engine.StepReport{
			{Step: hostile, Occurrence: 1, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(0), FiredSeconds: secs(0), CompleteSeconds: secs(300)},
			{Step: "holding", Occurrence: 2, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(600), FiredSeconds: secs(2400), CompleteSeconds: secs(2500)},
			{Step: "walkabout", Occurrence: 1, Kind: "task", State: state.OccurrenceComplete, PlannedSeconds: secs(900), FiredSeconds: secs(900), CompleteSeconds: secs(5000)},
			{Step: "joint", Kind: "notify", State: "not_reached", WaitingFor: []string{"walkabout"}},
		},
		Escalations: []engine.EscalationReport{{Escalation: &state.Escalation{SubjectID: "a-000009/walkabout/1", Reason: state.EscalationAckOverdue}}},
	}
	svg := string(s.planVsActual(rep))
	if strings.Contains(svg, "<script") || strings.Contains(svg, `onclick="evil()"`) || strings.Contains(svg, "<b>") {
		t.Errorf("a step id or title became markup:\n%s", svg)
	}
	if !strings.Contains(svg, "x&#34;/&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostile step id is not there as text:\n%s", svg)
	}
	// Well-formed, with a title and a description, and every row's text.
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		Title   string   `xml:"title"`
		Desc    string   `xml:"desc"`
		Ticks   []string `xml:"text"`
		Rows    []struct {
			Class string `xml:"class,attr"`
			Text  string `xml:",innerxml"`
			Label struct {
				Text string `xml:",chardata"`
				Note string `xml:"tspan"`
			} `xml:"text"`
		} `xml:"g"`
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Entity = xml.HTMLEntity
	if err := d.Decode(&doc); err != nil && err != io.EOF {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	if doc.Title != `Planned and actual: Flood <b>"warning"</b>` || !strings.Contains(doc.Desc, "4 step occurrences") || !strings.Contains(doc.Desc, "2 are late") {
		t.Errorf("title %q, description %q", doc.Title, doc.Desc)
	}
	late := map[string]string{}
	for _, r := range doc.Rows {
		if strings.Contains(r.Class, "tc-late") {
			late[r.Label.Text] = r.Label.Note
		}
	}
	if len(late) != 2 || !strings.Contains(late["holding #2"], "LATE; fired 30m after its time") ||
		!strings.Contains(late["walkabout"], "LATE; acknowledgement overdue") {
		t.Errorf("late rows: %v", late)
	}
	if len(doc.Rows) != 4 || !strings.Contains(doc.Rows[3].Label.Note, "not reached: waits for walkabout") {
		t.Errorf("rows: %+v", doc.Rows)
	}
	// Ticks in human durations along an axis that runs to the end.
	if ticks := strings.Join(doc.Ticks, " "); ticks != "T+0 +30m +1h +1h 30m +2h" {
		t.Errorf("ticks: %s", ticks)
	}
}

// A hundred rows still make one chart, as tall as they need, as wide as it
// is given (a viewBox, no fixed width), so it fits a phone.
func TestPlanVsActualScales(t *testing.T) {
	f := newFixture(t)
	s := New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }})
	rep := &engine.Report{Activation: "a-000009", Title: "Many", State: state.ActivationActive, StartedAt: start}
	for i := range 100 {
		rep.Steps = append(rep.Steps, engine.StepReport{Step: "check", Occurrence: i + 1, Kind: "notify", State: state.OccurrencePending, PlannedSeconds: secs(int64(i) * 3600)})
	}
	svg := string(s.planVsActual(rep))
	if n := strings.Count(svg, `<g class="tc-row`); n != 100 {
		t.Errorf("%d rows, want 100", n)
	}
	if !strings.Contains(svg, `viewBox="0 0 460 3646"`) || !strings.Contains(svg, `width="100%"`) {
		t.Errorf("not scalable:\n%.300s", svg)
	}
	if !strings.Contains(html.UnescapeString(svg), "check #100 — planned +4d 3h") {
		t.Errorf("a step planned beyond the axis does not say when:\n%.300s", svg[strings.LastIndex(svg, "<g"):])
	}
}
