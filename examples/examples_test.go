package examples

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// Every example on disk is built in, byte for byte, the directory and its
// lists too, and each runbook among them validates.
func TestEveryExampleIsBuiltIn(t *testing.T) {
	runbookFiles := 0
	for _, pattern := range []string{"*.yaml", "lists/*.csv"} {
		onDisk, _ := filepath.Glob(pattern)
		built, err := fs.Glob(FS, pattern)
		if err != nil || len(built) == 0 || !slices.Equal(onDisk, built) {
			t.Fatalf("%s: on disk %v, built in %v (%v)", pattern, onDisk, built, err)
		}
		for _, name := range built {
			b, _ := fs.ReadFile(FS, name)
			d, _ := os.ReadFile(name)
			if string(b) != string(d) {
				t.Errorf("%s: the built-in copy differs from the file", name)
			}
			if name == DirectoryFile || !runbooks.IsRunbookFile(name) {
				continue
			}
			runbookFiles++
			if _, err := runbooks.Parse(name, b); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if runbookFiles != 6 {
		t.Errorf("%d example runbooks, want 6", runbookFiles)
	}
}
