package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
	"github.com/invopop/jsonschema"
)

// DirectorySchemaID is the $id of the directory file's JSON Schema.
const DirectorySchemaID = "https://crier.dev/schemas/directory-v1.json"

func runSchema(ctx context.Context, args []string, e env) int {
	flags := newFlags("schema", "[--directory]",
		"Print the JSON Schema (2020-12) of the runbook format, or with --directory of the\n"+
			"directory file. Save it and point your editor's YAML language server at it, for\n"+
			"example with this first line in a runbook:\n"+
			"  # yaml-language-server: $schema=./crier-runbook.schema.json\n"+
			"The schema checks shape; 'crier validate' also checks references, templates,\n"+
			"schedules, rotas and contact lists.")
	dir := flags.Bool("directory", false, "print the schema of the directory file (directory.yaml) instead")
	if _, code, ok := parseFlags(flags, args, e); !ok {
		return code
	}
	schema := runbooks.Schema
	if *dir {
		schema = directorySchema
	}
	data, err := schema()
	if err != nil {
		fmt.Fprintf(e.stderr, "crier schema: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "%s\n", data)
	return exitOK
}

// directorySchema is the JSON Schema (2020-12) of the directory file,
// generated from the Go types it is decoded into, as the runbook format's
// is, so the two cannot drift.
func directorySchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		Anonymous:                  true,
		ExpandedStruct:             true,
	}
	s := r.Reflect(&directory.Directory{})
	for _, f := range directoryFormats {
		if def, ok := s.Definitions[f.def]; ok && def.Properties != nil {
			if p, ok := def.Properties.Get(f.field); ok {
				p.Pattern, p.Description = f.pattern, f.description
			}
		}
	}
	s.ID = DirectorySchemaID
	s.Title = "crier directory, version 1"
	s.Description = "The people, organisations, duty rotas and contact lists crier's runbooks point into. See docs/directory.md."
	return json.MarshalIndent(s, "", "  ")
}

// directoryFormats are the shapes of the directory's written-out dates and
// times and its lists' files, which the Go types hold as strings.
var directoryFormats = []struct{ def, field, pattern, description string }{
	{"Rota", "start", `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, "The date of the first handover, 2026-01-05; for a weekly rota, on the handover's day."},
	{"Rota", "handover", `^((Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([01][0-9]|2[0-3]):[0-5][0-9]$`, "\"Mon 09:00\" for a weekly rota, \"09:00\" for a daily one, in the directory's time zone."},
	{"Override", "from", `^[0-9]{4}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]$`, "Local date and 24-hour time, \"2026-12-24 17:00\"."},
	{"Override", "until", `^[0-9]{4}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]$`, "Local date and 24-hour time, after from."},
	{"ListEntry", "file", `^[^/].*\.[cC][sS][vV]$`, "A CSV file relative to the directory file, with / between folders and no .., such as lists/vulnerable.csv."},
}
