package server

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The directory in the web app: who is on duty now and how to reach
// them, first; then the organisations and their people, and the contact
// lists (what they are and how many rows, never a row). Planners and
// admins put someone on a rota's cover from the page, and edit the whole
// file on a page of its own; each change goes through the same checks
// and command as the API's.

// directoryPage is what the directory pages show beyond page.
type directoryPage struct {
	page
	Dir     *directoryView // nil when there is none
	Zone    string
	Changed string // who last changed the directory, and when
	Rotas   []rotaCard
	Orgs    []orgGroup
	CanEdit bool
	// The edit page: the text, the version it was opened at, and what is
	// wrong with it when it was refused.
	Source   string
	Version  uint64
	Problems []problemLine
}

// problemLine is a problem with the directory, and the line it is on as
// the planner wrote it.
type problemLine struct {
	Problem, Line string
}

// OrgName is the name of the person's organisation, for the page.
func (p personView) OrgName() string { return p.orgName }

// rotaCard is a rota as the page shows it.
type rotaCard struct {
	rotaView
	Duty                 *personView
	Until, Next, NextWho string // "Mon 7 Dec 09:00", "Asha Patel"
	Turns                string // when the rota hands over, in words
	CoverText            string // the cover in force, in words
	Coming               []string
	OnRota, Others       []personView // the cover form's choices
	From                 string       // the cover form's start: now, as datetime-local
	FormError            string
}

// orgGroup is an organisation and its people.
type orgGroup struct {
	Name   string
	People []personView
}

// localInput is how an HTML datetime-local field writes a time.
const localInput = "2006-01-02T15:04"

func (s *Server) directoryRoutes() {
	s.mux.Handle("GET /ui/directory", s.web(anyone, s.directoryPage))
	s.mux.Handle("POST /ui/directory/rotas/{id}/cover", s.form(planner, s.coverFromForm))
	s.mux.Handle("GET /ui/directory/edit", s.web(planner, s.directoryEditPage))
	s.mux.Handle("POST /ui/directory/edit", s.form(planner, s.directoryFromForm))
}

func (s *Server) directoryPage(w http.ResponseWriter, r *http.Request, u *User) {
	s.showDirectory(w, r, u, http.StatusOK, takeNotice(w, r), "", "")
}

// showDirectory is the directory page; problem is why the cover form
// for the rota named was refused.
func (s *Server) showDirectory(w http.ResponseWriter, r *http.Request, u *User, status int, done, rota, problem string) {
	now := s.now()
	p := &directoryPage{page: page{Title: "Directory", User: u, Done: done, CSRF: s.csrfToken(r)}, CanEdit: planner(u, r)}
	p.refillFrom(r)
	v, d, ok := s.directoryNow(now)
	if ok {
		p.Dir, p.Zone = v, v.Timezone
		loc := d.Location()
		p.Changed = changedText(v, loc)
		names := map[string]personView{}
		for _, pv := range v.People {
			names[pv.ID] = pv
		}
		for _, rv := range v.Rotas {
			c := s.rotaCard(rv, names, loc, now)
			if rv.ID == rota {
				c.FormError = problem
				p.posted = "cover-" + rota
			}
			p.Rotas = append(p.Rotas, c)
		}
		p.Orgs = groupByOrganisation(v)
	}
	if problem != "" {
		p.Error = "Not put on cover: see the rota below."
	}
	s.renderPage(w, status, "directory.html", p)
}

// changedText says who last changed the directory and when.
func changedText(v *directoryView, loc *time.Location) string {
	by := v.SetBy
	if by == "" {
		by = "crier"
	}
	return "Version " + strconv.FormatUint(v.Version, 10) + ", set by " + by + " on " + v.SetAt.In(loc).Format(dayLayout)
}

// rotaCard says who is on a rota's duty now, until when, and what is next.
func (s *Server) rotaCard(rv rotaView, names map[string]personView, loc *time.Location, now time.Time) rotaCard {
	c := rotaCard{rotaView: rv, Duty: rv.duty, From: now.In(loc).Format(localInput), Turns: turnsText(rv.Handover)}
	if rv.Until != nil {
		c.Until = shortTime(*rv.Until, loc, now)
	}
	if rv.Next != nil {
		c.NextWho = rv.Next.Name
	}
	if rv.Cover != nil {
		c.CoverText = names[rv.Cover.Person].Name + " is covering, from " + localText(rv.Cover.From, loc, now) + " until " + localText(rv.Cover.Until, loc, now) + ", in place of the rota's turn."
	}
	for _, o := range rv.Overrides {
		until, err := time.ParseInLocation("2006-01-02 15:04", o.Until, loc)
		from, _ := time.ParseInLocation("2006-01-02 15:04", o.From, loc)
		if err == nil && from.After(now) {
			c.Coming = append(c.Coming, names[o.Person].Name+" from "+shortTime(from, loc, now)+" until "+shortTime(until, loc, now))
		}
	}
	on := map[string]bool{}
	for _, id := range rv.People {
		if !on[id] {
			c.OnRota = append(c.OnRota, names[id])
		}
		on[id] = true
	}
	for _, pv := range names {
		if !on[pv.ID] {
			c.Others = append(c.Others, pv)
		}
	}
	sortPeople(c.Others)
	return c
}

