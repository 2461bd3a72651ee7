package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

func runValidate(ctx context.Context, args []string, e env) int {
	flags := newFlags("validate", "[--json] [--no-doctrine] [--directory FILE] PATH...",
		"Check runbook files, or directories of *.yaml and *.yml files (searched recursively),\n"+
			"and report every problem as file:line:col: error: message.\n"+
			"A configuration (crier.yaml: notifiers, server, users and the like, and no steps) is\n"+
			"checked as one, apart from the environment: its ${ENV} references are not resolved.\n"+
			"A directory file (directory.yaml, or any file of kind: directory) is checked as one,\n"+
			"with its contact lists, whose problems are reported as FILE: row N: message.\n"+
			"Runbooks that point into a directory (person:, rota:, list:) are checked against the\n"+
			"one --directory names, else the one crier.yaml names with directory:, else\n"+
			"directory.yaml: in the directory named, or beside a runbook named alone.\n"+
			"Runbooks are also held to the guidance on trigger events: the doctrine checks warn, each\n"+
			"with a code such as doctrine/staff, unless the runbook waives it (waive: [{code, reason}]).\n"+
			"Exit status: 0 when every file is valid (warnings allowed), 1 when any has an error,\n"+
			"2 when the command line is wrong or a path does not exist.")
	jsonOut := flags.Bool("json", false, "print one JSON array of {file, line, column, severity, message, code}; a list's problems have line 0")
	noDoctrine := flags.Bool("no-doctrine", false, "leave out the doctrine checks' warnings")
	named := flags.String("directory", "", "the directory file runbooks point into (default: crier.yaml's directory:, else directory.yaml beside them)")
	paths, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		fmt.Fprintln(e.stderr, "crier validate: name at least one runbook file or directory")
		return exitUsage
	}
	if flagGiven(flags, "directory") {
		if *named == "" {
			fmt.Fprintln(e.stderr, "crier validate: --directory needs a file")
			return exitUsage
		}
		if _, err := FindDirectory(*named, ""); err != nil {
			fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
			return exitUsage
		}
	}
	files, err := filesToValidate(paths)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
		return exitUsage
	}
	found, err := validateFiles(ctx, files, *named, !*noDoctrine, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
		return exitInterrupted
	}
	var diags []runbooks.Diagnostic
	for _, f := range found.order {
		diags = append(diags, found.diags[f]...)
	}
	errorCount := 0
	for _, d := range diags {
		if d.Severity == runbooks.SeverityError {
			errorCount++
		}
	}
	if *jsonOut {
		out := make([]runbooks.Diagnostic, len(diags))
		for i, d := range diags {
			out[i] = d.WithPathInMessage()
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
			return exitError
		}
	} else {
		for _, f := range found.order {
			if about, ok := found.about[f]; ok {
				fmt.Fprintln(e.stdout, about)
			}
			for _, d := range found.diags[f] {
				fmt.Fprintln(e.stdout, humanDiagnostic(d))
			}
		}
		fmt.Fprintf(e.stderr, "%s\n", found.summary(errorCount, len(diags)-errorCount))
	}
	if errorCount > 0 {
		return exitError
	}
	return exitOK
}

