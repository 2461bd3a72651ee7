// Package directory owns crier's directory: the one file of people,
// organisations, duty rotas and contact lists that runbooks will point
// into, instead of each carrying its own copy. It decodes and checks the
// file as strictly as a runbook is checked (every problem reported at once
// as file:line:col: path: message), says who is on a rota's duty at any
// instant, across clock changes, and loads contact lists from CSV files.
// It is the runbooks.Directory runbooks point into (person:, rota:,
// list:). docs/directory.md describes the file.
package directory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // the time zone is checked the same way on every machine

	"github.com/crierhq/crier/runbooks"
)

// DefaultTimezone is the zone rotas turn in when the file names none.
const DefaultTimezone = "Europe/London"

// Directory is the whole of a directory file.
type Directory struct {
	Kind          string         `yaml:"kind" jsonschema:"required,enum=directory"`
	Version       int            `yaml:"version" jsonschema:"required,enum=1"`
	Timezone      string         `yaml:"timezone" jsonschema_description:"IANA time zone rotas turn in; Europe/London if left out."`
	Organisations []Organisation `yaml:"organisations"`
	People        []Person       `yaml:"people"`
	Rotas         []Rota         `yaml:"rotas"`
	Lists         []ListEntry    `yaml:"lists"`

	location *time.Location
	people   map[string]int // index in People, by id
	rotas    map[runbooks.Slug]*rota
	lists    map[string]*List // loaded, by id
}

// Organisation is a council, a police force, a fire service, a health
// body or a voluntary partner.
type Organisation struct {
	ID   runbooks.Slug `yaml:"id" jsonschema:"required"`
	Name string        `yaml:"name" jsonschema:"required,minLength=1"`
}

// Person is someone crier may reach, with their contacts as a runbook's
// stakeholders carry them.
type Person struct {
	ID           runbooks.Slug      `yaml:"id" jsonschema:"required"`
	Name         string             `yaml:"name" jsonschema:"required,minLength=1"`
	Organisation runbooks.Slug      `yaml:"organisation"`
	Email        runbooks.Addresses `yaml:"email"`
	Slack        string             `yaml:"slack" jsonschema_description:"Slack user id (U… or W…)."`
	Phone        string             `yaml:"phone" jsonschema_description:"E.164 number for SMS."`
	Language     string             `yaml:"language" jsonschema_description:"BCP 47 tag of the language they read, such as cy."`
}

// Rota is a duty rota: its people take turns, one at a time, handing over
// at a fixed local time each day or each week.
type Rota struct {
	ID     runbooks.Slug   `yaml:"id" jsonschema:"required"`
	Name   string          `yaml:"name" jsonschema:"required,minLength=1"`
	People []runbooks.Slug `yaml:"people" jsonschema:"required,minItems=1"`
	// Start is the date of the first handover, 2026-01-05.
	Start string `yaml:"start" jsonschema:"required"`
	// Handover is "Mon 09:00" for a weekly rota or "09:00" for a daily one.
	Handover  string     `yaml:"handover" jsonschema:"required"`
	Overrides []Override `yaml:"overrides"`
}

// Override puts someone on a rota's duty from one local time until
// another, whoever's turn it would be.
type Override struct {
	Person runbooks.Slug `yaml:"person" jsonschema:"required"`
	From   string        `yaml:"from" jsonschema:"required"`
	Until  string        `yaml:"until" jsonschema:"required"`
}

// ListEntry names a contact list kept in a CSV file.
type ListEntry struct {
	ID   runbooks.Slug `yaml:"id" jsonschema:"required"`
	Name string        `yaml:"name" jsonschema:"required,minLength=1"`
	// File is the CSV file, relative to the directory file.
	File string `yaml:"file" jsonschema:"required"`
}

// Location is the zone the directory's rotas turn in.
func (d *Directory) Location() *time.Location { return d.location }

// Person finds a person by id.
func (d *Directory) Person(id string) (Person, bool) {
	if i, ok := d.people[id]; ok {
		return d.People[i], true
	}
	return Person{}, false
}

