package runbooks

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest runbook file crier reads: far more than any
// real runbook needs, small enough that hostile input stays cheap.
const MaxFileSize = 1 << 20

// Load reads and parses the runbook file at path.
func Load(path string) (*Runbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes and validates one runbook. name is used in messages. On any
// error it returns an ErrorList with every error in the file, sorted by
// position.
func Parse(name string, data []byte) (*Runbook, error) {
	ds := &diagnostics{file: name}
	rb := parseRunbook(ds, data)
	errs, warns := ds.split()
	if len(errs) > 0 {
		return nil, errs
	}
	rb.warnings = warns
	return rb, nil
}

func parseRunbook(ds *diagnostics, data []byte) *Runbook {
	start := Pos{Line: 1, Column: 1}
	switch {
	case len(data) > MaxFileSize:
		ds.errorf(start, "", "file is larger than 1 MiB; a runbook must be smaller (split it into several runbooks)")
		return nil
	case !utf8.Valid(data):
		ds.errorf(start, "", "file is not UTF-8 text")
		return nil
	case len(bytes.TrimSpace(data)) == 0:
		ds.errorf(start, "", "file is empty; expected a runbook starting with version: 1")
		return nil
	}
	root, ok := parseYAML(ds, data)
	if !ok {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		ds.errorf(posOf(root), "", "expected a runbook (a mapping with version, id, title, stakeholders, channels and steps), got %s", describe(root))
		return nil
	}
	if !checkVersion(ds, root) {
		return nil
	}
	if !checkAliases(ds, root) {
		return nil
	}
	d := &decoder{diags: ds, lines: bytes.Split(data, []byte("\n"))}
	rb := &Runbook{file: ds.file}
	d.decodeStruct(root, reflect.ValueOf(rb).Elem(), "")
	validate(rb, ds)
	return rb
}

// parseYAML reads exactly one YAML document.
func parseYAML(ds *diagnostics, data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ds.errorf(Pos{1, 1}, "", "file has no YAML content; expected a runbook starting with version: 1")
		} else {
			ds.errorf(yamlErrorPos(err, data), "", "%s", yamlErrorMessage(err, data))
		}
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		ds.errorf(posOf(&next), "", "file holds more than one YAML document; put each runbook in its own file")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		ds.errorf(yamlErrorPos(err, data), "", "%s", yamlErrorMessage(err, data))
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		ds.errorf(Pos{1, 1}, "", "file has no YAML content; expected a runbook starting with version: 1")
		return nil, false
	}
	return doc.Content[0], true
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlErrorPos finds where go-yaml's syntax error is. It names only a
// line, and for a tab in the indentation the line before the tab; point at
// the tab itself when there is one.
func yamlErrorPos(err error, data []byte) Pos {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return Pos{1, 1}
	}
	line, _ := strconv.Atoi(m[1])
	if tabLine, col, ok := indentTab(data, line); ok {
		return Pos{Line: tabLine, Column: col}
	}
	return Pos{Line: line, Column: 1}
}

// indentTab finds a tab in the indentation of the 1-based line or the next.
func indentTab(data []byte, line int) (tabLine, col int, ok bool) {
	lines := bytes.Split(data, []byte("\n"))
	for l := line; l <= line+1 && l <= len(lines); l++ {
		if l < 1 {
			continue
		}
		text := lines[l-1]
		if i := bytes.IndexByte(text, '\t'); i >= 0 && len(bytes.Trim(text[:i], " ")) == 0 {
			return l, i + 1, true
		}
	}
	return 0, 0, false
}

func yamlErrorMessage(err error, data []byte) string {
	msg := strings.TrimPrefix(yamlLineRE.ReplaceAllString(err.Error(), ""), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		if line, _ := strconv.Atoi(m[1]); line > 0 {
			if _, _, ok := indentTab(data, line); ok {
				msg += "; the line is indented with a tab character, and YAML indentation must use spaces"
			}
		}
	}
	return "YAML syntax error: " + msg
}

// checkVersion refuses anything but version 1 before decoding the rest:
// another version's fields would only bury the one error that matters.
func checkVersion(ds *diagnostics, root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "version" {
			continue
		}
		v := resolveAlias(root.Content[i+1])
		if v == nil || v.Kind != yaml.ScalarNode || v.Value != "1" {
			got := "nothing"
			if v != nil {
				got = describe(v)
			}
			ds.errorf(posOf(root.Content[i+1]), "version", "unsupported version %s; this crier reads runbook format version 1 (write version: 1)", got)
			return false
		}
		return true
	}
	return true // the decoder reports it missing
}

// checkAliases refuses a tree that YAML aliases expand far beyond its
// written size (a "billion laughs" alias bomb) or that refers to itself,
// before anything walks the expansion. Sizes are memoised per node, so the
// check costs one pass over the written tree.
func checkAliases(ds *diagnostics, root *yaml.Node) bool {
	written := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		written++
		stack = append(stack, n.Content...)
	}
	limit := 2*written + 100_000
	const inProgress = -1
	sizes := map[*yaml.Node]int{}
	ok := true
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		target := n
		if n.Kind == yaml.AliasNode {
			target = n.Alias
		}
		if target == nil {
			return 1
		}
		switch s, seen := sizes[target]; {
		case seen && s == inProgress:
			if ok {
				ds.errorf(posOf(n), "", "YAML alias *%s refers to a value that contains it; write the value out instead", n.Value)
			}
			ok = false
			return limit + 1
		case seen:
			return s
		}
		sizes[target] = inProgress
		total := 1
		for _, c := range target.Content {
			total = min(total+size(c), limit+1)
		}
		if total > limit && ok {
			ok = false
			ds.errorf(posOf(target), "", "YAML aliases here expand to more than %d values (an alias bomb?); write the values out instead", limit)
		}
		sizes[target] = total
		return total
	}
	size(root)
	return ok
}
