package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/crierhq/crier/examples"
)

// The examples built into crier are a library of their own: the six
// example runbooks, crier.yaml aside, named as in the repository; a
// reload reads the same again and succeeds.
func TestLibraryOfTheBuiltInExamples(t *testing.T) {
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, rb := range lib.List() {
		ids = append(ids, string(rb.ID))
	}
	want := []string{"community-tension-local-incident", "cyber-attack", "flood-warning", "hate-incidents-surge",
		"major-incident-community-reassurance", "planned-protest"}
	if !slices.Equal(ids, want) {
		t.Errorf("runbooks %v, want %v", ids, want)
	}
	rb, src, file, ok := lib.Get("flood-warning")
	if !ok || file != "examples/flood-warning.yaml" || !strings.Contains(string(src), "id: flood-warning") || rb.Title == "" {
		t.Errorf("flood-warning: %v %q %d bytes", ok, file, len(src))
	}
	if err := lib.Reload(); err != nil || len(lib.List()) != len(want) {
		t.Errorf("reload: %v, %d runbooks", err, len(lib.List()))
	}
}
