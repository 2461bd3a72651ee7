package server

import (
	"bytes"
	"fmt"
	"html/template"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Planned against actual, drawn on the server as SVG (no charting
// library, nothing from a CDN): each step occurrence on one axis of time
// from activation, with a mark where it was planned and a bar from when it
// fired to when it was complete. A late one is drawn in red and hatched,
// and says "late" in words, so that colour is never the only cue. Every
// label comes from a runbook and goes through html/template
// (web/timechart.html), so a step id is never markup.

// chart sizes, in the SVG's own units: it scales to the width it is given.
const (
	chartWidth  = 460
	chartLeft   = 12
	chartRight  = chartWidth - 16
	chartTop    = 34 // below the axis labels
	chartRowH   = 36
	chartBottom = 12
	lateAfter   = time.Minute // fired this much after its planned time, a step is late
)

type timeChart struct {
	Width, Height, AxisY, Left, Right int
	Title, Desc                       string
	Ticks                             []chartTick
	Rows                              []chartRow
	Now                               *chartTick // for a running activation, where now is
	Late                              int
	Beyond                            bool // a row points off the edge
}

type chartTick struct {
	X      float64
	Label  string
	Anchor string
}

type chartRow struct {
	Y, LabelY, BarY         float64
	Label, Note             string
	Full                    string // label and note untruncated, for a tooltip
	Planned                 string // the diamond's points, where it was planned
	Beyond                  string // an arrow at the edge, when it was planned later than the axis runs
	BarX, BarW              float64
	Bar, Running, Late, Odd bool
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
	c := &timeChart{Width: chartWidth, Left: chartLeft, Right: chartRight, AxisY: chartTop - 8,
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
		n := int64(s.activationNow(rep.Activation).Sub(rep.StartedAt) / time.Second)
		now = &n
	} else if rep.EndedAt != nil {
		n := int64(rep.EndedAt.Sub(rep.StartedAt) / time.Second)
		now = &n
	}
	// The axis runs to what has happened, and a quarter again (at least
	// ten minutes) for what comes next: a step planned for next week does
	// not squash the last hour flat. Anything later points off the edge.
	actual := int64(0)
	for _, st := range rep.Steps {
		for _, v := range []*int64{st.FiredSeconds, st.CompleteSeconds} {
			if v != nil {
				actual = max(actual, *v)
			}
		}
	}
	if now != nil {
		actual = max(actual, *now)
	}
	span := actual + max(actual/4, 600)
	if rep.State != state.ActivationActive && now != nil {
		span = max(actual, 60)
	}
	x := func(sec int64) float64 {
		return float64(chartLeft) + float64(chartRight-chartLeft)*float64(min(max(sec, 0), span))/float64(span)
	}
	step := tickStep(time.Duration(span) * time.Second)
	for t := time.Duration(0); t <= time.Duration(span)*time.Second; t += step {
		tk := chartTick{X: x(int64(t / time.Second)), Label: "+" + runbooks.HumanDuration(t), Anchor: "middle"}
		switch {
		case t == 0:
			tk.Label, tk.Anchor = "T+0", "start"
		case tk.X > chartRight-30:
			tk.Anchor = "end"
		}
		c.Ticks = append(c.Ticks, tk)
	}
	for i, st := range rep.Steps {
		y := float64(chartTop + i*chartRowH)
		r := chartRow{Y: y, LabelY: y + 14, BarY: y + 20, Label: st.Step, Odd: i%2 == 1}
		if st.Occurrence > 1 {
			r.Label += fmt.Sprintf(" #%d", st.Occurrence)
		}
		var notes []string
		if st.PlannedSeconds != nil && *st.PlannedSeconds > span {
			r.Beyond = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", float64(chartRight), y+24.5, float64(chartRight-9), y+19, float64(chartRight-9), y+30)
			notes = append(notes, "planned +"+runbooks.HumanDuration(time.Duration(*st.PlannedSeconds)*time.Second))
			c.Beyond = true
		} else if st.PlannedSeconds != nil {
			px := x(*st.PlannedSeconds)
			r.Planned = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", px, y+17, px+6, y+24.5, px, y+32, px-6, y+24.5)
		}
		if st.FiredSeconds != nil {
			end := st.CompleteSeconds
			if end == nil && now != nil && st.State == state.OccurrenceFired {
				end, r.Running = now, true
			}
			if end == nil {
				end = st.FiredSeconds
			}
			r.Bar, r.BarX = true, x(*st.FiredSeconds)
			r.BarW = max(x(*end)-r.BarX, 3) // an instant still shows
			if st.PlannedSeconds != nil && time.Duration(*st.FiredSeconds-*st.PlannedSeconds)*time.Second >= lateAfter {
				r.Late = true
				notes = append(notes, "fired "+runbooks.HumanDuration(time.Duration(*st.FiredSeconds-*st.PlannedSeconds)*time.Second)+" after its time")
			}
		}
		if why, ok := late[engine.OccurrenceID(rep.Activation, st.Step, st.Occurrence)]; ok && why != "" {
			r.Late = true
			notes = append(notes, why)
		}
		switch {
		case st.State == "not_reached" && len(st.WaitingFor) > 0:
			notes = append(notes, "not reached: waits for "+joinNames(st.WaitingFor))
		case st.State == "not_reached":
			notes = append(notes, "not reached")
		case r.Running:
			notes = append(notes, "under way")
		case st.State == state.OccurrencePending && r.Beyond == "":
			notes = append(notes, "to come")
		case st.State == state.OccurrenceCancelled:
			notes = append(notes, "cancelled")
		}
		if r.Late {
			c.Late++
			notes = append([]string{"LATE"}, notes...)
		}
		for j, n := range notes {
			if j > 0 {
				r.Note += "; "
			}
			r.Note += n
		}
		r.Full = r.Label
		if r.Note != "" {
			r.Full += " — " + r.Note
		}
		r.Label, r.Note = fitLabel(r.Label, r.Note)
		c.Rows = append(c.Rows, r)
	}
	if now != nil && rep.State == state.ActivationActive {
		c.Now = &chartTick{X: x(*now), Label: "now"}
	}
	c.Height = chartTop + len(c.Rows)*chartRowH + chartBottom
	c.Desc = fmt.Sprintf("%s on a time axis from activation to %s: a diamond where each was planned, a bar from when it fired to when it was complete. %s.",
		plural(len(c.Rows), "step occurrence", "step occurrences"), "+"+runbooks.HumanDuration(time.Duration(span)*time.Second),
		plural(c.Late, "is late", "are late"))
	return c
}

// chartChars is about how many characters of a row's label fit across
// the chart; the table beside it has them all.
const chartChars = 48

// fitLabel shortens a row's label and note to fit across the chart.
func fitLabel(label, note string) (string, string) {
	l, n := []rune(label), []rune(note)
	if len(l) > chartChars-4 {
		return string(l[:chartChars-5]) + "…", ""
	}
	if room := chartChars - len(l) - 3; len(n) > room {
		return label, string(n[:max(room-1, 0)]) + "…"
	}
	return label, note
}

// tickStep is a round interval that puts about six ticks on an axis.
func tickStep(span time.Duration) time.Duration {
	for _, d := range []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour} {
		if span/d <= 6 {
			return d
		}
	}
	return span / 6
}
