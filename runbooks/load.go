package runbooks

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
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
// error it returns an ErrorList with every problem in the file, warnings
// included, sorted by position.
func Parse(name string, data []byte) (*Runbook, error) {
	ds := &diagnostics{file: name}
	rb := parseRunbook(ds, data)
	errs, warns := ds.split()
	if len(errs) > 0 {
		all := append(errs, warns...)
		SortDiagnostics(all)
		return nil, all
	}
	rb.warnings = warns
	return rb, nil
}

func parseRunbook(ds *diagnostics, data []byte) *Runbook {
	root, ok := readMapping(ds, data, "runbook", "a mapping with version, id, title, stakeholders, channels and steps",
		" (split it into several runbooks)")
	if !ok || !checkVersion(ds, root) || !checkAliases(ds, root) {
		return nil
	}
	d := &decoder{diags: ds, lines: bytes.Split(data, []byte("\n"))}
	rb := &Runbook{file: ds.file}
	d.decodeStruct(root, reflect.ValueOf(rb).Elem(), "")
	addPointedAt(rb, d.pointers)
	validate(rb, ds)
	return rb
}

// readMapping reads a file that must be one YAML mapping: a what (a
// runbook, a configuration) whose shape the message names when it is
// something else. Size, encoding, emptiness and syntax are checked first;
// tooBig adds advice to the message for a file over MaxFileSize.
func readMapping(ds *diagnostics, data []byte, what, shape, tooBig string) (*yaml.Node, bool) {
	start := Pos{Line: 1, Column: 1}
	switch {
	case len(data) > MaxFileSize:
		ds.errorf(start, "", "file is larger than 1 MiB; a %s must be smaller%s", what, tooBig)
		return nil, false
	case !utf8.Valid(data):
		ds.errorf(start, "", "file is not UTF-8 text")
		return nil, false
	case len(bytes.TrimSpace(data)) == 0:
		ds.errorf(start, "", "file is empty; expected a %s starting with version: 1", what)
		return nil, false
	}
	root, ok := parseYAML(ds, data, what)
	if !ok {
		return nil, false
	}
	if root.Kind != yaml.MappingNode {
		ds.errorf(posOf(root), "", "expected a %s (%s), got %s", what, shape, describe(root))
		return nil, false
	}
	return root, true
}

// parseYAML reads exactly one YAML document. what names the file's
// contents in messages: a runbook, a configuration.
func parseYAML(ds *diagnostics, data []byte, what string) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ds.errorf(Pos{1, 1}, "", "file has no YAML content; expected a %s starting with version: 1", what)
		} else {
			p, msg := yamlSyntaxError(err, data)
			ds.errorf(p, "", "%s", msg)
		}
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		ds.errorf(posOf(&next), "", "file holds more than one YAML document; put each %s in its own file", what)
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		p, msg := yamlSyntaxError(err, data)
		ds.errorf(p, "", "%s", msg)
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		ds.errorf(Pos{1, 1}, "", "file has no YAML content; expected a %s starting with version: 1", what)
		return nil, false
	}
	return doc.Content[0], true
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// go-yaml reports a parser (not scanner) error at the 0-based line of the
// construct it was reading; these are the parser's problems.
var yamlParserProblems = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found incompatible YAML document", "found duplicate %YAML directive",
	"found duplicate %TAG directive", "found undefined tag handle",
}

// yamlSyntaxError turns go-yaml's error into a located message. go-yaml
// names only a line, the start of the construct it was reading; point at
// the likeliest culprit after it when there is one: a tab in the
// indentation or a quote that never closes.
func yamlSyntaxError(err error, data []byte) (Pos, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return Pos{1, 1}, "YAML syntax error: " + msg
	}
	msg = strings.TrimPrefix(err.Error(), m[0])
	line, _ := strconv.Atoi(m[1])
	if slices.Contains(yamlParserProblems, msg) {
		line++
	}
	lines := bytes.Split(data, []byte("\n"))
	if l, ok := firstFailingLine(lines, line); ok {
		line = l
	}
	// An error at the end of the file belongs to the last line written.
	for line > 1 && (line > len(lines) || len(bytes.TrimSpace(lines[line-1])) == 0) {
		line--
	}
	if l, col, ok := indentTab(lines, line); ok {
		return Pos{l, col}, "YAML syntax error: " + msg + "; the line is indented with a tab character, and YAML indentation must use spaces"
	}
	switch msg {
	case "did not find expected ',' or ']'":
		msg += "; is the closing ] of a [ list missing?"
	case "did not find expected ',' or '}'":
		msg += "; is the closing } of a { mapping missing?"
	}
	if l, col, ok := unclosedQuote(lines, line); ok {
		return Pos{l, col}, "YAML syntax error: " + msg + "; this quote is never closed"
	}
	return Pos{Line: max(line, 1), Column: 1}, "YAML syntax error: " + msg
}

// bisectLimit bounds the file size for which firstFailingLine re-parses.
const bisectLimit = 256 << 10

