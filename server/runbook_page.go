package server

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/directory"
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
	// Reaching: the plan says who each row reaches (not in a pack made
	// without the directory its runbook points into).
	Reaching               bool
	PlanProblem            string
	CanActivate, CanGoLive bool
	// Pack: the page as a file of its own, its style written into it.
	Pack bool
	CSS  template.CSS
	Made string // when the pack was made
}

// PackOptions say how a runbook pack is made.
type PackOptions struct {
	Exercise bool      // plan it as a drill: injects, and messages to the exercise channels
	Made     time.Time // when the pack was made, printed on it; left off when zero
	// Directory is the one the runbook points into, to say who each row
	// reaches; when nil, a runbook that points into one says no one.
	Directory *directory.Directory
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
	p := newRunbookPage(rb, s.engine.Directory(), start.Truncate(time.Minute), q.Get("exercise") != "")
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
	p := newRunbookPage(rb, opts.Directory, start, opts.Exercise)
	p.Title, p.Pack, p.CSS = rb.Title, true, template.CSS(css) // crier's own stylesheet
	if !opts.Made.IsZero() {
		p.Made = opts.Made.In(rb.Location()).Format(dayLayout)
	}
	return t.ExecuteTemplate(w, "runbook-pack", p)
}

// dayLayout writes a time for people, with its zone.
const dayLayout = "Mon 2 Jan 2006 15:04 MST"

func newRunbookPage(rb *runbooks.Runbook, dir *directory.Directory, start time.Time, exercise bool) *runbookPage {
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
	reacher := reacherFor(rb, dir, exercise)
	p.Reaching = reacher != nil
	for _, o := range plan {
		row := planRowOf(rb, o, loc)
		if reacher != nil {
			reached := reacher.Row(o)
			row.Reaches, row.Withheld = reachWords(reached.Reaches), reachWords(reached.Withheld)
		}
		p.Plan = append(p.Plan, row)
	}
	return p
}

// planRow is one occurrence of the plan, written for people, with who it
// reaches at its time and who an exercise withholds.
type planRow struct {
	Offset, At, Phase, Title, Kind, Needs, To string
	Reaches, Withheld                         []string
}

// reacherFor says who a runbook's steps reach through dir, or nil when
// the runbook points into a directory and there is none to say who.
func reacherFor(rb *runbooks.Runbook, dir *directory.Directory, exercise bool) *engine.Reacher {
	if dir == nil && pointsIntoDirectory(rb) {
		return nil
	}
	var d runbooks.Directory
	if dir != nil {
		d = dir
	}
	return engine.NewReacher(rb, d, exercise)
}

// pointsIntoDirectory reports whether a runbook names a directory's
// person, rota or list.
func pointsIntoDirectory(rb *runbooks.Runbook) bool {
	for i := range rb.Stakeholders {
		if rb.Stakeholders[i].InDirectory() {
			return true
		}
	}
	for i := range rb.Channels {
		for _, to := range rb.Channels[i].To {
			if _, ok := to.List(); ok {
				return true
			}
		}
	}
	for i := range rb.Steps {
		if n := rb.Steps[i].Notify; n != nil && len(rb.Reach(n.To).Lists) > 0 {
			return true
		}
	}
	return false
}

// reachWords says who is reached, one line each, as a planner reads it:
// "Duty Communications Officer: Alex Morgan, by email and text",
// "Vulnerable residents (300 people)".
func reachWords(reached []engine.Reached) []string {
	var out []string
	for _, r := range reached {
		out = append(out, reachedWords(r))
	}
	return out
}

func reachedWords(r engine.Reached) string {
	if r.List != "" {
		name := r.ListName
		if name == "" {
			name = "list " + r.List
		}
		if strings.HasSuffix(name, ")") { // "… (shared through the LRF), 300 people"
			return name + ", " + plural(r.Rows, "person", "people")
		}
		return fmt.Sprintf("%s (%s)", name, plural(r.Rows, "person", "people"))
	}
	rota := r.RotaName
	if rota == "" {
		rota = r.Name
	}
	if r.NobodyOnDuty {
		return rota + ": nobody on duty"
	}
	who := r.Name
	if r.Rota != "" {
		who = rota + ": " + r.Name
	}
	if len(r.Via) == 0 {
		return who + ": no way to reach them"
	}
	ways := map[string]string{"email": "email", "slack": "Slack", "sms": "text"}
	var by []string
	for _, v := range r.Via {
		by = append(by, ways[v])
	}
	return who + ", by " + andList(by)
}

// andList joins words as a sentence does: "a", "a and b", "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// firstReach is who a live activation started now reaches in its first
// hour, each once in the order first reached, at most max of them, and
// how many more there are.
func firstReach(rb *runbooks.Runbook, dir *directory.Directory, now time.Time, max int) (lines []string, more int) {
	reacher := reacherFor(rb, dir, false)
	if reacher == nil {
		return nil, 0
	}
	plan, err := runbooks.Plan(rb, now, time.Hour, runbooks.PlanOptions{})
	if err != nil {
		return nil, 0
	}
	seen := map[string]bool{}
	for _, o := range plan {
		for _, who := range reachWords(reacher.Row(o).Reaches) {
			if seen[who] {
				continue
			}
			seen[who] = true
			if len(lines) == max {
				more++
				continue
			}
			lines = append(lines, who)
		}
	}
	return lines, more
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