// Load reads and checks the directory file at path. On any error it
// returns a runbooks.ErrorList of every problem in the file.
func Load(path string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the directory: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, runbooks.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the directory %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse checks a directory read from a file; name is used in messages. On
// any error it returns a runbooks.ErrorList of every problem, sorted by
// position.
func Parse(name string, data []byte) (*Directory, error) {
	c := &checker{d: &Directory{}, file: name}
	if len(bytes.TrimSpace(data)) == 0 {
		c.add(runbooks.Pos{Line: 1, Column: 1}, "", "file is empty; expected a directory starting with kind: directory and version: 1")
		return c.result()
	}
	pos, err := runbooks.DecodeFile(name, data, "directory", c.d)
	if err != nil && !errors.As(err, &c.diags) {
		return nil, err
	}
	if pos == nil {
		return c.result()
	}
	c.pos = pos
	if c.ok("version") && c.d.Version != 1 {
		c.diags = nil
		c.errorf("version", "unsupported version %d; this crier reads directory version 1 (write version: 1)", c.d.Version)
		return c.result()
	}
	c.check()
	return c.result()
}

// checker collects the problems of one file while it is checked.
type checker struct {
	d     *Directory
	file  string
	pos   runbooks.Positions
	diags runbooks.ErrorList
}

func (c *checker) result() (*Directory, error) {
	if len(c.diags) > 0 {
		runbooks.SortDiagnostics(c.diags)
		return nil, c.diags
	}
	return c.d, nil
}

func (c *checker) add(p runbooks.Pos, path, format string, args ...any) {
	c.diags = append(c.diags, runbooks.Diagnostic{File: c.file, Line: p.Line, Column: p.Column,
		Severity: runbooks.SeverityError, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) errorf(path, format string, args ...any) {
	c.add(c.pos.At(path), path, format, args...)
}

// ok reports whether the value at path is written and has no problem yet.
func (c *checker) ok(p string) bool {
	if _, written := c.pos[p]; !written {
		return false
	}
	for _, d := range c.diags {
		if d.Path == p {
			return false
		}
	}
	return true
}

func (c *checker) check() {
	d := c.d
	if d.Timezone == "" {
		d.Timezone = DefaultTimezone
	}
	loc, err := time.LoadLocation(d.Timezone)
	if err != nil || d.Timezone == "Local" {
		c.errorf("timezone", "%q is not a time zone; expected an IANA name such as Europe/London", d.Timezone)
		loc = time.UTC
	}
	d.location = loc
	orgs := c.unique("organisations", len(d.Organisations), func(i int) runbooks.Slug { return d.Organisations[i].ID })
	people := c.unique("people", len(d.People), func(i int) runbooks.Slug { return d.People[i].ID })
	d.people = map[string]int{}
	for id, i := range people {
		d.people[string(id)] = i
	}
	d.lists = map[string]*List{}
	c.unique("rotas", len(d.Rotas), func(i int) runbooks.Slug { return d.Rotas[i].ID })
	c.unique("lists", len(d.Lists), func(i int) runbooks.Slug { return d.Lists[i].ID })
	for i, p := range d.People {
		c.checkPerson(fmt.Sprintf("people[%d]", i), p, orgs)
	}
	d.rotas = map[runbooks.Slug]*rota{}
	for i := range d.Rotas {
		if r := c.checkRota(fmt.Sprintf("rotas[%d]", i), &d.Rotas[i], people); r != nil {
			d.rotas[d.Rotas[i].ID] = r
		}
	}
	for i, l := range d.Lists {
		p := fmt.Sprintf("lists[%d].file", i)
		if c.ok(p) && (!fs.ValidPath(l.File) || !strings.EqualFold(path.Ext(l.File), ".csv")) {
			c.errorf(p, "%q is not a CSV file beside the directory; write a relative path with / between folders and no .., ending .csv, like lists/vulnerable.csv", l.File)
		}
	}
}

// unique reports every id written twice in the list at path, and returns
// the ids, each with its index.
func (c *checker) unique(list string, n int, id func(int) runbooks.Slug) map[runbooks.Slug]int {
	seen := map[runbooks.Slug]int{}
	for i := range n {
		p := fmt.Sprintf("%s[%d].id", list, i)
		v := id(i)
		if !c.ok(p) {
			continue
		}
		if first, dup := seen[v]; dup {
			c.errorf(p, "id %q is already used by %s[%d] at line %d; ids in %s must be unique", v, list, first, c.pos.At(fmt.Sprintf("%s[%d].id", list, first)).Line, list)
			continue
		}
		seen[v] = i
	}
	return seen
}

func (c *checker) checkPerson(p string, person Person, orgs map[runbooks.Slug]int) {
	if c.ok(p + ".organisation") {
		if _, ok := orgs[person.Organisation]; !ok {
			c.errorf(p+".organisation", "no organisation has id %q; add it to organisations, or use the id of one already there", person.Organisation)
		}
	}
	for j, e := range person.Email {
		if e.Name != "" {
			if problem := runbooks.EmailProblem(e.Name); problem != "" {
				c.add(e.Pos, fmt.Sprintf("%s.email[%d]", p, j), "%q %s", e.Name, problem)
			}
		}
	}
	check := func(field, value string, problemOf func(string) string) {
		if value != "" && c.ok(p+"."+field) {
			if problem := problemOf(value); problem != "" {
				c.errorf(p+"."+field, "%q %s", value, problem)
			}
		}
	}
	check("slack", person.Slack, runbooks.SlackUserProblem)
	check("phone", person.Phone, runbooks.PhoneProblem)
	check("language", person.Language, runbooks.LanguageProblem)
}
