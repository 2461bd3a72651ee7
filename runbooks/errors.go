package runbooks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a diagnostic stops a runbook from loading.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Pos is a position in a runbook file; lines and columns count from 1.
type Pos struct {
	Line   int
	Column int
}

// Diagnostic is one located problem in a runbook file.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	// Path is where in the runbook the problem is, like steps[2].notify.to[0].
	Path    string `json:"-"`
	Message string `json:"message"`
	// Code names the kind of problem for the checks that have one, such as
	// the doctrine checks' doctrine/staff: stable, for tools to key on.
	Code string `json:"code,omitempty"`
}

// String formats the diagnostic as file:line:col: path: message.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.WithPathInMessage().Message)
}

// WithPathInMessage returns a copy whose Message starts with the path, as
// crier validate --json prints it.
func (d Diagnostic) WithPathInMessage() Diagnostic {
	if d.Path != "" {
		d.Message = d.Path + ": " + d.Message
		d.Path = ""
	}
	return d
}

// ErrorList is every problem found in a runbook file that has errors,
// sorted by position: at least one error, and any warnings.
type ErrorList []Diagnostic

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// diagnostics collects problems while a file is checked.
type diagnostics struct {
	file  string
	items []Diagnostic
}

func (ds *diagnostics) add(sev Severity, p Pos, path, format string, args ...any) {
	ds.items = append(ds.items, Diagnostic{
		File: ds.file, Line: p.Line, Column: p.Column, Severity: sev,
		Path: path, Message: fmt.Sprintf(format, args...),
	})
}

func (ds *diagnostics) errorf(p Pos, path, format string, args ...any) {
	ds.add(SeverityError, p, path, format, args...)
}

func (ds *diagnostics) warnf(p Pos, path, format string, args ...any) {
	ds.add(SeverityWarning, p, path, format, args...)
}

// split returns errors and warnings, each sorted by position, without duplicates.
func (ds *diagnostics) split() (errs ErrorList, warns []Diagnostic) {
	SortDiagnostics(ds.items)
	ds.items = slices.Compact(ds.items)
	for _, d := range ds.items {
		if d.Severity == SeverityError {
			errs = append(errs, d)
		} else {
			warns = append(warns, d)
		}
	}
	return errs, warns
}

// SortDiagnostics sorts diagnostics by file and position.
func SortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Suggest returns `; did you mean "x"?` when a candidate is a typing slip
// away from got, and "" otherwise: for messages about any file crier reads.
func Suggest(got string, candidates []string) string { return suggest(got, candidates) }

// suggest returns `; did you mean "x"?` when a candidate is close to got.
func suggest(got string, candidates []string) string {
	if c, ok := closest(got, candidates); ok {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

// closest finds the candidate a typing slip away from got: at most one edit
// for short words, two for longer ones, or a longer word starting with got.
func closest(got string, candidates []string) (string, bool) {
	got = strings.ToLower(got)
	limit := 1
	if len(got) >= 5 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		d := editDistance(got, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best, true
	}
	if len(got) >= 4 {
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), got) {
				return c, true
			}
		}
	}
	return "", false
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
