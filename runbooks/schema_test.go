package runbooks

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// The schema is generated from the Go types; this test holds it to the
// parser's behaviour: every runbook the parser accepts, the schema accepts,
// and shape errors the parser refuses, the schema refuses too.
func TestSchemaAgreesWithParser(t *testing.T) {
	data, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the generated schema does not compile: %v", err)
	}

	good, _ := filepath.Glob("testdata/*.good.yaml")
	for _, file := range append(good, exampleRunbooks(t)...) {
		if err := schema.Validate(yamlAsJSON(t, file)); err != nil {
			t.Errorf("%s: valid runbook rejected by the schema: %v", file, err)
		}
	}
	for _, tc := range []struct{ file, edit, with string }{
		{"testdata/minimal.good.yaml", "title:", "titel:"},
		{"testdata/minimal.good.yaml", "    at: 0s\n", "    at: 0s\n    every: \"@daily\"\n"},
		{"testdata/minimal.good.yaml", "version: 1", "version: 2"},
		{"testdata/minimal.good.yaml", "id: minimal", "id: Not_A_Slug"},
		{"testdata/minimal.good.yaml", "type: slack", "type: slak"},
		{"testdata/minimal.good.yaml", "    roles: [approver]\n    email: duty", "    roles: [approver]\n    phone: \"0770\"\n    email: duty"},
		{"testdata/minimal.good.yaml", "  - id: weekly\n", "  - id: weekly\n    notify: {to: [partners], body: x}\n"},
	} {
		src := readFile(t, tc.file)
		if !strings.Contains(src, tc.edit) {
			t.Fatalf("%s does not contain %q", tc.file, tc.edit)
		}
		src = strings.Replace(src, tc.edit, tc.with, 1)
		if _, err := Parse("edited.yaml", []byte(src)); err == nil {
			t.Errorf("parser accepted %q", tc.with)
		}
		if err := schema.Validate(yamlTextAsJSON(t, src)); err == nil {
			t.Errorf("schema accepted %q", tc.with)
		}
	}
}

func yamlAsJSON(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return yamlTextAsJSON(t, string(data))
}

// yamlTextAsJSON reads YAML as an editor's language server would: as JSON data.
func yamlTextAsJSON(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(jsonable(v))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = jsonable(x)
		}
	case []any:
		for i, x := range v {
			v[i] = jsonable(x)
		}
	case time.Time: // YAML reads 2027-06-30 as a timestamp; JSON has only the text
		return v.Format(time.DateOnly)
	}
	return v
}
