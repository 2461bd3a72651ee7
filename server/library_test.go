package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A runbook file that stops loading is reported on reload and the copy
// that loaded stays offered; once mended, the new copy replaces it.
func TestReloadKeepsTheCopyThatWorked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tension.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(statement)
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	write(strings.Replace(statement, "title: Community tension", "titel: Community tension", 1))
	if err := lib.Reload(); err == nil || !strings.Contains(err.Error(), "tension.yaml:3:1") {
		t.Errorf("reload of a broken file: %v", err)
	}
	if rb, _, _, ok := lib.Get("tension"); !ok || rb.Title != "Community tension after a local incident" {
		t.Errorf("after a failed reload: %v %v", rb, ok)
	}
	write(strings.Replace(statement, "title: Community tension after a local incident", "title: Community tension, revised", 1))
	if err := lib.Reload(); err != nil {
		t.Fatal(err)
	}
	if rb, _, _, _ := lib.Get("tension"); rb.Title != "Community tension, revised" {
		t.Errorf("after mending: %q", rb.Title)
	}
}
