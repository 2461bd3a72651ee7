package runbooks

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"go.yaml.in/yaml/v3"
)

// Template is a Go text/template written in a runbook: a subject, body,
// instructions or inject. It is parsed and checked when the runbook loads.
type Template struct {
	Text string
	Pos  Pos

	style  yaml.Style // how the text is written, to map its lines back to the file
	indent int        // a literal block's indentation
	exact  bool       // the text appears as written at Pos, one line long
	tmpl   *template.Template
	loc    *time.Location
}

// TemplateValues is what templates see when a message is rendered.
type TemplateValues struct {
	Params     map[string]string
	Activation ActivationInfo
	Step       StepInfo
	// Occurrence counts a recurring step's firings from 1.
	Occurrence int
	Now        time.Time
}

// ActivationInfo describes the activation a message belongs to.
type ActivationInfo struct {
	ID        string
	Runbook   string
	Mode      string // live or exercise
	Event     string
	Severity  string
	StartedAt time.Time
}

// StepInfo describes the step a message comes from.
type StepInfo struct {
	ID    string
	Title string
}

// maxRender bounds the text one rendering may build, in its output and in
// the values its functions return alike: {{ $s = printf "%s%s" $s $s }}
// doubles a string per action and would otherwise exhaust memory.
const maxRender = 1 << 20

var errTooLong = errors.New("the template makes more than 1 MiB of text")

// Render executes the template. A missing value is an error, never the text
// "<no value>". It is safe to call from many goroutines.
func (t *Template) Render(v TemplateValues) (string, error) {
	if t.tmpl == nil {
		if strings.Contains(t.Text, "{{") {
			// Never send a template as it is written: it was not checked.
			return "", fmt.Errorf("the template at line %d was never compiled", t.Pos.Line)
		}
		return t.Text, nil
	}
	out, err := t.execute(v)
	if err != nil {
		return "", fmt.Errorf("rendering the template at line %d: %s", t.Pos.Line, cleanTemplateError(err))
	}
	return out, nil
}

// Fixed is the template's text outside its actions ({{ ... }}): what
// every rendering holds, in this order, whatever the values, so what the
// message is at least. Text inside {{ if }}, {{ with }} and {{ range }}
// is left out, as it may not appear, or appear many times; as in a
// rendering, trim markers ({{- and -}}) take away the space beside them. A
// template that does not parse gives "".
func (t Template) Fixed() string {
	root, ok := t.root()
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, n := range root.Nodes {
		if text, ok := n.(*parse.TextNode); ok {
			b.Write(text.Text)
		}
	}
	return b.String()
}

// HasActions reports whether the template has actions: without any, every
// rendering is Fixed exactly. Comments are not actions. A template that
// does not parse has them, as far as anyone can tell.
func (t Template) HasActions() bool {
	root, ok := t.root()
	if !ok {
		return true
	}
	for _, n := range root.Nodes {
		if _, text := n.(*parse.TextNode); !text {
			return true
		}
	}
	return false
}

// root parses the text on its own, so that it works on a template that was
// never compiled, as the check does but without its functions.
func (t Template) root() (*parse.ListNode, bool) {
	tree := parse.New("tmpl")
	tree.Mode = parse.SkipFuncCheck
	if _, err := tree.Parse(t.Text, "", "", map[string]*parse.Tree{}); err != nil || tree.Root == nil {
		return nil, false
	}
	return tree.Root, true
}

// execute runs a copy of the template whose functions share one budget.
func (t *Template) execute(v TemplateValues) (string, error) {
	tmpl, err := t.tmpl.Clone()
	if err != nil {
		return "", err
	}
	// The check bounded the work with the runbook's params; the params an
	// activation brings are held to them, but this stays sound if not.
	if err := checkWork(tmpl.Root, len(v.Params)); err != nil {
		return "", err
	}
	budget := &textBudget{left: maxRender}
	tmpl.Funcs(templateFuncs(t.loc, budget))
	out := &cappedBuffer{budget: budget}
	if err := tmpl.Execute(out, v); err != nil {
		return "", err
	}
	return out.String(), nil
}

type textBudget struct{ left int }

