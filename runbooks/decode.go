package runbooks

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// A decoder turns a yaml.Node tree into the runbook types strictly: unknown
// and repeated keys, wrong types, missing required fields and over-long lists
// are all reported with their position, and decoding carries on so that one
// run finds every problem. The rules come from the same struct tags that
// generate the JSON Schema, so the two cannot disagree. The tree must have
// passed checkAliases: decoding follows aliases.
type decoder struct {
	diags *diagnostics
	lines [][]byte // the file, for block scalar indentation
	// key is the mapping key whose value is being decoded: a block list or
	// mapping of the wrong kind is reported on the key's line.
	key *yaml.Node
	// shapes caches each runbook type's fields and the rules their tags give.
	shapes map[reflect.Type]*shape
	// positions, when not nil, collects where each value is written, by
	// path, for DecodeFile.
	positions Positions
	// pointers collects the person:ID and rota:ID references written, and
	// where,
	// which stand for stakeholders kept in the directory.
	pointers []pointer
	// written is a stack of the keys written in the mappings being decoded,
	// innermost last: each decodeStruct pushes its own above those of the
	// mappings around it, and takes them off, copied, when it is done.
	written []fieldAt
}

// shape is a runbook type's YAML fields, read once from its struct tags.
type shape struct {
	noun   string
	fields []field
	byName map[string]*field
	names  []string
}

// field is one YAML field and the rules its jsonschema tag gives it.
type field struct {
	name               string
	index              int
	required           bool
	enum               []string
	minItems, maxItems int
}

func (d *decoder) shapeOf(t reflect.Type) *shape {
	if s, ok := d.shapes[t]; ok {
		return s
	}
	s := &shape{noun: nounOf(t), byName: map[string]*field{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name := yamlName(sf)
		if name == "" {
			continue
		}
		f := field{name: name, index: i}
		for _, opt := range tagOptions(sf) {
			key, value, _ := strings.Cut(opt, "=")
			switch key {
			case "required":
				f.required = true
			case "enum":
				f.enum = append(f.enum, value)
			case "minItems":
				f.minItems, _ = strconv.Atoi(value)
			case "maxItems":
				f.maxItems, _ = strconv.Atoi(value)
			}
		}
		s.fields = append(s.fields, f)
		s.names = append(s.names, name)
	}
	for i := range s.fields {
		s.byName[s.fields[i].name] = &s.fields[i]
	}
	if d.shapes == nil {
		d.shapes = map[reflect.Type]*shape{}
	}
	d.shapes[t] = s
	return s
}

// nodeDecoder is implemented by scalar types with their own syntax.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

type positioner interface {
	setPos(p Pos, fields []fieldAt)
}

// line is the text of the 1-based line, or nothing.
func (d *decoder) line(n int) []byte {
	if n < 1 || n > len(d.lines) {
		return nil
	}
	return d.lines[n-1]
}

// blockIndent is the indentation, in columns, of a literal block scalar
// whose | header is on the 1-based line: given by an indentation indicator
// (|2), or else that of the first line of text after the header.
func (d *decoder) blockIndent(header int) int {
	h := d.line(header)
	if i := bytes.LastIndexByte(h, '|'); i >= 0 {
		for _, c := range h[i+1:] {
			if c >= '1' && c <= '9' {
				return len(h) - len(bytes.TrimLeft(h, " ")) + int(c-'0')
			}
		}
	}
	for i := header; i < len(d.lines); i++ {
		l := d.lines[i]
		if trimmed := len(bytes.TrimLeft(l, " ")); trimmed > 0 {
			return len(l) - trimmed
		}
	}
	return 0
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.diags.errorf(posOf(n), path, format, args...)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decode fills v from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	d.record(n, path)
	n = resolveAlias(n)
	if n == nil {
		return
	}
	if reflect.PointerTo(v.Type()).Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		// A scalar such as a duration that failed to decode stays unset, so
		// that validation does not report it again as something else; a
		// mapping is kept, so that what is right in it is still checked.
		before := len(d.diags.items)
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		if len(d.diags.items) == before || p.Elem().Kind() == reflect.Struct && !p.Type().Implements(nodeDecoderType) {
			v.Set(p)
		}
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path, 0, 0)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int:
		s, ok := d.scalar(n, path, "an integer")
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil || n.Tag != "!!int" {
			d.errorf(n, path, "expected an integer, got %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		if n.Tag != "!!bool" {
			d.errorf(n, path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(strings.EqualFold(s, "true"))
	case reflect.Float64:
		s, ok := d.scalar(n, path, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || n.Tag != "!!float" && n.Tag != "!!int" || math.IsInf(f, 0) || math.IsNaN(f) {
			d.errorf(n, path, "expected a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("runbooks: no decoder for %s", v.Type()))
	}
}

// mismatch reports a value of the wrong kind.
func (d *decoder) mismatch(n *yaml.Node, path, want string) {
	at := n
	if d.key != nil && n.Kind != yaml.ScalarNode && n.Style&yaml.FlowStyle == 0 && n.Line > d.key.Line {
		at = d.key
	}
	d.errorf(at, path, "expected %s, got %s", want, describe(n))
}

// scalar returns the text of a scalar node, reporting anything else.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.mismatch(n, path, want)
		return "", false
	}
	return n.Value, true
}

// mappingPair is one key and value, with YAML merge keys (<<) expanded.
type mappingPair struct{ key, value *yaml.Node }

func (d *decoder) pairs(n *yaml.Node, path string) []mappingPair {
	var explicit, merged []mappingPair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, d.mergeSources(v, path)...)
			continue
		}
		explicit = append(explicit, mappingPair{k, v})
	}
	// Explicit keys win over merged ones, and earlier merge sources over later.
	out := explicit
	seen := map[string]bool{}
	for _, p := range explicit {
		seen[p.key.Value] = true
	}
	for _, p := range merged {
		if !seen[p.key.Value] {
			seen[p.key.Value] = true
			out = append(out, p)
		}
	}
	return out
}

