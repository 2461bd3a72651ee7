package server

import (
	"context"
	"io/fs"
	"slices"
	"testing"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/examples"
	"github.com/crierhq/crier/runbooks"
)

// The demo cast plays every example: both council comms officers may
// approve every message that needs approval, in all six, so that four
// eyes can be shown on any of them; the police's comms officer exactly
// those the police must sign; nobody else of the cast any.
func TestTheDemoCastApprovesInEveryExample(t *testing.T) {
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.OpenFS(examples.FS, examples.DirectoryFile)
	if err != nil {
		t.Fatal(err)
	}
	cast := demoCast()
	for _, rb := range lib.List() {
		approvals := 0
		for _, st := range rb.Steps {
			if st.Notify == nil || st.Notify.Approval == nil {
				continue
			}
			approvals++
			police := slices.ContainsFunc(st.Notify.Approval.Organisations, func(o runbooks.Ref) bool { return o.Name == "police" })
			for _, d := range cast {
				want := d.User.Has(RoleComms) && (d.User.Name != "Laura Chen" || police)
				if got := engine.MayApproveMessage(rb, dir, &state.Message{Step: string(st.ID)}, d.User.Identity()); got != want {
					t.Errorf("%s, step %s: %s may approve: %v", rb.ID, st.ID, d.User.Name, got)
				}
			}
		}
		if approvals == 0 {
			t.Errorf("%s: no message needs approval", rb.ID)
		}
	}
}

// examplesEngine is an engine in memory with the examples' directory in
// force, as crier serve has on its embedded default.
func examplesEngine(t *testing.T, ctx context.Context) *engine.Engine {
	t.Helper()
	e, err := engine.Open(ctx, engine.Options{ListFiles: examples.FS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDirectoryFile(ctx, examplesDirectory(t), examples.DirectoryFile); err != nil {
		t.Fatal(err)
	}
	return e
}

// examplesDirectory is the text of the examples' directory file.
func examplesDirectory(t *testing.T) []byte {
	t.Helper()
	src, err := fs.ReadFile(examples.FS, examples.DirectoryFile)
	if err != nil {
		t.Fatal(err)
	}
	return src
}
