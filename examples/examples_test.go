package examples

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// Every example on disk is built in, byte for byte, and each is a
// runbook that validates.
func TestEveryExampleIsBuiltIn(t *testing.T) {
	onDisk, _ := filepath.Glob("*.yaml")
	built, err := fs.Glob(FS, "*.yaml")
	if err != nil || !slices.Equal(onDisk, built) {
		t.Fatalf("on disk %v, built in %v (%v)", onDisk, built, err)
	}
	runbookFiles := 0
	for _, name := range built {
		b, _ := fs.ReadFile(FS, name)
		d, _ := os.ReadFile(name)
		if string(b) != string(d) {
			t.Errorf("%s: the built-in copy differs from the file", name)
		}
		if !runbooks.IsRunbookFile(name) {
			continue
		}
		runbookFiles++
		if _, err := runbooks.Parse(name, b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if runbookFiles != 6 {
		t.Errorf("%d example runbooks, want 6", runbookFiles)
	}
}
