package server

import (
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffLine is one line of a comparison: kept, added or removed.
type diffLine struct {
	Kind string // "same", "added" or "removed"
	Text string
}

// lineDiff compares two texts line by line, as a comms officer reads an
// edit against what the template drafted.
func lineDiff(from, to string) []diffLine {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(from, to)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var out []diffLine
	for _, d := range diffs {
		kind := map[diffmatchpatch.Operation]string{diffmatchpatch.DiffEqual: "same", diffmatchpatch.DiffInsert: "added", diffmatchpatch.DiffDelete: "removed"}[d.Type]
		for _, line := range strings.SplitAfter(d.Text, "\n") {
			if line != "" {
				out = append(out, diffLine{Kind: kind, Text: strings.TrimSuffix(line, "\n")})
			}
		}
	}
	return out
}
