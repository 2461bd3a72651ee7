package server

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// The community tension log on the activation page: a form anyone signed
// in fills, and a chart of each area's level over time, drawn on the
// server as the planned-against-actual chart is, so that it prints.

// tensionFromForm logs an entry from the activation page.
func (s *Server) tensionFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	level, err := strconv.Atoi(r.PostFormValue("level"))
	if err != nil {
		level = 0 // refused by the engine, naming the scale
	}
	id := r.PathValue("id")
	s.applyAndRedirect(w, r, u, &engine.RecordTension{Meta: engine.Meta{Actor: u.Person()}, Activation: id,
		Area: r.PostFormValue("area"), Community: r.PostFormValue("community"), Level: level,
		Trend: r.PostFormValue("trend"), Note: r.PostFormValue("note")}, id, "tension", "Not recorded")
}

// tensionChart draws each area's (and community's) level over time, one
// line a place, levels 1 to 5 up the side; nothing when nothing is logged.
// People's text is escaped as any text is.
func tensionChart(log []*state.Tension, loc *time.Location, now time.Time) template.HTML {
	if len(log) == 0 {
		return ""
	}
	// Drawn at 480 units wide, the width it is shown at on a desktop, so
	// that its 16-unit text stays readable when a phone shrinks it.
	const w, rowH, left, top, height = 480.0, 26.0, 30.0, 12.0, 4 * 26.0
	first := log[0].At
	span := now.Sub(first)
	if last := log[len(log)-1].At.Sub(first); last > span {
		span = last
	}
	span = max(span, time.Hour)
	x := func(t time.Time) float64 { return left + (w-left-20)*float64(t.Sub(first))/float64(span) }
	y := func(level int) float64 { return top + height - float64(level-1)*rowH }
	var places []string
	byPlace := map[string][]*state.Tension{}
	for _, e := range log {
		place := e.Area
		if e.Community != "" {
			place += " · " + e.Community
		}
		if _, ok := byPlace[place]; !ok {
			places = append(places, place)
		}
		byPlace[place] = append(byPlace[place], e)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="tension-chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="Community tension over time, by area">`, w, top+height+34+float64(len(places))*22)
	for level := 1; level <= 5; level++ {
		cls := "grid"
		if level >= engine.TensionHigh {
			cls = "grid high"
		}
		fmt.Fprintf(&b, `<line class="%s" x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="%.0f" y="%.1f">%d</text>`,
			cls, left, w-20, y(level), y(level), left-14, y(level)+4, level)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text><text x="%.0f" y="%.0f" text-anchor="end">%s</text>`,
		left, top+height+20, first.In(loc).Format("Mon 15:04"), w-20, top+height+20, first.Add(span).In(loc).Format("Mon 15:04"))
	for i, place := range places {
		entries := byPlace[place]
		var points []string
		for _, e := range entries {
			points = append(points, fmt.Sprintf("%.1f,%.1f", x(e.At), y(e.Level)))
		}
		last := entries[len(entries)-1]
		points = append(points, fmt.Sprintf("%.1f,%.1f", x(now), y(last.Level))) // as it stands
		fmt.Fprintf(&b, `<polyline class="place p%d" points="%s"/>`, i%6, strings.Join(points, " "))
		for _, e := range entries {
			fmt.Fprintf(&b, `<circle class="place p%d" cx="%.1f" cy="%.1f" r="3"><title>%s</title></circle>`, i%6, x(e.At), y(e.Level),
				template.HTMLEscapeString(fmt.Sprintf("%s, %s: level %d, %s", place, e.At.In(loc).Format("15:04"), e.Level, e.Trend)))
		}
		fmt.Fprintf(&b, `<text class="place p%d" x="%.0f" y="%.0f">%s — now %d, %s</text>`, i%6, left, top+height+44+float64(i)*22,
			template.HTMLEscapeString(place), last.Level, last.Trend)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every piece of text in it escaped above
}

// tensionNow is each place's latest entry, the highest first.
func tensionNow(log []*state.Tension) []*state.Tension {
	latest := map[string]*state.Tension{}
	var order []string
	for _, e := range log {
		key := strings.ToLower(e.Area + "\x00" + e.Community)
		if _, ok := latest[key]; !ok {
			order = append(order, key)
		}
		latest[key] = e
	}
	out := make([]*state.Tension, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	slices.SortStableFunc(out, func(a, b *state.Tension) int { return b.Level - a.Level })
	return out
}
