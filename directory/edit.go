package directory

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/crierhq/crier/runbooks"
)

// Editing the directory's text in crier: putting someone on cover. The
// text is changed where the change goes and nowhere else, so that the
// planner's comments, blank lines and layout are all kept in the copy
// they download and put back into their file.

// AddOverride puts person on the rota's duty from until (local times in the
// directory's zone, "2026-12-24 17:00") by adding an override to the rota
// in source. The new override is written on a line of its own after the
// rota's last override (or as the rota's overrides: when it has none),
// found with the YAML's own parse; the rest of the text is left as it was.
// A rota written in a shape that cannot be added to by a line is edited
// through its parsed YAML instead, which keeps comments but not every
// blank line. The result is not checked as a directory: Parse it, which
// refuses an override that overlaps another.
func AddOverride(source []byte, rota, person, from, until string) ([]byte, error) {
	if err := checkCoverTimes(from, until); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(source, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the directory in force cannot be read as YAML; fix it on the edit page first")
	}
	top := doc.Content[0]
	r := findByID(mapValue(top, "rotas"), rota)
	if r == nil {
		return nil, fmt.Errorf("no rota has id %q", rota)
	}
	if findByID(mapValue(top, "people"), person) == nil {
		return nil, fmt.Errorf("no person has id %q; add them to people first", person)
	}
	o := Override{Person: runbooks.Slug(person), From: from, Until: until}
	want, err := withOverride(source, rota, o)
	if err != nil {
		return nil, err
	}
	if out, ok := spliceOverride(source, r, o); ok && sameYAML(out, want) {
		return out, nil
	}
	out, err := encodeWithOverride(&doc, r, o)
	if err != nil || !sameYAML(out, want) {
		return nil, fmt.Errorf("the override could not be added to rota %q as written; add it on the edit page", rota)
	}
	return out, nil
}

// checkCoverTimes says what is wrong with a cover's times, in the words of
// the form that asks for them.
func checkCoverTimes(from, until string) error {
	f, err := time.Parse(localLayout, from)
	if err != nil {
		return fmt.Errorf("from %q is not a date and 24-hour time like \"2026-12-24 17:00\"", from)
	}
	u, err := time.Parse(localLayout, until)
	if err != nil {
		return fmt.Errorf("until %q is not a date and 24-hour time like \"2026-12-29 09:00\"", until)
	}
	if !f.Before(u) {
		return fmt.Errorf("the cover ends at %s, not after it starts at %s", until, from)
	}
	return nil
}

// flow is the override as one line of YAML.
func (o Override) flow() string {
	return fmt.Sprintf(`{person: %s, from: "%s", until: "%s"}`, o.Person, o.From, o.Until)
}

// spliceOverride writes the override into the text: after the last line of
// the rota's last override, or as a new overrides: after the rota's last
// line. false when the rota is written in a shape this does not handle
// (flow style, an explicit null).
func spliceOverride(source []byte, r *yaml.Node, o Override) ([]byte, bool) {
	if r.Style&yaml.FlowStyle != 0 || len(r.Content) == 0 {
		return nil, false
	}
	nl := "\n"
	if bytes.Contains(source, []byte("\r\n")) {
		nl = "\r\n"
	}
	ov := mapValue(r, "overrides")
	switch {
	case ov == nil:
		indent := strings.Repeat(" ", r.Content[0].Column-1)
		return insertAfter(source, lastLine(r), indent+"overrides:"+nl+indent+"  - "+o.flow()+nl, nl), true
	case ov.Kind == yaml.SequenceNode && ov.Style&yaml.FlowStyle == 0 && len(ov.Content) > 0:
		indent := strings.Repeat(" ", ov.Column-1)
		return insertAfter(source, lastLine(ov), indent+"- "+o.flow()+nl, nl), true
	case ov.Kind == yaml.ScalarNode && ov.Tag == "!!null" && ov.Value == "":
		key := mapKey(r, "overrides")
		indent := strings.Repeat(" ", key.Column+1)
		return insertAfter(source, key.Line, indent+"- "+o.flow()+nl, nl), true
	}
	return nil, false
}

// insertAfter puts text after the given line (counting from 1).
func insertAfter(source []byte, line int, text, nl string) []byte {
	lines := bytes.SplitAfter(source, []byte("\n"))
	if line > len(lines) {
		line = len(lines)
	}
	var out bytes.Buffer
	for _, l := range lines[:line] {
		out.Write(l)
	}
	if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		out.WriteString(nl)
	}
	out.WriteString(text)
	for _, l := range lines[line:] {
		out.Write(l)
	}
	return out.Bytes()
}

// encodeWithOverride adds the override to the parsed YAML and writes it out
// again: comments are kept, blank lines and indentation are not always.
func encodeWithOverride(doc *yaml.Node, r *yaml.Node, o Override) ([]byte, error) {
	str := func(v string, style yaml.Style) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: style}
	}
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Content: []*yaml.Node{
		str("person", 0), str(string(o.Person), 0),
		str("from", 0), str(o.From, yaml.DoubleQuotedStyle),
		str("until", 0), str(o.Until, yaml.DoubleQuotedStyle)}}
	ov := mapValue(r, "overrides")
	switch {
	case ov == nil:
		r.Content = append(r.Content, str("overrides", 0), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	case ov.Kind == yaml.SequenceNode:
		ov.Content = append(ov.Content, item)
	case ov.Kind == yaml.ScalarNode && ov.Tag == "!!null":
		*ov = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}}
	default:
		return nil, errors.New("overrides is not a list")
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return out.Bytes(), enc.Close()
}

// withOverride is what the text must read as once the override is added:
// the directory as plain YAML values, with the override appended to the
// rota's. Whatever edits the text is held to it.
func withOverride(source []byte, rota string, o Override) (any, error) {
	var v map[string]any
	if err := yaml.Unmarshal(source, &v); err != nil {
		return nil, errors.New("the directory in force cannot be read as YAML; fix it on the edit page first")
	}
	rotas, _ := v["rotas"].([]any)
	for _, item := range rotas {
		r, _ := item.(map[string]any)
		if r == nil || fmt.Sprint(r["id"]) != rota {
			continue
		}
		list, _ := r["overrides"].([]any)
		r["overrides"] = append(list, map[string]any{"person": string(o.Person), "from": o.From, "until": o.Until})
		return v, nil
	}
	return nil, fmt.Errorf("no rota has id %q", rota)
}

// sameYAML reports whether text reads as the values want.
func sameYAML(text []byte, want any) bool {
	var got map[string]any
	return yaml.Unmarshal(text, &got) == nil && reflect.DeepEqual(got, want)
}

// mapKey is the key node of key in a mapping, or nil.
func mapKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// mapValue is the value of key in a mapping, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// findByID is the mapping in a sequence whose id is id, or nil.
func findByID(seq *yaml.Node, id string) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range seq.Content {
		if v := mapValue(item, "id"); v != nil && v.Value == id {
			return item
		}
	}
	return nil
}

// lastLine is the last line a node's text is on.
func lastLine(n *yaml.Node) int {
	last := n.Line
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		last += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

// Cover is the override on the rota's duty in force at an instant, if any.
func (d *Directory) Cover(rotaID string, at time.Time) (Override, bool) {
	r, err := d.rota(rotaID)
	if err != nil {
		return Override{}, false
	}
	o, ok := r.covering(at)
	if !ok {
		return Override{}, false
	}
	return Override{Person: o.person.ID, From: o.from.In(r.location).Format(localLayout), Until: o.until.In(r.location).Format(localLayout)}, true
}
