package runbooks

import (
	"bytes"
	"fmt"
	"reflect"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Positions says where each value DecodeFile decoded is written, by its
// path as messages give it: "" for the document itself, then paths such as
// server.listen or users[0].roles[1].
type Positions map[string]Pos

// DecodeFile decodes a YAML file other than a runbook, such as crier's
// configuration, into v, a pointer to a struct, by the rules runbooks are
// decoded with: one UTF-8 document of at most MaxFileSize, checked for
// alias bombs; unknown and repeated fields, values of the wrong type,
// values outside an enum and missing required fields, all from the yaml and
// jsonschema struct tags, each reported with its position. Every problem in
// the file is found in one run. what names the file's contents in messages
// about the file as a whole ("configuration"); the struct types' names, in
// lower case, name their mappings ("unknown field \"x\" in server").
//
// It returns where each value is written, or nil when the file could not be
// read as a mapping at all, and an ErrorList of every problem, sorted by
// position. Values that decoded without error are set in v even then.
func DecodeFile(name string, data []byte, what string, v any) (Positions, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("runbooks.DecodeFile: want a pointer to a struct, got %T", v))
	}
	ds := &diagnostics{file: name}
	positions := decodeFile(ds, data, what, rv.Elem())
	if errs, _ := ds.split(); len(errs) > 0 {
		return positions, errs
	}
	return positions, nil
}

func decodeFile(ds *diagnostics, data []byte, what string, v reflect.Value) Positions {
	start := Pos{Line: 1, Column: 1}
	switch {
	case len(data) > MaxFileSize:
		ds.errorf(start, "", "file is larger than 1 MiB; a %s must be smaller", what)
		return nil
	case !utf8.Valid(data):
		ds.errorf(start, "", "file is not UTF-8 text")
		return nil
	case len(bytes.TrimSpace(data)) == 0:
		ds.errorf(start, "", "file is empty; expected a %s starting with version: 1", what)
		return nil
	}
	root, ok := parseYAML(ds, data, what)
	if !ok {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		ds.errorf(posOf(root), "", "expected a %s (a mapping of field names to values), got %s", what, describe(root))
		return nil
	}
	if !checkAliases(ds, root) {
		return nil
	}
	d := &decoder{diags: ds, lines: bytes.Split(data, []byte("\n")), positions: Positions{"": posOf(root)}}
	d.decodeStruct(root, v, "")
	return d.positions
}
