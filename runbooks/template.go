package runbooks

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
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

	// Where the text's own lines and columns sit in the file.
	block  bool // a | or > block: text line L is file line Pos.Line+L
	indent int  // the block's indentation
	quoted bool
	tmpl   *template.Template
}

// TemplateData is what templates see when a message is rendered.
type TemplateData struct {
	Params     map[string]string
	Activation ActivationData
	Step       StepData
	// Occurrence counts a recurring step's firings from 1.
	Occurrence int
	Now        time.Time
}

// ActivationData describes the activation a message belongs to.
type ActivationData struct {
	ID        string
	Runbook   string
	Mode      string // live or exercise
	Event     string
	Severity  string
	StartedAt time.Time
}

// StepData describes the step a message comes from.
type StepData struct {
	ID    string
	Title string
}

// maxRender bounds a rendered message; a runbook cannot make the engine
// build an unbounded string.
const maxRender = 1 << 20

var errTooLong = errors.New("rendered text is longer than 1 MiB")

// Render executes the template. A missing value is an error, never the text
// "<no value>".
func (t *Template) Render(data TemplateData) (string, error) {
	if t.tmpl == nil {
		return t.Text, nil
	}
	var buf cappedBuffer
	if err := t.tmpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("rendering template at line %d: %s", t.Pos.Line, cleanTemplateError(err))
	}
	return buf.String(), nil
}

type cappedBuffer struct{ bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxRender {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

func (t *Template) decodeNode(d *decoder, n *yaml.Node, path string) {
	v, ok := d.scalar(n, path, "text")
	if !ok {
		return
	}
	*t = Template{Text: v, Pos: posOf(n)}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		t.block = true
		t.indent = d.indentAfter(n.Line)
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		t.quoted = true
	}
}

// posIn maps a 1-based line and column inside the template text to the file.
func (t *Template) posIn(line, col int) Pos {
	switch {
	case t.block:
		return Pos{Line: t.Pos.Line + line, Column: t.indent + col}
	case line == 1:
		c := t.Pos.Column + col - 1
		if t.quoted {
			c++
		}
		return Pos{Line: t.Pos.Line, Column: c}
	}
	return Pos{Line: t.Pos.Line + line - 1, Column: col}
}

// posAt maps a byte offset in the template text to the file.
func (t *Template) posAt(offset int) Pos {
	offset = min(max(offset, 0), len(t.Text))
	before := t.Text[:offset]
	line := strings.Count(before, "\n") + 1
	col := offset - strings.LastIndexByte(before, '\n')
	return t.posIn(line, col)
}

func templateFuncs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		// default DEFAULT VALUE gives DEFAULT when VALUE is empty.
		"default": func(def string, v any) string {
			if v == nil || fmt.Sprint(v) == "" {
				return def
			}
			return fmt.Sprint(v)
		},
		// date LAYOUT TIME formats in the runbook's time zone.
		"date": func(layout string, t time.Time) string { return t.In(loc).Format(layout) },
		// join SEP VALUES... joins the non-empty values; a list counts as its items.
		"join": func(sep string, values ...any) string {
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
			return strings.Join(parts, sep)
		},
	}
}

// templateCheck parses and checks every template in one runbook.
type templateCheck struct {
	diags  *diagnostics
	funcs  template.FuncMap
	params []string
	sample TemplateData
}

