package server

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// Library is the runbooks the server offers, read from files and
// directories. Reload reads them again; a file that no longer loads is
// reported and the copy that did stays in use. Activations run their own
// pinned copy whatever the library does.
type Library struct {
	paths []string

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
	l := &Library{paths: paths, books: map[string]*book{}}
	return l, l.Reload()
}

// Reload reads every runbook again. It returns every problem found, by
// file; runbooks that loaded replace their old copies, others keep them.
func (l *Library) Reload() error {
	files, err := runbooks.Files(l.paths)
	if err != nil {
		return err
	}
	loaded := map[string]*book{}
	var errs []error
	for _, f := range files {
		src, err := os.ReadFile(f)
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
