package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Directory is the directory in force: the file's text, as it was loaded
// from its file or last edited in crier, and by whom. Every version is in
// the record, each in the command that set it.
type Directory struct {
	ID     string // always "directory"
	Source []byte
	Name   string // the file it came from, for messages
	// FileSHA256 is the hex SHA-256 of the file as it was last loaded
	// from disk: crier loads the file again only when it has changed.
	FileSHA256 string
	Version    uint64 // the log index of the command that set it
	By         string
	At         time.Time
}

const directoryID = "directory"

// SetDirectory records the directory in force.
func (t *Txn) SetDirectory(d *Directory) error {
	d.ID = directoryID
	return t.insert(TableDirectory, d)
}

// Directory is the directory in force, or nil when there is none.
func (t *Txn) Directory(ws memdb.WatchSet) (*Directory, error) {
	return get[Directory](t, ws, TableDirectory, directoryID)
}
