package runbooks

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// Positions says where each value DecodeFile decoded is written, by its
// path as messages give it: "" for the document itself, then paths such as
// server.listen or users[0].roles[1].
type Positions map[string]Pos

// At is where the value at path is written or, when it is not, the
// nearest mapping around it that is.
func (ps Positions) At(path string) Pos {
	for {
		if p, ok := ps[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return ps[""]
		}
		path = path[:i]
	}
}

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
	root, ok := readMapping(ds, data, what, "a mapping of field names to values", "")
	if !ok || !checkAliases(ds, root) {
		return nil
	}
	d := &decoder{diags: ds, lines: bytes.Split(data, []byte("\n")), positions: Positions{"": posOf(root)}}
	d.decodeStruct(root, v, "")
	return d.positions
}
