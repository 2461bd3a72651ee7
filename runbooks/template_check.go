package runbooks

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// templateCheck parses and checks every template in one runbook.
type templateCheck struct {
	diags  *diagnostics
	loc    *time.Location
	params []string
	sample TemplateValues
	// work is the bound on the trial renders' steps so far: loading a
	// runbook, which activation does inside the engine's write path, stays
	// bounded however many templates it has.
	work int
}

func newTemplateCheck(rb *Runbook, diags *diagnostics) *templateCheck {
	c := &templateCheck{diags: diags, loc: rb.location}
	sample := TemplateValues{
		Params: map[string]string{},
		Activation: ActivationInfo{ID: "a-example", Runbook: string(rb.ID), Mode: "live",
			Event: "event", Severity: "high", StartedAt: time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		Step:       StepInfo{ID: "step", Title: "Step"},
		Occurrence: 1,
		Now:        time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC),
	}
	for _, p := range rb.Params {
		c.params = append(c.params, p.Name)
		sample.Params[p.Name] = cmp.Or(p.Default, "example")
	}
	c.sample = sample
	return c
}

var templateLineRE = regexp.MustCompile(`^template: tmpl:(\d+)(?::(\d+))?: (.*)$`)

// check parses t, reports problems at their place in the file, and keeps
// the parsed template for rendering.
func (c *templateCheck) check(t *Template, path string) {
	if t.Text == "" {
		return
	}
	t.loc = c.loc
	budget := &textBudget{left: maxRender}
	tmpl, err := template.New("tmpl").Option("missingkey=error").Funcs(templateFuncs(c.loc, budget)).Parse(t.Text)
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
	if err := checkWork(tmpl.Root, len(c.params)); err != nil {
		c.diags.errorf(t.Pos, path, "%s", err)
		return
	}
	if c.work += work(tmpl.Root, len(c.params)); c.work > maxRunbookSteps {
		c.diags.errorf(t.Pos, path, "%s: with this one the runbook's templates could run more than %d steps, "+
			"the most one runbook's may; range over .Params in fewer of them", errTooMuchWork, maxRunbookSteps)
		return
	}
	// A trial run with every declared param set catches type mistakes such
	// as {{ date "15:04" .Params.venue }} before an incident does.
	if err := tmpl.Execute(&cappedBuffer{budget: budget}, c.sample); err != nil && !dataDependent(err) {
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
	return strings.Contains(msg, "error calling index") || strings.Contains(msg, "error calling slice")
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
		// .Params is the only collection templates see; ranging over anything
		// else (a number, nested ranges) only makes loops a runbook can abuse.
		if !rangesOverParams(n.Pipe, rootDot) {
			c.report(t, n, path, problems, "range is only supported over .Params")
			return
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

func rangesOverParams(p *parse.PipeNode, rootDot bool) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch arg := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return rootDot && len(arg.Ident) == 1 && arg.Ident[0] == "Params"
	case *parse.VariableNode:
		return len(arg.Ident) == 2 && arg.Ident[0] == "$" && arg.Ident[1] == "Params"
	}
	return false
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
// TemplateValues' own type, so the check knows every field templates may use.
func (c *templateCheck) checkFields(t *Template, n parse.Node, idents []string, written, path string, problems *int) {
	typ := reflect.TypeFor[TemplateValues]()
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
