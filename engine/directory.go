package engine

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// SetDirectory puts a directory in force: loaded from its file when crier
// starts and the file has changed (FileSHA256 given), or edited in crier
// by an admin or a planner. Rotas resolve through the directory in force
// when a step fires, so that cover put in during an incident takes effect
// at once; every version is in the record with who set it.
type SetDirectory struct {
	Meta
	Source     []byte `json:"source"`
	Name       string `json:"name"`
	FileSHA256 string `json:"file_sha256,omitempty"`
}

func (*SetDirectory) Kind() string { return "set_directory" }

func (f *fsm) setDirectory(w *writer, c *SetDirectory) error {
	if _, err := directory.Parse(c.Name, c.Source); err != nil {
		return invalid("the directory is not valid:\n%v", err)
	}
	old, err := w.tx.Directory(nil)
	if err != nil {
		return err
	}
	sha := c.FileSHA256
	if sha == "" && old != nil {
		sha = old.FileSHA256
	}
	return w.tx.SetDirectory(&state.Directory{Source: c.Source, Name: c.Name, FileSHA256: sha,
		Version: w.meta.Index, By: w.meta.Actor, At: w.meta.At})
}

// directory is the directory in force as tx sees it, parsed once per
// version, or nil when there is none.
func (f *fsm) directory(tx *state.Txn) runbooks.Directory {
	if d := f.parsedDirectory(tx); d != nil {
		return d
	}
	return nil // not a typed nil: runbooks sees no directory
}

func (f *fsm) parsedDirectory(tx *state.Txn) *directory.Directory {
	st, err := tx.Directory(nil)
	if err != nil || st == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dir != nil && f.dirVersion == st.Version {
		return f.dir
	}
	d, err := directory.Parse(cmp.Or(st.Name, "directory.yaml"), st.Source)
	if err != nil {
		return nil // it parsed when it was set
	}
	if f.listFiles != nil {
		// Reading lists is not part of applying a command: a list is only
		// counted, and its rows sent, by the dispatcher, which records what
		// it found (rows and checksum) before it sends a row.
		f.listErr = d.LoadLists(f.listFiles)
	}
	f.dir, f.dirVersion = d, st.Version
	return d
}

// Directory is the directory in force, or nil when there is none.
func (e *Engine) Directory() *directory.Directory {
	return e.fsm.parsedDirectory(e.Read())
}

// DirectoryRecord is the directory in force as the record holds it: its
// text, and who set it when; nil when there is none.
func (e *Engine) DirectoryRecord() *state.Directory {
	d, _ := e.Read().Directory(nil)
	return d
}

// people reaches an activation's stakeholders at the command's time in
// the activation's own time: scenario time in an exercise.
func (w *writer) people(a *state.Activation) *people {
	return peopleAt(w.fsm.directory(w.tx), w.now(a.ID))
}

// recordDuty puts in the record who was on duty on each rota a message
// reached, and who could not be reached.
func recordDuty(w *writer, m *state.Message, p *people) error {
	for _, d := range p.onDuty {
		if err := w.event(m.ActivationID, "on_duty", m.ID, d[0]+": "+d[1]+" on duty"); err != nil {
			return err
		}
	}
	for _, why := range p.unreached {
		if err := w.event(m.ActivationID, "not_reached", m.ID, why); err != nil {
			return err
		}
	}
	return nil
}

// view is the directory in force as runbooks see it, or nil.
func (e *Engine) view() runbooks.Directory { return e.fsm.directory(e.Read()) }

// view is a directory as runbooks see it: nil stays nil.
func view(d *directory.Directory) runbooks.Directory {
	if d == nil {
		return nil
	}
	return d
}

// pointsRightly refuses a runbook that points into the directory in force
// where it cannot: a person, rota or list it does not have, or none at
// all. Warnings (a rota's gap) do not stop an activation.
func pointsRightly(rb *runbooks.Runbook, dir runbooks.Directory, at time.Time) error {
	var errs runbooks.ErrorList
	for _, d := range runbooks.CheckDirectory(rb, dir, at) {
		if d.Severity == runbooks.SeverityError {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		return invalid("the runbook points into the directory where it cannot:\n%v", errs)
	}
	return nil
}

// LoadDirectoryFile puts the directory file's text in force, as
// loaded from its file, unless the record already holds this very file
// as last loaded: edits made in crier since then stand until the file
// itself changes. It reports whether it loaded the file.
func (e *Engine) LoadDirectoryFile(ctx context.Context, source []byte, name string) (bool, error) {
	sum := sha256.Sum256(source)
	sha := hex.EncodeToString(sum[:])
	if rec := e.DirectoryRecord(); rec != nil && rec.FileSHA256 == sha {
		return false, nil
	}
	_, err := e.Apply(ctx, &SetDirectory{Meta: Meta{Actor: "crier"}, Source: source, Name: name, FileSHA256: sha})
	return err == nil, err
}

// ListProblems is what went wrong reading the directory's contact lists,
// or nil: the lists that could not be read are not sent to.
func (e *Engine) ListProblems() error {
	if e.Directory() == nil {
		return nil
	}
	e.fsm.mu.Lock()
	defer e.fsm.mu.Unlock()
	return e.fsm.listErr
}
