package directory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// Open reads the directory file at path and the contact lists it names,
// from beside it: what crier does before runbooks point into it. Every
// problem is returned, the file's and each list's.
func Open(path string) (*Directory, error) {
	d, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := d.LoadLists(os.DirFS(filepath.Dir(path))); err != nil {
		return d, err
	}
	return d, nil
}

// OpenFS is Open for a directory file in fsys, such as the examples built
// into crier: name is its path there, and its lists are read beside it.
func OpenFS(fsys fs.FS, name string) (*Directory, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("cannot read the directory: %w", err)
	}
	d, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(fsys, path.Dir(name))
	if err != nil {
		return nil, err
	}
	return d, d.LoadLists(sub)
}

// LoadLists reads each of the directory's contact lists from fsys, the
// directory file's folder. A list that cannot be loaded is left out, and
// its problems returned with the others'.
func (d *Directory) LoadLists(fsys fs.FS) error {
	var errs []error
	for _, l := range d.Lists {
		list, err := LoadList(fsys, l.File)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.lists[string(l.ID)] = list
	}
	return errors.Join(errs...)
}

// List is a contact list the directory has loaded.
func (d *Directory) List(id string) (*List, bool) {
	l, ok := d.lists[id]
	return l, ok
}

// The directory as runbooks see it: runbooks.Directory.

// OrganisationName is an organisation's name.
func (d *Directory) OrganisationName(id string) (string, bool) {
	for _, o := range d.Organisations {
		if string(o.ID) == id {
			return o.Name, true
		}
	}
	return "", false
}

// Contact is how to reach a person.
func (d *Directory) Contact(id string) (runbooks.Contact, bool) {
	i, ok := d.people[id]
	if !ok {
		return runbooks.Contact{}, false
	}
	return d.People[i].contact(), true
}

func (p Person) contact() runbooks.Contact {
	return runbooks.Contact{Person: string(p.ID), Name: p.Name, Organisation: string(p.Organisation),
		Language: p.Language, Email: runbooks.Names(p.Email), Slack: p.Slack, Phone: p.Phone}
}

// RotaInfo is a rota's name, everyone on it and when it starts; its
// People are shared, and not to be changed.
func (d *Directory) RotaInfo(id string) (runbooks.RotaInfo, bool) {
	r, ok := d.rotas[runbooks.Slug(id)]
	if !ok {
		return runbooks.RotaInfo{}, false
	}
	return r.info, true
}

// OnDutyAt is the id of the person on a rota's duty at an instant.
func (d *Directory) OnDutyAt(rota string, at time.Time) (string, bool) {
	p, err := d.OnDuty(rota, at)
	return string(p.ID), err == nil
}

// ListInfo is what is known of a contact list: all of it once loaded.
func (d *Directory) ListInfo(id string) (runbooks.ListInfo, bool) {
	for _, l := range d.Lists {
		if string(l.ID) != id {
			continue
		}
		info := runbooks.ListInfo{Name: l.Name}
		if list, ok := d.lists[id]; ok {
			info.Loaded, info.Rows, info.Email, info.Phone = true, list.Len(), list.Email, list.Phone
		}
		return info, true
	}
	return runbooks.ListInfo{}, false
}

// IDs are the ids of one kind: person, rota, list or organisation.
func (d *Directory) IDs(kind string) []string {
	var out []string
	switch kind {
	case "person":
		for _, p := range d.People {
			out = append(out, string(p.ID))
		}
	case "rota":
		for _, r := range d.Rotas {
			out = append(out, string(r.ID))
		}
	case "list":
		for _, l := range d.Lists {
			out = append(out, string(l.ID))
		}
	case "organisation":
		for _, o := range d.Organisations {
			out = append(out, string(o.ID))
		}
	}
	return out
}

var _ runbooks.Directory = (*Directory)(nil)