// firstFailingLine finds the line that breaks the YAML: the first line,
// from the 1-based line go-yaml named on, whose inclusion makes the file
// stop parsing. go-yaml names the start of the construct it was reading,
// which can be far above the mistake. A bisection over prefixes of the
// file takes a handful of parses.
func firstFailingLine(lines [][]byte, from int) (int, bool) {
	total := 0
	for _, l := range lines {
		total += len(l) + 1
	}
	if total > bisectLimit || from < 1 || from > len(lines) {
		return 0, false
	}
	parses := func(n int) bool {
		var node yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:n], []byte("\n")), &node) == nil
	}
	if !parses(from - 1) {
		return 0, false
	}
	lo, hi := from, len(lines) // the prefix of hi lines fails
	for lo < hi {
		mid := (lo + hi) / 2
		if parses(mid) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return hi, true
}

// indentTab finds a tab in the indentation of the 1-based line or the next.
func indentTab(lines [][]byte, line int) (tabLine, col int, ok bool) {
	for l := max(line, 1); l <= line+1 && l <= len(lines); l++ {
		text := lines[l-1]
		if i := bytes.IndexByte(text, '\t'); i >= 0 && len(bytes.Trim(text[:i], " ")) == 0 {
			return l, i + 1, true
		}
	}
	return 0, 0, false
}

// quotedStart finds a scalar that starts with a quote: after "key: ", "- " or
// at the start of the line.
var quotedStart = regexp.MustCompile(`^\s*(?:-\s+)?(?:[^\s"'#][^:#]*:\s+)?(["'])`)

// unclosedQuote finds the first line, from the 1-based line on, whose
// quoted scalar does not close on that line.
func unclosedQuote(lines [][]byte, line int) (quoteLine, col int, ok bool) {
	for l := max(line, 1); l <= len(lines) && l < line+500; l++ {
		text := lines[l-1]
		m := quotedStart.FindSubmatchIndex(text)
		if m == nil {
			continue
		}
		q, rest := text[m[2]], text[m[3]:]
		closed := false
		for i := 0; i < len(rest); i++ {
			switch {
			case q == '"' && rest[i] == '\\':
				i++
			case rest[i] == q && q == '\'' && i+1 < len(rest) && rest[i+1] == '\'':
				i++
			case rest[i] == q:
				closed = true
			}
			if closed {
				break
			}
		}
		if !closed {
			return l, m[2] + 1, true
		}
	}
	return 0, 0, false
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
// before anything walks the expansion. It counts what the expansion holds
// two ways: values, for the work of walking it, and the bytes of its
// scalars, for the text it makes; a few aliases of a long string are few
// values but many bytes. Written out, a file's scalars hold fewer bytes
// than the file, so the bytes are held to the file's own limit. The sizes
// of anchored values are memoised, so the check costs one pass over the
// written tree, and none when no alias is written.
func checkAliases(ds *diagnostics, root *yaml.Node) bool {
	written, aliases := 0, false
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		written++
		aliases = aliases || n.Kind == yaml.AliasNode
		stack = append(stack, n.Content...)
	}
	if !aliases {
		return true // the tree is what is written
	}
	limit := expansion{values: 2*written + 100_000, bytes: MaxFileSize}
	over := func(e expansion) bool { return e.values > limit.values || e.bytes > limit.bytes }
	inProgress := expansion{values: -1}
	sizes := map[*yaml.Node]expansion{}
	ok := true
	var size func(n *yaml.Node) expansion
	size = func(n *yaml.Node) expansion {
		target := n
		if n.Kind == yaml.AliasNode {
			target = n.Alias
		}
		if target == nil {
			return expansion{values: 1}
		}
		// Only an anchored value can be an alias's: the others are walked
		// once each, so only those are remembered.
		memo := target.Anchor != ""
		switch s, seen := sizes[target]; {
		case seen && s == inProgress:
			if ok {
				ds.errorf(posOf(n), "", "YAML alias *%s refers to a value that contains it; write the value out instead", n.Value)
			}
			ok = false
			return expansion{values: limit.values + 1}
		case seen:
			return s
		}
		if memo {
			sizes[target] = inProgress
		}
		total := expansion{values: 1}
		if target.Kind == yaml.ScalarNode {
			total.bytes = len(target.Value)
		}
		for _, c := range target.Content {
			e := size(c)
			total = expansion{values: min(total.values+e.values, limit.values+1), bytes: min(total.bytes+e.bytes, limit.bytes+1)}
		}
		if over(total) && ok {
			ok = false
			if total.values > limit.values {
				ds.errorf(posOf(target), "", "YAML aliases here expand to more than %d values (an alias bomb?); write the values out instead", limit.values)
			} else {
				ds.errorf(posOf(target), "", "YAML aliases here expand to more than 1 MiB of text (an alias bomb?); write the values out instead")
			}
		}
		if memo {
			sizes[target] = total
		}
		return total
	}
	size(root)
	return ok
}

// expansion is what a YAML value holds with its aliases expanded.
type expansion struct{ values, bytes int }
