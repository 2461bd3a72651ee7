package main

import (
	"context"
	"fmt"

	"github.com/crierhq/crier/runbooks"
)

func runSchema(ctx context.Context, args []string, e env) int {
	flags := newFlags("schema", "",
		"Print the JSON Schema (2020-12) of the runbook format. Save it and point your editor's\n"+
			"YAML language server at it, for example with this first line in a runbook:\n"+
			"  # yaml-language-server: $schema=./crier-runbook.schema.json\n"+
			"The schema checks shape; 'crier validate' also checks references, templates and schedules.")
	if _, code, ok := parseFlags(flags, args, e); !ok {
		return code
	}
	data, err := runbooks.Schema()
	if err != nil {
		fmt.Fprintf(e.stderr, "crier schema: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "%s\n", data)
	return exitOK
}
