package server

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

func secs(n int64) *int64 { return &n }

// chartDoc is the chart as a reader of the SVG finds it.
type chartDoc struct {
	Title string `xml:"title"`
	Desc  string `xml:"desc"`
	Texts []struct {
		Class string  `xml:"class,attr"`
		X     float64 `xml:"x,attr"`
		Text  string  `xml:",chardata"`
	} `xml:"text"`
	Lines []struct {
		Class string  `xml:"class,attr"`
		X     float64 `xml:"x1,attr"`
	} `xml:"line"`
	Rows []struct {
		Class string `xml:"class,attr"`
		Label struct {
			Text string `xml:",chardata"`
			Note string `xml:"tspan"`
		} `xml:"text"`
		Marks []struct {
			Title string `xml:"title"`
			Bar   *struct {
				Class string  `xml:"class,attr"`
				X     float64 `xml:"x,attr"`
			} `xml:"rect"`
			Planned *struct {
				Points string `xml:"points,attr"`
			} `xml:"polygon"`
		} `xml:"g"`
	} `xml:"g"`
}

// parseChart reads the chart's SVG (the key after it aside), failing the
// test if it is not well-formed.
func parseChart(t *testing.T, svg string) chartDoc {
	t.Helper()
	var doc chartDoc
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Entity = xml.HTMLEntity
	if err := d.Decode(&doc); err != nil && err != io.EOF {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	return doc
}

// ticks are the axis's labels, in order, and where they are.
func (d chartDoc) ticks() ([]string, []float64) {
	var labels []string
	var xs []float64
	for _, t := range d.Texts {
		if t.Class == "tc-tick" {
			labels, xs = append(labels, t.Text), append(xs, t.X)
		}
	}
	return labels, xs
}

// diamondX is where a planned diamond's middle is.
func diamondX(t *testing.T, points string) float64 {
	t.Helper()
	top, _, _ := strings.Cut(points, ",")
	x, err := strconv.ParseFloat(top, 64)
	if err != nil {
		t.Fatalf("diamond %q: %v", points, err)
	}
	return x
}

// The chart of planned against actual writes a step's id as text, never
// as markup, whatever it holds; it draws one row a step, however often
// the step came round; it marks a step with a late occurrence, one that
// fired late or whose deadline was missed, as late in words (how many of
// how many) as well as in colour, and only that occurrence's bar as late;
// and it is well-formed XML a screen reader has a title and a description
// for.
func TestPlanVsActual(t *testing.T) {
	f := newFixture(t)
	s := New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }})
	hostile := `x"/><script>alert(1)</script><text onclick="evil()">`
	ended := start.Add(2 * time.Hour)
	rep := &engine.Report{Activation: "a-000009", Title: `Flood <b>"warning"</b>`, State: state.ActivationStoodDown,
		StartedAt: start, EndedAt: &ended,
		Steps: []engine.StepReport{
			{Step: hostile, Occurrence: 1, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(0), FiredSeconds: secs(0), CompleteSeconds: secs(300)},
			{Step: "holding", Occurrence: 1, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(60), FiredSeconds: secs(60), CompleteSeconds: secs(200)},
			{Step: "walkabout", Occurrence: 1, Kind: "task", State: state.OccurrenceComplete, PlannedSeconds: secs(900), FiredSeconds: secs(900), CompleteSeconds: secs(5000)},
			{Step: "holding", Occurrence: 2, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(600), FiredSeconds: secs(2400), CompleteSeconds: secs(2500)},
			{Step: "holding", Occurrence: 3, Kind: "notify", State: state.OccurrenceCancelled, PlannedSeconds: secs(4200)},
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
	doc := parseChart(t, svg)
	if doc.Title != `Planned and actual: Flood <b>"warning"</b>` || !strings.Contains(doc.Desc, "4 steps") ||
		!strings.Contains(doc.Desc, "2 are late: holding (1 of 3) and walkabout") || !strings.Contains(doc.Desc, "first hours") {
		t.Errorf("title %q, description %q", doc.Title, doc.Desc)
	}
	var labels []string
	late := map[string]string{}
	for _, r := range doc.Rows {
		labels = append(labels, r.Label.Text)
		if strings.Contains(r.Class, "tc-late") {
			late[r.Label.Text] = r.Label.Note
		}
	}
	if len(doc.Rows) != 4 || labels[1] != "holding ×3" || len(doc.Rows[1].Marks) != 3 || !strings.Contains(doc.Rows[3].Label.Note, "not reached: waits for walkabout") {
		t.Errorf("rows %q, want one a step (holding ×3 with its three occurrences), the last not reached: %+v", labels, doc.Rows)
	}
	if len(late) != 2 || !strings.Contains(late["holding ×3"], "LATE 1 of 3; fired 30m late; 1 cancelled") ||
		!strings.Contains(late["walkabout"], "LATE; acknowledgement overdue") {
		t.Errorf("late rows: %q", late)
	}
	// Of holding's bars only the second is late; the cancelled one has a
	// diamond and no bar.
	if h := doc.Rows[1].Marks; len(h) == 3 && (h[0].Bar == nil || strings.Contains(h[0].Bar.Class, "tc-bar-late") ||
		h[1].Bar == nil || !strings.Contains(h[1].Bar.Class, "tc-bar-late") || !strings.Contains(h[1].Title, "holding #2, planned T+10m, fired T+40m") ||
		h[2].Bar != nil || h[2].Planned == nil) {
		t.Errorf("holding's occurrences: %+v", h)
	}
	// Ticks in human durations along an axis that runs to the end, as many
	// as fit, the first minutes given room.
	if ticks, _ := doc.ticks(); strings.Join(ticks, " ") != "T+0 1m 5m 15m 30m 1h 2h" {
		t.Errorf("ticks: %s", strings.Join(ticks, " "))
	}
	for _, l := range doc.Lines {
		if l.Class == "tc-now" {
			t.Errorf("a stood-down activation has a line for now: %+v", l)
		}
	}
}

// The axis gives the first hour room however far the chart runs: a step at
// T+0 and one at T+90d are both on it, well apart, the first hour is a
// good part of the width, the ticks run left to right with a round
// duration for each, and the dashed line for now is where now is.
func TestPlanVsActualAxis(t *testing.T) {
	f := newFixture(t)
	s := New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start.Add(time.Hour) }})
	rep := &engine.Report{Activation: "a-000009", Title: "Long", State: state.ActivationActive, StartedAt: start,
		Steps: []engine.StepReport{
			{Step: "declare", Occurrence: 1, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(0), FiredSeconds: secs(0), CompleteSeconds: secs(120)},
			{Step: "holding", Occurrence: 1, Kind: "notify", State: state.OccurrenceComplete, PlannedSeconds: secs(900), FiredSeconds: secs(900), CompleteSeconds: secs(1500)},
			{Step: "review", Occurrence: 1, Kind: "task", State: state.OccurrencePending, PlannedSeconds: secs(90 * 24 * 3600)},
		}}
	doc := parseChart(t, string(s.planVsActual(rep)))
	if len(doc.Rows) != 3 || doc.Rows[0].Marks[0].Planned == nil || doc.Rows[2].Marks[0].Planned == nil {
		t.Fatalf("rows: %+v", doc.Rows)
	}
	first, last := diamondX(t, doc.Rows[0].Marks[0].Planned.Points), diamondX(t, doc.Rows[2].Marks[0].Planned.Points)
	if first != chartLeft || last != chartRight {
		t.Errorf("T+0 at x=%v and T+90d at x=%v, want %d and %d", first, last, chartLeft, chartRight)
	}
	if !strings.Contains(doc.Rows[2].Label.Note, "to come") || doc.Rows[2].Marks[0].Bar != nil {
		t.Errorf("the step to come: %+v", doc.Rows[2])
	}
	labels, xs := doc.ticks()
	at := map[string]float64{}
	for i, l := range labels {
		if l == "" || (i > 0 && xs[i] <= xs[i-1]) || xs[i] < chartLeft || xs[i] > chartRight {
			t.Errorf("tick %d %q at x=%v, after %v", i, l, xs[i], xs[max(i-1, 0)])
		}
		at[l] = xs[i]
	}
	for _, want := range []string{"T+0", "15m", "1h", "1d", "7d", "30d"} {
		if _, ok := at[want]; !ok {
			t.Errorf("no tick %s among %q", want, labels)
		}
	}
	if hour := (at["1h"] - chartLeft) / (chartRight - chartLeft); hour < 0.3 {
		t.Errorf("the first hour is %.0f%% of the axis to T+90d", hour*100)
	}
	if fifteen := diamondX(t, doc.Rows[1].Marks[0].Planned.Points); fifteen != at["15m"] {
		t.Errorf("a step at T+15m at x=%v, the tick at %v", fifteen, at["15m"])
	}
	now := -1.0
	for _, l := range doc.Lines {
		if l.Class == "tc-now" {
			now = l.X
		}
	}
	if now != at["1h"] {
		t.Errorf("now (T+1h) at x=%v, the 1h tick at %v", now, at["1h"])
	}
}