func (d *decoder) mergeSources(v *yaml.Node, path string) []mappingPair {
	v = resolveAlias(v)
	switch {
	case v == nil:
		return nil
	case v.Kind == yaml.MappingNode:
		return d.pairs(v, path)
	case v.Kind == yaml.SequenceNode:
		var out []mappingPair
		for _, s := range v.Content {
			out = append(out, d.mergeSources(s, path)...)
		}
		return out
	}
	d.errorf(v, path, "a merge key (<<) needs a mapping, got %s", describe(v))
	return nil
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	sh := d.shapeOf(v.Type())
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, path, "a mapping (the fields of a "+sh.noun+")")
		if pp, ok := v.Addr().Interface().(positioner); ok {
			pp.setPos(posOf(n), nil)
		}
		return
	}
	// The keys written go on d.written from base; the decoding of their
	// values pushes and pops above them, and may move the stack, so they
	// are reached by index.
	base := len(d.written)
	var suggested map[string]bool
	for _, p := range d.pairs(n, path) {
		key := resolveAlias(p.key)
		if key == nil || key.Kind != yaml.ScalarNode {
			d.errorf(p.key, path, "a %s's field names must be plain words, got %s", sh.noun, describe(p.key))
			continue
		}
		f, ok := sh.byName[key.Value]
		if !ok {
			d.errorf(key, path, "unknown field %q in %s%s", key.Value, sh.noun, suggest(key.Value, sh.names))
			if c, ok := closest(key.Value, sh.names); ok {
				if suggested == nil {
					suggested = map[string]bool{}
				}
				suggested[c] = true // "did you mean" says it; "missing" would repeat it
			}
			continue
		}
		if first := writtenAt(d.written[base:], f.name); first != nil {
			d.errorf(key, path, "field %q is given twice in this %s (first at line %d)", key.Value, sh.noun, first.key.line)
			continue
		}
		at := len(d.written)
		d.written = append(d.written, fieldAt{name: f.name, key: narrow(posOf(key))})
		fv, value := v.Field(f.index), resolveAlias(p.value)
		fieldPath := joinPath(path, key.Value)
		if d.emptyButNeeded(key, value, fv, f, fieldPath, sh.noun) {
			continue
		}
		before := len(d.diags.items)
		d.key = key
		d.decodeField(p.value, fv, f, fieldPath)
		if len(d.diags.items) > before {
			continue
		}
		if f.required && fv.Kind() == reflect.String && strings.TrimSpace(fv.String()) == "" {
			d.errorf(value, fieldPath, "%s is empty; it is required in a %s", key.Value, sh.noun)
			continue
		}
		d.written[at].value = narrow(posOf(value))
	}
	written := d.written[base:]
	for _, f := range sh.fields {
		if f.required && writtenAt(written, f.name) == nil && !suggested[f.name] {
			d.errorf(n, path, "missing required field %q in %s", f.name, sh.noun)
		}
	}
	if pp, ok := v.Addr().Interface().(positioner); ok {
		fields := noFields // never nil: see located.decoded
		if len(written) > 0 {
			fields = slices.Clone(written)
		}
		pp.setPos(posOf(n), fields)
	}
	d.written = d.written[:base]
}