func newTemplateCheck(rb *Runbook, diags *diagnostics) *templateCheck {
	c := &templateCheck{diags: diags, funcs: templateFuncs(rb.location)}
	sample := TemplateData{
		Params: map[string]string{},
		Activation: ActivationData{ID: "a-example", Runbook: string(rb.ID), Mode: "live",
			Event: "event", Severity: "high", StartedAt: time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		Step:       StepData{ID: "step", Title: "Step"},
		Occurrence: 1,
		Now:        time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC),
	}
	for _, p := range rb.Params {
		c.params = append(c.params, p.Name)
		sample.Params[p.Name] = cmpOr(p.Default, "example")
	}
	c.sample = sample
	return c
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var templateLineRE = regexp.MustCompile(`^template: tmpl:(\d+)(?::(\d+))?: (.*)$`)

// check parses t, reports problems at their place in the file, and keeps
// the parsed template for rendering.
func (c *templateCheck) check(t *Template, path string) {
	if t.Text == "" {
		return
	}
	tmpl, err := template.New("tmpl").Option("missingkey=error").Funcs(c.funcs).Parse(t.Text)
	if err != nil {
		p, msg := t.locate(err)
		c.diags.errorf(p, path, "template: %s", msg)
		return
	}
	if len(tmpl.Templates()) > 1 {
		c.diags.errorf(t.Pos, path, "template: {{define}} and {{block}} are not supported in runbook templates")
		return
	}
	problems := 0
	c.walk(t, tmpl.Root, true, path, &problems)
	if problems > 0 {
		return
	}
	// A trial run with every declared param set catches type mistakes such
	// as {{ date "15:04" .Params.venue }} before an incident does.
	var buf cappedBuffer
	if err := tmpl.Execute(&buf, c.sample); err != nil && !dataDependent(err) {
		p, msg := t.locate(err)
		c.diags.errorf(p, path, "template: %s", msg)
		return
	}
	t.tmpl = tmpl
}

// dataDependent errors come from the sample values, not the template:
// {{ slice .Params.ref 0 8 }} fails on a short sample but not on real data.
func dataDependent(err error) bool {
	msg := err.Error()
	return errors.Is(err, errTooLong) || strings.Contains(msg, "error calling index") || strings.Contains(msg, "error calling slice")
}

// locate turns a text/template error into a file position and a message.
func (t *Template) locate(err error) (Pos, string) {
	msg := err.Error()
	m := templateLineRE.FindStringSubmatch(msg)
	if m == nil {
		return t.Pos, cleanTemplateError(err)
	}
	line, _ := strconv.Atoi(m[1])
	col := 1
	if m[2] != "" {
		col, _ = strconv.Atoi(m[2])
		col++ // text/template columns count from 0
	}
	return t.posIn(line, col), cleanTemplateError(err)
}

var execPrefixRE = regexp.MustCompile(`^template: tmpl:[0-9:]+: (executing "tmpl" at <([^>]*)>: )?`)

func cleanTemplateError(err error) string {
	msg := err.Error()
	if m := execPrefixRE.FindStringSubmatch(msg); m != nil {
		rest := msg[len(m[0]):]
		if m[2] != "" {
			return fmt.Sprintf("%s: %s", m[2], rest)
		}
		return rest
	}
	return strings.TrimPrefix(msg, "template: ")
}

func (c *templateCheck) walk(t *Template, n parse.Node, rootDot bool, path string, problems *int) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, child := range n.Nodes {
			c.walk(t, child, rootDot, path, problems)
		}
	case *parse.ActionNode:
		c.walk(t, n.Pipe, rootDot, path, problems)
	case *parse.IfNode:
		c.walkBranch(t, &n.BranchNode, rootDot, rootDot, path, problems)
	case *parse.WithNode:
		c.walkBranch(t, &n.BranchNode, false, rootDot, path, problems)
	case *parse.RangeNode:
		for _, cmd := range n.Pipe.Cmds {
			for _, arg := range cmd.Args {
				if _, ok := arg.(*parse.NumberNode); ok {
					c.report(t, arg, path, problems, "range over a number is not supported in runbook templates")
				}
			}
		}
		c.walkBranch(t, &n.BranchNode, false, rootDot, path, problems)
	case *parse.TemplateNode:
		c.report(t, n, path, problems, "{{template}} is not supported in runbook templates")
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			c.checkIndex(t, cmd, rootDot, path, problems)
			for _, arg := range cmd.Args {
				c.walk(t, arg, rootDot, path, problems)
			}
		}
	case *parse.ChainNode:
		c.walk(t, n.Node, rootDot, path, problems)
	case *parse.FieldNode:
		if rootDot {
			c.checkFields(t, n, n.Ident, "."+strings.Join(n.Ident, "."), path, problems)
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" && len(n.Ident) > 1 {
			c.checkFields(t, n, n.Ident[1:], strings.Join(n.Ident, "."), path, problems)
		}
	}
}

