package server

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// The directory over the API: read by anyone signed in, changed by admins
// and planners. The directory in force lives in the record; every change
// is a SetDirectory command with who made it (docs/directory.md, "Changing
// the directory"). Contact lists' rows are never shown: counts only.

// directoryView is the directory in force as the API and the web app show it.
type directoryView struct {
	Name          string       `json:"name"`
	Version       uint64       `json:"version"`
	SetBy         string       `json:"set_by"`
	SetAt         time.Time    `json:"set_at"`
	Timezone      string       `json:"timezone"`
	Organisations []orgView    `json:"organisations"`
	People        []personView `json:"people"`
	Rotas         []rotaView   `json:"rotas"`
	Lists         []listView   `json:"lists"`
}

type orgView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// personView is a person and how to reach them. Staff contacts are not
// secret from signed-in users; residents on lists are.
type personView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Organisation string   `json:"organisation,omitempty"`
	Has          reachBy  `json:"has"`
	Email        []string `json:"email"`
	Slack        string   `json:"slack,omitempty"`
	Phone        string   `json:"phone,omitempty"`
	Language     string   `json:"language,omitempty"`

	orgName string // for the page
}

// reachBy says which contacts a person has.
type reachBy struct {
	Email bool `json:"email"`
	Slack bool `json:"slack"`
	Phone bool `json:"phone"`
}

// who names a person.
type who struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// rotaView is a rota, who is on its duty now, until when, and who is next.
type rotaView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Handover string `json:"handover"`
	// OnDuty is nil before the rota starts; Problem then says so.
	OnDuty  *who       `json:"on_duty"`
	Until   *time.Time `json:"until"` // when Next takes over
	Next    *who       `json:"next"`
	Cover   *coverView `json:"cover"` // the override in force now, if any
	Problem string     `json:"problem,omitempty"`
	People  []string   `json:"people"`
	// Overrides as written, in the directory's local time.
	Overrides []coverView `json:"overrides"`

	duty *personView // who is on duty, with their contacts: for the page
}

// coverView is an override: someone on a rota's duty from until, local
// times in the directory's zone.
type coverView struct {
	Person string `json:"person"`
	From   string `json:"from"`
	Until  string `json:"until"`
}

// listView is a contact list: what it is, and once crier has loaded it,
// how many rows and their checksum. Never a row.
type listView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	File   string `json:"file"`
	Rows   *int   `json:"rows"` // null until crier has loaded the list
	SHA256 string `json:"sha256,omitempty"`
}

// errNoDirectory is the answer when no directory is in force.
var errNoDirectory = errors.New("there is no directory in crier yet: write a directory.yaml beside the runbooks (see docs/directory.md) and start crier serve, or PUT one to /api/v1/directory")

// directoryNow is the directory in force, described as at at; false when
// there is none.
func (s *Server) directoryNow(at time.Time) (*directoryView, *directory.Directory, bool) {
	d, rec := s.engine.Directory(), s.engine.DirectoryRecord()
	if d == nil || rec == nil {
		return nil, nil, false
	}
	v := &directoryView{Name: rec.Name, Version: rec.Version, SetBy: rec.By, SetAt: rec.At, Timezone: d.Location().String(),
		Organisations: []orgView{}, People: []personView{}, Rotas: []rotaView{}, Lists: []listView{}}
	for _, o := range d.Organisations {
		v.Organisations = append(v.Organisations, orgView{ID: string(o.ID), Name: o.Name})
	}
	for _, p := range d.People {
		pv := viewPerson(p)
		pv.orgName, _ = d.OrganisationName(pv.Organisation)
		v.People = append(v.People, pv)
	}
	for _, r := range d.Rotas {
		v.Rotas = append(v.Rotas, viewRota(d, r, at))
	}
	for _, l := range d.Lists {
		lv := listView{ID: string(l.ID), Name: l.Name, File: l.File}
		if list, ok := d.List(string(l.ID)); ok {
			n := list.Len()
			lv.Rows, lv.SHA256 = &n, hex.EncodeToString(list.SHA256[:])
		}
		v.Lists = append(v.Lists, lv)
	}
	return v, d, true
}

