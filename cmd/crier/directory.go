package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
)

// directoryFileName is the directory file crier looks for beside runbooks.
const directoryFileName = "directory.yaml"

// usageError is a command line that names something that is not there: the
// command says so and exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// FindDirectory is the directory file the runbooks in folder point into:
// the one named with --directory (named), else the one the configuration
// in folder (crier.yaml or crier.yml) names with directory:, else
// directory.yaml in folder; "" when there is none. A --directory that is
// not a file is a *usageError; a configuration that cannot be read is its
// error.
func FindDirectory(named, folder string) (string, error) {
	if named != "" {
		info, err := os.Stat(named)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", &usageError{fmt.Sprintf("--directory %s: no such file", named)}
		case err != nil:
			return "", &usageError{fmt.Sprintf("--directory %s: %s", named, describeFileError(err))}
		case info.IsDir():
			return "", &usageError{fmt.Sprintf("--directory %s is a folder; name the directory file in it, such as %s", named, filepath.Join(named, directoryFileName))}
		}
		return named, nil
	}
	for _, name := range []string{"crier.yaml", "crier.yml"} {
		cfg := filepath.Join(folder, name)
		if _, err := os.Stat(cfg); err != nil || !isConfiguration(cfg) {
			continue // a runbook named crier.yaml is warned of, as such
		}
		path, err := config.DirectoryNamed(cfg)
		if err != nil || path != "" {
			return path, err
		}
		break
	}
	beside := filepath.Join(folder, directoryFileName)
	if info, err := os.Stat(beside); err == nil && !info.IsDir() {
		return beside, nil
	}
	return "", nil
}

// openedDirectory is a directory file as a command found it: the
// directory, when its file could be read, and every problem with it and
// its lists.
type openedDirectory struct {
	path  string
	dir   *directory.Directory // nil when the file has errors; without a bad list's rows when a list has
	diags []runbooks.Diagnostic
	// configuration: the directory could not be found, because the
	// configuration that would name it (path) has errors (diags).
	configuration bool
}

// notFound is a directory that the configuration in folder would name,
// and cannot, for err.
func notFound(folder string, err error) *openedDirectory {
	o := &openedDirectory{path: filepath.Join(folder, "crier.yaml"), configuration: true}
	o.diags = directoryDiagnostics(o.path, err)
	if len(o.diags) > 0 {
		o.path = o.diags[0].File
	}
	return o
}

// valid reports whether the directory and all its lists are free of errors.
func (o *openedDirectory) valid() bool { return o.dir != nil && len(o.diags) == 0 }

// openDirectory reads the directory file at path and its lists.
func openDirectory(path string) *openedDirectory {
	d, err := directory.Open(path)
	o := &openedDirectory{path: path, dir: d}
	if err != nil {
		o.diags = directoryDiagnostics(path, err)
	}
	return o
}

// about says what a directory file holds, for crier validate.
func (o *openedDirectory) about() string {
	if !o.valid() {
		return fmt.Sprintf("%s is a directory: not valid", o.path)
	}
	d := o.dir
	rows := 0
	for _, l := range d.Lists {
		if list, ok := d.List(string(l.ID)); ok {
			rows += list.Len()
		}
	}
	return fmt.Sprintf("%s is a directory: valid; %s, %s, %s, %s of %s",
		o.path, count(len(d.Organisations), "organisation", "organisations"), count(len(d.People), "person", "people"),
		count(len(d.Rotas), "rota", "rotas"), count(len(d.Lists), "list", "lists"), count(rows, "row", "rows"))
}

func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, plural(n, one, many)) }

// directoryDiagnostics turns what directory.Open returns into diagnostics:
// the file's own, located, and each list's, by the list's file and row
// (line 0: a row is not a line). A list's rows are never repeated, only
// their numbers.
func directoryDiagnostics(path string, err error) []runbooks.Diagnostic {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []runbooks.Diagnostic
		for _, e := range joined.Unwrap() {
			out = append(out, directoryDiagnostics(path, e)...)
		}
		return out
	}
	var list runbooks.ErrorList
	var bad *directory.ListError
	switch {
	case errors.As(err, &list):
		return list
	case errors.As(err, &bad):
		file := filepath.Join(filepath.Dir(path), filepath.FromSlash(bad.File))
		out := make([]runbooks.Diagnostic, 0, len(bad.Problems)+1)
		for _, p := range bad.Problems {
			out = append(out, runbooks.Diagnostic{File: file, Severity: runbooks.SeverityError, Message: p})
		}
		if bad.More > 0 {
			out = append(out, runbooks.Diagnostic{File: file, Severity: runbooks.SeverityError, Message: fmt.Sprintf("and %d more problems", bad.More)})
		}
		return out
	}
	return []runbooks.Diagnostic{{File: path, Line: 1, Column: 1, Severity: runbooks.SeverityError, Message: describeFileError(err)}}
}

// directoryProblems holds a runbook's pointers to the directory o (none
// when o is nil). When the directory file itself has errors, a runbook that
// points into it is told so once, rather than that there is none.
func directoryProblems(rb *runbooks.Runbook, o *openedDirectory, now time.Time) []runbooks.Diagnostic {
	if o != nil && o.dir != nil {
		return runbooks.CheckDirectory(rb, o.dir, now)
	}
	ds := runbooks.CheckDirectory(rb, nil, now)
	if o == nil || len(ds) == 0 {
		return ds
	}
	d := ds[0]
	d.Path = ""
	d.Message = fmt.Sprintf("this runbook points into the directory %s, which has errors (listed under it); fix those, and its pointers are checked", o.path)
	if o.configuration {
		d.Message = fmt.Sprintf("this runbook points into the directory, which %s would name, but it has errors (listed under it); fix those, or name the directory with --directory", o.path)
	}
	return []runbooks.Diagnostic{d}
}

// DirectoryFor finds and reads the directory the runbook in file points
// into (named: --directory, or "") and holds the runbook's pointers to it
// at the instant at, for the command (plan, drill). It prints every
// problem, the directory's and the runbook's, and its warnings; the
// directory is nil when there is none, and path is its file. When ok is
// false the command exits
// with code: exitUsage for a --directory that is not there, exitError for
// any error in the directory, its lists or the runbook's pointers.
func DirectoryFor(e env, command, named, file string, rb *runbooks.Runbook, at time.Time) (dir *directory.Directory, path string, code int, ok bool) {
	found, err := FindDirectory(named, filepath.Dir(file))
	var usage *usageError
	var o *openedDirectory
	switch {
	case errors.As(err, &usage):
		fmt.Fprintf(e.stderr, "crier %s: %v\n", command, err)
		return nil, "", exitUsage, false
	case err != nil: // told of only if the runbook needs a directory
		o = notFound(filepath.Dir(file), err)
	case found != "":
		if o = openDirectory(found); !o.valid() {
			printDiagnostics(e, o.diags)
			return nil, "", exitError, false
		}
	}
	ds := directoryProblems(rb, o, at)
	if o != nil && o.configuration && len(ds) > 0 {
		printDiagnostics(e, o.diags)
	}
	printDiagnostics(e, ds)
	if slices.ContainsFunc(ds, isError) {
		return nil, "", exitError, false
	}
	if o == nil || o.configuration {
		return nil, "", exitOK, true
	}
	return o.dir, found, exitOK, true
}

func printDiagnostics(e env, ds []runbooks.Diagnostic) {
	for _, d := range ds {
		fmt.Fprintln(e.stderr, humanDiagnostic(d))
	}
}