// checkIndex holds {{ index .Params "name" }} to the same rule as
// .Params.name: index on a map gives "" for a missing key instead of failing.
func (c *templateCheck) checkIndex(t *Template, cmd *parse.CommandNode, rootDot bool, path string, problems *int) {
	if len(cmd.Args) < 2 {
		return
	}
	if fn, ok := cmd.Args[0].(*parse.IdentifierNode); !ok || fn.Ident != "index" {
		return
	}
	var idents []string
	switch target := cmd.Args[1].(type) {
	case *parse.FieldNode:
		if rootDot {
			idents = target.Ident
		}
	case *parse.VariableNode:
		if target.Ident[0] == "$" {
			idents = target.Ident[1:]
		}
	}
	if len(idents) != 1 || idents[0] != "Params" {
		return
	}
	if len(cmd.Args) != 3 {
		c.report(t, cmd, path, problems, "index .Params needs exactly one param name")
		return
	}
	name, ok := cmd.Args[2].(*parse.StringNode)
	if !ok {
		c.report(t, cmd.Args[2], path, problems, "index .Params needs a quoted param name, so that it can be checked; or write .Params.name")
		return
	}
	c.checkFields(t, name, []string{"Params", name.Text}, fmt.Sprintf("index .Params %s", name.Quoted), path, problems)
}

func (c *templateCheck) walkBranch(t *Template, b *parse.BranchNode, bodyRoot, elseRoot bool, path string, problems *int) {
	c.walk(t, b.Pipe, elseRoot, path, problems)
	c.walk(t, b.List, bodyRoot, path, problems)
	c.walk(t, b.ElseList, elseRoot, path, problems)
}

func (c *templateCheck) report(t *Template, n parse.Node, path string, problems *int, format string, args ...any) {
	*problems++
	c.diags.errorf(t.posAt(int(n.Position())), path, "template: "+format, args...)
}

var timeType = reflect.TypeFor[time.Time]()

// checkFields follows a field chain such as .Params.venue through
// TemplateData's own type, so the check knows every field templates may use.
func (c *templateCheck) checkFields(t *Template, n parse.Node, idents []string, written, path string, problems *int) {
	typ := reflect.TypeFor[TemplateData]()
	for i, id := range idents {
		switch {
		case typ == timeType:
			return // time methods such as .Year are fine
		case typ.Kind() == reflect.Map:
			if !slices.Contains(c.params, id) {
				msg := fmt.Sprintf("%s refers to param %q, which the runbook does not declare", written, id)
				if len(c.params) == 0 {
					msg += "; add it under params"
				} else {
					msg += "; declared params: " + strings.Join(c.params, ", ") + suggest(id, c.params)
				}
				c.report(t, n, path, problems, "%s", msg)
			}
			return
		case typ.Kind() == reflect.Struct:
			f, ok := typ.FieldByName(id)
			if !ok {
				var names []string
				for j := range typ.NumField() {
					names = append(names, "."+strings.Join(append(slices.Clone(idents[:i]), typ.Field(j).Name), "."))
				}
				c.report(t, n, path, problems, "%s is not something templates can use; expected one of %s%s",
					written, strings.Join(names, ", "), suggest("."+strings.Join(idents[:i+1], "."), names))
				return
			}
			typ = f.Type
		default:
			c.report(t, n, path, problems, "%s: %s has no field %q", written, "."+strings.Join(idents[:i], "."), id)
			return
		}
	}
}
