package main

import (
	"fmt"
	"strings"

	"github.com/crierhq/crier/engine"
)

// reachedText is how the plan's text names someone a row reaches: "Asha
// Patel (email, sms; rota duty-comms)", "list vulnerable (312 rows)".
func reachedText(r engine.Reached) string {
	switch {
	case r.List != "":
		return fmt.Sprintf("list %s (%d %s)", r.List, r.Rows, plural(r.Rows, "row", "rows"))
	case r.NobodyOnDuty:
		return fmt.Sprintf("%s (rota %s): nobody on duty", r.Name, r.Rota)
	}
	how := strings.Join(r.Via, ", ")
	if how == "" {
		how = "no way to reach them"
	}
	if r.Rota != "" {
		how += "; rota " + r.Rota
	}
	return fmt.Sprintf("%s (%s)", r.Name, how)
}
