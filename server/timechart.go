package server

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Planned against actual, drawn on the server as SVG (no charting
// library, nothing from a CDN): one row for each step, on one axis of time
// from activation, with a mark where each of its occurrences was planned
// and a bar from when it fired to when it was complete. The axis stretches
// the first hours, where the runbook's tightest targets are, and squeezes
// the weeks after (timechart_axis.go). A late occurrence is drawn in red
// and hatched, and its row says "LATE" in words, so that colour is never
// the only cue. Every label comes from a runbook and goes through
// html/template (web/timechart.html), so a step's title or id is never
// markup. Rows are labelled with the steps' titles, their ids in the
// tooltips; a message rejected, withheld or cancelled is said to be so,
// never under way.

// chart sizes, in the SVG's own units: it scales to the width it is given.
const (
	chartWidth  = 460
	chartLeft   = 12
	chartRight  = chartWidth - 14
	chartTop    = 30 // below the axis labels
	chartRowH   = 32
	chartNoteH  = 18          // a note on a line of its own
	chartBottom = 22          // room for the "now" label
	lateAfter   = time.Minute // fired this much after its planned time, a step is late
)

type timeChart struct {
	Width, Height, AxisY, Left, Right int
	Title, Desc                       string
	Ticks                             []chartTick
	Rows                              []chartRow
	Now                               *chartTick // for a running activation, where now is
	Late                              int        // rows with a late occurrence
}

type chartTick struct {
	X      float64
	Label  string
	Anchor string
}

// chartRow is one step, with all its occurrences.
type chartRow struct {
	Y, LabelY, H    float64
	Label, Note     string
	Wrap            bool   // the note is on a line of its own, below the label
	Full            string // label and note untruncated, for a tooltip
	Marks           []chartMark
	Late, Odd, Open bool // Open: an occurrence is under way
}

// chartMark is one occurrence: its planned diamond and its bar.
type chartMark struct {
	Title      string  // for a tooltip
	Planned    string  // the diamond's points, where it was planned
	planned    float64 // its x, or -1 for none
	Bar        bool
	BarX, BarW float64
	BarY       float64
	Running    bool
	Late       bool
}

// planVsActual draws an activation's steps, planned against actual, as
// SVG for its page and its printed report.
func (s *Server) planVsActual(rep *engine.Report) template.HTML {
	c := s.timeChartOf(rep)
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, "timechart", c); err != nil {
		s.log.Error("drawing planned against actual", "activation", rep.Activation, "err", err)
		return ""
	}
	return template.HTML(b.String()) // from html/template: every label escaped
}