// A hundred steps still make one chart, as tall as they need, as wide as
// it is given (a viewBox, no fixed width), so it fits a phone; a step that
// came round fifty times is one row of them.
func TestPlanVsActualScales(t *testing.T) {
	f := newFixture(t)
	s := New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }})
	rep := &engine.Report{Activation: "a-000009", Title: "Many", State: state.ActivationActive, StartedAt: start}
	for i := range 100 {
		rep.Steps = append(rep.Steps, engine.StepReport{Step: fmt.Sprintf("step-%d", i), Occurrence: 1, Kind: "notify", State: state.OccurrencePending, PlannedSeconds: secs(int64(i) * 3600)})
	}
	for i := range 50 {
		rep.Steps = append(rep.Steps, engine.StepReport{Step: "check", Occurrence: i + 1, Kind: "task", State: state.OccurrencePending, PlannedSeconds: secs(int64(i) * 4 * 3600)})
	}
	svg := string(s.planVsActual(rep))
	if n := strings.Count(svg, `<g class="tc-row`); n != 101 {
		t.Errorf("%d rows, want 101", n)
	}
	if n := strings.Count(svg, `<polygon class="tc-planned"`); n != 150 {
		t.Errorf("%d diamonds, want 150", n)
	}
	var w, h int
	if _, err := fmt.Sscanf(svg[strings.Index(svg, "viewBox="):], `viewBox="0 0 %d %d"`, &w, &h); err != nil || w != chartWidth || h < 101*chartRowH ||
		!strings.Contains(svg[:strings.Index(svg, ">")], `width="100%"`) || strings.Contains(svg[:strings.Index(svg, ">")], "height=") {
		t.Errorf("not scalable (%v):\n%.300s", err, svg)
	}
	doc := parseChart(t, svg)
	if last := doc.Rows[len(doc.Rows)-1]; last.Label.Text != "check ×50" || !strings.Contains(last.Label.Note, "50 to come") {
		t.Errorf("the recurring step's row: %q — %q", last.Label.Text, last.Label.Note)
	}
}

