package server

import (
	"strings"

	"github.com/crierhq/crier/runbooks"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// reportDurations writes the report's offsets for people on its page:
// "+5h 15m" where the Markdown, which is the record's and keeps every
// second, says 5h15m44s. Only the columns and lines the report fills with
// offsets are touched, never text people typed.
type reportDurations struct{}

// offsetColumn reports whether a heading is that of one of the report's
// columns of offsets.
func offsetColumn(heading string) bool {
	switch heading {
	case "planned", "fired", "complete", "acknowledged after", "done after", "T+":
		return true
	}
	return false
}

func (reportDurations) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var tables []*east.Table
	var items []*ast.ListItem
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *east.Table:
			if entering {
				tables = append(tables, n)
			}
			return ast.WalkSkipChildren, nil
		case *ast.ListItem:
			if entering {
				items = append(items, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, t := range tables {
		humanColumns(t, source)
	}
	for _, li := range items {
		humanListItem(li, source)
	}
}

// humanColumns rewrites the cells under an offset column's heading.
func humanColumns(t *east.Table, source []byte) {
	var columns []bool
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		i := 0
		for cell := row.FirstChild(); cell != nil; cell, i = cell.NextSibling(), i+1 {
			if _, header := row.(*east.TableHeader); header {
				columns = append(columns, offsetColumn(inlineText(cell, source)))
				continue
			}
			if i >= len(columns) || !columns[i] {
				continue
			}
			if human, ok := humanOffset(inlineText(cell, source)); ok {
				cell.RemoveChildren(cell)
				cell.AppendChild(cell, ast.NewString([]byte(human)))
			}
		}
	}
}

// humanListItem rewrites the offset ending a line such as "approval took
// 1h2m3s" or "acknowledged by cohesion after 4m10s".
func humanListItem(li *ast.ListItem, source []byte) {
	block := li.FirstChild()
	if block == nil {
		return
	}
	first, ok := block.FirstChild().(*ast.Text)
	if !ok {
		return
	}
	if start := string(first.Value(source)); !strings.HasPrefix(start, "approval took ") && !strings.HasPrefix(start, "acknowledged by ") {
		return
	}
	last, ok := block.LastChild().(*ast.Text)
	if !ok {
		return
	}
	line := string(last.Value(source))
	i := strings.LastIndexByte(line, ' ')
	if i < 0 || !(strings.HasSuffix(line[:i], " after") || strings.HasSuffix(line[:i], "took")) {
		return
	}
	if human, ok := humanOffset(line[i+1:]); ok {
		block.ReplaceChild(block, last, ast.NewString([]byte(line[:i+1]+human)))
	}
}

// humanOffset writes an offset in the runbook syntax for people, or says
// it is not one (a dash, say).
func humanOffset(s string) (string, bool) {
	d, err := runbooks.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	return runbooks.HumanDuration(d), true
}

// inlineText is the text of a node's inline content.
func inlineText(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		switch c := c.(type) {
		case *ast.Text:
			if entering {
				b.Write(c.Value(source))
			}
		case *ast.String:
			if entering {
				b.Write(c.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}