func viewPerson(p directory.Person) personView {
	v := personView{ID: string(p.ID), Name: p.Name, Organisation: string(p.Organisation), Email: runbooks.Names(p.Email),
		Slack: p.Slack, Phone: p.Phone, Language: p.Language}
	if v.Email == nil {
		v.Email = []string{}
	}
	v.Has = reachBy{Email: len(v.Email) > 0, Slack: p.Slack != "", Phone: p.Phone != ""}
	return v
}

func viewRota(d *directory.Directory, r directory.Rota, at time.Time) rotaView {
	v := rotaView{ID: string(r.ID), Name: r.Name, Handover: r.Handover, People: []string{}, Overrides: []coverView{}}
	for _, p := range r.People {
		v.People = append(v.People, string(p))
	}
	for _, o := range r.Overrides {
		v.Overrides = append(v.Overrides, coverView{Person: string(o.Person), From: o.From, Until: o.Until})
	}
	if p, err := d.OnDuty(string(r.ID), at); err != nil {
		v.Problem = err.Error()
	} else {
		pv := viewPerson(p)
		pv.orgName, _ = d.OrganisationName(pv.Organisation)
		v.OnDuty, v.duty = &who{ID: pv.ID, Name: pv.Name}, &pv
	}
	if p, until, err := d.Next(string(r.ID), at); err == nil && p.ID != "" {
		v.Next, v.Until = &who{ID: string(p.ID), Name: p.Name}, &until
	}
	if c, ok := d.Cover(string(r.ID), at); ok {
		v.Cover = &coverView{Person: string(c.Person), From: c.From, Until: c.Until}
	}
	return v
}