func (s *Server) timeChartOf(rep *engine.Report) *timeChart {
	c := &timeChart{Width: chartWidth, Left: chartLeft, Right: chartRight, AxisY: chartTop - 6,
		Title: "Planned and actual: " + rep.Title}
	late := map[string]string{} // message or task id: the deadline it missed
	for _, e := range rep.Escalations {
		if e.Escalation == nil {
			continue
		}
		if _, ok := late[e.SubjectID]; !ok {
			late[e.SubjectID] = map[string]string{state.EscalationApprovalOverdue: "approval overdue",
				state.EscalationAckOverdue: "acknowledgement overdue"}[e.Reason]
		}
	}
	var now *int64
	if rep.State == state.ActivationActive {
		n := int64(engine.OffsetOf(rep.StartedAt, s.activationNow(rep.Activation)) / time.Second)
		now = &n
	} else if rep.EndedAt != nil {
		n := int64(engine.OffsetOf(rep.StartedAt, *rep.EndedAt) / time.Second)
		now = &n
	}
	// The axis runs to the last thing planned or done, or to now, so that
	// every step is on it: the scale keeps the first hours wide however
	// far it runs.
	span := int64(600)
	for _, st := range rep.Steps {
		for _, v := range []*int64{st.PlannedSeconds, st.FiredSeconds, st.CompleteSeconds} {
			if v != nil {
				span = max(span, *v)
			}
		}
	}
	if now != nil {
		span = max(span, *now)
	}
	ax := newChartAxis(span, chartLeft, chartRight)
	c.Ticks = ax.ticks()

	// One row for each step, in the order the report lists them (the order
	// of their first occurrence).
	var order []string
	occurrences := map[string][]engine.StepReport{}
	for _, st := range rep.Steps {
		if _, ok := occurrences[st.Step]; !ok {
			order = append(order, st.Step)
		}
		occurrences[st.Step] = append(occurrences[st.Step], st)
	}
	var lateSteps []string
	y := float64(chartTop)
	for i, step := range order {
		sts := occurrences[step]
		r := chartRow{Y: y, LabelY: y + 13, Label: cmp.Or(sts[0].Title, step), Odd: i%2 == 1}
		if sts[0].Title == "" && sts[0].Kind == "inject" && !strings.HasPrefix(step, "inject") {
			r.Label = "Inject: " + step
		}
		if len(sts) > 1 {
			r.Label += fmt.Sprintf(" ×%d", len(sts))
		}
		var (
			lateN, running, toCome, cancelled, rejected, withheld int
			firedLate                                             time.Duration
			why                                                   []string
			waits                                                 []string
			notReached                                            bool
		)
		for _, st := range sts {
			m := chartMark{Title: occurrenceTitle(st, len(sts)), planned: -1}
			if st.PlannedSeconds != nil {
				m.planned = ax.x(*st.PlannedSeconds)
			}
			occLate := false
			if st.FiredSeconds != nil {
				end := st.CompleteSeconds
				if end == nil && now != nil && st.State == state.OccurrenceFired && !slices.Contains(ended, st.Outcome) {
					end, m.Running = now, true
				}
				if end == nil {
					end = st.FiredSeconds
				}
				m.Bar, m.BarX = true, ax.x(*st.FiredSeconds)
				m.BarW = max(ax.x(*end)-m.BarX, 3) // an instant still shows
				if st.PlannedSeconds != nil {
					if d := time.Duration(*st.FiredSeconds-*st.PlannedSeconds) * time.Second; d >= lateAfter {
						occLate, firedLate = true, max(firedLate, d)
					}
				}
			}
			if w, ok := late[engine.OccurrenceID(rep.Activation, st.Step, st.Occurrence)]; ok && w != "" {
				occLate = true
				if !slices.Contains(why, w) {
					why = append(why, w)
				}
			}
			if occLate {
				lateN++
				m.Late = true
				m.Title += " — LATE"
			}
			switch {
			case st.State == "not_reached":
				notReached, waits = true, st.WaitingFor
			case st.Outcome == state.MessageRejected:
				rejected++
			case st.Outcome == state.MessageWithheld:
				withheld++
			case st.State == state.OccurrenceCancelled || st.Outcome == state.MessageCancelled:
				cancelled++
			case m.Running:
				running++
			case st.State == state.OccurrencePending:
				toCome++
			}
			r.Marks = append(r.Marks, m)
		}
		var notes []string
		if lateN > 0 {
			r.Late = true
			c.Late++
			if len(sts) > 1 {
				notes = append(notes, fmt.Sprintf("LATE %d of %d", lateN, len(sts)))
				lateSteps = append(lateSteps, fmt.Sprintf("%s (%d of %d)", cmp.Or(sts[0].Title, step), lateN, len(sts)))
			} else {
				notes = append(notes, "LATE")
				lateSteps = append(lateSteps, cmp.Or(sts[0].Title, step))
			}
			if firedLate > 0 {
				up := ""
				if lateN > 1 {
					up = "up to "
				}
				notes = append(notes, "fired "+up+runbooks.HumanDuration(firedLate)+" late")
			}
			notes = append(notes, why...)
		}
		count := func(n int, what string) {
			switch {
			case n == 0:
			case len(sts) == 1:
				notes = append(notes, what)
			default:
				notes = append(notes, fmt.Sprintf("%d %s", n, what))
			}
		}
		count(rejected, "rejected")
		count(withheld, "withheld")
		count(running, "under way")
		count(toCome, "to come")
		count(cancelled, "cancelled")
		switch {
		case notReached && len(waits) > 0:
			notes = append(notes, "not reached: waits for "+joinNames(waits))
		case notReached:
			notes = append(notes, "not reached")
		}
		r.Open = running > 0
		r.Note = strings.Join(notes, "; ")
		r.Full = r.Label
		if r.Label != step && sts[0].Title != "" {
			r.Full += " (step " + step + ")" // the id the runbook and the table use
		}
		if r.Note != "" {
			r.Full += " — " + r.Note
		}
		r.Label, r.Note, r.Wrap = fitLabel(r.Label, r.Note, r.Late)
		// Under the label (and its note), the diamonds and, just below
		// them, the bars.
		track := y + 20
		r.H = chartRowH
		if r.Wrap {
			r.H, track = r.H+chartNoteH, track+chartNoteH
		}
		for j, m := range r.Marks {
			if m.planned >= 0 {
				r.Marks[j].Planned = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", m.planned, track-4.5, m.planned+4.5, track, m.planned, track+4.5, m.planned-4.5, track)
			}
			r.Marks[j].BarY = track + 5.5
		}
		c.Rows = append(c.Rows, r)
		y += r.H
	}
	if now != nil && rep.State == state.ActivationActive {
		c.Now = &chartTick{X: ax.x(*now), Label: "now", Anchor: "middle"}
		switch {
		case c.Now.X > chartRight-14:
			c.Now.Anchor = "end"
		case c.Now.X < chartLeft+14:
			c.Now.Anchor = "start"
		}
	}
	c.Height = int(y) + chartBottom
	c.Desc = fmt.Sprintf("%s on a time axis from activation (T+0) to T+%s, stretched so that the first hours have room: a diamond where each occurrence was planned, a bar from when it fired to when it was complete. ",
		plural(len(c.Rows), "step", "steps"), runbooks.HumanDuration(time.Duration(span)*time.Second))
	if len(lateSteps) == 0 {
		c.Desc += "None is late."
	} else {
		c.Desc += fmt.Sprintf("%s: %s.", plural(c.Late, "is late", "are late"), joinNames(lateSteps))
	}
	return c
}

