package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// Library is the runbooks the server offers, read from files and
// directories, or from a file system built into crier (the examples).
// Reload reads them again; a file that no longer loads is reported and the
// copy that did stays in use. Activations run their own pinned copy
// whatever the library does.
type Library struct {
	list func() ([]string, error)          // the runbook files, by name
	read func(name string) ([]byte, error) // one of them

	mu    sync.RWMutex
	books map[string]*book // by runbook id
}

// book is one runbook as loaded, with the file it came from.
type book struct {
	rb     *runbooks.Runbook
	source []byte
	file   string
}

// NewLibrary reads the runbooks under paths (files, or directories
// searched for .yaml and .yml files, a crier.yaml configuration aside).
func NewLibrary(paths []string) (*Library, error) {
	return newLibrary(func() ([]string, error) { return runbooks.Files(paths) }, os.ReadFile)
}

// NewLibraryFS reads the runbooks in a file system, such as the examples
// built into crier: its .yaml and .yml files, a crier.yaml aside. They
// are named dir/file (examples/flood-warning.yaml). Its Reload reads the
// same runbooks again, and so changes nothing.
func NewLibraryFS(fsys fs.FS, dir string) (*Library, error) {
	list := func() ([]string, error) {
		var names []string
		err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && runbooks.IsRunbookFile(name) {
				names = append(names, path.Join(dir, name))
			}
			return err
		})
		return names, err // in lexical order, as WalkDir walks
	}
	read := func(name string) ([]byte, error) {
		return fs.ReadFile(fsys, strings.TrimPrefix(name, dir+"/"))
	}
	return newLibrary(list, read)
}

func newLibrary(list func() ([]string, error), read func(string) ([]byte, error)) (*Library, error) {
	l := &Library{list: list, read: read, books: map[string]*book{}}
	return l, l.Reload()
}

// Reload reads every runbook again. It returns every problem found, by
// file; runbooks that loaded replace their old copies, others keep them.
func (l *Library) Reload() error {
	files, err := l.list()
	if err != nil {
		return err
	}
	loaded := map[string]*book{}
	var errs []error
	for _, f := range files {
		src, err := l.read(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rb, err := runbooks.Parse(f, src)
		if err == nil {
			err = fitErrors(rb)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := loaded[string(rb.ID)]; dup {
			errs = append(errs, fmt.Errorf("%s: runbook id %q is already used by %s", f, rb.ID, other.file))
			continue
		}
		loaded[string(rb.ID)] = &book{rb: rb, source: src, file: f}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, b := range l.books {
		if _, ok := loaded[id]; !ok && fileFailed(errs, b.file) {
			loaded[id] = b // keep the copy that worked
		}
	}
	l.books = loaded
	return errors.Join(errs...)
}

// fileFailed reports whether one of errs is about file.
func fileFailed(errs []error, file string) bool {
	return slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), file) })
}

// Get is a runbook by id, with its source.
func (l *Library) Get(id string) (*runbooks.Runbook, []byte, string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	b, ok := l.books[id]
	if !ok {
		return nil, nil, "", false
	}
	return b.rb, b.source, b.file, true
}

// List is every runbook, by id.
func (l *Library) List() []*runbooks.Runbook {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]*runbooks.Runbook, 0, len(l.books))
	for _, b := range l.books {
		out = append(out, b.rb)
	}
	slices.SortFunc(out, func(a, b *runbooks.Runbook) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// fitErrors are the messages of a runbook no service would take, as
// crier validate reports them.
func fitErrors(rb *runbooks.Runbook) error {
	var list runbooks.ErrorList
	for _, d := range engine.TextFit(rb) {
		if d.Severity == runbooks.SeverityError {
			list = append(list, d)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list
}