// A message that was rejected, withheld or cancelled never completes, but
// it is not under way either: its row says what became of it, even while
// the activation runs on. Rows are labelled with the steps' titles; the
// id is kept in the tooltip.
func TestPlanVsActualSaysWhatBecameOfAMessage(t *testing.T) {
	f := newFixture(t)
	s := New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start.Add(time.Hour) }})
	rep := &engine.Report{Activation: "a-000009", Title: "Outcomes", State: state.ActivationActive, StartedAt: start,
		Steps: []engine.StepReport{
			{Step: "holding-statement", Title: "Holding statement", Occurrence: 1, Kind: "notify", State: state.OccurrenceFired, Outcome: state.MessageRejected, PlannedSeconds: secs(0), FiredSeconds: secs(0)},
			{Step: "exercise-only", Occurrence: 1, Kind: "notify", State: state.OccurrenceFired, Outcome: state.MessageWithheld, PlannedSeconds: secs(60), FiredSeconds: secs(60)},
			{Step: "waiting", Title: "Second update", Occurrence: 1, Kind: "notify", State: state.OccurrenceFired, Outcome: state.MessagePendingApproval, PlannedSeconds: secs(120), FiredSeconds: secs(120)},
		}}
	doc := parseChart(t, string(s.planVsActual(rep)))
	if len(doc.Rows) != 3 {
		t.Fatalf("rows: %+v", doc.Rows)
	}
	for i, want := range []string{"Holding statement — rejected", "exercise-only — withheld", "Second update — under way"} {
		got := strings.Join(strings.Fields(doc.Rows[i].Label.Text+doc.Rows[i].Label.Note), " ")
		if got != want {
			t.Errorf("row %d reads %q, want %q", i, got, want)
		}
	}
	for i, m := range doc.Rows[:2] {
		if strings.Contains(m.Marks[0].Bar.Class, "tc-running") {
			t.Errorf("row %d's bar is drawn as running: %+v", i, m.Marks[0].Bar)
		}
	}
	if title := doc.Rows[0].Marks[0].Title; !strings.HasPrefix(title, "Holding statement, planned T+0") || !strings.HasSuffix(title, ", rejected") {
		t.Errorf("the rejected occurrence's tooltip: %q", title)
	}
	if svg := string(s.planVsActual(rep)); !strings.Contains(svg, "<title>Holding statement (step holding-statement) — rejected</title>") {
		t.Errorf("the row's tooltip does not keep the step's id:\n%s", svg)
	}
}