// ended are the outcomes of an occurrence's message or task that end it,
// whether or not the occurrence was ever marked complete: a rejected
// message is not under way.
var ended = []string{state.MessageSent, state.MessagePartiallyFailed, state.MessageFailed, state.MessageRejected,
	state.MessageCancelled, state.MessageWithheld, state.TaskDone, state.TaskCancelled}

// occurrenceTitle says when an occurrence was planned, fired and done,
// and what became of it, for a tooltip on its marks.
func occurrenceTitle(st engine.StepReport, of int) string {
	t := cmp.Or(st.Title, st.Step)
	if of > 1 {
		t += fmt.Sprintf(" #%d", st.Occurrence)
	}
	at := func(what string, v *int64) {
		if v != nil {
			t += fmt.Sprintf(", %s T+%s", what, runbooks.HumanDuration(time.Duration(*v)*time.Second))
		}
	}
	at("planned", st.PlannedSeconds)
	at("fired", st.FiredSeconds)
	at("complete", st.CompleteSeconds)
	if st.Outcome != "" {
		t += ", " + strings.ReplaceAll(st.Outcome, "_", " ")
	}
	return t
}

// chartEms is how many ems of text fit across the chart in a phone's
// larger type, reckoned at 0.6em a character, 0.7em in bold (a late
// row's note); the table beside the chart has every word.
const chartEms = 29

// fitLabel shortens a row's label and note to fit across the chart. A
// note that does not fit beside the label goes on a line of its own.
func fitLabel(label, note string, bold bool) (string, string, bool) {
	em := 0.6
	if bold {
		em = 0.7
	}
	cut := func(s string, ems, per float64) string {
		if r := []rune(s); float64(len(r))*per > ems {
			return string(r[:int(ems/per)-1]) + "…"
		}
		return s
	}
	label = cut(label, chartEms-2, 0.6)
	if note == "" || float64(len([]rune(label))+3)*0.6+float64(len([]rune(note)))*em <= chartEms {
		return label, note, false
	}
	return label, cut(note, chartEms, em), true
}