// humanDiagnostic is one line of crier's human output:
// file:line:col: error: path: message, or for a contact list's row,
// which is not a line, file: row N: message.
func humanDiagnostic(d runbooks.Diagnostic) string {
	if d.Line == 0 {
		return fmt.Sprintf("%s: %s", d.File, d.WithPathInMessage().Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Column, d.Severity, d.WithPathInMessage().Message)
}

// validated is what checking files found: each file's diagnostics, what
// each configuration and directory is, and how many of each kind are
// valid.
type validated struct {
	order                   []string // the files with something to say, in the order to say it
	diags                   map[string][]runbooks.Diagnostic
	about                   map[string]string // by configuration and directory file
	runbooks, runbooksValid int
	configs, configsValid   int
	dirs, dirsValid         int
}

// add adds diagnostics to a file's, each once.
func (v *validated) add(file string, ds ...runbooks.Diagnostic) {
	v.mention(file)
	for _, d := range ds {
		if !slices.Contains(v.diags[file], d) {
			v.diags[file] = append(v.diags[file], d)
		}
	}
}

// mention puts a file in the order files are told of, once.
func (v *validated) mention(file string) {
	if _, ok := v.diags[file]; !ok {
		v.diags[file] = nil
		v.order = append(v.order, file)
	}
}

// summary is the last line: "6 of 6 runbook files valid; 1 configuration
// valid; 2 warnings".
func (v *validated) summary(errs, warns int) string {
	var parts []string
	if v.runbooks > 0 || v.configs == 0 && v.dirs == 0 {
		parts = append(parts, fmt.Sprintf("%d of %d runbook %s valid", v.runbooksValid, v.runbooks, plural(v.runbooks, "file", "files")))
	}
	switch {
	case v.configs == 0:
	case v.configsValid == v.configs:
		parts = append(parts, fmt.Sprintf("%d %s valid", v.configs, plural(v.configs, "configuration", "configurations")))
	default:
		parts = append(parts, fmt.Sprintf("%d of %d %s valid", v.configsValid, v.configs, plural(v.configs, "configuration", "configurations")))
	}
	switch {
	case v.dirs == 0:
	case v.dirsValid == v.dirs:
		parts = append(parts, fmt.Sprintf("%d %s valid", v.dirs, plural(v.dirs, "directory", "directories")))
	default:
		parts = append(parts, fmt.Sprintf("%d of %d %s valid", v.dirsValid, v.dirs, plural(v.dirs, "directory", "directories")))
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", errs, plural(errs, "error", "errors")))
	}
	if warns > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", warns, plural(warns, "warning", "warnings")))
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// validateFiles checks every file: a configuration as one, a directory
// file as one, a runbook by loading it and holding its pointers to its
// directory, adding an error for a runbook id that an earlier file already
// uses, and the doctrine checks' warnings when doctrine is true. named is
// the directory --directory names, or "".
func validateFiles(ctx context.Context, files []toValidate, named string, doctrine bool, e env) (*validated, error) {
	type seen struct {
		file string
		pos  runbooks.Pos
	}
	v := &validated{diags: map[string][]runbooks.Diagnostic{}, about: map[string]string{}}
	dirs := &directories{v: v, named: named, opened: map[string]*openedDirectory{}}
	ids := map[string]seen{}
	for _, tf := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted")
		}
		f := tf.path
		switch {
		case tf.directory:
			dirs.open(f)
			continue
		case tf.configuration:
			diags, about := checkConfiguration(tf)
			v.add(f, diags...)
			v.about[f] = about
			v.configs++
			if !slices.ContainsFunc(diags, isError) {
				v.configsValid++
			}
			continue
		}
		v.runbooks++
		dir := dirs.forFolder(tf.folder) // told of before the runbooks that point into it
		v.add(f, misnamedRunbook(tf)...)
		rb, err := runbooks.Load(f)
		var list runbooks.ErrorList
		switch {
		case errors.As(err, &list):
			v.add(f, list...)
			continue
		case err != nil:
			v.add(f, runbooks.Diagnostic{File: f, Line: 1, Column: 1, Severity: runbooks.SeverityError, Message: describeFileError(err)})
			continue
		}
		v.add(f, rb.Warnings(e.now())...)
		if doctrine {
			v.add(f, runbooks.Doctrine(rb)...)
		}
		fit := engine.TextFit(rb)
		v.add(f, fit...)
		if slices.ContainsFunc(fit, isError) {
			continue
		}
		pointers := directoryProblems(rb, dir, e.now())
		if dir != nil && dir.configuration && len(pointers) > 0 {
			for _, d := range dir.diags {
				v.add(d.File, d)
			}
		}
		v.add(f, pointers...)
		idPos := rb.IDPos()
		if first, dup := ids[string(rb.ID)]; dup {
			v.add(f, runbooks.Diagnostic{File: f, Line: idPos.Line, Column: idPos.Column, Severity: runbooks.SeverityError,
				Path: "id", Message: fmt.Sprintf("runbook id %q is already used by %s:%d:%d; runbook ids must be unique", rb.ID, first.file, first.pos.Line, first.pos.Column)})
			continue
		}
		ids[string(rb.ID)] = seen{f, idPos}
		if !slices.ContainsFunc(pointers, isError) {
			v.runbooksValid++
		}
	}
	for f, ds := range v.diags {
		if !dirs.lists[f] { // a list's problems are in row order already
			runbooks.SortDiagnostics(ds)
		}
	}
	return v, nil
}

// directories are the directory files crier validate has read, each
// read and reported once.
type directories struct {
	v      *validated
	named  string
	opened map[string]*openedDirectory // by file
	found  map[string]*openedDirectory // by folder; nil for none
	lists  map[string]bool             // the list files reported
}

// open reads and reports the directory file at path, once.
func (d *directories) open(path string) *openedDirectory {
	path = filepath.Clean(path)
	if o, ok := d.opened[path]; ok {
		return o
	}
	o := openDirectory(path)
	d.opened[path] = o
	d.v.dirs++
	if o.valid() {
		d.v.dirsValid++
	}
	d.v.mention(path)
	d.v.about[path] = o.about()
	if d.lists == nil {
		d.lists = map[string]bool{}
	}
	for _, diag := range o.diags {
		if diag.Line == 0 {
			d.lists[diag.File] = true
		}
		d.v.add(diag.File, diag)
	}
	return o
}

// forFolder is the directory the runbooks in folder point into, or nil
// when there is none. A directory found is read and reported; a
// configuration that cannot name one is reported only to a runbook that
// needs it.
func (d *directories) forFolder(folder string) *openedDirectory {
	if d.found == nil {
		d.found = map[string]*openedDirectory{}
	}
	if o, ok := d.found[folder]; ok {
		return o
	}
	var o *openedDirectory
	switch path, err := FindDirectory(d.named, folder); {
	case err != nil:
		o = notFound(folder, err)
	case path != "":
		o = d.open(path)
	}
	d.found[folder] = o
	return o
}

func isError(d runbooks.Diagnostic) bool { return d.Severity == runbooks.SeverityError }

func describeFileError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read the file: %v", pe.Err)
	}
	return err.Error()
}
