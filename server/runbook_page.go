package server

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// The runbook page: a runbook to read, with its plan from a chosen start,
// for everyone signed in. Printed on A4 it is the runbook pack for when IT
// is down; crier pack writes the same pack as one self-contained file,
// from the same template (RunbookPack).

// runbookPage is what the runbook page and the pack show.
type runbookPage struct {
	page
	Doc runbookDoc
	// The plan: from Start (the form's value, in the runbook's zone), as a
	// drill when PlanExercise, Horizon ahead.
	Start, StartText, Horizon string
	PlanExercise              bool
	Plan                      []planRow
	PlanProblem               string
	CanActivate, CanGoLive    bool
	// Pack: the page as a file of its own, its style written into it.
	Pack bool
	CSS  template.CSS
	Made string // when the pack was made
}

// PackOptions say how a runbook pack is made.
type PackOptions struct {
	Exercise bool      // plan it as a drill: injects, and messages to the exercise channels
	Made     time.Time // when the pack was made, printed on it; left off when zero
}

// startLayout is how the start field writes a time (an HTML datetime-local).
const startLayout = "2006-01-02T15:04"

// runbookPage shows a runbook, and its plan from ?start= (default now).
func (s *Server) runbookPage(w http.ResponseWriter, r *http.Request, u *User) {
	rb, _, _, ok := s.library.Get(r.PathValue("id"))
	if !ok {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no runbook " + r.PathValue("id") + "."})
		return
	}
	q := r.URL.Query()
	start, problem := s.now(), ""
	if text := strings.TrimSpace(q.Get("start")); text != "" {
		t, err := parseStart(text, rb.Location())
		if err != nil {
			problem = err.Error()
		} else {
			start = t
		}
	}
	p := newRunbookPage(rb, start.Truncate(time.Minute), q.Get("exercise") != "")
	p.page = page{Title: rb.Title, User: u, CSRF: s.csrfToken(r), Error: problem}
	p.CanActivate, p.CanGoLive = mayActivate(u, "exercise"), mayActivate(u, "live")
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	s.renderPage(w, status, "runbook.html", p)
}

// parseStart reads the start field: a date and time in the runbook's zone.
func parseStart(text string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{startLayout, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, text, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("The start %q is not a date and time like 2026-03-28 09:00; the plan below is from now.", text)
}

// RunbookPack writes a runbook's pack: the runbook, every contact and its
// plan from start, as one HTML file with its style inside it and no
// reference to anything outside, to print or keep for when IT is down.
func RunbookPack(w io.Writer, rb *runbooks.Runbook, start time.Time, opts PackOptions) error {
	t, err := template.New("").Funcs(template.FuncMap{"join": strings.Join}).ParseFS(webFiles, "web/runbook.html")
	if err != nil {
		return err
	}
	css, err := webFiles.ReadFile("web/style.css")
	if err != nil {
		return err
	}
	p := newRunbookPage(rb, start, opts.Exercise)
	p.Title, p.Pack, p.CSS = rb.Title, true, template.CSS(css) // crier's own stylesheet
	if !opts.Made.IsZero() {
		p.Made = opts.Made.In(rb.Location()).Format(dayLayout)
	}
	return t.ExecuteTemplate(w, "runbook-pack", p)
}

// dayLayout writes a time for people, with its zone.
const dayLayout = "Mon 2 Jan 2006 15:04 MST"

func newRunbookPage(rb *runbooks.Runbook, start time.Time, exercise bool) *runbookPage {
	loc := rb.Location()
	start = start.In(loc)
	p := &runbookPage{Doc: describeRunbook(rb), Start: start.Format(startLayout), StartText: start.Format(dayLayout), PlanExercise: exercise}
	horizon, err := engine.DrillHorizon(rb)
	if err != nil {
		horizon = 24 * time.Hour
	}
	p.Horizon = runbooks.HumanDuration(horizon)
	plan, err := runbooks.Plan(rb, start, horizon, runbooks.PlanOptions{Exercise: exercise})
	if err != nil {
		p.PlanProblem = "The plan cannot be shown: " + err.Error()
	}
	for _, o := range plan {
		p.Plan = append(p.Plan, planRowOf(rb, o, loc))
	}
	return p
}

// planRow is one occurrence of the plan, written for people.
type planRow struct {
	Offset, At, Phase, Title, Kind, Needs, To string
}

func planRowOf(rb *runbooks.Runbook, o runbooks.Occurrence, loc *time.Location) planRow {
	row := planRow{Offset: "T+0", At: o.At.In(loc).Format("Mon 2 Jan 15:04"), Phase: o.Phase, Title: o.Title, Kind: o.Kind}
	var to []runbooks.Ref
	for _, name := range o.To {
		to = append(to, runbooks.Ref{Name: name})
	}
	row.To = names(rb, to)
	if o.Offset > 0 {
		row.Offset = "T+" + runbooks.HumanDuration(o.Offset)
	}
	if o.Kind == "inject" {
		row.Title = "Scenario inject " + o.Step
	}
	if s, ok := rb.Step(o.Step); ok {
		if s.Recurring() {
			row.Title += fmt.Sprintf(" (#%d)", o.Occurrence)
		}
		row.Needs = strings.Join(deadlines(rb, s), "; ")
	}
	if len(o.After) > 0 {
		row.Needs = strings.TrimPrefix(row.Needs+"; after "+strings.Join(o.After, " and "), "; ")
	}
	return row
}
