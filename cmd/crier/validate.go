package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

func runValidate(ctx context.Context, args []string, e env) int {
	flags := newFlags("validate", "[--json] PATH...",
		"Check runbook files, or directories of *.yaml and *.yml files (searched recursively),\n"+
			"and report every problem as file:line:col: error: message.\n"+
			"Exit status: 0 when every runbook is valid (warnings allowed), 1 when any has an error,\n"+
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
	files, err := runbooks.Files(paths)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
		return exitUsage
	}
	diags, valid, err := validateFiles(ctx, files, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier validate: %v\n", err)
		return exitInterrupted
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
		for _, d := range diags {
			fmt.Fprintln(e.stdout, humanDiagnostic(d))
		}
		fmt.Fprintf(e.stderr, "%s\n", summary(len(files), valid, errorCount, len(diags)-errorCount))
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

func summary(files, valid, errs, warns int) string {
	s := fmt.Sprintf("%d of %d runbook %s valid", valid, files, plural(files, "file", "files"))
	if errs > 0 {
		s += fmt.Sprintf("; %d %s", errs, plural(errs, "error", "errors"))
	}
	if warns > 0 {
		s += fmt.Sprintf("; %d %s", warns, plural(warns, "warning", "warnings"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// validateFiles loads every file, adding an error for a runbook id that an
// earlier file already uses.
func validateFiles(ctx context.Context, files []string, e env) (diags []runbooks.Diagnostic, valid int, err error) {
	type seen struct {
		file string
		pos  runbooks.Pos
	}
	ids := map[string]seen{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, 0, fmt.Errorf("interrupted")
		}
		rb, err := runbooks.Load(f)
		var list runbooks.ErrorList
		switch {
		case errors.As(err, &list):
			diags = append(diags, list...)
			continue
		case err != nil:
			diags = append(diags, runbooks.Diagnostic{File: f, Line: 1, Column: 1, Severity: runbooks.SeverityError, Message: describeFileError(err)})
			continue
		}
		diags = append(diags, rb.Warnings(e.now())...)
		fit := engine.TextFit(rb)
		diags = append(diags, fit...)
		if slices.ContainsFunc(fit, func(d runbooks.Diagnostic) bool { return d.Severity == runbooks.SeverityError }) {
			continue
		}
		idPos := rb.IDPos()
		if first, dup := ids[string(rb.ID)]; dup {
			diags = append(diags, runbooks.Diagnostic{File: f, Line: idPos.Line, Column: idPos.Column, Severity: runbooks.SeverityError,
				Path: "id", Message: fmt.Sprintf("runbook id %q is already used by %s:%d:%d; runbook ids must be unique", rb.ID, first.file, first.pos.Line, first.pos.Column)})
			continue
		}
		ids[string(rb.ID)] = seen{f, idPos}
		valid++
	}
	runbooks.SortDiagnostics(diags)
	return diags, valid, nil
}

func describeFileError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read the file: %v", pe.Err)
	}
	return err.Error()
}