// getDirectory is the directory in force: JSON, or with ?format=yaml its
// text as a file to download.
func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request, _ *User) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "yaml" {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("format %q is not one of json, yaml", format))
		return
	}
	v, _, ok := s.directoryNow(s.now())
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", errNoDirectory.Error())
		return
	}
	if format == "yaml" {
		rec := s.engine.DirectoryRecord()
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+downloadName(rec.Name)+`"`)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(rec.Source)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// downloadName is the file name a downloaded directory is saved as.
func downloadName(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml") || strings.ContainsAny(base, `"`+"\r\n") {
		return "directory.yaml"
	}
	return base
}

// putDirectory puts a whole directory file in force.
func (s *Server) putDirectory(w http.ResponseWriter, r *http.Request, u *User) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/yaml" && mt != "text/yaml" && mt != "application/x-yaml" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the directory file as it is, with Content-Type: application/yaml")
		return
	}
	source, ok := readBody(w, r)
	if !ok {
		return
	}
	s.answerChange(w, s.setDirectory(r.Context(), u, source, 0))
}

// coverRequest puts someone on a rota's duty: local times in the
// directory's zone, "2026-12-24 17:00".
type coverRequest struct {
	Person string `json:"person"`
	From   string `json:"from"`
	Until  string `json:"until"`
}

// coverRota adds an override to a rota.
func (s *Server) coverRota(w http.ResponseWriter, r *http.Request, u *User) {
	var c coverRequest
	if !decode(w, r, &c) {
		return
	}
	s.answerChange(w, s.addCover(r.Context(), u, r.PathValue("id"), c))
}

// answerChange answers a change to the directory: the directory now in
// force, or why not.
func (s *Server) answerChange(w http.ResponseWriter, err error) {
	var p *directoryProblem
	switch {
	case errors.As(err, &p):
		writeJSON(w, p.status, struct {
			apiError
			Problems []string `json:"problems,omitempty"`
		}{apiError{Error: p.Error(), Code: p.code}, p.problems})
	case err != nil:
		refused(w, err)
	default:
		v, _, _ := s.directoryNow(s.now())
		writeJSON(w, http.StatusOK, v)
	}
}

// directoryProblem is a change to the directory refused, and why: each
// problem located in the file as file:line:col: path: message.
type directoryProblem struct {
	status   int
	code     string
	message  string
	problems []string
	lines    []int    // the line of each problem
	words    []string // each problem without where it is, for a form's people
}

func (p *directoryProblem) Error() string {
	if len(p.problems) == 0 {
		return p.message
	}
	return p.message + ":\n" + strings.Join(p.problems, "\n")
}

func unprocessable(format string, args ...any) *directoryProblem {
	return &directoryProblem{status: http.StatusUnprocessableEntity, code: "unprocessable", message: fmt.Sprintf(format, args...)}
}

// directoryName is the name the directory in force is known by in messages.
func (s *Server) directoryName() string {
	if rec := s.engine.DirectoryRecord(); rec != nil {
		return cmp.Or(rec.Name, "directory.yaml")
	}
	return "directory.yaml"
}

// setDirectory checks a directory's text and puts it in force as u. With
// a base version, it is refused if the directory in force is no longer
// that one: someone else changed it meanwhile.
func (s *Server) setDirectory(ctx context.Context, u *User, source []byte, base uint64) error {
	s.directoryEdits.Lock()
	defer s.directoryEdits.Unlock()
	rec := s.engine.DirectoryRecord()
	if base != 0 && rec != nil && rec.Version != base {
		return &directoryProblem{status: http.StatusConflict, code: "conflict", message: fmt.Sprintf(
			"Not saved: %s changed the directory at %s, after you opened it. Your text is kept below: copy your change, open the editor again and make it there", rec.By, rec.At.In(s.loc).Format(dayLayout))}
	}
	return s.putInForce(ctx, u, source)
}

// addCover puts someone on a rota's cover as u, by editing the directory
// in force (directory.AddOverride) and putting it in force again.
func (s *Server) addCover(ctx context.Context, u *User, rota string, c coverRequest) error {
	s.directoryEdits.Lock()
	defer s.directoryEdits.Unlock()
	rec := s.engine.DirectoryRecord()
	if rec == nil {
		return &directoryProblem{status: http.StatusNotFound, code: "not_found", message: errNoDirectory.Error()}
	}
	d := s.engine.Directory()
	if d == nil || !hasRota(d, rota) {
		return &directoryProblem{status: http.StatusNotFound, code: "not_found", message: fmt.Sprintf("no rota has id %q", rota)}
	}
	source, err := directory.AddOverride(rec.Source, rota, strings.TrimSpace(c.Person), strings.TrimSpace(c.From), strings.TrimSpace(c.Until))
	if err != nil {
		return unprocessable("Not put on cover: %v", err)
	}
	err = s.putInForce(ctx, u, source)
	if p := (*directoryProblem)(nil); errors.As(err, &p) {
		p.message = "Not put on cover"
	}
	return err
}

func hasRota(d *directory.Directory, id string) bool {
	for _, r := range d.Rotas {
		if string(r.ID) == id {
			return true
		}
	}
	return false
}

// putInForce checks the text as a directory and puts it in force with u as
// who did it.
func (s *Server) putInForce(ctx context.Context, u *User, source []byte) error {
	name := s.directoryName()
	if _, err := directory.Parse(name, source); err != nil {
		var list runbooks.ErrorList
		if !errors.As(err, &list) {
			return unprocessable("the directory is not valid: %v", err)
		}
		p := unprocessable("The directory is not valid: %s", plural(len(list), "problem", "problems"))
		for _, d := range list {
			p.problems, p.lines = append(p.problems, d.String()), append(p.lines, d.Line)
			p.words = append(p.words, d.Message)
		}
		return p
	}
	_, err := s.engine.Apply(ctx, &engine.SetDirectory{Meta: engine.Meta{Actor: u.Person()}, Source: source, Name: name})
	return err
}
