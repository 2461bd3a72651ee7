package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

func runValidate(ctx context.Context, args []string, e env) int {
	flags := newFlags("validate", "[--json] PATH...",
		"Check runbook files, or directories of *.yaml and *.yml files (searched recursively),\n"+
			"and report every problem as file:line:col: error: message.\n"+
			"A configuration (crier.yaml: notifiers, server, users and the like, and no steps) is\n"+
			"checked as one, apart from the environment: its ${ENV} references are not resolved.\n"+
			"Exit status: 0 when every file is valid (warnings allowed), 1 when any has an error,\n"+
			"2 when the command line is wrong or a path does not exist.")
	jsonOut := flags.Bool("json", false, "print one JSON array of {file, line, column, severity, message}")
	paths, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		fmt.Fprintln(e.stderr, "crier validate: name at least one runbook file or directory")
		return exitUsage
	}
	files, err := filesToValidate(paths)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
		return exitUsage
	}
	found, err := validateFiles(ctx, files, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
		return exitInterrupted
	}
	var diags []runbooks.Diagnostic
	for _, f := range files {
		diags = append(diags, found.diags[f.path]...)
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
		for _, f := range files {
			if about, ok := found.about[f.path]; ok {
				fmt.Fprintln(e.stdout, about)
			}
			for _, d := range found.diags[f.path] {
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
// file:line:col: error: path: message.
func humanDiagnostic(d runbooks.Diagnostic) string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Column, d.Severity, d.WithPathInMessage().Message)
}

// validated is what checking files found: each file's diagnostics, what
// each configuration is, and how many of each kind are valid.
type validated struct {
	diags                   map[string][]runbooks.Diagnostic
	about                   map[string]string // by configuration file
	runbooks, runbooksValid int
	configs, configsValid   int
}

// summary is the last line: "6 of 6 runbook files valid; 1 configuration
// valid; 2 warnings".
func (v *validated) summary(errs, warns int) string {
	var parts []string
	if v.runbooks > 0 || v.configs == 0 {
		parts = append(parts, fmt.Sprintf("%d of %d runbook %s valid", v.runbooksValid, v.runbooks, plural(v.runbooks, "file", "files")))
	}
	switch {
	case v.configs == 0:
	case v.configsValid == v.configs:
		parts = append(parts, fmt.Sprintf("%d %s valid", v.configs, plural(v.configs, "configuration", "configurations")))
	default:
		parts = append(parts, fmt.Sprintf("%d of %d %s valid", v.configsValid, v.configs, plural(v.configs, "configuration", "configurations")))
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

// validateFiles checks every file: a configuration as one, a runbook by
// loading it, adding an error for a runbook id that an earlier file
// already uses.
func validateFiles(ctx context.Context, files []toValidate, e env) (*validated, error) {
	type seen struct {
		file string
		pos  runbooks.Pos
	}
	v := &validated{diags: map[string][]runbooks.Diagnostic{}, about: map[string]string{}}
	add := func(file string, ds ...runbooks.Diagnostic) { v.diags[file] = append(v.diags[file], ds...) }
	ids := map[string]seen{}
	for _, tf := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted")
		}
		f := tf.path
		if tf.configuration {
			diags, about := checkConfiguration(tf)
			add(f, diags...)
			v.about[f] = about
			v.configs++
			if !slices.ContainsFunc(diags, isError) {
				v.configsValid++
			}
			continue
		}
		v.runbooks++
		add(f, misnamedRunbook(tf)...)
		rb, err := runbooks.Load(f)
		var list runbooks.ErrorList
		switch {
		case errors.As(err, &list):
			add(f, list...)
			continue
		case err != nil:
			add(f, runbooks.Diagnostic{File: f, Line: 1, Column: 1, Severity: runbooks.SeverityError, Message: describeFileError(err)})
			continue
		}
		add(f, rb.Warnings(e.now())...)
		fit := engine.TextFit(rb)
		add(f, fit...)
		if slices.ContainsFunc(fit, isError) {
			continue
		}
		idPos := rb.IDPos()
		if first, dup := ids[string(rb.ID)]; dup {
			add(f, runbooks.Diagnostic{File: f, Line: idPos.Line, Column: idPos.Column, Severity: runbooks.SeverityError,
				Path: "id", Message: fmt.Sprintf("runbook id %q is already used by %s:%d:%d; runbook ids must be unique", rb.ID, first.file, first.pos.Line, first.pos.Column)})
			continue
		}
		ids[string(rb.ID)] = seen{f, idPos}
		v.runbooksValid++
	}
	for _, ds := range v.diags {
		runbooks.SortDiagnostics(ds)
	}
	return v, nil
}

func isError(d runbooks.Diagnostic) bool { return d.Severity == runbooks.SeverityError }

func describeFileError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read the file: %v", pe.Err)
	}
	return err.Error()
}
