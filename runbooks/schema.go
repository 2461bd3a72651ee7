package runbooks

import (
	"encoding/json"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the runbook format's JSON Schema.
const SchemaID = "https://crier.dev/schemas/runbook-v1.json"

// Schema returns the JSON Schema (2020-12) of the runbook format, generated
// from the Go types that the parser decodes into, so the two cannot drift.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		Anonymous:                  true,
		ExpandedStruct:             true,
	}
	s := r.Reflect(&Runbook{})
	s.ID = SchemaID
	s.Title = "crier runbook, format version 1"
	s.Description = "A crisis-communications runbook for crier. See docs/runbook-format.md."
	return json.MarshalIndent(s, "", "  ")
}

func (Slug) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: `^[a-z0-9][a-z0-9-]*$`, MaxLength: ptr(uint64(maxSlugLen))}
}

func (Ref) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", MinLength: ptr(uint64(1))}
}

func (Addresses) JSONSchema() *jsonschema.Schema {
	addr := &jsonschema.Schema{Type: "string", MinLength: ptr(uint64(3)), Description: "An email address, optionally with a name: \"Duty Officer <duty@council.gov.uk>\"."}
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{addr, {Type: "array", Items: addr}}}
}

func (Duration) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+)$`,
		Description: "Go duration extended with d (24h) and w (7d): 0s, 30m, 2h, 3d, 1d12h, 2w."}
}

func (Schedule) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", MinLength: ptr(uint64(1)),
		Description: "5-field cron spec (minute hour day-of-month month day-of-week), @hourly, @daily, @weekly, @monthly, @yearly, or @every DURATION."}
}

func (Template) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Description: "Go text/template."}
}

// JSONSchemaExtend says a step has exactly one timing and one action.
func (Step) JSONSchemaExtend(s *jsonschema.Schema) {
	exactlyOne := func(fields ...string) *jsonschema.Schema {
		one := &jsonschema.Schema{}
		for _, f := range fields {
			one.OneOf = append(one.OneOf, &jsonschema.Schema{Required: []string{f}})
		}
		return one
	}
	s.AllOf = []*jsonschema.Schema{exactlyOne("at", "every", "after"), exactlyOne("notify", "task")}
}

func ptr[T any](v T) *T { return &v }
