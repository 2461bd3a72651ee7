// Package examples holds the example runbooks, built into crier: the
// runbooks crier serve offers on its embedded default, so that a binary
// installed anywhere has something to run. A configured runbooks
// directory replaces them. The example configuration, crier.yaml, is
// built in too; it is not a runbook, and the library leaves it aside.
package examples

import "embed"

// FS is the example runbooks, by file name (flood-warning.yaml).
//
//go:embed *.yaml
var FS embed.FS