// turnsText says when a rota hands over: "every Monday at 09:00".
func turnsText(handover string) string {
	day, at, weekly := strings.Cut(handover, " ")
	if !weekly {
		return "hands over every day at " + handover
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.HasPrefix(d.String(), day) {
			return "hands over every " + d.String() + " at " + at
		}
	}
	return "hands over " + handover
}

// shortTime writes a time for people in the directory's zone: "Mon 7 Dec
// 09:00", with the year when it is not this year's.
func shortTime(t time.Time, loc *time.Location, now time.Time) string {
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return t.Format("Mon 2 Jan 2006 15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

// localText writes a local time as the directory has it ("2026-12-24
// 17:00") for people.
func localText(v string, loc *time.Location, now time.Time) string {
	t, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
	if err != nil {
		return v
	}
	return shortTime(t, loc, now)
}

// groupByOrganisation lists each organisation with its people, then
// anyone in none.
func groupByOrganisation(v *directoryView) []orgGroup {
	var out []orgGroup
	for _, o := range v.Organisations {
		g := orgGroup{Name: o.Name}
		for _, p := range v.People {
			if p.Organisation == o.ID {
				g.People = append(g.People, p)
			}
		}
		out = append(out, g)
	}
	g := orgGroup{Name: "In no organisation"}
	for _, p := range v.People {
		if p.Organisation == "" {
			g.People = append(g.People, p)
		}
	}
	if len(g.People) > 0 {
		out = append(out, g)
	}
	return out
}

func sortPeople(ps []personView) {
	slices.SortFunc(ps, func(a, b personView) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
}

// coverFromForm puts someone on a rota's cover from the directory page.
func (s *Server) coverFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	rota := r.PathValue("id")
	c := coverRequest{Person: r.PostFormValue("person"), From: fromInput(r.PostFormValue("from")), Until: fromInput(r.PostFormValue("until"))}
	if err := s.addCover(r.Context(), u, rota, c); err != nil {
		status, problem := http.StatusConflict, err.Error()
		if p, ok := err.(*directoryProblem); ok {
			status = p.status
			if len(p.words) > 0 { // the directory's own words, without the file's line and column
				problem = p.message + ": " + strings.Join(p.words, "; ")
			}
		}
		s.showDirectory(w, r, u, status, "", rota, problem+".")
		return
	}
	s.done(w, r, "/ui/directory#rota-"+rota, "cover-added")
}

// fromInput turns a datetime-local field's "2026-12-24T17:00" into the
// directory's "2026-12-24 17:00".
func fromInput(v string) string {
	return strings.Replace(strings.TrimSpace(v), "T", " ", 1)
}

func (s *Server) directoryEditPage(w http.ResponseWriter, r *http.Request, u *User) {
	p := &directoryPage{page: page{Title: "Edit the directory", User: u, CSRF: s.csrfToken(r)}, CanEdit: true}
	if rec := s.engine.DirectoryRecord(); rec != nil {
		p.Source, p.Version = string(rec.Source), rec.Version
		p.Dir = &directoryView{Version: rec.Version, SetBy: rec.By, SetAt: rec.At}
		p.Changed = changedText(p.Dir, s.directoryZone())
	}
	s.renderPage(w, http.StatusOK, "directory-edit", p)
}

// directoryZone is the zone of the directory in force, or the server's.
func (s *Server) directoryZone() *time.Location {
	if d := s.engine.Directory(); d != nil {
		return d.Location()
	}
	return s.loc
}

// directoryFromForm saves the edit page's text. Refused, the page comes
// back with every problem above the text, and the text as it was typed.
func (s *Server) directoryFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	// Browsers send a textarea's lines ending \r\n.
	source := strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")
	base, _ := strconv.ParseUint(r.PostFormValue("version"), 10, 64)
	if rec := s.engine.DirectoryRecord(); rec != nil && rec.Version == base && string(rec.Source) == source {
		s.done(w, r, "/ui/directory", "directory-unchanged")
		return
	}
	err := s.setDirectory(r.Context(), u, []byte(source), base)
	if err == nil {
		s.done(w, r, "/ui/directory", "directory-saved")
		return
	}
	p := &directoryPage{page: page{Title: "Edit the directory", User: u, CSRF: s.csrfToken(r)}, CanEdit: true, Source: source, Version: base}
	status := http.StatusConflict
	if dp, ok := err.(*directoryProblem); ok {
		status, p.Error = dp.status, dp.message+"."
		lines := strings.Split(source, "\n")
		for i, problem := range dp.problems {
			pl := problemLine{Problem: problem}
			if n := dp.lines[i]; n >= 1 && n <= len(lines) {
				pl.Line = lines[n-1]
			}
			p.Problems = append(p.Problems, pl)
		}
	} else {
		p.Error = "Not saved: " + err.Error()
	}
	s.renderPage(w, status, "directory-edit", p)
}