// writtenAt is the key among those written, or nil.
func writtenAt(written []fieldAt, name string) *fieldAt {
	for i := range written {
		if written[i].name == name {
			return &written[i]
		}
	}
	return nil
}

// emptyButNeeded reports a field written with no value where one is
// needed: a required field, or a block such as notify or every that means
// nothing empty. An optional list or text left empty is simply empty.
func (d *decoder) emptyButNeeded(key, value *yaml.Node, v reflect.Value, f *field, path, noun string) bool {
	if !isNull(value) {
		return false
	}
	switch {
	case f.required:
		d.errorf(value, path, "%s is empty; it is required in a %s", key.Value, noun)
	case v.Kind() == reflect.Pointer:
		d.errorf(value, path, "%s is empty; give it a value or leave the field out", key.Value)
	default:
		return false
	}
	return true
}

func (d *decoder) decodeField(n *yaml.Node, v reflect.Value, f *field, path string) {
	if v.Kind() == reflect.Slice && !reflect.PointerTo(v.Type()).Implements(nodeDecoderType) {
		d.record(n, path)
		n = resolveAlias(n)
		if n != nil {
			d.decodeSlice(n, v, path, f.minItems, f.maxItems)
		}
		return
	}
	d.decode(n, v, path)
	if len(f.enum) > 0 && v.Kind() == reflect.String && v.String() != "" && !slices.Contains(f.enum, v.String()) {
		d.errorf(resolveAlias(n), path, "%q is not a valid %s; expected one of %s%s",
			v.String(), f.name, strings.Join(f.enum, ", "), suggest(v.String(), f.enum))
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string, minItems, maxItems int) {
	if isNull(n) || (n.Kind == yaml.SequenceNode && len(n.Content) < minItems) {
		if minItems > 0 {
			d.errorf(n, path, "needs at least %d item(s), got %d", minItems, len(n.Content))
		}
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.mismatch(n, path, "a list")
		return
	}
	if maxItems > 0 && len(n.Content) > maxItems {
		d.errorf(n, path, "%d items is too many; at most %d are allowed", len(n.Content), maxItems)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.key = nil
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, path, "a mapping")
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, p := range d.pairs(n, path) {
		key := resolveAlias(p.key)
		if key == nil || key.Kind != yaml.ScalarNode || isNull(key) {
			d.errorf(p.key, path, "keys here must be plain words, got %s", describe(p.key))
			continue
		}
		kv := reflect.ValueOf(key.Value)
		if m.MapIndex(kv).IsValid() {
			d.errorf(key, path, "key %q is given twice", key.Value)
			continue
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		d.key = key
		d.decode(p.value, ev, joinPath(path, key.Value))
		if k, ok := ev.Addr().Interface().(interface{ setKey(Pos) }); ok {
			k.setKey(posOf(key))
		}
		m.SetMapIndex(kv, ev)
	}
	v.Set(m)
}

// record notes where the value at path is written, an alias where the
// alias is rather than its anchor.
func (d *decoder) record(n *yaml.Node, path string) {
	if d.positions != nil && n != nil {
		d.positions[path] = posOf(n)
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// tagOptions splits a jsonschema struct tag the way the schema generator does.
func tagOptions(f reflect.StructField) []string {
	var out []string
	for _, part := range strings.Split(strings.ReplaceAll(f.Tag.Get("jsonschema"), `\,`, "\x00"), ",") {
		out = append(out, strings.ReplaceAll(part, "\x00", ","))
	}
	return out
}

// nounOf names a struct type in users' words for messages.
func nounOf(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Notify]():
		return "notify action"
	case reflect.TypeFor[Task]():
		return "task action"
	}
	// EscalationLevel is "escalation level": words as people write them.
	var b strings.Builder
	prev := ' '
	for _, r := range t.Name() {
		if unicode.IsUpper(r) && unicode.IsLower(prev) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
		prev = r
	}
	return b.String()
}