func (b *textBudget) spend(s string) (string, error) {
	b.left -= len(s)
	if b.left < 0 {
		return "", errTooLong
	}
	return s, nil
}

type cappedBuffer struct {
	bytes.Buffer
	budget *textBudget
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if _, err := b.budget.spend(string(p)); err != nil {
		return 0, err
	}
	return b.Buffer.Write(p)
}

// templateFuncs are the format's functions, plus text/template's own
// text-building builtins, all drawing on one budget.
func templateFuncs(loc *time.Location, b *textBudget) template.FuncMap {
	return template.FuncMap{
		"upper": func(s string) (string, error) { return b.spend(strings.ToUpper(s)) },
		"lower": func(s string) (string, error) { return b.spend(strings.ToLower(s)) },
		// default DEFAULT VALUE gives DEFAULT when VALUE is empty.
		"default": func(def string, v any) (string, error) {
			if s := fmt.Sprint(v); v != nil && s != "" {
				return b.spend(s)
			}
			return b.spend(def)
		},
		// date LAYOUT TIME formats in the runbook's time zone.
		"date": func(layout string, t time.Time) (string, error) { return b.spend(t.In(loc).Format(layout)) },
		// join SEP VALUES... joins the non-empty values; a list counts as its items.
		"join": func(sep string, values ...any) (string, error) {
			var parts []string
			for _, v := range values {
				items, ok := v.([]string)
				if !ok {
					items = []string{fmt.Sprint(v)}
				}
				for _, item := range items {
					if item != "" {
						parts = append(parts, item)
					}
				}
			}
			return b.spend(strings.Join(parts, sep))
		},
		"print":    func(args ...any) (string, error) { return b.spend(fmt.Sprint(args...)) },
		"printf":   func(format string, args ...any) (string, error) { return b.spend(fmt.Sprintf(format, args...)) },
		"println":  func(args ...any) (string, error) { return b.spend(fmt.Sprintln(args...)) },
		"html":     func(args ...any) (string, error) { return b.spend(template.HTMLEscaper(args...)) },
		"js":       func(args ...any) (string, error) { return b.spend(template.JSEscaper(args...)) },
		"urlquery": func(args ...any) (string, error) { return b.spend(template.URLQueryEscaper(args...)) },
	}
}

func (t *Template) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle != 0 {
		d.errorf(n, path, "expected text, got a mapping; a template that starts with {{ must be quoted, like '{{ .Params.venue }}'")
		return
	}
	v, ok := d.scalar(n, path, "text")
	if !ok {
		return
	}
	if strings.TrimSpace(v) == "" {
		d.errorf(n, path, "the text is empty")
		return
	}
	*t = Template{Text: v, Pos: posOf(n), style: n.Style}
	switch n.Style {
	case yaml.LiteralStyle:
		t.indent = d.blockIndent(n.Line)
	case yaml.FoldedStyle:
	default:
		// Only a scalar that sits on its line as written, with no escapes
		// or folding, maps column for column.
		line := d.line(n.Line)
		start := n.Column - 1
		if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
			start++
		}
		t.exact = start <= len(line) && bytes.HasPrefix(line[start:], []byte(v))
	}
}

// posIn maps a 1-based line and column inside the template text to the
// file. Only literal blocks and plain single lines keep the text as it is
// written; for folded, escaped and multi-line text the start is the best
// guess.
func (t *Template) posIn(line, col int) Pos {
	switch {
	case t.style == yaml.LiteralStyle:
		return Pos{Line: t.Pos.Line + line, Column: t.indent + col}
	case t.exact:
		c := t.Pos.Column + col - 1
		if t.style == yaml.DoubleQuotedStyle || t.style == yaml.SingleQuotedStyle {
			c++
		}
		return Pos{Line: t.Pos.Line, Column: c}
	}
	return t.Pos
}

// posAt maps a byte offset in the template text to the file.
func (t *Template) posAt(offset int) Pos {
	offset = min(max(offset, 0), len(t.Text))
	before := t.Text[:offset]
	line := strings.Count(before, "\n") + 1
	col := offset - strings.LastIndexByte(before, '\n')
	return t.posIn(line, col)
}
