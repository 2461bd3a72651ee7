// Package examples holds the example runbooks, built into crier: the
// runbooks crier serve offers on its embedded default, so that a binary
// installed anywhere has something to run. A configured runbooks
// directory replaces them. The example configuration, crier.yaml, is
// built in too; it is not a runbook, and the library leaves it aside.
// So is the Northbridge directory the runbooks point into,
// directory.yaml, with its contact lists in lists/.
package examples

import "embed"

// FS is the example runbooks, by file name (flood-warning.yaml), the
// directory (directory.yaml) and its contact lists
// (lists/vulnerable-residents.csv).
//
//go:embed *.yaml lists/*.csv
var FS embed.FS

// DirectoryFile is the name of the directory in FS; the lists it names
// are read from FS too.
const DirectoryFile = "directory.yaml"
